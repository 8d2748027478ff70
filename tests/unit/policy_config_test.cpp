#include "core/policy/from_config.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace cfg = deploy::config;
namespace pol = deploy::policy;
using deploy::policy::approval_request;
using deploy::policy::to_policy;

TEST_CASE("each config principal becomes the policy principal it names") {
  using CK = cfg::Principal::Kind;
  using PK = pol::Principal::Kind;
  struct Case {
    cfg::Principal from;
    PK kind;
    std::string name;
    pol::Permission min;
  };
  const std::vector<Case> cases = {
      {{CK::user, "alice"}, PK::user, "alice", pol::Permission::none},
      {{CK::user, "dependabot[bot]"}, PK::user, "dependabot[bot]", pol::Permission::none},
      {{CK::team, "acme/release-managers"}, PK::team, "acme/release-managers", pol::Permission::none},
      {{CK::permission, "write"}, PK::permission, "", pol::Permission::write},
      {{CK::permission, "maintain"}, PK::permission, "", pol::Permission::maintain},
      {{CK::permission, "admin"}, PK::permission, "", pol::Permission::admin},
  };
  for (const auto& c : cases) {
    CAPTURE(c.from.to_string());
    const pol::Principal p = to_policy(c.from);
    CHECK(p.kind == c.kind);
    CHECK(p.name == c.name);
    if (c.kind == PK::permission) CHECK(p.min_permission == c.min);
  }
}

TEST_CASE("a permission config's parser never produces is refused, not granted") {
  for (const char* name : {"read", "triage", "none", "maintainer", ""}) {
    CAPTURE(name);
    CHECK_THROWS_AS(to_policy(cfg::Principal{cfg::Principal::Kind::permission, name}), std::invalid_argument);
  }
}

TEST_CASE("a list keeps its order, and an empty list stays empty (anyone with write)") {
  const std::vector<cfg::Principal> from = {{cfg::Principal::Kind::team, "acme/sre"},
                                            {cfg::Principal::Kind::user, "bob"},
                                            {cfg::Principal::Kind::permission, "admin"}};
  const auto out = to_policy(from);
  REQUIRE(out.size() == 3);
  CHECK(out[0].kind == pol::Principal::Kind::team);
  CHECK(out[1].name == "bob");
  CHECK(out[2].min_permission == pol::Permission::admin);
  CHECK(pol::describe(out) == "@acme/sre, bob or anyone with admin permission");

  CHECK(to_policy(std::vector<cfg::Principal>{}).empty());
  CHECK(pol::describe(to_policy(std::vector<cfg::Principal>{})) == "anyone with write permission");
}

TEST_CASE("rollback policy: config's defaults and values reach policy unchanged") {
  using namespace std::chrono_literals;
  using CW = cfg::RollbackPolicy::OutsideWindow;
  struct Case {
    const char* name;
    cfg::RollbackPolicy from;
    std::chrono::seconds window;
    pol::OutsideWindow outside;
  };
  const std::vector<Case> cases = {
      {"defaults: 24h, require_approval", cfg::RollbackPolicy{}, 24h, pol::OutsideWindow::require_approval},
      {"deny", {90min, {}, CW::deny, true}, 90min, pol::OutsideWindow::deny},
      {"require_approval", {7 * 24h, {}, CW::require_approval, false}, 7 * 24h, pol::OutsideWindow::require_approval},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const pol::RollbackPolicy p = to_policy(c.from);
    CHECK(p.window == c.window);
    CHECK(p.outside_window == c.outside);
    CHECK(p.allowed.empty());
  }

  cfg::RollbackPolicy listed;
  listed.allowed = {{cfg::Principal::Kind::team, "acme/oncall"}};
  const pol::RollbackPolicy p = to_policy(listed);
  REQUIRE(p.allowed.size() == 1);
  CHECK(p.allowed[0].kind == pol::Principal::Kind::team);
  CHECK(p.allowed[0].name == "acme/oncall");
}

TEST_CASE("approval request: required, approvers and allow_author come from config") {
  struct Case {
    const char* name;
    cfg::Approvals from;
    int required;
    std::size_t approvers;
    bool allow_author;
  };
  const std::vector<Case> cases = {
      {"defaults: no gate, anyone with write, author excluded", cfg::Approvals{}, 0, 0, false},
      {"two from a team, author allowed", {2, {{cfg::Principal::Kind::team, "acme/rm"}}, true, true, {}}, 2, 1, true},
      {"one, author excluded", {1, {}, false, false, {}}, 1, 0, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const pol::ApprovalRequest r = approval_request(c.from);
    CHECK(r.required == c.required);
    CHECK(r.approvers.size() == c.approvers);
    CHECK(r.allow_author == c.allow_author);
    // The facts are the caller's: nothing is filled in for them.
    CHECK(r.author.empty());
    CHECK(r.committers.empty());
    CHECK(r.triggered_by.empty());
    CHECK(r.sha.empty());
    CHECK(r.events.empty());
  }
}

TEST_CASE("allow_author from config decides whether the author's approval counts") {
  cfg::Approvals approvals;
  approvals.required = 1;
  for (bool allow : {false, true}) {
    CAPTURE(allow);
    approvals.allow_author = allow;
    pol::ApprovalRequest r = approval_request(approvals);
    r.author = "alice";
    r.sha = "abc123";
    pol::ApprovalEvent e;
    e.user = "alice";
    e.sha = "abc123";
    e.permission = pol::Permission::write;
    r.events = {e};
    const pol::ApprovalVerdict v = count_approvals(r);
    CHECK(v.met == allow);
    if (!allow) {
      REQUIRE(v.not_counted.size() == 1);
      CHECK(v.not_counted[0].reason == "author_cannot_approve");
    }
  }
}
