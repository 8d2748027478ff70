// The bot's side of the GitHub request budget: which webhooks make kept answers stale
// (bot/cache_invalidation.hpp) and the request metrics by kind and per command
// (bot/github_metrics.hpp). Table-driven, no I/O.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "bot/cache_invalidation.hpp"
#include "bot/github_metrics.hpp"

using deploy::github::RequestKind;
using nlohmann::json;

namespace {

json repository_payload(const std::string& ref = "") {
  json payload = {{"repository", {{"name", "App"}, {"owner", {{"login", "Acme"}}}, {"default_branch", "main"}}}};
  if (!ref.empty()) payload["ref"] = ref;
  return payload;
}

}  // namespace

TEST_CASE("cache_invalidation: each event drops what it changes") {
  struct Case {
    const char* event;
    json payload;
    bool invalidates;
    std::string repository;
    std::vector<RequestKind> kinds;
  };
  const json org = {{"organization", {{"login", "acme"}}}};
  const Case cases[] = {
      {"push",
       repository_payload("refs/heads/main"),
       true,
       "App",
       {RequestKind::contents, RequestKind::refs, RequestKind::commits, RequestKind::compare}},
      {"push", repository_payload("refs/heads/feature"), false, "", {}},
      {"pull_request",
       repository_payload(),
       true,
       "App",
       {RequestKind::pulls, RequestKind::commit_pulls, RequestKind::reviews, RequestKind::compare}},
      {"pull_request_review", repository_payload(), true, "App", {RequestKind::reviews}},
      {"deployment", repository_payload(), true, "App", {RequestKind::deployments, RequestKind::deployment_statuses}},
      {"deployment_status",
       repository_payload(),
       true,
       "App",
       {RequestKind::deployments, RequestKind::deployment_statuses}},
      {"member", repository_payload(), true, "App", {RequestKind::permission}},
      {"repository", repository_payload(), true, "App", {}},
      {"membership", org, true, "", {RequestKind::permission, RequestKind::team_membership}},
      {"team", org, true, "", {RequestKind::permission, RequestKind::team_membership}},
      {"organization", org, true, "", {RequestKind::permission, RequestKind::team_membership}},
      {"membership", json::object(), false, "", {}},
      {"member", json::object(), false, "", {}},
      {"issue_comment", repository_payload(), false, "", {}},
      {"star", repository_payload(), false, "", {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.event);
    CAPTURE(c.payload.dump());
    const auto what = deploy::bot::cache_invalidation(c.event, c.payload);
    REQUIRE(what.has_value() == c.invalidates);
    if (!what) continue;
    CHECK(deploy::bot::invalidates_cache(c.event));
    CHECK(what->owner == (c.repository.empty() ? "acme" : "Acme"));
    CHECK(what->repository == c.repository);
    CHECK(what->kinds == c.kinds);
  }
  CHECK_FALSE(deploy::bot::invalidates_cache("issue_comment"));
  CHECK_FALSE(deploy::bot::invalidates_cache("star"));
}

TEST_CASE("GitHubRequestMetrics: requests by kind, access and answer; per command totals and histogram") {
  deploy::bot::GitHubRequestMetrics metrics;
  using deploy::github::RequestSeen;
  const RequestSeen plain{RequestKind::permission, "GET", 200, false, false, false};
  const RequestSeen not_modified{RequestKind::pulls, "GET", 304, false, true, true};
  const RequestSeen modified{RequestKind::pulls, "GET", 200, false, true, false};
  const RequestSeen write{RequestKind::statuses, "POST", 201, true, false, false};
  deploy::bot::RequestTally tally;
  for (const auto& seen : {plain, not_modified, not_modified, modified, write}) {
    metrics.request(seen);
    tally.add(seen);
  }
  CHECK(tally.counted_reads == 2);
  CHECK(tally.not_modified == 2);
  CHECK(tally.writes == 1);
  CHECK(tally.charged() == 3);
  metrics.command("approve", tally);
  metrics.command("no such command", deploy::bot::RequestTally{});

  const std::string text = metrics.render();
  INFO(text);
  for (const char* line : {
           "deploy_bot_github_requests_total{kind=\"permission\",access=\"read\",conditional=\"none\"} 1\n",
           "deploy_bot_github_requests_total{kind=\"pulls\",access=\"read\",conditional=\"304\"} 2\n",
           "deploy_bot_github_requests_total{kind=\"pulls\",access=\"read\",conditional=\"modified\"} 1\n",
           "deploy_bot_github_requests_total{kind=\"statuses\",access=\"write\",conditional=\"none\"} 1\n",
           "deploy_bot_commands_handled_total{command=\"approve\"} 1\n",
           "deploy_bot_commands_handled_total{command=\"other\"} 1\n",
           "deploy_bot_command_github_requests_total{command=\"approve\",class=\"counted_read\"} 2\n",
           "deploy_bot_command_github_requests_total{command=\"approve\",class=\"not_modified\"} 2\n",
           "deploy_bot_command_github_requests_total{command=\"approve\",class=\"write\"} 1\n",
           "deploy_bot_command_charged_requests_bucket{command=\"approve\",le=\"2\"} 0\n",
           "deploy_bot_command_charged_requests_bucket{command=\"approve\",le=\"3\"} 1\n",
           "deploy_bot_command_charged_requests_bucket{command=\"approve\",le=\"+Inf\"} 1\n",
           "deploy_bot_command_charged_requests_sum{command=\"approve\"} 3\n",
           "deploy_bot_command_charged_requests_count{command=\"approve\"} 1\n",
       }) {
    CHECK(text.find(line) != std::string::npos);
  }
  // Kinds and commands never seen add no series.
  CHECK(text.find("kind=\"tags\"") == std::string::npos);
  CHECK(text.find("command=\"rollback\"") == std::string::npos);
}
