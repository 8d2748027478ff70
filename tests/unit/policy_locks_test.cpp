// Environment locks, canary promotion and /deploy from a pull request: the pure decisions
// (core/policy/locks, promotion, pull_request_deploy), table-driven.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/policy/locks.hpp"
#include "core/policy/promotion.hpp"
#include "core/policy/pull_request_deploy.hpp"

using namespace deploy::policy;
using std::chrono::hours;
using std::chrono::minutes;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

const TimePoint kNow = TimePoint{} + hours{24 * 365 * 56};

Lock sticky(std::string holder, std::optional<TimePoint> expires = std::nullopt) {
  Lock lock;
  lock.kind = Lock::Kind::sticky;
  lock.environment = "production";
  lock.holder = std::move(holder);
  lock.reason = "incident 1234";
  lock.created = kNow - hours{1};
  lock.expires = expires;
  return lock;
}

Lock run_lock(std::string run_id, TimePoint created = kNow - minutes{5}) {
  Lock lock;
  lock.kind = Lock::Kind::run;
  lock.environment = "production";
  lock.holder = "alice";
  lock.run_id = std::move(run_id);
  lock.created = created;
  lock.expires = created + kRunLockTime;
  return lock;
}

RunIdentity run(std::string id, std::string actor, std::string requested_by = "") {
  RunIdentity r;
  r.run_id = std::move(id);
  r.actor = std::move(actor);
  r.actor_is_bot = is_bot(r.actor, false);
  r.requested_by = std::move(requested_by);
  return r;
}

Actor person(std::string login, Permission permission = Permission::write, std::vector<std::string> teams = {}) {
  return {std::move(login), permission, std::move(teams), false};
}

}  // namespace

TEST_CASE("decide_run_lock: who may deploy an environment given its locks") {
  struct Row {
    const char* name;
    std::optional<Lock> sticky;
    std::optional<Lock> run_lock;
    RunIdentity identity;
    bool allowed;
    const char* reason;
    bool take_over;
  };
  const std::vector<Row> rows = {
      {"no locks", std::nullopt, std::nullopt, run("1", "bob"), true, "unlocked", false},
      {"sticky by someone else", sticky("alice"), std::nullopt, run("1", "bob"), false, "environment_locked", false},
      {"sticky by the actor", sticky("alice"), std::nullopt, run("1", "Alice"), true, "holder_run", false},
      {"sticky by the requester of a bot's run", sticky("alice"), std::nullopt, run("1", "deploy-bot[bot]", "alice"),
       true, "holder_run", false},
      {"a person's claimed requester is not trusted", sticky("alice"), std::nullopt, run("1", "mallory", "alice"),
       false, "environment_locked", false},
      {"an expired sticky lock", sticky("alice", kNow - minutes{1}), std::nullopt, run("1", "bob"), true, "unlocked",
       false},
      {"another run holds it", std::nullopt, run_lock("7"), run("8", "bob"), false, "run_in_progress", false},
      {"this run holds it (a re-run attempt)", std::nullopt, run_lock("8"), run("8", "bob"), true, "same_run", true},
      {"a crashed run's lock expired", std::nullopt, run_lock("7", kNow - hours{7}), run("8", "bob"), true,
       "lock_expired", true},
      {"sticky refusal comes first", sticky("alice"), run_lock("7"), run("8", "bob"), false, "environment_locked",
       false},
      {"the holder still waits for another run", sticky("alice"), run_lock("7"), run("8", "alice"), false,
       "run_in_progress", false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const auto decision = decide_run_lock(row.sticky, row.run_lock, row.identity, kNow);
    CHECK(decision.outcome.allowed == row.allowed);
    CHECK(decision.outcome.reason == row.reason);
    CHECK(decision.take_over == row.take_over);
  }
}

TEST_CASE("a refusal names who holds the lock and why") {
  const auto decision = decide_run_lock(sticky("alice", kNow + hours{2}), std::nullopt, run("1", "bob"), kNow);
  CHECK(decision.outcome.message.find("@alice") != std::string::npos);
  CHECK(decision.outcome.message.find("incident 1234") != std::string::npos);
  CHECK(decision.outcome.message.find("until") != std::string::npos);
}

TEST_CASE("is_expired") {
  CHECK_FALSE(is_expired(sticky("a"), kNow));
  CHECK(is_expired(sticky("a", kNow), kNow));
  CHECK_FALSE(is_expired(sticky("a", kNow + minutes{1}), kNow));
  Lock without_expiry = run_lock("1", kNow - kRunLockTime);
  without_expiry.expires.reset();
  CHECK(is_expired(without_expiry, kNow));
}

TEST_CASE("decide_lock_command: who may lock and unlock") {
  const std::vector<Principal> sre = {Principal::team("acme/sre")};
  struct Row {
    const char* name;
    LockAction action;
    Actor actor;
    std::vector<Principal> allowed;
    std::optional<Lock> current;
    bool allowed_out;
    const char* reason;
  };
  const std::vector<Row> rows = {
      {"a writer, default list", LockAction::lock, person("bob"), {}, std::nullopt, true, "locked"},
      {"a reader", LockAction::lock, person("dave", Permission::read), {}, std::nullopt, false, "not_allowed"},
      {"a bot", LockAction::lock, {"ci[bot]", Permission::admin, {}, true}, {}, std::nullopt, false, "bot_not_allowed"},
      {"team member", LockAction::lock, person("erin", Permission::read, {"acme/sre"}), sre, std::nullopt, true,
       "locked"},
      {"not in the team", LockAction::lock, person("bob", Permission::admin), sre, std::nullopt, false, "not_allowed"},
      {"held by someone else", LockAction::lock, person("bob"), {}, sticky("alice"), false, "already_locked"},
      {"own lock renewed", LockAction::lock, person("alice"), {}, sticky("alice"), true, "locked"},
      {"expired lock replaced", LockAction::lock, person("bob"), {}, sticky("alice", kNow), true, "locked"},
      {"unlock someone else's", LockAction::unlock, person("bob"), {}, sticky("alice"), true, "unlocked"},
      {"unlock without a lock", LockAction::unlock, person("bob"), {}, std::nullopt, false, "not_locked"},
      {"unlock by a reader",
       LockAction::unlock,
       person("dave", Permission::read),
       {},
       sticky("alice"),
       false,
       "not_allowed"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const auto outcome = decide_lock_command(row.action, row.actor, row.allowed, row.current, kNow);
    CHECK(outcome.allowed == row.allowed_out);
    CHECK(outcome.reason == row.reason);
  }
}

TEST_CASE("promotion: the status the bot writes is read back for its deployment only") {
  const auto promote = promotion_description(PromotionDecision::promote, 42, "alice", "");
  const auto abort = promotion_description(PromotionDecision::abort, 42, "bob", "errors up: 5%");
  CHECK(promote == "promote deployment 42 by @alice");
  CHECK(abort == "abort deployment 42 by @bob: errors up: 5%");
  CHECK(promotion_description(PromotionDecision::abort, 1, "bob", std::string(300, 'x')).size() <= 140);
  // A cut never splits a UTF-8 character.
  const auto cut = promotion_description(PromotionDecision::abort, 1, "bob",
                                         std::string(60, 'x') + "\xc3\xa9\xc3\xa9" + std::string(100, 'y'));
  CHECK(cut.size() <= 140);

  struct Row {
    const char* name;
    std::vector<StatusSeen> statuses;
    PromotionDecision decision;
    const char* by;
    const char* reason;
  };
  const std::string context = promotion_context("production");
  const std::vector<Row> rows = {
      {"nothing yet", {}, PromotionDecision::waiting, "", ""},
      {"promoted", {{context, "success", promote, true}}, PromotionDecision::promote, "alice", ""},
      {"aborted", {{context, "failure", abort, true}}, PromotionDecision::abort, "bob", "errors up: 5%"},
      {"another deployment's decision",
       {{context, "success", promotion_description(PromotionDecision::promote, 41, "alice", ""), true}},
       PromotionDecision::waiting,
       "",
       ""},
      {"another environment",
       {{promotion_context("staging"), "success", promote, true}},
       PromotionDecision::waiting,
       "",
       ""},
      {"set by a person, not a bot", {{context, "success", promote, false}}, PromotionDecision::waiting, "", ""},
      {"pending is no decision", {{context, "pending", promote, true}}, PromotionDecision::waiting, "", ""},
      {"state and verb disagree", {{context, "success", abort, true}}, PromotionDecision::waiting, "", ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const auto found = read_promotion(row.statuses, "production", 42);
    CHECK(found.decision == row.decision);
    CHECK(found.by == row.by);
    CHECK(found.reason == row.reason);
  }
}

TEST_CASE("decide_promotion: approvers only, and only while a run waits") {
  const std::vector<Principal> managers = {Principal::team("acme/release-managers")};
  struct Row {
    const char* name;
    PromotionDecision decision;
    Actor actor;
    std::vector<Principal> approvers;
    bool waiting;
    bool allowed;
    const char* reason;
  };
  const std::vector<Row> rows = {
      {"writer promotes", PromotionDecision::promote, person("bob"), {}, true, true, "promoted"},
      {"writer aborts", PromotionDecision::abort, person("bob"), {}, true, true, "aborted"},
      {"reader", PromotionDecision::promote, person("dave", Permission::read), {}, true, false, "not_allowed"},
      {"bot", PromotionDecision::abort, {"x[bot]", Permission::admin, {}, true}, {}, true, false, "bot_not_allowed"},
      {"not an approver", PromotionDecision::promote, person("bob", Permission::admin), managers, true, false,
       "not_allowed"},
      {"approver by team", PromotionDecision::promote, person("erin", Permission::read, {"acme/release-managers"}),
       managers, true, true, "promoted"},
      {"nothing waiting", PromotionDecision::promote, person("bob"), {}, false, false, "nothing_waiting"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const auto outcome = decide_promotion(row.decision, row.actor, row.approvers, row.waiting);
    CHECK(outcome.allowed == row.allowed);
    CHECK(outcome.reason == row.reason);
  }
}

TEST_CASE("decide_pull_request_deploy") {
  auto base = [] {
    PullRequestDeployRequest r;
    r.environment = "staging";
    r.environment_known = true;
    r.on_pull_request = true;
    r.allow_pull_requests = true;
    r.actor = person("bob");
    return r;
  };
  struct Row {
    const char* name;
    void (*change)(PullRequestDeployRequest&);
    bool allowed;
    const char* reason;
  };
  const std::vector<Row> rows = {
      {"allowed", [](PullRequestDeployRequest&) {}, true, "deploy_allowed"},
      {"not on a pull request", [](PullRequestDeployRequest& r) { r.on_pull_request = false; }, false,
       "not_a_pull_request"},
      {"unknown environment", [](PullRequestDeployRequest& r) { r.environment_known = false; }, false,
       "unknown_environment"},
      {"production, even if configured", [](PullRequestDeployRequest& r) { r.environment = "Production"; }, false,
       "production_never_from_pull_request"},
      {"environment does not take pull requests", [](PullRequestDeployRequest& r) { r.allow_pull_requests = false; },
       false, "pull_requests_not_allowed"},
      {"fork", [](PullRequestDeployRequest& r) { r.fork = true; }, false, "fork_not_allowed"},
      {"fork opted in",
       [](PullRequestDeployRequest& r) {
         r.fork = true;
         r.allow_forks = true;
       },
       true, "deploy_allowed"},
      {"reader", [](PullRequestDeployRequest& r) { r.actor.permission = Permission::read; }, false, "not_allowed"},
      {"reader asks for the plan only",
       [](PullRequestDeployRequest& r) {
         r.actor.permission = Permission::read;
         r.noop = true;
       },
       true, "plan_only"},
      {"bot", [](PullRequestDeployRequest& r) { r.actor.login = "ci[bot]"; }, false, "bot_not_allowed"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto request = base();
    row.change(request);
    const auto outcome = decide_pull_request_deploy(request);
    CHECK(outcome.allowed == row.allowed);
    CHECK(outcome.reason == row.reason);
  }
}
