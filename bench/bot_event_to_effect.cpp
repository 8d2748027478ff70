// Event to effect: how long after GitHub delivers a comment the bot's effect is done, at a steady
// rate. github-sim delivers signed issue_comment webhooks (`/approve` and `/help` on pull requests,
// alternating) to a running deploy-bot at --rate events per second; each is handled (config from
// the cache, permission lookups, the reaction, the reply or the commit status). The latency of one
// event is finished_at - received_at of its delivery in the bot's store (`deploy-bot deliveries
// list`), i.e. from the moment the bot had it to the moment its last effect on GitHub was done.
// Prints one JSON object on stdout.
//
// With --repositories N the events go round-robin to N repositories (acme/app-1 ... acme/app-N,
// each with the same config and pull requests, one installation), so that deliveries of several
// repositories are handled at once.
//
// With --store postgres://... the bot uses a new database on that server (made for the run, dropped
// after it); with --replicas N, N bots share it, each on its own port. github-sim sends to one
// webhook URL, so the bench points it at the replicas in turn, one event each (round-robin), as a
// load balancer in front of them would.
//
//   bench_bot_event_to_effect [--rate 100] [--seconds 10] [--pulls 20] [--repositories 1] [--bot PATH]
//                             [--store postgres://...] [--replicas 1]
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_store.hpp"
#include "bench/bot_replicas.hpp"
#include "core/audit/audit.hpp"
#include "core/process/process.hpp"
#include "tests/support/github_sim.hpp"

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const char* kSecret = "bench-secret";
const char* kUsage =
    R"(usage: bench_bot_event_to_effect [--rate 100] [--seconds 10] [--pulls 20] [--repositories 1] [--bot PATH]
                                 [--store postgres://USER@HOST:PORT/DB] [--replicas 1]

github-sim delivers issue_comment commands (/approve, /help) to deploy-bot at --rate per second for
--seconds, open loop; prints one JSON object with the percentiles of finished_at - received_at of
the deliveries (the bot's own record), in ms.

  --repositories N  send the events round-robin to N repositories (acme/app-1 ... acme/app-N)
  --store URL       a PostgreSQL server whose user may CREATE DATABASE: the bench makes a new
                    database on it for the run and drops it afterwards (default: a SQLite file in
                    a temporary directory), e.g. under scripts/with-postgres,
                    --store "$DEPLOY_TEST_POSTGRES_URL"
  --replicas N      N deploy-bot processes on that store, each on its own port; github-sim's webhook
                    is pointed at them in turn, one event each (PostgreSQL only)
)";
const char* kDeployYml = R"(version: 1
environments:
  production:
    on: { branches: [main], tags: ["v*"] }
    approvals: { required: 2 }
stages:
  - name: deploy
    run: "true"
rollback:
  run: "true"
)";

json repository(const std::string& name, const json& commits, const json& branches, const json& prs) {
  return {{"owner", "acme"},
          {"name", name},
          {"private", true},
          {"default_branch", "main"},
          {"collaborators", {{"bob", "write"}, {"carol", "write"}, {"dave", "read"}}},
          {"commits", commits},
          {"branches", branches},
          {"pulls", prs}};
}

// One repository "app", or N named app-1 ... app-N.
std::vector<std::string> repository_names(int repositories) {
  if (repositories <= 1) return {"app"};
  std::vector<std::string> names;
  for (int r = 1; r <= repositories; ++r) names.push_back("app-" + std::to_string(r));
  return names;
}

json seed(int pulls, int repositories) {
  json commits =
      json::array({{{"message", "Initial"}, {"author", "alice"}, {"files", {{".github/deploy.yml", kDeployYml}}}}});
  json branches = json::object();
  json prs = json::array();
  for (int i = 1; i <= pulls; ++i) {
    const std::string branch = "feature-" + std::to_string(i);
    commits.push_back({{"message", "feature " + std::to_string(i)},
                       {"author", "carol"},
                       {"parents", json::array({"@1"})},
                       {"files", {{"f" + std::to_string(i) + ".txt", "x\n"}}}});
    branches[branch] = "@" + std::to_string(i + 1);
    prs.push_back({{"title", "Feature " + std::to_string(i)}, {"user", "carol"}, {"head", {{"ref", branch}}}});
  }
  branches["main"] = "@1";
  return {{"users", json::array({"alice", "bob", "carol", "dave"})},
          {"organizations", json::array({{{"login", "acme"}, {"members", {{"alice", "admin"}, {"bob", "member"}}}}})},
          {"tokens", {{"ghs_bench_bot", {{"installation_id", 42}}}}},
          {"installations", json::array({{{"id", 42},
                                          {"account", "acme"},
                                          {"permissions",
                                           {{"contents", "write"},
                                            {"issues", "write"},
                                            {"pull_requests", "write"},
                                            {"statuses", "write"},
                                            {"metadata", "read"},
                                            {"members", "read"},
                                            {"actions", "write"},
                                            {"deployments", "write"}}}}})},
          {"repositories", [&] {
             json all = json::array();
             for (const auto& name : repository_names(repositories))
               all.push_back(repository(name, commits, branches, prs));
             return all;
           }()}};
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  double rate = 100;
  int seconds = 10;
  int pulls = 20;
  int repositories = 1;
  int replicas = 1;
  std::string store_option;
  std::string bot_binary = DEPLOY_BOT_BINARY;
  for (int i = 1; i < argc; i += 2) {
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s", argv[i], kUsage);
      return 2;
    }
    if (std::strcmp(argv[i], "--rate") == 0)
      rate = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seconds") == 0)
      seconds = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--pulls") == 0)
      pulls = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--repositories") == 0)
      repositories = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--bot") == 0)
      bot_binary = argv[i + 1];
    else if (std::strcmp(argv[i], "--store") == 0)
      store_option = argv[i + 1];
    else if (std::strcmp(argv[i], "--replicas") == 0)
      replicas = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown argument %s\n%s", argv[i], kUsage);
      return 2;
    }
  }

  deploy::test::GithubSimOptions sim_options;
  sim_options.webhook_secret = kSecret;
  if (repositories < 1 || pulls < 1 || replicas < 1) {
    std::fprintf(stderr, "--pulls, --repositories and --replicas must be at least 1\n");
    return 2;
  }
  if (replicas > 1 && store_option.empty()) {
    std::fprintf(stderr, "--replicas %d needs --store postgres://...: a SQLite store admits one deploy-bot\n",
                 replicas);
    return 2;
  }
  deploy::test::GithubSim sim(seed(pulls, repositories), sim_options);
  const auto names = repository_names(repositories);
  const auto dir = std::filesystem::temp_directory_path() / ("bench-event-to-effect-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::optional<deploy::bench::BenchStore> bench_store;
  std::optional<deploy::bench::BotReplicas> bots;
  try {
    bench_store.emplace(store_option, dir);
    // deploy-bot as processes; each one's port comes from its first line.
    deploy::bench::ReplicaSpec spec;
    spec.bot = bot_binary;
    spec.store = bench_store->location();
    spec.count = replicas;
    spec.env = {{"WEBHOOK_SECRET", kSecret}, {"GITHUB_TOKEN", "ghs_bench_bot"}, {"GITHUB_API_URL", sim.base_url()}};
    spec.unset_env = {"DEPLOY_BOT_LISTEN", "DEPLOY_BOT_STORE", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_PATH"};
    bots.emplace(spec);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bot_event_to_effect: %s\n", e.what());
    bots.reset();
    bench_store.reset();
    std::filesystem::remove_all(dir);
    return 1;
  }
  const std::string store = bench_store->location();
  std::vector<std::string> webhooks;
  for (const auto& replica : bots->replicas()) webhooks.push_back(replica.url() + "/webhook");
  sim.set_webhook(webhooks.front(), kSecret);

  // Open loop: event i is due at start + i / rate, whatever happened to the ones before.
  const int events = static_cast<int>(rate * seconds);
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const auto start = std::chrono::steady_clock::now();
  const char* users[] = {"alice", "bob", "dave"};
  int sent = 0;
  for (int i = 0; i < events; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval * i));
    const int pull = 1 + (i / static_cast<int>(names.size())) % pulls;
    const std::string repo = "acme/" + names[static_cast<std::size_t>(i) % names.size()];
    const std::string body = (i / static_cast<int>(names.size())) % 2 == 0 ? "/approve" : "/help";
    // github-sim delivers within this call, so the next event may go elsewhere.
    if (webhooks.size() > 1) sim.set_webhook(webhooks[static_cast<std::size_t>(i) % webhooks.size()], kSecret);
    auto answer = sim.event("issue_comment", {{"repo", repo}, {"issue", pull}, {"user", users[i % 3]}, {"body", body}});
    if (answer.at("delivery").at("status") == 202) ++sent;
  }
  const double send_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Wait until every delivery is finished, then read the bot's own record of each.
  std::vector<double> latencies;
  std::size_t unfinished = 0, done = 0;
  const auto finish_deadline = std::chrono::steady_clock::now() + 120s;
  while (true) {
    deploy::process::Spec list;
    list.argv = {bot_binary, "deliveries", "list", "--store", store};
    std::string out;
    deploy::process::run(list, [&](const std::string& line) { out += line + "\n"; });
    latencies.clear();
    unfinished = 0;
    done = 0;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      auto row = json::parse(line, nullptr, false);
      if (!row.is_object() || row.value("event", "") != "issue_comment") continue;
      if (!row["finished_at"].is_string()) {
        ++unfinished;
        continue;
      }
      if (row.value("state", "") == "done") ++done;
      auto received = deploy::audit::parse_timestamp(row["received_at"].get<std::string>());
      auto finished = deploy::audit::parse_timestamp(row["finished_at"].get<std::string>());
      if (received && finished)
        latencies.push_back(std::chrono::duration<double, std::milli>(*finished - *received).count());
    }
    if (unfinished == 0 || std::chrono::steady_clock::now() > finish_deadline) break;
    std::this_thread::sleep_for(200ms);
  }
  // GitHub calls the bot made (writes are the effects), from github-sim's request log.
  std::size_t writes = 0;
  for (const auto& request : sim.requests()) {
    if (request.value("method", "") != "GET") ++writes;
  }
  bots->stop();
  bench_store.reset();
  std::filesystem::remove_all(dir);

  std::printf(
      "{\"rate\":%.0f,\"repositories\":%d,\"seconds\":%d,\"events\":%d,\"accepted\":%d,\"send_seconds\":%.2f,"
      "\"handled\":%zu,"
      "\"done\":%zu,\"github_writes\":%zu,\"unfinished\":%zu,\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f,\"max_"
      "ms\":%.1f",
      rate, repositories, seconds, events, sent, send_seconds, latencies.size(), done, writes, unfinished,
      percentile(latencies, 0.5), percentile(latencies, 0.9), percentile(latencies, 0.99), percentile(latencies, 1.0));
  // Only with the new options, so the default run prints exactly what it always did.
  if (!store_option.empty() || replicas > 1) std::printf(",\"store\":\"postgres\",\"replicas\":%d", replicas);
  std::printf("}\n");
  return unfinished == 0 && sent == events ? 0 : 1;
}
