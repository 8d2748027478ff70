// Event to effect: how long after GitHub delivers a comment the bot's effect is done, at a steady
// rate. github-sim delivers signed issue_comment webhooks (`/approve` and `/help` on pull requests,
// alternating) to a running deploy-bot at --rate events per second; each is handled (config from
// the cache, permission lookups, the reaction, the reply or the commit status). The latency of one
// event is finished_at - received_at of its delivery in the bot's store (`deploy-bot deliveries
// list`), i.e. from the moment the bot had it to the moment its last effect on GitHub was done.
// Prints one JSON object on stdout.
//
//   bench_bot_event_to_effect [--rate 100] [--seconds 10] [--pulls 20]
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

#include "core/audit/audit.hpp"
#include "core/process/process.hpp"
#include "tests/support/github_sim.hpp"

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const char* kSecret = "bench-secret";
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

json seed(int pulls) {
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
          {"repositories", json::array({{{"owner", "acme"},
                                         {"name", "app"},
                                         {"private", true},
                                         {"default_branch", "main"},
                                         {"collaborators", {{"bob", "write"}, {"carol", "write"}, {"dave", "read"}}},
                                         {"commits", commits},
                                         {"branches", branches},
                                         {"pulls", prs}}})}};
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
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rate") == 0)
      rate = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seconds") == 0)
      seconds = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--pulls") == 0)
      pulls = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_bot_event_to_effect [--rate N] [--seconds N] [--pulls N]\n");
      return 2;
    }
  }

  deploy::test::GithubSimOptions sim_options;
  sim_options.webhook_secret = kSecret;
  deploy::test::GithubSim sim(seed(pulls), sim_options);
  const auto dir = std::filesystem::temp_directory_path() / ("bench-event-to-effect-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string store = (dir / "bot.sqlite3").string();

  // deploy-bot as a process; its port comes from its first line.
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::string url;
  deploy::process::Spec spec;
  spec.argv = {DEPLOY_BOT_BINARY, "serve", "--listen", "127.0.0.1:0", "--store", store};
  spec.env = {{"WEBHOOK_SECRET", kSecret}, {"GITHUB_TOKEN", "ghs_bench_bot"}, {"GITHUB_API_URL", sim.base_url()}};
  spec.unset_env = {"DEPLOY_BOT_LISTEN", "DEPLOY_BOT_STORE", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_PATH"};
  std::thread bot([&] {
    deploy::process::run(
        spec,
        [&](const std::string& line) {
          const std::string prefix = "deploy-bot listening on ";
          if (line.rfind(prefix, 0) == 0) {
            std::lock_guard lock(mutex);
            url = line.substr(prefix.size());
          }
        },
        &stop);
  });
  const auto start_deadline = std::chrono::steady_clock::now() + 30s;
  while (true) {
    {
      std::lock_guard lock(mutex);
      if (!url.empty()) break;
    }
    if (std::chrono::steady_clock::now() > start_deadline) {
      std::fprintf(stderr, "deploy-bot did not start\n");
      stop = true;
      bot.join();
      return 1;
    }
    std::this_thread::sleep_for(10ms);
  }
  sim.set_webhook(url + "/webhook", kSecret);

  // Open loop: event i is due at start + i / rate, whatever happened to the ones before.
  const int events = static_cast<int>(rate * seconds);
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const auto start = std::chrono::steady_clock::now();
  const char* users[] = {"alice", "bob", "dave"};
  int sent = 0;
  for (int i = 0; i < events; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval * i));
    const int pull = 1 + i % pulls;
    const std::string body = i % 2 == 0 ? "/approve" : "/help";
    auto answer =
        sim.event("issue_comment", {{"repo", "acme/app"}, {"issue", pull}, {"user", users[i % 3]}, {"body", body}});
    if (answer.at("delivery").at("status") == 202) ++sent;
  }
  const double send_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Wait until every delivery is finished, then read the bot's own record of each.
  std::vector<double> latencies;
  std::size_t unfinished = 0, done = 0;
  const auto finish_deadline = std::chrono::steady_clock::now() + 120s;
  while (true) {
    deploy::process::Spec list;
    list.argv = {DEPLOY_BOT_BINARY, "deliveries", "list", "--store", store};
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
  stop = true;
  bot.join();
  std::filesystem::remove_all(dir);

  std::printf(
      "{\"rate\":%.0f,\"seconds\":%d,\"events\":%d,\"accepted\":%d,\"send_seconds\":%.2f,\"handled\":%zu,"
      "\"done\":%zu,\"github_writes\":%zu,\"unfinished\":%zu,\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f,\"max_"
      "ms\":%.1f}\n",
      rate, seconds, events, sent, send_seconds, latencies.size(), done, writes, unfinished, percentile(latencies, 0.5),
      percentile(latencies, 0.9), percentile(latencies, 0.99), percentile(latencies, 1.0));
  return unfinished == 0 ? 0 : 1;
}
