// The pure parts of core/github_facts: the audit link kept in a deployment status's description.
#include "core/github/facts.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using deploy::github::audit_status_description;
using deploy::github::parse_audit_status;
using deploy::github::short_description;

namespace {
const std::string kHash(64, 'a');
}

TEST_CASE("short_description keeps short text and cuts long text on a UTF-8 boundary") {
  struct Case {
    std::string text;
    std::size_t max;
    std::string expected;
  };
  const std::string e_acute = "\xC3\xA9";   // 2 bytes
  const std::string euro = "\xE2\x82\xAC";  // 3 bytes
  std::vector<Case> cases = {
      {"short", 140, "short"},
      {std::string(140, 'x'), 140, std::string(140, 'x')},
      {std::string(141, 'x'), 140, std::string(137, 'x') + "..."},
      {"abcd" + e_acute + "fgh", 8, "abcd..."},  // the cut falls inside é: é goes
      {"abc" + e_acute + "fghij", 8, "abc" + e_acute + "..."},
      {"ab" + euro + "fghij", 7, "ab..."},  // the cut falls inside €
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(short_description(c.text, c.max) == c.expected);
    CHECK(short_description(c.text, c.max).size() <= c.max);
  }
}

TEST_CASE("the audit link round-trips through a status description of at most 140 bytes") {
  for (const std::string& message : {std::string("deployed v1.2.0 to production"), std::string(300, 'm')}) {
    std::string description = audit_status_description(message, 41, kHash);
    CHECK(description.size() <= 140);
    auto link = parse_audit_status(description);
    REQUIRE(link);
    CHECK(link->seq == 41);
    CHECK(link->hash == kHash);
  }
}

TEST_CASE("descriptions without a well-formed audit link have none") {
  for (const std::string& description :
       {std::string("deployed"), "x audit#1 " + std::string(63, 'a'), "x audit#1 " + std::string(64, 'A'),
        "x audit# " + kHash, "x audit#1" + kHash, "x audit#1 " + kHash + " trailing"}) {
    CAPTURE(description);
    CHECK_FALSE(parse_audit_status(description));
  }
}

TEST_CASE("is_bot_account: one rule for every place that asks") {
  using deploy::github::is_bot_account;
  struct Case {
    std::string login, type, own;
    bool bot;
  };
  const std::vector<Case> cases = {
      {"alice", "User", "", false},
      {"renovate[bot]", "Bot", "", true},
      {"renovate[bot]", "", "", true},             // a payload without type: the login says so
      {"dependabot", "Bot", "", true},             // GitHub says so
      {"Deploy-Bot", "User", "deploy-bot", true},  // the token-run bot's own account
      {"alice", "User", "deploy-bot", false},
      {"bot", "User", "", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.login);
    CHECK(is_bot_account(c.login, c.type, c.own) == c.bot);
    CHECK(is_bot_account(deploy::github::User{c.login, 1, c.type}, c.own) == c.bot);
  }
}

TEST_CASE("run_starters and exclude_starters: the triggering actor first, the actor when different") {
  using deploy::github::exclude_starters;
  using deploy::github::run_starters;
  deploy::github::WorkflowRun run;
  run.actor = deploy::github::User{"alice", 1, "User"};
  run.triggering_actor = deploy::github::User{"bob", 2, "User"};
  CHECK(run_starters(run) == std::vector<std::string>{"bob", "alice"});
  run.triggering_actor = deploy::github::User{"ALICE", 1, "User"};
  CHECK(run_starters(run) == std::vector<std::string>{"ALICE"});
  run.triggering_actor.reset();
  CHECK(run_starters(run) == std::vector<std::string>{"alice"});

  deploy::policy::ApprovalRequest request;
  exclude_starters(request, {"bob", "alice"});
  CHECK(request.triggered_by == "bob");
  CHECK(request.also_triggered_by == std::vector<std::string>{"alice"});
  exclude_starters(request, {});
  CHECK(request.triggered_by.empty());
  CHECK(request.also_triggered_by.empty());
}

TEST_CASE("previous_release_sha: the newest live deployment of a lower version") {
  using deploy::github::DeploymentSeen;
  using deploy::policy::DeploymentState;
  auto seen = [](std::string version, std::string sha, DeploymentState state, int hour, std::int64_t id) {
    DeploymentSeen d;
    d.record.version = std::move(version);
    d.record.sha = std::move(sha);
    d.record.state = state;
    d.record.created_at = std::chrono::system_clock::time_point{} + std::chrono::hours(hour);
    d.record.id = id;
    return d;
  };
  const std::vector<DeploymentSeen> history = {
      seen("v1.3.0", "c", DeploymentState::failure, 5, 5),        // never went live
      seen("main-1a2b3c4", "m", DeploymentState::success, 4, 4),  // not semver
      seen("v1.1.0", "b", DeploymentState::success, 3, 3),        // rolled back to, newest
      seen("v1.2.0", "x", DeploymentState::inactive, 2, 2),      seen("v1.0.0", "a", DeploymentState::inactive, 1, 1),
  };
  CHECK(deploy::github::previous_release_sha(history, "v1.3.0") == std::optional<std::string>("b"));
  CHECK(deploy::github::previous_release_sha(history, "v1.2.0") == std::optional<std::string>("b"));
  CHECK(deploy::github::previous_release_sha(history, "v1.1.0") == std::optional<std::string>("a"));
  CHECK_FALSE(deploy::github::previous_release_sha(history, "v1.0.0"));
  CHECK_FALSE(deploy::github::previous_release_sha(history, "main"));
}
