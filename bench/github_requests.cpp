// GitHub requests per handled command, by kind: the bot's cost against GitHub's primary rate limit
// (5,000 requests an hour per installation). github-sim delivers signed webhooks to a running
// deploy-bot (a child process); after each delivery is handled, github-sim's request log says
// which requests it caused. The scenarios run in order against the same bot: cold (the first of
// its kind after the bot started: nothing kept) and warm (the same again; see `scenarios`). A request is a counted
// read (GET answered with a body: it counts against the limit), a 304 (a conditional GET answered
// Not Modified: free) or a write. Prints a Markdown table, a row per scenario and run, then one JSON
// line each.
//
//   bench_github_requests [--markdown-only] [--no-cache]
//
// --no-cache runs the bot with DEPLOY_BOT_GITHUB_CACHE_MB=0: no conditional requests, every read
// charged, as before the bot kept answers (docs/PERFORMANCE.md's "before" column).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/github/request_kind.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/rate_budget_seed.hpp"

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "bench-github-requests";
const std::string kBotToken = "ghs_bench_installation_token_00000000";

struct Tally {
  std::map<std::string, int> counted, not_modified, writes;  // by kind
  int total_counted() const {
    int n = 0;
    for (const auto& [k, v] : counted) n += v;
    return n;
  }
  static int sum(const std::map<std::string, int>& m) {
    int n = 0;
    for (const auto& [k, v] : m) n += v;
    return n;
  }
};

Tally tally(const json& requests) {
  Tally t;
  for (const auto& r : requests) {
    const std::string method = r.value("method", "");
    std::string path = r.value("path", "");
    if (path.starts_with("/api/v3")) path = path.substr(7);
    const std::string kind(deploy::github::to_string(deploy::github::classify_request(method, path)));
    const int status = r.at("status").is_number() ? r.at("status").get<int>() : 0;
    if (deploy::github::is_write(method))
      ++t.writes[kind];
    else if (status == 304)
      ++t.not_modified[kind];
    else
      ++t.counted[kind];
  }
  return t;
}

std::string cells(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [kind, n] : m) out += (out.empty() ? "" : ", ") + kind + (n > 1 ? " " + std::to_string(n) : "");
  return out.empty() ? "-" : out;
}

struct Scenario {
  std::string name;
  std::string run;   // cold, warm...
  std::string kind;  // github-sim event kind
  json body;
};

}  // namespace

int main(int argc, char** argv) {
  bool markdown_only = false;
  bool no_cache = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--markdown-only") == 0) {
      markdown_only = true;
    } else if (std::strcmp(argv[i], "--no-cache") == 0) {
      no_cache = true;
    } else {
      std::fprintf(stderr, "usage: bench_github_requests [--markdown-only] [--no-cache]\n");
      return 2;
    }
  }
  deploy::test::GithubSim sim(deploy::test::rate_budget_seed(kBotToken));
  const auto dir = std::filesystem::temp_directory_path() / ("bench-github-requests-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::optional<deploy::test::BotProcess> bot;
  std::map<std::string, std::string> env = {
      {"WEBHOOK_SECRET", kSecret}, {"GITHUB_TOKEN", kBotToken}, {"GITHUB_API_URL", sim.base_url()}};
  if (no_cache) env["DEPLOY_BOT_GITHUB_CACHE_MB"] = "0";
  bot.emplace(deploy::test::BotOptions{.store = dir / "bot.sqlite3", .env = env, .workers = 1});
  bot->require_listening();
  sim.set_webhook(bot->webhook_url(), kSecret);

  auto comment = [](int issue, const char* user, const char* body) {
    return json{{"repo", "acme/app"}, {"issue", issue}, {"user", user}, {"body", body}};
  };
  // In this order, against one bot: "cold" is the first of its kind after the bot started;
  // "warm, new approver" the same command by someone the bot has not seen yet (one more
  // permission to read); "warm" the same again by someone it has seen.
  const std::vector<Scenario> scenarios = {
      {"/approve on a pull request", "cold", "issue_comment", comment(2, "bob", "/approve")},
      {"/approve on a pull request", "warm, new approver", "issue_comment", comment(2, "frank", "/approve")},
      {"/approve on a pull request", "warm", "issue_comment", comment(2, "bob", "/approve")},
      {"/status on a pull request", "cold", "issue_comment", comment(2, "carol", "/status")},
      {"/status on a pull request", "warm", "issue_comment", comment(2, "carol", "/status")},
      {"/approve on a tracking issue", "cold", "issue_comment", comment(1, "bob", "/approve")},
      {"/approve on a tracking issue", "warm, new approver", "issue_comment", comment(1, "erin", "/approve")},
      {"/approve on a tracking issue", "warm", "issue_comment", comment(1, "bob", "/approve")},
      {"/rollback on a tracking issue", "cold", "issue_comment", comment(1, "alice", "/rollback v1.1.0")},
      {"/rollback on a tracking issue", "warm", "issue_comment", comment(1, "alice", "/rollback v1.0.0")},
      {"pull_request opened",
       "cold",
       "pull_request",
       {{"repo", "acme/app"}, {"user", "carol"}, {"action", "opened"}, {"head", "feature-2"}}},
      {"pull_request synchronize",
       "warm",
       "pull_request",
       {{"repo", "acme/app"}, {"user", "carol"}, {"action", "synchronize"}, {"number", 3}}},
  };

  int failures = 0;
  auto run = [&](const Scenario& s) -> std::optional<Tally> {
    sim.clear_requests();
    const auto answer = sim.event(s.kind, s.body);
    const std::string id = answer.at("delivery").at("id").get<std::string>();
    const std::string result = bot->wait_handled(id, 60s);
    if (result.empty() || result == "failed") {
      std::fprintf(stderr, "delivery %s (%s) not handled: %s\n%s\n", id.c_str(), s.body.dump().c_str(), result.c_str(),
                   bot->output().c_str());
      ++failures;
      return std::nullopt;
    }
    return tally(sim.requests());
  };

  std::printf(
      "| command | run | counted reads | 304 (free) | writes | counted reads by kind | 304 by kind | writes by kind "
      "|\n");
  std::printf("| --- | --- | ---: | ---: | ---: | --- | --- | --- |\n");
  std::vector<json> lines;
  for (const auto& s : scenarios) {
    auto t = run(s);
    if (!t) continue;
    std::printf("| %s | %s | %d | %d | %d | %s | %s | %s |\n", s.name.c_str(), s.run.c_str(), t->total_counted(),
                Tally::sum(t->not_modified), Tally::sum(t->writes), cells(t->counted).c_str(),
                cells(t->not_modified).c_str(), cells(t->writes).c_str());
    lines.push_back({{"command", s.name},
                     {"run", s.run},
                     {"counted_reads", t->counted},
                     {"not_modified", t->not_modified},
                     {"writes", t->writes}});
  }
  if (!markdown_only) {
    for (const auto& line : lines) std::printf("%s\n", line.dump().c_str());
  }
  bot.reset();
  std::filesystem::remove_all(dir);
  return failures == 0 ? 0 : 1;
}
