// deploy-bot against GitHub's primary rate limit, end to end: github-sim delivers real signed
// webhooks to a running deploy-bot, and github-sim's request log says what each handled delivery
// cost. Counts, never times: a warm /approve reads at most one answer GitHub charges for (the rest
// are conditional requests answered 304, which GitHub does not count); the webhooks that change
// what the bot keeps make the next read a plain one, and the next command sees the change; a burst
// of ten times a (small) rate limit is parked and spread over its windows, and every delivery ends
// handled, none failed.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/github/request_kind.hpp"
#include "core/http/client.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/rate_budget_seed.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using deploy::test::TempDir;
using nlohmann::json;

namespace {

const std::string kSecret = "rate-budget-e2e-secret";
const std::string kBotToken = "ghs_rate_budget_installation_token_000";
const std::string kRepo = "acme/app";
constexpr int kTrackingIssue = 1;
constexpr int kPull = 2;

struct Cost {
  int counted_reads = 0;  // GETs GitHub answered with a body (charged)
  int not_modified = 0;   // conditional GETs answered 304 (free)
  int writes = 0;
  std::map<std::string, int> counted_by_kind;
  std::string log;  // for failure messages
};

Cost cost_of(const json& requests) {
  Cost cost;
  for (const auto& r : requests) {
    const std::string method = r.value("method", "");
    const std::string path = r.value("path", "");
    cost.log +=
        method + " " + path + " " + r.at("status").dump() + (r.value("conditional", false) ? " (if)" : "") + "\n";
    if (deploy::github::is_write(method)) {
      ++cost.writes;
    } else if (r.at("status") == 304) {
      ++cost.not_modified;
    } else {
      ++cost.counted_reads;
      ++cost.counted_by_kind[std::string(deploy::github::to_string(deploy::github::classify_request(method, path)))];
    }
  }
  return cost;
}

// One simulator and one bot (one worker: deliveries in order) wired to each other.
struct World {
  explicit World(json seeded = deploy::test::rate_budget_seed(kBotToken)) : sim(seeded) {
    bot.emplace(deploy::test::BotOptions{
        .store = dir.db(),
        .env = {{"WEBHOOK_SECRET", kSecret}, {"GITHUB_TOKEN", kBotToken}, {"GITHUB_API_URL", sim.base_url()}},
        .workers = 1});
    bot->require_listening();
    sim.set_webhook(bot->webhook_url(), kSecret);
  }

  std::string send(const std::string& kind, const json& body) {
    const auto answer = sim.event(kind, body);
    const std::string id = answer.at("delivery").at("id").get<std::string>();
    INFO(answer.dump());
    REQUIRE(answer.at("delivery").at("status").get<int>() == 202);
    const std::string result = bot->wait_handled(id, 60s);
    INFO(bot->output());
    REQUIRE(result != "");
    REQUIRE(result != "failed");
    return id;
  }
  // What handling one delivery cost on GitHub.
  Cost measure(const std::string& kind, const json& body) {
    sim.clear_requests();
    send(kind, body);
    return cost_of(sim.requests());
  }
  Cost comment(int issue, const std::string& user, const std::string& text) {
    return measure("issue_comment", {{"repo", kRepo}, {"issue", issue}, {"user", user}, {"body", text}});
  }

  json get(const std::string& path) const {
    auto response = sim.api("GET", path, "tok-alice");
    INFO(response.body);
    REQUIRE(response.status == 200);
    return json::parse(response.body);
  }
  std::string approvals_description(const std::string& sha) const {
    const json combined = get("/repos/acme/app/commits/" + sha + "/status");
    for (const auto& s : combined.at("statuses")) {
      if (s.at("context") == "deploy/approvals") return s.value("description", "");
    }
    return "";
  }
  std::string metrics() const {
    deploy::http::Client client;
    deploy::http::Request request;
    request.url = bot->url("/metrics");
    return client.send(request).body;
  }

  TempDir dir;
  deploy::test::GithubSim sim;
  std::optional<deploy::test::BotProcess> bot;
};

}  // namespace

TEST_CASE("a warm /approve costs at most one counted read plus its writes") {
  World w;
  const auto cold = w.comment(kPull, "bob", "/approve");
  INFO("cold:\n" << cold.log);
  CHECK(cold.counted_reads >= 2);  // the config, the pull request, bob's permission...
  CHECK(w.approvals_description(deploy::test::kBudgetShaFeature) == "1/3 approvals");

  // Another person approves the same pull request: the config comes from the store; the pull
  // request is read again (the comment itself changed it: its comment count), its commits are
  // asked again conditionally (304); frank's permission is new.
  const auto new_approver = w.comment(kPull, "frank", "/approve");
  INFO("new approver:\n" << new_approver.log);
  CHECK(new_approver.counted_reads <= 2);
  CHECK(new_approver.not_modified >= 1);
  CHECK(new_approver.writes >= 1);  // the reaction and the status
  CHECK(w.approvals_description(deploy::test::kBudgetShaFeature) == "2/3 approvals");

  // erin approves the release first (her permission is read there)...
  w.comment(kTrackingIssue, "erin", "/approve");
  // ...then the pull request, warm: one counted read, the pull request itself (the comment changed
  // it: its comment count); her permission and the pull request's commits are 304s.
  const auto warm = w.comment(kPull, "erin", "/approve");
  INFO("warm:\n" << warm.log);
  CHECK(warm.counted_reads <= 1);
  CHECK(warm.not_modified >= 2);
  CHECK(warm.writes >= 1);
  CHECK(w.approvals_description(deploy::test::kBudgetShaFeature) == "3/3 approvals");

  // On the release's tracking issue the comment changes nothing the bot reads: frank's permission
  // is kept from the pull request, the release's facts from erin's approval.
  const auto tracking = w.comment(kTrackingIssue, "frank", "/approve");
  INFO("tracking issue:\n" << tracking.log);
  CHECK(tracking.counted_reads <= 1);

  // The bot's /metrics says the same, by kind and per command.
  const std::string metrics = w.metrics();
  INFO(metrics);
  CHECK(metrics.find("deploy_bot_github_requests_total{kind=\"pulls\",access=\"read\",conditional=\"304\"}") !=
        std::string::npos);
  CHECK(metrics.find("deploy_bot_commands_handled_total{command=\"approve\"} 5") != std::string::npos);
  CHECK(metrics.find("deploy_bot_command_github_requests_total{command=\"approve\",class=\"not_modified\"}") !=
        std::string::npos);
  CHECK(metrics.find("deploy_bot_command_charged_requests_count{command=\"approve\"} 5") != std::string::npos);
}

TEST_CASE("webhooks that change what the bot keeps: the next read is a plain one, and the next command sees it") {
  World w;
  w.comment(kPull, "bob", "/approve");
  w.comment(kPull, "frank", "/status");  // the pull request and the deployments are kept

  SUBCASE("a push that changes deploy.yml on the default branch") {
    std::string yml = deploy::test::kRateBudgetDeployYml;
    const std::string three = "required: 3";
    yml.replace(yml.find(three), three.size(), "required: 2");
    w.sim.clear_requests();
    w.send("push", {{"repo", kRepo},
                    {"ref", "main"},
                    {"user", "alice"},
                    {"commits", {{{"message", "two approvals"}, {"files", {{".github/deploy.yml", yml}}}}}}});
    bool read_plain = false;
    for (const auto& r : w.sim.requests()) {
      if (r.at("path").get<std::string>().find("/contents/.github/deploy.yml") != std::string::npos)
        read_plain = r.at("status") == 200 && !r.value("conditional", false);
    }
    CHECK(read_plain);
    w.comment(kPull, "frank", "/approve");
    CHECK(w.approvals_description(deploy::test::kBudgetShaFeature) == "2/2 approvals");
  }

  SUBCASE("a push to the pull request's branch (pull_request.synchronize)") {
    w.sim.clear_requests();
    w.send("pull_request", {{"repo", kRepo}, {"user", "carol"}, {"action", "synchronize"}, {"number", kPull}});
    // The kept pull request was dropped: the handler's first read of it has no validator (a second
    // read in the same delivery may be conditional again).
    std::optional<bool> first_conditional;
    for (const auto& r : w.sim.requests()) {
      if (r.at("path") == "/repos/acme/app/pulls/2" && !first_conditional)
        first_conditional = r.value("conditional", false);
    }
    REQUIRE(first_conditional.has_value());
    CHECK_FALSE(*first_conditional);
    const std::string head = w.get("/repos/acme/app/pulls/2").at("head").at("sha").get<std::string>();
    REQUIRE(head != deploy::test::kBudgetShaFeature);
    w.comment(kPull, "frank", "/approve");
    // The approval binds to the new head: bob's, given for the old one, does not count for it.
    CHECK(w.approvals_description(head) == "1/3 approvals");
  }
}

TEST_CASE("a burst of ten times the rate limit is parked and spread over its windows: every delivery handled") {
  json seed = deploy::test::rate_budget_seed(kBotToken);
  constexpr int kLimit = 20;
  seed["rate_limit"] = {{"limit", kLimit}, {"window_seconds", 1}};
  World w(seed);
  // At least 3 charged requests each (a read, the reaction, the status or reply): over ten windows' worth.
  const char* people[] = {"bob", "frank", "erin", "dave", "carol"};
  const char* words[] = {"/approve", "/status"};
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const auto answer = w.sim.event("issue_comment", {{"repo", kRepo},
                                                      {"issue", i % 3 == 0 ? kTrackingIssue : kPull},
                                                      {"user", people[i % 5]},
                                                      {"body", words[i % 2]}});
    REQUIRE(answer.at("delivery").at("status").get<int>() == 202);
    ids.push_back(answer.at("delivery").at("id").get<std::string>());
  }
  int failed = 0, unfinished = 0;
  for (const auto& id : ids) {
    const std::string result = w.bot->wait_handled(id, 300s);
    if (result.empty()) ++unfinished;
    if (result == "failed") ++failed;
  }
  INFO(w.bot->output().substr(0, 20000));
  CHECK(unfinished == 0);
  CHECK(failed == 0);
  // The limit was reached (the burst is over the budget), and waited out rather than failed.
  int limited = 0, charged = 0;
  for (const auto& r : w.sim.requests()) {
    if (r.at("status") == 403) ++limited;
    if (r.at("status") != 304) ++charged;
  }
  CHECK(limited >= 1);
  CHECK(charged >= 10 * kLimit);
  const std::string metrics = w.metrics();
  CHECK(metrics.find("deploy_bot_jobs_total{result=\"parked\"} 0\n") == std::string::npos);
  CHECK(metrics.find("deploy_bot_jobs_total{result=\"failed\"} 0\n") != std::string::npos);
  CHECK(w.bot->output().find("\"delivery_failed\"") == std::string::npos);
}
