// core/policy: approval rules (every rule must hold, each person counted once per rule), checked
// by table and against a brute-force reference model over generated cases; /reject; the freeze
// gate's decision.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/policy/freeze.hpp"
#include "core/policy/policy.hpp"

using namespace deploy::policy;

namespace {

const std::string kSha = "abc1234aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kOldSha = "0ld0000bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

ApprovalEvent approve(std::string user, std::vector<std::string> teams = {},
                      Permission permission = Permission::write) {
  ApprovalEvent e;
  e.user = std::move(user);
  e.permission = permission;
  e.teams = std::move(teams);
  e.sha = kSha;
  e.id = "c-" + e.user;
  return e;
}
ApprovalEvent reject(std::string user, std::string reason = "", bool cancel = false) {
  ApprovalEvent e = approve(std::move(user));
  e.reject = true;
  e.cancel = cancel;
  e.reason = std::move(reason);
  e.id = "r-" + e.user + (cancel ? "-cancel" : "");
  return e;
}

ApprovalRequest request(std::vector<ApprovalRule> rules, std::vector<ApprovalEvent> events) {
  ApprovalRequest r;
  r.author = "alice";
  r.triggered_by = "trent";
  r.sha = kSha;
  r.rules = std::move(rules);
  r.events = std::move(events);
  return r;
}

const Principal kSre = Principal::team("acme/sre");
const Principal kSecurity = Principal::team("acme/security");

}  // namespace

TEST_CASE("approval rules: table") {
  const std::vector<ApprovalRule> sre_security_two = {
      {"sre", {kSre}, 1}, {"security", {kSecurity}, 1}, {"total", {}, 2}};
  struct Case {
    const char* name;
    std::vector<ApprovalRule> rules;
    std::vector<ApprovalEvent> events;
    bool met;
    std::vector<int> per_rule;  // approvers counted per rule
    int missing;
  };
  const std::vector<Case> cases = {
      {"nobody yet", sre_security_two, {}, false, {0, 0, 0}, 2},
      {"one sre", sre_security_two, {approve("sam", {"acme/sre"})}, false, {1, 0, 1}, 1},
      {"sre and security",
       sre_security_two,
       {approve("sam", {"acme/sre"}), approve("sue", {"acme/security"})},
       true,
       {1, 1, 2},
       0},
      {"two sre, no security",
       sre_security_two,
       {approve("sam", {"acme/sre"}), approve("sid", {"acme/sre"})},
       false,
       {2, 0, 2},
       1},
      {"one person in both teams meets both, not the total",
       sre_security_two,
       {approve("bo", {"acme/sre", "acme/security"})},
       false,
       {1, 1, 1},
       1},
      {"a person counts once per rule",
       sre_security_two,
       {approve("sam", {"acme/sre"}), approve("sam", {"acme/sre"})},
       false,
       {1, 0, 1},
       1},
      {"team names compare case-insensitively", {{"sre", {kSre}, 1}}, {approve("sam", {"ACME/SRE"})}, true, {1}, 0},
      {"the author never counts, even in the team",
       sre_security_two,
       {approve("alice", {"acme/sre"}), approve("sue", {"acme/security"})},
       false,
       {0, 1, 1},
       1},
      {"a stale approval counts for no rule",
       {{"sre", {kSre}, 1}},
       {[] {
         auto e = approve("sam", {"acme/sre"});
         e.sha = kOldSha;
         return e;
       }()},
       false,
       {0},
       1},
      {"a named user rule",
       {{"lead", {Principal::user("Lena")}, 1}, {"", {}, 2}},
       {approve("lena"), approve("bob")},
       true,
       {1, 2},
       0},
      {"a rejection is not an approval", {{"", {}, 1}}, {reject("bob")}, false, {0}, 1},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto v = count_approvals(request(c.rules, c.events));
    CHECK(v.met == c.met);
    CHECK(v.outcome.allowed == c.met);
    CHECK(v.outcome.reason == (c.met ? "approvals_met" : "approvals_missing"));
    REQUIRE(v.rules.size() == c.per_rule.size());
    for (std::size_t i = 0; i < c.per_rule.size(); ++i) {
      CHECK(static_cast<int>(v.rules[i].approvers.size()) == c.per_rule[i]);
      CHECK(v.rules[i].met == (c.per_rule[i] >= c.rules[i].count));
    }
    CHECK(v.missing == c.missing);
  }
}

TEST_CASE("approval rules: texts name each rule's count and what is missing") {
  const auto v = count_approvals(
      request({{"sre", {kSre}, 1}, {"security", {kSecurity}, 1}, {"total", {}, 2}}, {approve("sam", {"acme/sre"})}));
  CHECK(describe_rules(v) == "sre 1/1, security 0/1, total 1/2");
  CHECK(v.required == 2);
  CHECK(v.outcome.message.find("(rules: sre 1/1, security 0/1, total 1/2)") != std::string::npos);
  const auto needed = describe_needed(
      request({{"sre", {kSre}, 1}, {"security", {kSecurity}, 1}, {"total", {}, 2}}, {approve("sam", {"acme/sre"})}), v);
  CHECK(needed ==
        "rule security: needs 1 more approval from @acme/security, other than alice (author), trent (triggered the "
        "deploy) and sam (already approved); rule total: needs 1 more approval from anyone with write permission, "
        "other than alice (author), trent (triggered the deploy) and sam (already approved)");
  // Without rules, nothing changes: `required` is the one rule and the texts are as before.
  ApprovalRequest plain = request({}, {approve("bob")});
  plain.required = 2;
  const auto p = count_approvals(plain);
  CHECK(describe_rules(p).empty());
  CHECK(p.rules.size() == 1);
  CHECK(p.outcome.message.find("1 of 2 required approvals") != std::string::npos);
  CHECK_THROWS_AS(count_approvals(request({{"zero", {}, 0}}, {})), std::invalid_argument);
}

// The reference model: for each rule, the set of distinct people (lower-case) whose latest valid
// approval of the commit stands and whom both the approvers list and the rule admit, by brute force
// over every event; the verdict holds when every set is large enough.
TEST_CASE("approval rules equal a brute-force model over generated approvers, teams and rules") {
  std::mt19937 random(20261202);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };
  const std::vector<std::string> people = {"ann", "Ann", "bob", "cy", "dee", "eve", "alice", "trent", "bot[bot]"};
  const std::vector<std::string> teams = {"acme/sre", "acme/security", "acme/dba"};
  int met_cases = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    // Who is in which team, and with which permission, fixed per person for the trial.
    std::map<std::string, std::vector<std::string>> team_of;
    std::map<std::string, Permission> permission_of;
    for (const auto& p : people) {
      std::string key = p;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      if (team_of.count(key)) continue;
      for (const auto& t : teams) {
        if (pick(0, 2) == 0) team_of[key].push_back(t);
      }
      permission_of[key] = pick(0, 4) == 0 ? Permission::read : Permission::write;
    }
    std::vector<ApprovalRule> rules;
    const int n_rules = pick(1, 3);
    for (int i = 0; i < n_rules; ++i) {
      ApprovalRule rule;
      rule.name = "r" + std::to_string(i);
      const int kind = pick(0, 3);
      if (kind == 1) rule.from = {Principal::team(teams[static_cast<std::size_t>(pick(0, 2))])};
      if (kind == 2) rule.from = {Principal::team(teams[0]), Principal::user("dee")};
      if (kind == 3) rule.from = {Principal::at_least(Permission::maintain), Principal::team(teams[1])};
      rule.count = pick(1, 3);
      rules.push_back(rule);
    }
    std::vector<Principal> approvers;
    if (pick(0, 2) == 0) approvers = {Principal::team(teams[0]), Principal::team(teams[1])};
    std::vector<ApprovalEvent> events;
    const int n_events = pick(0, 8);
    for (int i = 0; i < n_events; ++i) {
      const std::string& who = people[static_cast<std::size_t>(pick(0, static_cast<int>(people.size()) - 1))];
      std::string key = who;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      ApprovalEvent e = approve(who, team_of[key], permission_of[key]);
      e.id = "e" + std::to_string(i);
      if (pick(0, 9) == 0) e.sha = kOldSha;
      if (pick(0, 9) == 0) e.cancel = true;
      if (pick(0, 12) == 0) e.edited = true;
      if (pick(0, 12) == 0) e.reject = true;
      events.push_back(e);
    }
    ApprovalRequest r = request(rules, events);
    r.approvers = approvers;
    const auto v = count_approvals(r);

    // Model: replay the events; a person's approval stands after their last valid approval unless a
    // later cancel of this commit withdrew it.
    std::map<std::string, bool> stands;
    for (const auto& e : events) {
      if (e.reject) continue;
      std::string key = e.user;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      if (e.cancel) {
        if (e.sha == kSha) stands[key] = false;
        continue;
      }
      const bool excluded = key == "alice" || key == "trent" || key.ends_with("[bot]");
      const bool admitted = admits(approvers, Actor{e.user, e.permission, e.teams, false});
      if (!excluded && admitted && e.sha == kSha && !e.edited) stands[key] = true;
    }
    bool all = true;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      std::set<std::string> in_rule;
      for (const auto& [key, standing] : stands) {
        if (!standing) continue;
        if (rules[i].from.empty() || admits(rules[i].from, Actor{key, permission_of[key], team_of[key], false})) {
          in_rule.insert(key);
        }
      }
      INFO("trial " << trial << ", rule " << i);
      CHECK(static_cast<int>(v.rules[i].approvers.size()) == static_cast<int>(in_rule.size()));
      CHECK(v.rules[i].met == (static_cast<int>(in_rule.size()) >= rules[i].count));
      all = all && static_cast<int>(in_rule.size()) >= rules[i].count;
    }
    INFO("trial " << trial);
    CHECK(v.met == all);
    if (all) ++met_cases;
  }
  CHECK(met_cases > 100);  // the cases reach both verdicts
}

TEST_CASE("decide_rejections: table") {
  struct Case {
    const char* name;
    std::vector<ApprovalEvent> events;
    std::vector<std::string> active;     // "user:reason"
    std::vector<std::string> not_heard;  // "user:reason code"
  };
  const std::vector<Case> cases = {
      {"nobody", {}, {}, {}},
      {"a rejection blocks", {reject("bob", "breaks billing")}, {"bob:breaks billing"}, {}},
      {"without a reason", {reject("bob")}, {"bob:"}, {}},
      {"withdrawn by the same person", {reject("bob"), reject("BOB", "", true)}, {}, {}},
      {"nobody else can withdraw it", {reject("bob"), reject("dee", "", true)}, {"bob:"}, {"dee:nothing_to_cancel"}},
      {"a later reason replaces the earlier", {reject("bob", "one"), reject("bob", "two")}, {"bob:two"}, {}},
      {"two people: both must withdraw", {reject("bob"), reject("dee"), reject("bob", "", true)}, {"dee:"}, {}},
      {"reject again after withdrawing",
       {reject("bob"), reject("bob", "", true), reject("bob", "again")},
       {"bob:again"},
       {}},
      {"read permission cannot reject",
       {[] {
         auto e = reject("rita");
         e.permission = Permission::read;
         return e;
       }()},
       {},
       {"rita:no_permission"}},
      {"bots cannot reject", {reject("ci[bot]")}, {}, {"ci[bot]:bot_cannot_reject"}},
      {"another commit's rejection",
       {[] {
         auto e = reject("bob");
         e.sha = kOldSha;
         return e;
       }()},
       {},
       {"bob:stale_sha"}},
      {"an edited rejection still blocks",
       {[] {
         auto e = reject("bob");
         e.edited = true;
         return e;
       }()},
       {"bob:"},
       {}},
      {"an edited cancel withdraws nothing",
       {reject("bob"),
        [] {
          auto e = reject("bob", "", true);
          e.edited = true;
          return e;
        }()},
       {"bob:"},
       {"bob:edited"}},
      {"the author may reject (blocking fails safe)", {reject("alice")}, {"alice:"}, {}},
      {"approvals are not rejections", {approve("bob")}, {}, {}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto v = decide_rejections(c.events, {}, kSha);
    std::vector<std::string> active, not_heard;
    for (const auto& r : v.active) active.push_back(r.user + ":" + r.reason);
    for (const auto& n : v.not_heard) not_heard.push_back(n.event.user + ":" + n.reason);
    CHECK(active == c.active);
    CHECK(not_heard == c.not_heard);
    CHECK(v.outcome.allowed == c.active.empty());
    CHECK(v.outcome.reason == (c.active.empty() ? "not_rejected" : "rejected"));
  }
  const auto v = decide_rejections({reject("bob", "breaks billing")}, {}, kSha);
  CHECK(v.outcome.message ==
        "abc1234 was rejected by bob: \"breaks billing\"; only the person who rejected can withdraw it, with "
        "/reject cancel");
  // Only people the approvers list admits.
  const auto team_only = decide_rejections({reject("bob"), reject("sam")}, {kSre}, kSha);
  CHECK(team_only.active.empty());
  auto sam = reject("sam");
  sam.teams = {"acme/sre"};
  CHECK(decide_rejections({sam}, {kSre}, kSha).active.size() == 1);
}

TEST_CASE("decide_freeze: table") {
  using deploy::freeze::Occurrence;
  using deploy::freeze::Seconds;
  const Occurrence year_end{"year-end", Seconds{std::chrono::seconds{1797724800}},
                            Seconds{std::chrono::seconds{1799020800}}};
  ApprovalVerdict met;
  met.met = true;
  met.rules = {{"override of year-end", "@acme/sre", 2, {"sam", "sid"}, 0, true}};
  ApprovalVerdict missing;
  missing.rules = {{"override of year-end", "@acme/sre", 2, {"sam"}, 1, false}};
  struct Case {
    const char* name;
    FreezeCheck check;
    bool allowed;
    const char* reason;
    const char* contains;
  };
  const std::vector<Case> cases = {
      {"open", {{}, "", std::nullopt}, true, "not_frozen", "no freeze window"},
      {"frozen, no override possible", {{year_end}, "", std::nullopt}, false, "frozen", "cannot be overridden"},
      {"frozen, no reason given", {{year_end}, "", missing}, false, "frozen", "freeze-override-reason"},
      {"frozen, reason given but approvals missing",
       {{year_end}, "hotfix", missing},
       false,
       "freeze_override_unapproved",
       "override of year-end 1/2"},
      {"overridden", {{year_end}, "hotfix for #12", met}, true, "freeze_overridden", "\"hotfix for #12\""},
      {"a reason without any rule is still refused",
       {{year_end}, "please", std::nullopt},
       false,
       "frozen",
       "cannot be overridden"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto outcome = decide_freeze(c.check);
    CHECK(outcome.allowed == c.allowed);
    CHECK(outcome.reason == c.reason);
    CHECK(outcome.message.find(c.contains) != std::string::npos);
    if (!c.check.frozen.empty()) {
      CHECK(outcome.message.find("'year-end'") != std::string::npos);
      CHECK(outcome.message.find("until 2027-01-04T00:00:00Z") != std::string::npos);
    }
  }
}
