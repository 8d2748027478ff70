#include "core/policy/policy.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace deploy::policy;
using deploy::semver::Version;
using std::chrono::hours;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

const std::string kSha = "abc1234aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kOldSha = "0ld0000bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

ApprovalEvent approve(std::string user, Permission permission = Permission::write, std::string id = "") {
  ApprovalEvent e;
  e.user = std::move(user);
  e.permission = permission;
  e.sha = kSha;
  e.id = id.empty() ? "c-" + e.user : std::move(id);
  return e;
}
ApprovalEvent cancel(std::string user, std::string id) {
  ApprovalEvent e = approve(std::move(user), Permission::write, std::move(id));
  e.cancel = true;
  return e;
}
template <class F>
ApprovalEvent with(ApprovalEvent e, F change) {
  change(e);
  return e;
}

ApprovalRequest base_request() {
  ApprovalRequest r;
  r.required = 1;
  r.author = "alice";
  r.committers = {"carl"};
  r.triggered_by = "trent";
  r.sha = kSha;
  return r;
}

std::vector<std::string> counted_ids(const ApprovalVerdict& v) {
  std::vector<std::string> out;
  for (const auto& c : v.counted) out.push_back(c.event_id);
  return out;
}
// "id:reason" for each event not counted, in order.
std::vector<std::string> rejected(const ApprovalVerdict& v) {
  std::vector<std::string> out;
  for (const auto& r : v.not_counted) out.push_back(r.event.id + ":" + r.reason);
  return out;
}

Version ver(const char* text) { return deploy::semver::parse_tag(text).value(); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Principals and permissions
// ---------------------------------------------------------------------------------------------

TEST_CASE("parse_permission accepts GitHub role names only") {
  struct Case {
    const char* text;
    bool ok;
    Permission expected;
  };
  const std::vector<Case> cases = {
      {"none", true, Permission::none},
      {"read", true, Permission::read},
      {"triage", true, Permission::triage},
      {"write", true, Permission::write},
      {"maintain", true, Permission::maintain},
      {"admin", true, Permission::admin},
      {"ADMIN", true, Permission::admin},
      {"push", false, Permission::none},
      {"", false, Permission::none},
      {"owner", false, Permission::none},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.text));
    auto p = parse_permission(c.text);
    REQUIRE(p.ok() == c.ok);
    if (c.ok)
      CHECK(*p == c.expected);
    else
      CHECK(p.error().code == "invalid_permission");
  }
}

TEST_CASE("admits: users, teams, permission thresholds, empty list") {
  const auto alice = Principal::user("Alice");
  const auto sre = Principal::team("acme/sre");
  struct Case {
    const char* name;
    std::vector<Principal> list;
    Actor actor;
    bool expected;
  };
  const std::vector<Case> cases = {
      {"empty list: write admitted", {}, {"x", Permission::write, {}, false}, true},
      {"empty list: admin admitted", {}, {"x", Permission::admin, {}, false}, true},
      {"empty list: triage refused", {}, {"x", Permission::triage, {}, false}, false},
      {"empty list: read refused", {}, {"x", Permission::read, {}, false}, false},
      {"login, case-insensitive, no permission needed", {alice}, {"aLiCe", Permission::none, {}, false}, true},
      {"login does not admit others even if admin", {alice}, {"bob", Permission::admin, {}, false}, false},
      {"team member", {sre}, {"bob", Permission::read, {"acme/sre"}, false}, true},
      {"team, case-insensitive", {sre}, {"bob", Permission::none, {"ACME/SRE"}, false}, true},
      {"team written with @ in facts", {sre}, {"bob", Permission::none, {"@acme/sre"}, false}, true},
      {"other team", {sre}, {"bob", Permission::admin, {"acme/dev", "other/sre"}, false}, false},
      {"maintain: write refused",
       {Principal::at_least(Permission::maintain)},
       {"b", Permission::write, {}, false},
       false},
      {"maintain: maintain admitted",
       {Principal::at_least(Permission::maintain)},
       {"b", Permission::maintain, {}, false},
       true},
      {"maintain: admin admitted",
       {Principal::at_least(Permission::maintain)},
       {"b", Permission::admin, {}, false},
       true},
      {"admin: maintain refused",
       {Principal::at_least(Permission::admin)},
       {"b", Permission::maintain, {}, false},
       false},
      {"non-empty list of only a bot admits nobody",
       {Principal::user("ci[bot]")},
       {"b", Permission::admin, {}, false},
       false},
      {"any entry admits",
       {alice, sre, Principal::at_least(Permission::admin)},
       {"z", Permission::admin, {}, false},
       true},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    CHECK(admits(c.list, c.actor) == c.expected);
  }
}

TEST_CASE("is_bot: flag or [bot] suffix") {
  CHECK(is_bot("renovate[bot]", false));
  CHECK(is_bot("Renovate[BOT]", false));
  CHECK(is_bot("alice", true));
  CHECK_FALSE(is_bot("alice", false));
  CHECK_FALSE(is_bot("bot", false));
  CHECK_FALSE(is_bot("[bot]x", false));
}

TEST_CASE("describe lists entries as written in deploy.yml") {
  CHECK(describe({}) == "anyone with write permission");
  CHECK(describe({Principal::user("alice"), Principal::team("acme/rm"), Principal::at_least(Permission::admin)}) ==
        "alice, @acme/rm or anyone with admin permission");
}

// ---------------------------------------------------------------------------------------------
// 1. Approval count
// ---------------------------------------------------------------------------------------------

TEST_CASE("count_approvals: one reason per table row") {
  struct Case {
    const char* name;
    std::vector<ApprovalEvent> events;
    std::vector<std::string> counted;   // event ids
    std::vector<std::string> rejected;  // "id:reason"
    bool allow_author = false;
    std::vector<Principal> approvers = {};
  };
  const auto rm = Principal::team("acme/release-managers");
  const std::vector<Case> cases = {
      {"write approval counts", {approve("bob")}, {"c-bob"}, {}},
      {"author", {approve("alice")}, {}, {"c-alice:author_cannot_approve"}},
      {"author, other case", {approve("ALICE")}, {}, {"c-ALICE:author_cannot_approve"}},
      {"author with allow_author", {approve("alice")}, {"c-alice"}, {}, true},
      {"committer", {approve("carl")}, {}, {"c-carl:committer_cannot_approve"}},
      {"committer, other case", {approve("Carl")}, {}, {"c-Carl:committer_cannot_approve"}},
      {"committer with allow_author", {approve("carl")}, {"c-carl"}, {}, true},
      {"triggerer", {approve("trent")}, {}, {"c-trent:triggerer_cannot_approve"}},
      {"triggerer even with allow_author", {approve("Trent")}, {}, {"c-Trent:triggerer_cannot_approve"}, true},
      {"bot flag",
       {with(approve("robo", Permission::admin), [](auto& e) { e.is_bot = true; })},
       {},
       {"c-robo:bot_cannot_approve"}},
      {"bot login without flag",
       {approve("deployer[bot]", Permission::admin)},
       {},
       {"c-deployer[bot]:bot_cannot_approve"}},
      {"bot even when listed",
       {approve("deployer[bot]", Permission::admin)},
       {},
       {"c-deployer[bot]:bot_cannot_approve"},
       false,
       {Principal::user("deployer[bot]")}},
      {"read permission", {approve("bob", Permission::read)}, {}, {"c-bob:no_permission"}},
      {"triage permission", {approve("bob", Permission::triage)}, {}, {"c-bob:no_permission"}},
      {"maintain permission", {approve("bob", Permission::maintain)}, {"c-bob"}, {}},
      {"keyword maintain refuses write",
       {approve("bob", Permission::write)},
       {},
       {"c-bob:no_permission"},
       false,
       {Principal::at_least(Permission::maintain)}},
      {"keyword maintain admits admin",
       {approve("bob", Permission::admin)},
       {"c-bob"},
       {},
       false,
       {Principal::at_least(Permission::maintain)}},
      {"team member with read",
       {with(approve("bob", Permission::read), [](auto& e) { e.teams = {"Acme/Release-Managers"}; })},
       {"c-bob"},
       {},
       false,
       {rm}},
      {"admin outside the listed team", {approve("bob", Permission::admin)}, {}, {"c-bob:no_permission"}, false, {rm}},
      {"listed login regardless of team and permission",
       {approve("BOB", Permission::none)},
       {"c-BOB"},
       {},
       false,
       {rm, Principal::user("bob")}},
      {"stale sha", {with(approve("bob"), [](auto& e) { e.sha = kOldSha; })}, {}, {"c-bob:stale_sha"}},
      {"empty sha is stale", {with(approve("bob"), [](auto& e) { e.sha = ""; })}, {}, {"c-bob:stale_sha"}},
      {"sha case-insensitive",
       {with(approve("bob"), [](auto& e) { e.sha = "ABC1234AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; })},
       {"c-bob"},
       {}},
      {"abbreviated sha is stale", {with(approve("bob"), [](auto& e) { e.sha = "abc1234"; })}, {}, {"c-bob:stale_sha"}},
      {"edited", {with(approve("bob"), [](auto& e) { e.edited = true; })}, {}, {"c-bob:edited"}},
      {"duplicate comment then review, case-insensitive",
       {approve("bob", Permission::write, "e1"),
        with(approve("Bob", Permission::write, "e2"), [](auto& e) { e.source = ApprovalSource::review; })},
       {"e1"},
       {"e2:duplicate"}},
      {"two people count", {approve("bob"), approve("dana")}, {"c-bob", "c-dana"}, {}},
      {"cancel then reapprove counts again",
       {approve("bob", Permission::write, "e1"), cancel("bob", "e2"), approve("bob", Permission::write, "e3")},
       {"e3"},
       {"e1:cancelled", "e2:cancel"}},
      {"cancel withdraws the duplicate too",
       {approve("bob", Permission::write, "e1"), approve("bob", Permission::write, "e2"), cancel("BOB", "e3")},
       {},
       {"e1:cancelled", "e2:cancelled", "e3:cancel"}},
      {"cancel for another sha withdraws nothing",
       {approve("bob", Permission::write, "e1"), with(cancel("bob", "e2"), [](auto& e) { e.sha = kOldSha; })},
       {"e1"},
       {"e2:cancel"}},
      {"cancel only withdraws the same person",
       {approve("bob", Permission::write, "e1"), approve("dana", Permission::write, "e2"), cancel("dana", "e3")},
       {"e1"},
       {"e2:cancelled", "e3:cancel"}},
      {"cancel before any approval withdraws nothing later",
       {cancel("bob", "e1"), approve("bob", Permission::write, "e2")},
       {"e2"},
       {"e1:cancel"}},
      {"cancel keeps other reasons",
       {with(approve("bob", Permission::write, "e1"), [](auto& e) { e.sha = kOldSha; }),
        with(approve("bob", Permission::write, "e2"), [](auto& e) { e.edited = true; }), cancel("bob", "e3")},
       {},
       {"e1:stale_sha", "e2:edited", "e3:cancel"}},
      {"edited cancel is honoured (withdrawing fails safe)",
       {approve("bob", Permission::write, "e1"), with(cancel("bob", "e2"), [](auto& e) { e.edited = true; })},
       {},
       {"e1:cancelled", "e2:cancel"}},
      {"stale approval does not block a fresh one",
       {with(approve("bob", Permission::write, "e1"), [](auto& e) { e.sha = kOldSha; }),
        approve("bob", Permission::write, "e2")},
       {"e2"},
       {"e1:stale_sha"}},
      {"edited approval does not block a fresh one",
       {with(approve("bob", Permission::write, "e1"), [](auto& e) { e.edited = true; }),
        approve("bob", Permission::write, "e2")},
       {"e2"},
       {"e1:edited"}},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    ApprovalRequest r = base_request();
    r.events = c.events;
    r.allow_author = c.allow_author;
    r.approvers = c.approvers;
    const auto v = count_approvals(r);
    CHECK(counted_ids(v) == c.counted);
    CHECK(rejected(v) == c.rejected);
    CHECK(v.required == 1);
    CHECK(v.met == !c.counted.empty());
    CHECK(v.missing == (c.counted.empty() ? 1 : 0));
    CHECK(v.outcome.allowed == v.met);
    CHECK(v.outcome.reason == (v.met ? "approvals_met" : "approvals_missing"));
  }
}

TEST_CASE("count_approvals: everyone who set the deploy going is a triggerer, even with allow_author") {
  ApprovalRequest r = base_request();
  r.also_triggered_by = {"paula"};  // pushed the tag; trent re-ran the job
  r.allow_author = true;
  r.events = {approve("Paula", Permission::admin, "e1"), approve("bob", Permission::write, "e2")};
  const auto v = count_approvals(r);
  CHECK(counted_ids(v) == std::vector<std::string>{"e2"});
  CHECK(rejected(v) == std::vector<std::string>{"e1:triggerer_cannot_approve"});
}

TEST_CASE("count_approvals: precedence when several reasons apply") {
  struct Case {
    const char* name;
    ApprovalEvent event;
    std::string author;
    std::string trigger;
    std::vector<std::string> committers;
    bool allow_author;
    std::string expected;
  };
  auto stale = [](ApprovalEvent e) {
    e.sha = kOldSha;
    return e;
  };
  auto edited = [](ApprovalEvent e) {
    e.edited = true;
    return e;
  };
  auto bot = [](ApprovalEvent e) {
    e.is_bot = true;
    return e;
  };
  const std::vector<Case> cases = {
      {"bot before author", bot(approve("alice")), "alice", "", {}, false, "bot_cannot_approve"},
      {"bot before stale", stale(approve("x[bot]")), "alice", "", {}, false, "bot_cannot_approve"},
      {"author before committer", approve("alice"), "alice", "", {"alice"}, false, "author_cannot_approve"},
      {"author before triggerer", approve("alice"), "alice", "alice", {}, false, "author_cannot_approve"},
      {"author before no_permission",
       approve("alice", Permission::read),
       "alice",
       "",
       {},
       false,
       "author_cannot_approve"},
      {"author before stale", stale(approve("alice")), "alice", "", {}, false, "author_cannot_approve"},
      {"committer before triggerer", approve("carl"), "alice", "carl", {"carl"}, false, "committer_cannot_approve"},
      {"allow_author: triggerer still refused",
       approve("alice"),
       "alice",
       "alice",
       {},
       true,
       "triggerer_cannot_approve"},
      {"triggerer before no_permission",
       approve("trent", Permission::none),
       "alice",
       "trent",
       {},
       false,
       "triggerer_cannot_approve"},
      {"no_permission before stale", stale(approve("bob", Permission::read)), "alice", "", {}, false, "no_permission"},
      {"no_permission before edited",
       edited(approve("bob", Permission::read)),
       "alice",
       "",
       {},
       false,
       "no_permission"},
      {"stale before edited", edited(stale(approve("bob"))), "alice", "", {}, false, "stale_sha"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    ApprovalRequest r = base_request();
    r.author = c.author;
    r.triggered_by = c.trigger;
    r.committers = c.committers;
    r.allow_author = c.allow_author;
    r.events = {c.event};
    const auto v = count_approvals(r);
    REQUIRE(v.not_counted.size() == 1);
    CHECK(v.not_counted[0].reason == c.expected);
  }
}

TEST_CASE("count_approvals: messages for people") {
  ApprovalRequest r = base_request();
  r.required = 2;
  r.approvers = {Principal::team("acme/release-managers"), Principal::at_least(Permission::write)};
  r.events = {approve("alice", Permission::admin, "e1"),
              approve("bob", Permission::read, "e2"),
              with(approve("dana", Permission::write, "e3"), [](auto& e) { e.sha = kOldSha; }),
              approve("erin", Permission::admin, "e4"),
              approve("erin", Permission::admin, "e5"),
              with(approve("fay", Permission::write, "e6"), [](auto& e) { e.edited = true; }),
              approve("carl", Permission::write, "e7"),
              approve("trent", Permission::write, "e8"),
              approve("gus[bot]", Permission::write, "e9"),
              approve("hal", Permission::write, "e10"),
              cancel("hal", "e11")};
  const auto v = count_approvals(r);
  REQUIRE(v.not_counted.size() == 10);
  const std::vector<std::string> expected = {
      "alice wrote the change; authors cannot approve their own change (allow_author: false)",
      "bob (read permission) is not among the approvers: @acme/release-managers or anyone with write permission",
      "dana approved 0ld0000, not abc1234 which is under decision; a push invalidates approvals: approve abc1234 again",
      "erin already approved (e4); each person counts once",
      "fay's approval comment was edited; edited comments never count: post a new /approve",
      "carl committed to the change; committers cannot approve it, like its author (allow_author: false)",
      "trent triggered this deploy; the person who triggers a deploy cannot approve it",
      "gus[bot] is a bot; bots never count as approvers, even when listed",
      "hal withdrew this approval (cancel e11); a new /approve counts again",
      "hal withdrew 1 approval of abc1234",
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(v.not_counted[i].message == expected[i]);
  }
  REQUIRE(v.counted.size() == 1);
  CHECK(v.counted[0].user == "erin");
  CHECK(v.counted[0].permission == Permission::admin);
  CHECK(v.counted[0].source == ApprovalSource::comment);
  CHECK(v.counted[0].event_id == "e4");
  CHECK_FALSE(v.met);
  CHECK(v.missing == 1);
  CHECK(v.outcome.message ==
        "approved by erin (admin): 1 of 2 required approvals for abc1234; needs 1 more approval from "
        "@acme/release-managers or anyone with write permission, other than alice (author), carl (committer), "
        "trent (triggered the deploy) and erin (already approved)");
}

TEST_CASE("count_approvals: cancel messages") {
  ApprovalRequest r = base_request();
  r.events = {cancel("bob", "e1"), with(cancel("dana", "e2"), [](auto& e) { e.sha = kOldSha; })};
  const auto v = count_approvals(r);
  REQUIRE(v.not_counted.size() == 2);
  CHECK(v.not_counted[0].message == "bob cancelled but had no counted approval of abc1234 to withdraw");
  CHECK(v.not_counted[1].message == "dana's cancel is for 0ld0000, not abc1234; it withdraws nothing here");
}

TEST_CASE("count_approvals: required count and outcome messages") {
  SUBCASE("required 0 is met with nothing") {
    ApprovalRequest r = base_request();
    r.required = 0;
    const auto v = count_approvals(r);
    CHECK(v.met);
    CHECK(v.missing == 0);
    CHECK(v.counted.empty());
    CHECK(v.outcome.allowed);
    CHECK(v.outcome.reason == "approvals_met");
    CHECK(v.outcome.message == "no approvals required for abc1234");
    CHECK(describe_needed(r, v) == "");
  }
  SUBCASE("required 0 still lists who approved") {
    ApprovalRequest r = base_request();
    r.required = 0;
    r.events = {approve("bob")};
    const auto v = count_approvals(r);
    CHECK(v.met);
    CHECK(counted_ids(v) == std::vector<std::string>{"c-bob"});
    CHECK(v.outcome.message == "approved by bob (write): 1 approval, 0 required, for abc1234");
  }
  SUBCASE("more than required: the message names exactly who approved") {
    ApprovalRequest r = base_request();
    r.required = 2;
    r.events = {approve("bob", Permission::admin), approve("dana"), approve("erin", Permission::maintain)};
    const auto v = count_approvals(r);
    CHECK(v.met);
    CHECK(v.missing == 0);
    CHECK(v.outcome.message ==
          "approved by bob (admin), dana (write) and erin (maintain): 3 approvals, 2 required, for abc1234");
  }
  SUBCASE("none yet") {
    ApprovalRequest r = base_request();
    r.required = 3;
    r.allow_author = true;
    r.triggered_by = "";
    const auto v = count_approvals(r);
    CHECK_FALSE(v.met);
    CHECK(v.missing == 3);
    CHECK(v.outcome.reason == "approvals_missing");
    CHECK(v.outcome.message ==
          "no approvals yet for abc1234 (3 required); needs 3 more approvals from anyone with write permission");
  }
  SUBCASE("missing never goes below zero and counts down") {
    ApprovalRequest r = base_request();
    r.required = 3;
    r.events = {approve("bob")};
    CHECK(count_approvals(r).missing == 2);
  }
  SUBCASE("negative required is a broken invariant") {
    ApprovalRequest r = base_request();
    r.required = -1;
    CHECK_THROWS_AS(count_approvals(r), std::invalid_argument);
  }
  SUBCASE("an event without a login is a broken invariant") {
    ApprovalRequest r = base_request();
    r.events = {approve("")};
    CHECK_THROWS_AS(count_approvals(r), std::invalid_argument);
  }
  SUBCASE("an empty sha under decision binds nothing") {
    ApprovalRequest r = base_request();
    r.sha = "";
    r.events = {with(approve("bob"), [](auto& e) { e.sha = ""; })};
    const auto v = count_approvals(r);
    CHECK(rejected(v) == std::vector<std::string>{"c-bob:stale_sha"});
  }
}

TEST_CASE("describe_needed: who could still approve") {
  ApprovalVerdict v;
  v.missing = 1;
  ApprovalRequest r = base_request();
  r.committers = {};
  r.triggered_by = "";
  r.also_triggered_by = {};
  r.approvers = {Principal::team("acme/release-managers"), Principal::at_least(Permission::write)};
  CHECK(describe_needed(r, v) ==
        "needs 1 more approval from @acme/release-managers or anyone with write permission, other than alice (author)");

  SUBCASE("everyone who set the deploy going is excluded") {
    r.triggered_by = "trent";
    r.also_triggered_by = {"paula"};
    CHECK(describe_needed(r, v) ==
          "needs 1 more approval from @acme/release-managers or anyone with write permission, other than alice "
          "(author), trent (triggered the deploy) and paula (triggered the deploy)");
  }

  SUBCASE("one person in several roles is named once") {
    r.committers = {"Alice", "carl"};
    r.triggered_by = "ALICE";
    v.missing = 2;
    CHECK(describe_needed(r, v) ==
          "needs 2 more approvals from @acme/release-managers or anyone with write permission, other than alice "
          "(author, committer, triggered the deploy) and carl (committer)");
  }
  SUBCASE("allow_author: author and committers are not excluded") {
    r.allow_author = true;
    r.committers = {"carl"};
    r.approvers = {};
    CHECK(describe_needed(r, v) == "needs 1 more approval from anyone with write permission");
  }
  SUBCASE("bots are not offered as approvers") {
    r.approvers = {Principal::user("ci[bot]"), Principal::user("bob")};
    CHECK(describe_needed(r, v) == "needs 1 more approval from bob, other than alice (author)");
  }
  SUBCASE("a list of only bots can never be met, and says so") {
    r.approvers = {Principal::user("ci[bot]")};
    CHECK(describe_needed(r, v) ==
          "needs 1 more approval, but the approvers list names only bots, which never count: list people, teams or "
          "a permission (write, maintain, admin) in approvers");
    r.events = {approve("ci[bot]", Permission::admin), approve("bob", Permission::admin)};
    const auto verdict = count_approvals(r);
    CHECK(rejected(verdict) == std::vector<std::string>{"c-ci[bot]:bot_cannot_approve", "c-bob:no_permission"});
  }
  SUBCASE("nothing missing") {
    v.missing = 0;
    CHECK(describe_needed(r, v) == "");
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Rollback
// ---------------------------------------------------------------------------------------------

namespace {

const TimePoint t0{seconds{1'700'000'000}};

DeploymentRecord dep(std::int64_t id, const char* version, DeploymentState state, seconds at) {
  return {version, "sha" + std::to_string(id) + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", state, t0 + at, id};
}

// v1.0.0 and v1.1.1 went live (now inactive), v1.1.0 failed, v1.2.0 errored, v1.3.0 runs now.
std::vector<DeploymentRecord> standard_history() {
  using S = DeploymentState;
  return {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "v1.1.0", S::failure, hours{1}),
          dep(3, "v1.1.1", S::inactive, hours{2}), dep(4, "v1.2.0", S::error, hours{3}),
          dep(5, "v1.3.0", S::success, hours{4})};
}

RollbackRequest rollback_request() {
  RollbackRequest r;
  r.user = {"olga", Permission::write, {}, false};
  r.environment = "production";
  r.history = standard_history();
  r.now = t0 + hours{5};
  r.policy.window = hours{24};
  return r;
}

}  // namespace

TEST_CASE("decide_rollback: reason table") {
  using S = DeploymentState;
  struct Case {
    const char* name;
    std::function<void(RollbackRequest&)> setup;
    std::string reason;
    std::int64_t target_id;  // 0: no target
    bool needs_approval = false;
  };
  const std::vector<Case> cases = {
      {"default target skips failed and errored deployments", [](auto&) {}, "rollback_allowed", 3},
      {"explicit older version", [](auto& r) { r.version = ver("v1.0.0"); }, "rollback_allowed", 1},
      {"explicit version without v", [](auto& r) { r.version = ver("1.1.1"); }, "rollback_allowed", 3},
      {"version that only failed", [](auto& r) { r.version = ver("v1.1.0"); }, "version_never_deployed", 0},
      {"version that only errored", [](auto& r) { r.version = ver("v1.2.0"); }, "version_never_deployed", 0},
      {"version never deployed", [](auto& r) { r.version = ver("v9.9.9"); }, "version_never_deployed", 0},
      {"build metadata differs", [](auto& r) { r.version = ver("v1.0.0+other"); }, "version_never_deployed", 0},
      {"already current", [](auto& r) { r.version = ver("v1.3.0"); }, "already_current", 0},
      {"another tag of the current commit",
       [](auto& r) {
         r.history.push_back(dep(6, "v1.3.1", S::inactive, hours{-1}));
         r.history.back().sha = r.history[4].sha;
         r.version = ver("v1.3.1");
       },
       "already_current", 0},
      {"bot flag",
       [](auto& r) {
         r.user.is_bot = true;
         r.user.permission = Permission::admin;
       },
       "bot_cannot_rollback", 0},
      {"bot login",
       [](auto& r) {
         r.user.login = "deployer[bot]";
         r.user.permission = Permission::admin;
       },
       "bot_cannot_rollback", 0},
      // The one exception: a bot the config names by login (deploy-bot, which checked who asked).
      {"bot named by login",
       [](auto& r) {
         r.user.login = "Deployer[bot]";
         r.policy.allowed = {Principal::user("deployer[bot]")};
       },
       "rollback_allowed", 3},
      {"bot admitted only by name, not by permission",
       [](auto& r) {
         r.user.login = "deployer[bot]";
         r.user.permission = Permission::admin;
         r.policy.allowed = {Principal::at_least(Permission::maintain), Principal::user("other[bot]")};
       },
       "bot_cannot_rollback", 0},
      {"read permission", [](auto& r) { r.user.permission = Permission::read; }, "no_permission", 0},
      {"keyword maintain refuses write",
       [](auto& r) { r.policy.allowed = {Principal::at_least(Permission::maintain)}; }, "no_permission", 0},
      {"team member with read",
       [](auto& r) {
         r.user.permission = Permission::read;
         r.user.teams = {"acme/oncall"};
         r.policy.allowed = {Principal::team("ACME/oncall")};
       },
       "rollback_allowed", 3},
      {"listed login",
       [](auto& r) {
         r.user.permission = Permission::none;
         r.policy.allowed = {Principal::user("OLGA")};
       },
       "rollback_allowed", 3},
      {"permission checked before history",
       [](auto& r) {
         r.user.permission = Permission::read;
         r.history.clear();
       },
       "no_permission", 0},
      {"nothing deployed", [](auto& r) { r.history.clear(); }, "nothing_deployed", 0},
      {"only failures", [](auto& r) { r.history = {dep(1, "v1.0.0", S::failure, hours{0})}; }, "nothing_deployed", 0},
      {"only the current", [](auto& r) { r.history = {dep(5, "v1.3.0", S::success, hours{4})}; }, "no_previous_version",
       0},
      {"earlier ones all failed",
       [](auto& r) {
         r.history = {dep(1, "v1.0.0", S::failure, hours{0}), dep(2, "v1.1.0", S::in_progress, hours{1}),
                      dep(5, "v1.3.0", S::success, hours{4})};
       },
       "no_previous_version", 0},
      {"earlier deployment of the same version is not a target",
       [](auto& r) {
         r.history = {dep(1, "v1.3.0", S::inactive, hours{0}), dep(5, "1.3.0", S::success, hours{4})};
       },
       "no_previous_version", 0},
      {"non-semver deployments are not targets",
       [](auto& r) {
         r.history = {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "main", S::inactive, hours{1}),
                      dep(5, "v1.3.0", S::success, hours{4})};
       },
       "rollback_allowed", 1},
      {"current may be a non-semver deploy",
       [](auto& r) {
         r.history = {dep(1, "v1.0.0", S::inactive, hours{0}), dep(5, "main", S::success, hours{4})};
       },
       "rollback_allowed", 1},
      {"history in any order", [](auto& r) { std::reverse(r.history.begin(), r.history.end()); }, "rollback_allowed",
       3},
      {"later failed deploy does not change the current",
       [](auto& r) {
         r.history.push_back(dep(6, "v1.4.0", S::failure, hours{4} + std::chrono::minutes{30}));
         r.history.push_back(dep(7, "v1.4.1", S::in_progress, hours{5}));
       },
       "rollback_allowed", 3},
      {"production keeps several successes: the latest is current",
       [](auto& r) {
         for (auto& d : r.history)
           if (d.state == S::inactive) d.state = S::success;
       },
       "rollback_allowed", 3},
      {"same created_at: the larger id is later",
       [](auto& r) {
         r.history = {dep(8, "v2.0.0", S::success, hours{4}), dep(7, "v1.9.0", S::success, hours{4})};
       },
       "rollback_allowed", 7},
      {"roll forward to a version that went live after the current one",
       [](auto& r) {
         r.history.push_back(dep(6, "v1.4.0", S::inactive, hours{4} + std::chrono::minutes{1}));
         r.version = ver("v1.4.0");
       },
       "rollback_allowed", 6},
      {"outside the window, deny", [](auto& r) { r.now = t0 + hours{4} + hours{24} + seconds{1}; },
       "outside_rollback_window", 3},
      {"outside the window, require approval",
       [](auto& r) {
         r.now = t0 + hours{4} + hours{24} + seconds{1};
         r.policy.outside_window = OutsideWindow::require_approval;
       },
       "outside_rollback_window", 3, true},
      {"resolution errors come before the window",
       [](auto& r) {
         r.now = t0 + hours{1000};
         r.version = ver("v9.9.9");
       },
       "version_never_deployed", 0},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    RollbackRequest r = rollback_request();
    c.setup(r);
    const auto d = decide_rollback(r);
    CHECK(d.outcome.reason == c.reason);
    CHECK(d.outcome.allowed == (c.reason == "rollback_allowed"));
    CHECK(d.needs_approval == c.needs_approval);
    if (c.target_id == 0) {
      CHECK_FALSE(d.target.has_value());
    } else {
      REQUIRE(d.target.has_value());
      CHECK(d.target->deployment_id == c.target_id);
      CHECK(d.target->sha == "sha" + std::to_string(c.target_id) + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
  }
}

TEST_CASE("decide_rollback: window boundaries count from the current deployment") {
  struct Case {
    const char* name;
    seconds window;
    TimePoint now;
    OutsideWindow outside;
    std::string reason;
    bool needs_approval;
  };
  const TimePoint live = t0 + hours{4};  // the current deployment (v1.3.0)
  const std::vector<Case> cases = {
      {"just deployed", hours{24}, live, OutsideWindow::deny, "rollback_allowed", false},
      {"exactly at the window", hours{24}, live + hours{24}, OutsideWindow::deny, "rollback_allowed", false},
      {"one second past", hours{24}, live + hours{24} + seconds{1}, OutsideWindow::deny, "outside_rollback_window",
       false},
      {"one second past, require_approval", hours{24}, live + hours{24} + seconds{1}, OutsideWindow::require_approval,
       "outside_rollback_window", true},
      {"exactly at, require_approval", hours{24}, live + hours{24}, OutsideWindow::require_approval, "rollback_allowed",
       false},
      {"clock behind the deployment", hours{24}, live - hours{1}, OutsideWindow::deny, "rollback_allowed", false},
      {"no window", seconds{0}, live + hours{24 * 1000}, OutsideWindow::deny, "rollback_allowed", false},
      {"1s window, 2s after", seconds{1}, live + seconds{2}, OutsideWindow::deny, "outside_rollback_window", false},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    RollbackRequest r = rollback_request();
    r.policy.window = c.window;
    r.policy.outside_window = c.outside;
    r.now = c.now;
    const auto d = decide_rollback(r);
    CHECK(d.outcome.reason == c.reason);
    CHECK(d.outcome.allowed == (c.reason == "rollback_allowed"));
    CHECK(d.needs_approval == c.needs_approval);
    REQUIRE(d.current.has_value());
    CHECK(d.current->id == 5);
  }
}

TEST_CASE("decide_rollback: the target and messages") {
  SUBCASE("allowed") {
    const auto d = decide_rollback(rollback_request());
    REQUIRE(d.target.has_value());
    CHECK(d.target->version == ver("1.1.1"));
    CHECK(d.target->version.to_string() == "1.1.1");
    CHECK(d.outcome.message ==
          "olga may roll back production from v1.3.0 (deployment 5, sha5xxx) to v1.1.1 (deployment 3, sha3xxx)");
  }
  SUBCASE("outside window") {
    RollbackRequest r = rollback_request();
    r.now = t0 + hours{4} + hours{25} + seconds{1};
    r.policy.outside_window = OutsideWindow::require_approval;
    CHECK(decide_rollback(r).outcome.message ==
          "rollbacks of production are allowed within 24h of the current deployment v1.3.0 (deployment 5, sha5xxx), "
          "which was created 25h 1s ago; outside the window a rollback needs approval first");
  }
  SUBCASE("never deployed lists what did go live") {
    RollbackRequest r = rollback_request();
    r.version = ver("v9.9.9");
    CHECK(decide_rollback(r).outcome.message ==
          "9.9.9 never went live in production; versions that did, newest first: v1.3.0, v1.1.1, v1.0.0");
  }
  SUBCASE("no permission") {
    RollbackRequest r = rollback_request();
    r.user.permission = Permission::triage;
    r.policy.allowed = {Principal::team("acme/oncall"), Principal::at_least(Permission::maintain)};
    CHECK(decide_rollback(r).outcome.message ==
          "olga (triage permission) may not roll back production: allowed are @acme/oncall or anyone with maintain "
          "permission");
  }
  SUBCASE("negative window is a broken invariant") {
    RollbackRequest r = rollback_request();
    r.policy.window = seconds{-1};
    CHECK_THROWS_AS(decide_rollback(r), std::invalid_argument);
  }
}

// The default target never moves forward: issue 11, a second /rollback in a row went to the
// version just rolled away from. Each history is in time order (ids follow created_at).
TEST_CASE("decide_rollback: without a version, the target is older than the current version") {
  using S = DeploymentState;
  using std::chrono::minutes;
  struct Case {
    const char* name;
    std::vector<DeploymentRecord> history;
    std::string reason;
    std::int64_t target_id;  // 0: no target
  };
  const std::vector<Case> cases = {
      {"one rollback: back to the previous version",
       {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "v1.1.0", S::success, hours{1})},
       "rollback_allowed",
       1},
      {"rollback twice in a row, nothing older: refused, never forward to v1.1.0",
       {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "v1.1.0", S::inactive, hours{1}),
        dep(3, "v1.0.0", S::success, hours{2})},
       "no_previous_version",
       0},
      {"rollback twice in a row: the second goes further back",
       {dep(1, "v0.9.0", S::inactive, hours{0}), dep(2, "v1.0.0", S::inactive, hours{1}),
        dep(3, "v1.1.0", S::inactive, hours{2}), dep(4, "v1.0.0", S::success, hours{3})},
       "rollback_allowed",
       1},
      {"a third rollback in a row: nothing is older than v0.8.0",
       {dep(1, "v0.8.0", S::inactive, hours{0}), dep(2, "v0.9.0", S::inactive, hours{1}),
        dep(3, "v1.0.0", S::inactive, hours{2}), dep(4, "v0.9.0", S::inactive, hours{3}),
        dep(5, "v0.8.0", S::success, hours{4})},
       "no_previous_version",
       0},
      {"rollback, redeploy newer, rollback: to what ran before the newer one, not to the bad one",
       {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "v1.1.0", S::inactive, hours{1}),
        dep(3, "v1.0.0", S::inactive, hours{2}), dep(4, "v1.2.0", S::success, hours{3})},
       "rollback_allowed",
       3},
      {"interleaved failures are skipped on the way back",
       {dep(1, "v0.9.0", S::inactive, hours{0}), dep(2, "v1.0.0", S::failure, hours{1}),
        dep(3, "v1.1.0", S::inactive, hours{2}), dep(4, "v1.2.0", S::error, hours{3}),
        dep(5, "v1.0.0", S::success, hours{4}), dep(6, "v1.3.0", S::in_progress, hours{5})},
       "rollback_allowed",
       1},
      {"a failed deploy after a rollback does not change the target",
       {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "v1.1.0", S::inactive, hours{1}),
        dep(3, "v1.0.0", S::success, hours{2}), dep(4, "v1.2.0", S::failure, hours{3})},
       "no_previous_version",
       0},
      {"same precedence (build metadata) is not older",
       {dep(1, "v1.2.0", S::inactive, hours{0}), dep(2, "v1.3.0+build.7", S::inactive, hours{1}),
        dep(3, "v1.3.0", S::success, hours{2})},
       "rollback_allowed",
       1},
      {"a pre-release of the current version is older",
       {dep(1, "v2.0.0-rc.1", S::inactive, hours{0}), dep(2, "v2.0.0", S::success, hours{1})},
       "rollback_allowed",
       1},
      {"an older tag of the current commit is not a target",
       [] {
         auto h = std::vector<DeploymentRecord>{dep(1, "v1.0.0", S::inactive, hours{0}),
                                                dep(2, "v1.0.1", S::inactive, hours{1}),
                                                dep(3, "v1.1.0", S::success, hours{2})};
         h[1].sha = h[2].sha;
         return h;
       }(),
       "rollback_allowed", 1},
      {"same created_at: the rollback (larger id) is current, the version it replaced is skipped",
       {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "v1.1.0", S::inactive, hours{1}),
        dep(3, "v1.0.0", S::success, hours{1})},
       "no_previous_version",
       0},
      // Not semver now: versions cannot be compared, so time order alone decides.
      {"non-semver current: the most recent version before it, even if it is the highest",
       {dep(1, "v1.1.0", S::inactive, hours{0}), dep(2, "v1.2.0", S::inactive, hours{1}),
        dep(3, "main-1a2b3c4", S::success, hours{2})},
       "rollback_allowed",
       2},
      {"non-semver current after a rollback: still time order",
       {dep(1, "v1.1.0", S::inactive, hours{0}), dep(2, "v1.2.0", S::inactive, hours{1}),
        dep(3, "v1.1.0", S::inactive, hours{2}), dep(4, "main-1a2b3c4", S::success, hours{3})},
       "rollback_allowed",
       3},
      {"non-semver current, only branch deploys before it",
       {dep(1, "main-0000001", S::inactive, hours{0}), dep(2, "main-1a2b3c4", S::success, hours{1})},
       "no_previous_version",
       0},
      {"rollback from a branch deploy, then again: below the version rolled back to",
       {dep(1, "v1.0.0", S::inactive, hours{0}), dep(2, "v1.1.0", S::inactive, hours{1}),
        dep(3, "main-1a2b3c4", S::inactive, hours{2}), dep(4, "v1.1.0", S::success, hours{2} + minutes{5})},
       "rollback_allowed",
       1},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    RollbackRequest r = rollback_request();
    r.history = c.history;
    r.now = t0 + hours{6};
    const auto d = decide_rollback(r);
    CHECK(d.outcome.reason == c.reason);
    if (c.target_id == 0) {
      CHECK_FALSE(d.target.has_value());
    } else {
      REQUIRE(d.target.has_value());
      CHECK(d.target->deployment_id == c.target_id);
    }
  }
}

TEST_CASE("decide_rollback: the refusal says why and what to do instead") {
  RollbackRequest r = rollback_request();
  r.history = {dep(1, "v1.0.0", DeploymentState::inactive, hours{0}),
               dep(2, "v1.1.0", DeploymentState::inactive, hours{1}),
               dep(3, "v1.0.0", DeploymentState::success, hours{2})};
  CHECK(decide_rollback(r).outcome.message ==
        "production has no earlier successful deployment of an older version to roll back to from v1.0.0 "
        "(deployment 3, sha3xxx); to go elsewhere, name the version");
}

namespace {

// A reference model of the default target, written from the rule's text rather than from
// policy.cpp: "the most recent deployment before the current one that went live, has a semver
// version, is not the current commit, and (when the current version is semver) is older than it".
struct ModelAnswer {
  std::optional<std::size_t> current;  // index into the history
  std::optional<std::size_t> target;
};

bool model_later(const DeploymentRecord& a, const DeploymentRecord& b) {
  return a.created_at > b.created_at || (a.created_at == b.created_at && a.id > b.id);
}

ModelAnswer model_default_target(const std::vector<DeploymentRecord>& h) {
  ModelAnswer answer;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i].state != DeploymentState::success) continue;
    if (!answer.current || model_later(h[i], h[*answer.current])) answer.current = i;
  }
  if (!answer.current) return answer;
  const DeploymentRecord& cur = h[*answer.current];
  const auto cur_version = deploy::semver::parse_tag(cur.version);
  for (std::size_t i = 0; i < h.size(); ++i) {
    const DeploymentRecord& d = h[i];
    if (!model_later(cur, d)) continue;  // not before the current one
    if (d.state != DeploymentState::success && d.state != DeploymentState::inactive) continue;
    const auto v = deploy::semver::parse_tag(d.version);
    if (!v) continue;
    if (d.sha == cur.sha) continue;  // the model's SHAs are all lowercase
    if (cur_version && !(*v < *cur_version)) continue;
    if (!answer.target || model_later(d, h[*answer.target])) answer.target = i;
  }
  return answer;
}

// The case issue 11 is about: the rule before the fix (the latest earlier live semver deployment
// of another version and commit) would have picked a version that is not older than the current
// one. The generator must reach it often, or the property test proves nothing about it.
bool reached_forward_case(const std::vector<DeploymentRecord>& h, const DeploymentRecord& cur) {
  const auto cur_version = deploy::semver::parse_tag(cur.version);
  if (!cur_version) return false;
  const DeploymentRecord* old_rule = nullptr;
  for (const auto& d : h) {
    const auto v = deploy::semver::parse_tag(d.version);
    if (!model_later(cur, d) || !v || *v == *cur_version || d.sha == cur.sha) continue;
    if (d.state != DeploymentState::success && d.state != DeploymentState::inactive) continue;
    if (old_rule == nullptr || model_later(d, *old_rule)) old_rule = &d;
  }
  return old_rule != nullptr && !(*deploy::semver::parse_tag(old_rule->version) < *cur_version);
}

}  // namespace

TEST_CASE("decide_rollback: property: the default target is never newer, went live, and is the latest such") {
  // Deterministic: the same histories on every run, so a failure reproduces.
  std::mt19937 random(20240611);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  const std::vector<const char*> versions = {"v1.0.0", "v1.1.0", "v1.2.0",       "v1.2.0+b", "v1.3.0-rc.1",
                                             "v1.3.0", "v2.0.0", "main-1a2b3c4", "feature"};
  const std::vector<DeploymentState> states = {DeploymentState::success,  DeploymentState::inactive,
                                               DeploymentState::inactive, DeploymentState::failure,
                                               DeploymentState::error,    DeploymentState::in_progress};
  const std::vector<std::string> shas = {"aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff", "0000"};
  int allowed = 0, no_previous = 0, nothing = 0, forward_case = 0;
  for (int round = 0; round < 5000; ++round) {
    CAPTURE(round);
    std::vector<DeploymentRecord> h;
    const std::size_t n = pick(10);
    for (std::size_t i = 0; i < n; ++i) {
      DeploymentRecord d;
      d.version = versions[pick(versions.size())];
      d.sha = shas[pick(shas.size())];
      d.state = states[pick(states.size())];
      d.created_at = t0 + hours{static_cast<long>(pick(6))};  // few instants: ties on created_at are common
      d.id = static_cast<std::int64_t>(i) * 7 + 1 + static_cast<std::int64_t>(pick(5));
      h.push_back(d);
    }
    std::shuffle(h.begin(), h.end(), random);  // the history comes in any order
    std::string shown;
    for (const auto& d : h) {
      shown += std::to_string(d.id) + ":" + d.version + "/" + d.sha + "/" + std::string(to_string(d.state)) + "@" +
               std::to_string((d.created_at - t0) / hours{1}) + "h ";
    }
    CAPTURE(shown);

    RollbackRequest r = rollback_request();
    r.history = h;
    r.policy.window = seconds{0};
    const auto d = decide_rollback(r);
    const ModelAnswer model = model_default_target(h);
    if (model.current && reached_forward_case(h, h[*model.current])) ++forward_case;

    if (!model.current) {
      CHECK(d.outcome.reason == "nothing_deployed");
      ++nothing;
      continue;
    }
    const DeploymentRecord& cur = h[*model.current];
    REQUIRE(d.current.has_value());
    CHECK(d.current->id == cur.id);
    if (!model.target) {
      CHECK(d.outcome.reason == "no_previous_version");
      CHECK_FALSE(d.target.has_value());
      ++no_previous;
      continue;
    }
    REQUIRE(d.outcome.reason == "rollback_allowed");
    REQUIRE(d.target.has_value());
    CHECK(d.target->deployment_id == h[*model.target].id);
    // The properties themselves, stated on the chosen deployment.
    const auto chosen =
        std::find_if(h.begin(), h.end(), [&](const DeploymentRecord& x) { return x.id == d.target->deployment_id; });
    REQUIRE(chosen != h.end());
    CHECK((chosen->state == DeploymentState::success || chosen->state == DeploymentState::inactive));  // went live
    CHECK(model_later(cur, *chosen));  // before the current
    CHECK(chosen->sha != cur.sha);
    if (const auto cur_version = deploy::semver::parse_tag(cur.version)) {
      CHECK(d.target->version < *cur_version);  // never newer, never the same
    }
    ++allowed;
  }
  // The generator covers every outcome, and the case the old rule got wrong.
  CHECK(allowed > 500);
  CHECK(no_previous > 200);
  CHECK(nothing > 200);
  CHECK(forward_case > 200);
}

// ---------------------------------------------------------------------------------------------
// 3. Gates
// ---------------------------------------------------------------------------------------------

TEST_CASE("evaluate_gates runs every gate and reports each") {
  int calls = 0;
  auto gate = [&calls](std::string name, bool allowed) {
    return Gate{name, [&calls, allowed, name] {
                  ++calls;
                  return allowed ? deploy::Outcome::allow("ok", name) : deploy::Outcome::deny("no", name);
                }};
  };
  SUBCASE("all allowed") {
    const auto report = evaluate_gates({gate("a", true), gate("b", true)});
    CHECK(report.allowed);
    CHECK(report.results.size() == 2);
  }
  SUBCASE("a refusal does not stop the others") {
    const auto report = evaluate_gates({gate("a", true), gate("b", false), gate("c", true), gate("d", false)});
    CHECK_FALSE(report.allowed);
    CHECK(calls == 4);
    REQUIRE(report.results.size() == 4);
    const std::vector<std::pair<std::string, bool>> expected = {{"a", true}, {"b", false}, {"c", true}, {"d", false}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(i);
      CHECK(report.results[i].gate == expected[i].first);
      CHECK(report.results[i].outcome.allowed == expected[i].second);
    }
  }
  SUBCASE("a throwing gate is refused, the rest still run") {
    const auto report = evaluate_gates(
        {Gate{"boom", []() -> deploy::Outcome { throw std::runtime_error("GitHub said 502"); }}, gate("b", true)});
    CHECK_FALSE(report.allowed);
    CHECK(calls == 1);
    REQUIRE(report.results.size() == 2);
    CHECK(report.results[0].outcome.reason == "gate_error");
    CHECK(report.results[0].outcome.message == "gate boom failed to decide: GitHub said 502");
    CHECK(report.results[1].outcome.allowed);
  }
  SUBCASE("no gates") {
    const auto report = evaluate_gates({});
    CHECK(report.allowed);
    CHECK(report.results.empty());
  }
}

namespace {
const std::string kHead = "head000cccccccccccccccccccccccccccccccccc";
Review review(std::string user, ReviewState state, std::string commit = kHead) {
  return {std::move(user), state, std::move(commit), false};
}
}  // namespace

TEST_CASE("check_reviewed_changes: per pull request") {
  using R = ReviewState;
  struct Case {
    const char* name;
    std::vector<Review> reviews;
    int required;
    std::vector<std::string> approvers;
  };
  const std::vector<Case> cases = {
      {"two approvals", {review("bob", R::approved), review("dana", R::approved)}, 2, {"bob", "dana"}},
      {"one is not enough", {review("bob", R::approved)}, 2, {"bob"}},
      {"author's own approval", {review("Alice", R::approved), review("bob", R::approved)}, 2, {"bob"}},
      {"bot approval", {review("ci[bot]", R::approved), {"robo", R::approved, kHead, true}}, 1, {}},
      {"same reviewer twice counts once", {review("bob", R::approved), review("BOB", R::approved)}, 2, {"BOB"}},
      {"later changes requested cancels", {review("bob", R::approved), review("bob", R::changes_requested)}, 1, {}},
      {"later approval wins", {review("bob", R::changes_requested), review("bob", R::approved)}, 1, {"bob"}},
      {"comment does not cancel", {review("bob", R::approved), review("bob", R::commented)}, 1, {"bob"}},
      {"comment alone is no approval", {review("bob", R::commented)}, 1, {}},
      {"dismissed removes", {review("bob", R::approved), review("bob", R::dismissed)}, 1, {}},
      {"approve after dismissal", {review("bob", R::dismissed), review("bob", R::approved)}, 1, {"bob"}},
      {"approval of an older commit", {review("bob", R::approved, kOldSha)}, 1, {}},
      {"required 0 passes without reviews", {}, 0, {}},
      {"others' reviews do not interfere",
       {review("bob", R::approved), review("dana", R::changes_requested), review("erin", R::approved)},
       2,
       {"bob", "erin"}},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    ReleaseChanges changes;
    changes.pulls = {PullRequest{12, "alice", kHead, c.reviews}};
    const auto result = check_reviewed_changes(changes, c.required);
    REQUIRE(result.pulls.size() == 1);
    CHECK(result.pulls[0].number == 12);
    CHECK(result.pulls[0].approvers == c.approvers);
    const bool ok = static_cast<int>(c.approvers.size()) >= c.required;
    CHECK(result.pulls[0].outcome.allowed == ok);
    CHECK(result.pulls[0].outcome.reason == (ok ? "change_reviewed" : "unreviewed_change"));
    CHECK(result.outcome.allowed == ok);
  }
}

TEST_CASE("check_reviewed_changes: release outcome") {
  using R = ReviewState;
  SUBCASE("lists the unreviewed pull requests and direct commits") {
    ReleaseChanges changes;
    changes.pulls = {PullRequest{10, "alice", kHead, {review("bob", R::approved)}},
                     PullRequest{11, "alice", kHead, {review("bob", R::approved, kOldSha)}},
                     PullRequest{12, "alice", "", {review("bob", R::approved)}}};
    changes.direct_commits = {"deadbeef00000000000000000000000000000000"};
    const auto result = check_reviewed_changes(changes, 1);
    CHECK_FALSE(result.outcome.allowed);
    CHECK(result.outcome.reason == "unreviewed_change");
    CHECK(result.outcome.message ==
          "unreviewed changes in this release: pull requests without enough approving reviews: #11 (0 of 1), "
          "#12 (0 of 1); commits pushed without a pull request: deadbee");
    CHECK(result.pulls[1].outcome.message ==
          "#11: 0 approving reviews, 1 required; bob approved 0ld0000, not the head head000");
    CHECK(result.pulls[0].outcome.message == "#10: 1 approving review (bob), 1 required");
  }
  SUBCASE("direct commits refuse even with required 0") {
    ReleaseChanges changes;
    changes.direct_commits = {"deadbeef00000000000000000000000000000000"};
    CHECK(check_reviewed_changes(changes, 0).outcome.reason == "unreviewed_change");
  }
  SUBCASE("all reviewed") {
    ReleaseChanges changes;
    changes.pulls = {PullRequest{10, "alice", kHead, {review("bob", R::approved)}},
                     PullRequest{11, "bob", kHead, {review("alice", R::approved)}}};
    const auto result = check_reviewed_changes(changes, 1);
    CHECK(result.outcome.allowed);
    CHECK(result.outcome.reason == "changes_reviewed");
    CHECK(result.outcome.message == "every pull request has at least 1 approving review (2 pull requests)");
  }
  SUBCASE("no changes") {
    const auto result = check_reviewed_changes({}, 2);
    CHECK(result.outcome.allowed);
    CHECK(result.outcome.message == "no changes in this release");
  }
}

TEST_CASE("check_required_checks") {
  using C = CheckState;
  struct Case {
    const char* name;
    std::vector<std::string> required;
    std::vector<CheckObservation> observed;
    std::string reason;
    std::vector<std::string> failed, missing, pending;
  };
  const std::vector<Case> cases = {
      {"all success",
       {"build", "test"},
       {{"build", C::success}, {"test", C::success}, {"other", C::failure}},
       "checks_passed",
       {},
       {},
       {}},
      {"neutral and skipped count as success",
       {"a", "b"},
       {{"a", C::neutral}, {"b", C::skipped}},
       "checks_passed",
       {},
       {},
       {}},
      {"failure", {"build"}, {{"build", C::failure}}, "check_failed", {"build"}, {}, {}},
      {"error is a failure", {"build"}, {{"build", C::error}}, "check_failed", {"build"}, {}, {}},
      {"missing", {"build"}, {{"lint", C::success}}, "check_missing", {}, {"build"}, {}},
      {"names are case-sensitive", {"build"}, {{"Build", C::success}}, "check_missing", {}, {"build"}, {}},
      {"pending", {"build"}, {{"build", C::pending}}, "check_pending", {}, {}, {"build"}},
      {"re-run success after failure",
       {"build"},
       {{"build", C::failure}, {"build", C::success}},
       "checks_passed",
       {},
       {},
       {}},
      {"re-run failure after success",
       {"build"},
       {{"build", C::success}, {"build", C::failure}},
       "check_failed",
       {"build"},
       {},
       {}},
      {"failed before missing before pending",
       {"a", "b", "c"},
       {{"a", C::pending}, {"c", C::failure}},
       "check_failed",
       {"c"},
       {"b"},
       {"a"}},
      {"missing before pending", {"a", "b"}, {{"a", C::pending}}, "check_missing", {}, {"b"}, {"a"}},
      {"duplicate requirement listed once", {"a", "a"}, {}, "check_missing", {}, {"a"}, {}},
      {"nothing required", {}, {{"a", C::failure}}, "checks_passed", {}, {}, {}},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.name));
    const auto r = check_required_checks(c.required, c.observed);
    CHECK(r.outcome.reason == c.reason);
    CHECK(r.outcome.allowed == (c.reason == "checks_passed"));
    CHECK(r.failed == c.failed);
    CHECK(r.missing == c.missing);
    CHECK(r.pending == c.pending);
  }
  CHECK(check_required_checks({"a", "b", "c"}, {{"a", C::pending}, {"c", C::failure}}).outcome.message ==
        "required checks not passed: failed: c; missing (never reported): b; pending: a");
  CHECK(check_required_checks({"a"}, {{"a", C::success}}).outcome.message == "the required check a passed");
}

TEST_CASE("check runs and commit statuses read as branch protection reads them") {
  using deploy::policy::CheckState;
  struct Case {
    const char* status;
    const char* conclusion;
    CheckState expected;
  };
  const Case cases[] = {
      {"completed", "success", CheckState::success},
      {"completed", "neutral", CheckState::neutral},
      {"completed", "skipped", CheckState::skipped},
      {"completed", "failure", CheckState::failure},
      {"completed", "cancelled", CheckState::failure},
      {"completed", "timed_out", CheckState::failure},
      {"completed", "action_required", CheckState::failure},
      {"completed", "stale", CheckState::failure},
      {"completed", "something-new", CheckState::failure},
      {"queued", "", CheckState::pending},
      {"in_progress", "", CheckState::pending},
      {"waiting", "", CheckState::pending},
      {"requested", "", CheckState::pending},
  };
  for (const auto& c : cases) {
    CAPTURE(c.status);
    CAPTURE(c.conclusion);
    CHECK(deploy::policy::check_state_of_run(c.status, c.conclusion) == c.expected);
  }
  CHECK(deploy::policy::check_state_of_status("success") == CheckState::success);
  CHECK(deploy::policy::check_state_of_status("failure") == CheckState::failure);
  CHECK(deploy::policy::check_state_of_status("error") == CheckState::error);
  CHECK(deploy::policy::check_state_of_status("pending") == CheckState::pending);
}

// ---------------------------------------------------------------------------------------------
// One rollback at a time
// ---------------------------------------------------------------------------------------------

TEST_CASE("decide_rollback_start: a deploy or rollback queued or running refuses a second rollback") {
  const TimePoint now = TimePoint{} + hours(24 * 365);
  using Kind = RunInFlight::Kind;
  using State = RunInFlight::State;
  auto run = [&](Kind kind, State state, std::chrono::seconds age, std::string url = "https://run") {
    return RunInFlight{kind, state, std::move(url), now - age};
  };
  struct Case {
    const char* name;
    std::vector<RunInFlight> runs;
    bool allowed;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"nothing in flight", {}, true, "no_run_in_progress"},
      {"a rollback queued", {run(Kind::rollback, State::queued, seconds(1))}, false, "rollback_in_progress"},
      {"a rollback running", {run(Kind::rollback, State::in_progress, seconds(60))}, false, "rollback_in_progress"},
      {"a deploy running", {run(Kind::deploy, State::in_progress, seconds(60))}, false, "deploy_in_progress"},
      {"a deploy queued", {run(Kind::deploy, State::queued, seconds(1))}, false, "deploy_in_progress"},
      {"a rollback is named before a deploy",
       {run(Kind::deploy, State::in_progress, seconds(5)), run(Kind::rollback, State::queued, seconds(1))},
       false,
       "rollback_in_progress"},
      {"completed runs do not count",
       {run(Kind::rollback, State::completed, seconds(1)), run(Kind::deploy, State::completed, seconds(1))},
       true,
       "no_run_in_progress"},
      {"still running at the job limit",
       {run(Kind::rollback, State::in_progress, kMaxRunTime)},
       false,
       "rollback_in_progress"},
      {"abandoned past the job limit",
       {run(Kind::rollback, State::in_progress, kMaxRunTime + seconds(1))},
       true,
       "no_run_in_progress"},
      {"an unnamed dispatch just now",
       {run(Kind::rollback, State::unknown, seconds(30))},
       false,
       "rollback_in_progress"},
      {"an unnamed dispatch that never showed up",
       {run(Kind::rollback, State::unknown, std::chrono::duration_cast<seconds>(kUnnamedDispatchTime) + seconds(1))},
       true,
       "no_run_in_progress"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto outcome = decide_rollback_start("production", c.runs, now);
    CHECK(outcome.allowed == c.allowed);
    CHECK(outcome.reason == c.reason);
    if (!c.allowed) {
      CHECK(outcome.message.find("already in progress") != std::string::npos);
      CHECK(outcome.message.find("https://run") != std::string::npos);
      CHECK(outcome.message.find("`production`") != std::string::npos);
    }
  }
  // Without a URL the message still reads whole.
  const auto bare = decide_rollback_start("staging", {run(Kind::deploy, State::queued, seconds(1), "")}, now);
  CHECK(bare.message ==
        "a deploy of `staging` is already in progress (queued); one rollback at a time: wait for it to "
        "finish, then ask again if it is still needed");
}

TEST_CASE("decide_rollback_gate: the rollback policy, the environment's approvals and the tag's commit") {
  using deploy::Outcome;
  const auto allowed = Outcome::allow("rollback_allowed", "allowed");
  const auto outside = Outcome::deny("outside_rollback_window", "outside");
  const auto never = Outcome::deny("version_never_deployed", "never");
  auto decision = [](Outcome outcome, bool needs_approval, std::string target_sha) {
    RollbackDecision d;
    d.outcome = std::move(outcome);
    d.needs_approval = needs_approval;
    if (!target_sha.empty() || needs_approval)
      d.target = RollbackTarget{Version{1, 0, 0, {}, {}}, std::move(target_sha), 7};
    return d;
  };
  struct Case {
    const char* name;
    RollbackDecision decision;
    int approvals_required;
    bool allowed;
    bool skip_approvals;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"admitted within the window", decision(allowed, false, kSha), 2, true, true, "rollback_allowed"},
      {"admitted, target without a recorded commit", decision(allowed, false, ""), 0, true, true, "rollback_allowed"},
      {"outside the window, approvals decide", decision(outside, true, kSha), 1, true, false,
       "rollback_needs_approvals"},
      {"outside the window, no approvals to ask for", decision(outside, true, kSha), 0, false, false,
       "outside_rollback_window"},
      {"outside the window, deny", decision(outside, false, kSha), 2, false, false, "outside_rollback_window"},
      {"refused without a target", decision(never, false, ""), 2, false, false, "version_never_deployed"},
      {"tag moved since it went live", decision(allowed, false, kOldSha), 2, false, false, "tag_moved"},
      {"tag moved, outside the window", decision(outside, true, kOldSha), 1, false, false, "tag_moved"},
      {"commits compare case-insensitively", decision(allowed, false, "ABC1234AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0,
       true, true, "rollback_allowed"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto gate = decide_rollback_gate(c.decision, c.approvals_required, "v1.0.0", kSha);
    CHECK(gate.outcome.allowed == c.allowed);
    CHECK(gate.skip_approvals == c.skip_approvals);
    CHECK(gate.outcome.reason == c.reason);
  }
  const auto moved = decide_rollback_gate(decision(allowed, false, kOldSha), 0, "v1.0.0", kSha);
  CHECK(moved.outcome.message ==
        "v1.0.0 points at abc1234 but v1.0.0 went live here as 0ld0000; a moved tag is not a rollback: deploy it as a "
        "new release, or restore the tag");
}

TEST_CASE("when_gates_unmet: a gate GitHub could not answer is an error, never skipped") {
  struct Case {
    bool skip, gate_error;
    UnmetGates expected;
    const char* name;
  };
  const std::vector<Case> cases = {
      {false, false, UnmetGates::blocked, "blocked"},
      {true, false, UnmetGates::skipped, "skipped"},
      {false, true, UnmetGates::error, "error"},
      {true, true, UnmetGates::error, "error"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.skip);
    CAPTURE(c.gate_error);
    CHECK(when_gates_unmet(c.skip, c.gate_error) == c.expected);
    CHECK(to_string(c.expected) == c.name);
  }
}

TEST_CASE("final_deployment_state: live, cancelled, or not live") {
  struct Case {
    bool went_live, cancelled;
    DeploymentState expected;
  };
  const std::vector<Case> cases = {
      {true, false, DeploymentState::success},
      {false, false, DeploymentState::failure},
      {false, true, DeploymentState::error},
  };
  for (const auto& c : cases) {
    CAPTURE(c.went_live);
    CAPTURE(c.cancelled);
    CHECK(final_deployment_state(c.went_live, c.cancelled) == c.expected);
  }
}
