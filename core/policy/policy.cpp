#include "core/policy/policy.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <stdexcept>
#include <utility>

#include "core/text/text.hpp"

namespace deploy::policy {

namespace {

// Logins, team slugs, SHAs and permission names compare ASCII case-insensitively.
using text::iequals;

// Two logins name the same person. An empty login names nobody, so an empty `triggered_by` or
// `author` never matches anyone.
bool same_login(std::string_view a, std::string_view b) { return !a.empty() && !b.empty() && iequals(a, b); }

// Same commit. An empty SHA matches nothing, so missing facts never bind an approval.
bool same_sha(std::string_view a, std::string_view b) { return !a.empty() && !b.empty() && iequals(a, b); }

std::string short_sha(std::string_view sha) {
  if (sha.empty()) return "(no commit)";
  return std::string(sha.substr(0, 7));
}

std::string join(const std::vector<std::string>& items, std::string_view last_separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? std::string(last_separator) : std::string(", ");
    out += items[i];
  }
  return out;
}
std::string join_all(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}
std::string join_or(const std::vector<std::string>& items) { return join(items, " or "); }
std::string join_and(const std::vector<std::string>& items) { return join(items, " and "); }
std::string join_comma(const std::vector<std::string>& items) { return join(items, ", "); }

std::string plural(long long n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// "24h", "25h 1s", "90m" reads as "1h 30m".
std::string format_duration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < 0) s = 0;
  const long long h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  std::vector<std::string> parts;
  if (h > 0) parts.push_back(std::to_string(h) + "h");
  if (m > 0) parts.push_back(std::to_string(m) + "m");
  if (sec > 0 || parts.empty()) parts.push_back(std::to_string(sec) + "s");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

bool in_team(const std::vector<std::string>& teams, std::string_view team) {
  return std::any_of(teams.begin(), teams.end(), [&](const std::string& t) {
    std::string_view v = t;
    if (!v.empty() && v.front() == '@') v.remove_prefix(1);  // tolerate "@org/slug" in facts
    return !v.empty() && iequals(v, team);
  });
}

bool went_live(DeploymentState state) {
  return state == DeploymentState::success || state == DeploymentState::inactive;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Permissions and principals
// ---------------------------------------------------------------------------------------------

std::string_view to_string(Permission permission) {
  switch (permission) {
    case Permission::none:
      return "none";
    case Permission::read:
      return "read";
    case Permission::triage:
      return "triage";
    case Permission::write:
      return "write";
    case Permission::maintain:
      return "maintain";
    case Permission::admin:
      return "admin";
  }
  return "none";
}

Result<Permission> parse_permission(std::string_view text) {
  for (Permission p : {Permission::none, Permission::read, Permission::triage, Permission::write, Permission::maintain,
                       Permission::admin}) {
    if (iequals(text, to_string(p))) return p;
  }
  return Error{"invalid_permission", "'" + std::string(text) +
                                         "' is not a GitHub permission: expected none, read, triage, write, "
                                         "maintain or admin"};
}

namespace {
std::string describe_one(const Principal& principal) {
  if (principal.kind == Principal::Kind::permission) {
    return "anyone with " + std::string(to_string(principal.min_permission)) + " permission";
  }
  if (principal.kind == Principal::Kind::team) return "@" + principal.name;
  return principal.name;
}
}  // namespace

std::string describe(const std::vector<Principal>& allowed) {
  if (allowed.empty()) return describe_one(Principal::at_least(Permission::write));
  std::vector<std::string> parts;
  for (const auto& p : allowed) parts.push_back(describe_one(p));
  return join_or(parts);
}

bool is_bot(std::string_view login, bool is_bot_flag) {
  constexpr std::string_view suffix = "[bot]";
  return is_bot_flag || (login.size() >= suffix.size() && iequals(login.substr(login.size() - suffix.size()), suffix));
}

bool admits(const std::vector<Principal>& allowed, const Actor& actor) {
  if (allowed.empty()) return actor.permission >= Permission::write;
  return std::any_of(allowed.begin(), allowed.end(), [&](const Principal& p) {
    switch (p.kind) {
      case Principal::Kind::user:
        return same_login(p.name, actor.login);
      case Principal::Kind::team:
        return in_team(actor.teams, p.name);
      case Principal::Kind::permission:
        return actor.permission >= p.min_permission;
    }
    return false;
  });
}

// ---------------------------------------------------------------------------------------------
// 1. Approval count
// ---------------------------------------------------------------------------------------------

std::string_view to_string(ApprovalSource source) { return source == ApprovalSource::review ? "review" : "comment"; }

namespace {

struct Classified {
  std::string reason;  // empty: counted
  std::string message;
};

// The reasons that depend on this event alone, in precedence order (see policy.hpp).
std::optional<Classified> own_reason(const ApprovalRequest& r, const ApprovalEvent& e) {
  const std::string& u = e.user;
  if (is_bot(u, e.is_bot)) {
    return Classified{"bot_cannot_approve", u + " is a bot; bots never count as approvers, even when listed"};
  }
  if (!r.allow_author && same_login(u, r.author)) {
    return Classified{"author_cannot_approve",
                      u + " wrote the change; authors cannot approve their own change (allow_author: false)"};
  }
  if (!r.allow_author &&
      std::any_of(r.committers.begin(), r.committers.end(), [&](const std::string& c) { return same_login(u, c); })) {
    return Classified{"committer_cannot_approve", u + " committed to the change; committers cannot approve it, "
                                                      "like its author (allow_author: false)"};
  }
  if (same_login(u, r.triggered_by) || std::any_of(r.also_triggered_by.begin(), r.also_triggered_by.end(),
                                                   [&](const std::string& t) { return same_login(u, t); })) {
    return Classified{"triggerer_cannot_approve",
                      u + " triggered this deploy; the person who triggers a deploy cannot approve it"};
  }
  if (!admits(r.approvers, Actor{u, e.permission, e.teams, e.is_bot})) {
    return Classified{"no_permission", u + " (" + std::string(to_string(e.permission)) +
                                           " permission) is not among the approvers: " + describe(r.approvers)};
  }
  if (!same_sha(e.sha, r.sha)) {
    return Classified{"stale_sha", u + " approved " + short_sha(e.sha) + ", not " + short_sha(r.sha) +
                                       " which is under decision; a push invalidates approvals: approve " +
                                       short_sha(r.sha) + " again"};
  }
  if (e.edited) {
    return Classified{"edited", u + "'s approval comment was edited; edited comments never count: post a new "
                                    "/approve"};
  }
  return std::nullopt;
}

// The rules a request is judged by: its own, or the one rule `required` is shorthand for.
std::vector<ApprovalRule> rules_of(const ApprovalRequest& r) {
  if (r.rules.empty()) return {ApprovalRule{"", {}, r.required}};
  for (const auto& rule : r.rules) {
    if (rule.count < 1) {
      throw std::invalid_argument("count_approvals: approval rule '" + rule.name + "' has count " +
                                  std::to_string(rule.count) +
                                  "; it must be >= 1 (config validation should have refused it)");
    }
  }
  return r.rules;
}

std::string describe_counted(const std::vector<CountedApproval>& counted) {
  std::vector<std::string> names;
  for (const auto& c : counted) names.push_back(c.user + " (" + std::string(to_string(c.permission)) + ")");
  return join_and(names);
}

}  // namespace

ApprovalVerdict count_approvals(const ApprovalRequest& request) {
  if (request.required < 0) {
    throw std::invalid_argument("count_approvals: required approvals is " + std::to_string(request.required) +
                                "; it must be >= 0 (config validation should have refused it)");
  }
  const auto& events = request.events;
  std::vector<Classified> status(events.size());
  // Per person (lower-case login): the counted event, and every event a cancel would withdraw.
  std::map<std::string, std::size_t> counted_event;
  std::map<std::string, std::vector<std::size_t>> withdrawable;

  for (std::size_t i = 0; i < events.size(); ++i) {
    const ApprovalEvent& e = events[i];
    if (e.user.empty()) {
      throw std::invalid_argument("count_approvals: approval event '" + e.id + "' has no user login");
    }
    if (e.reject) {  // judged by decide_rejections
      status[i] = {"rejection", ""};
      continue;
    }
    const std::string key = text::to_lower(e.user);
    if (e.cancel) {
      if (!same_sha(e.sha, request.sha)) {
        status[i] = {"cancel", e.user + "'s cancel is for " + short_sha(e.sha) + ", not " + short_sha(request.sha) +
                                   "; it withdraws nothing here"};
        continue;
      }
      auto& withdrawn = withdrawable[key];
      for (std::size_t j : withdrawn) {
        status[j] = {"cancelled",
                     e.user + " withdrew this approval (cancel " + e.id + "); a new /approve counts again"};
      }
      status[i] = {"cancel",
                   withdrawn.empty()
                       ? e.user + " cancelled but had no counted approval of " + short_sha(request.sha) + " to withdraw"
                       : e.user + " withdrew " +
                             plural(static_cast<long long>(withdrawn.size()), "approval", "approvals") + " of " +
                             short_sha(request.sha)};
      withdrawn.clear();
      counted_event.erase(key);
      continue;
    }
    if (auto own = own_reason(request, e)) {
      status[i] = std::move(*own);
      continue;
    }
    withdrawable[key].push_back(i);
    if (auto it = counted_event.find(key); it != counted_event.end()) {
      status[i] = {"duplicate", e.user + " already approved (" + events[it->second].id + "); each person counts once"};
    } else {
      counted_event.emplace(key, i);
      status[i] = {};
    }
  }

  ApprovalVerdict v;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const ApprovalEvent& e = events[i];
    if (e.reject) continue;
    if (status[i].reason.empty()) {
      v.counted.push_back({e.user, e.permission, e.source, e.id});
    } else {
      v.not_counted.push_back({e, status[i].reason, status[i].message});
    }
  }
  const int count = static_cast<int>(v.counted.size());
  const bool with_rules = !request.rules.empty();
  for (const ApprovalRule& rule : rules_of(request)) {
    RuleCount rc;
    rc.name = rule.name;
    rc.from = describe(rule.from.empty() ? request.approvers : rule.from);
    rc.required = rule.count;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const ApprovalEvent& e = events[i];
      // Counted events are one per person already; the rule admits by who they are now.
      if (e.reject || !status[i].reason.empty()) continue;
      if (rule.from.empty() || admits(rule.from, Actor{e.user, e.permission, e.teams, e.is_bot})) {
        rc.approvers.push_back(e.user);
      }
    }
    rc.missing = std::max(0, rc.required - static_cast<int>(rc.approvers.size()));
    rc.met = rc.missing == 0;
    v.missing = std::max(v.missing, rc.missing);
    v.required = std::max(v.required, rc.required);
    v.rules.push_back(std::move(rc));
  }
  if (!with_rules) v.required = request.required;
  v.met = std::all_of(v.rules.begin(), v.rules.end(), [](const RuleCount& rc) { return rc.met; });

  const std::string sha = short_sha(request.sha);
  const std::string rules_text = with_rules ? " (rules: " + describe_rules(v) + ")" : std::string();
  if (v.met) {
    v.outcome = Outcome::allow(
        "approvals_met",
        count == 0
            ? "no approvals required for " + sha
            : "approved by " + describe_counted(v.counted) + ": " + plural(count, "approval", "approvals") +
                  (with_rules ? rules_text : ", " + std::to_string(request.required) + " required") + ", for " + sha);
  } else if (with_rules) {
    const std::string so_far =
        count == 0 ? "no approvals yet for " + sha : "approved by " + describe_counted(v.counted) + " for " + sha;
    v.outcome = Outcome::deny("approvals_missing", so_far + rules_text + "; " + describe_needed(request, v));
  } else {
    const std::string so_far =
        count == 0 ? "no approvals yet for " + sha + " (" + std::to_string(request.required) + " required)"
                   : "approved by " + describe_counted(v.counted) + ": " + std::to_string(count) + " of " +
                         std::to_string(request.required) + " required approvals for " + sha;
    v.outcome = Outcome::deny("approvals_missing", so_far + "; " + describe_needed(request, v));
  }
  return v;
}

std::string describe_rules(const ApprovalVerdict& verdict) {
  if (verdict.rules.size() == 1 && verdict.rules.front().name.empty()) return "";
  std::vector<std::string> parts;
  for (const auto& rc : verdict.rules) {
    parts.push_back((rc.name.empty() ? rc.from : rc.name) + " " + std::to_string(rc.approvers.size()) + "/" +
                    std::to_string(rc.required));
  }
  return join_comma(parts);
}

namespace {
// One clause of describe_needed: `missing` more from `from` (the approvers list, or a rule's).
std::string needed_from(const ApprovalRequest& request, const ApprovalVerdict& verdict,
                        const std::vector<Principal>& from, int missing) {
  const std::string needs = "needs " + plural(missing, "more approval", "more approvals");

  std::vector<Principal> people;  // bots never count, so naming them would mislead
  for (const auto& p : from) {
    if (!(p.kind == Principal::Kind::user && is_bot(p.name, false))) people.push_back(p);
  }
  if (!from.empty() && people.empty()) {
    return needs +
           ", but the approvers list names only bots, which never count: list people, teams or a "
           "permission (write, maintain, admin) in approvers";
  }

  std::vector<std::pair<std::string, std::vector<std::string>>> excluded;  // login, roles
  auto exclude = [&](const std::string& login, const std::string& role) {
    if (login.empty()) return;
    for (auto& [name, roles] : excluded) {
      if (same_login(name, login)) {
        if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
        return;
      }
    }
    excluded.push_back({login, {role}});
  };
  if (!request.allow_author) {
    exclude(request.author, "author");
    for (const auto& c : request.committers) exclude(c, "committer");
  }
  exclude(request.triggered_by, "triggered the deploy");
  for (const auto& t : request.also_triggered_by) exclude(t, "triggered the deploy");
  for (const auto& c : verdict.counted) exclude(c.user, "already approved");

  std::string out = needs + " from " + describe(people);
  if (!excluded.empty()) {
    std::vector<std::string> parts;
    for (const auto& [name, roles] : excluded) parts.push_back(name + " (" + join_comma(roles) + ")");
    out += ", other than " + join_and(parts);
  }
  return out;
}
}  // namespace

std::string describe_needed(const ApprovalRequest& request, const ApprovalVerdict& verdict) {
  if (verdict.missing <= 0) return "";
  if (request.rules.empty()) return needed_from(request, verdict, request.approvers, verdict.missing);
  std::vector<std::string> clauses;
  for (std::size_t i = 0; i < verdict.rules.size() && i < request.rules.size(); ++i) {
    const auto& rc = verdict.rules[i];
    if (rc.met) continue;
    const auto& from = request.rules[i].from.empty() ? request.approvers : request.rules[i].from;
    clauses.push_back((rc.name.empty() ? std::string("rule ") + std::to_string(i + 1) : "rule " + rc.name) + ": " +
                      needed_from(request, verdict, from, rc.missing));
  }
  return join_all(clauses, "; ");
}

// ---------------------------------------------------------------------------------------------
// 1b. Rejections
// ---------------------------------------------------------------------------------------------

RejectionVerdict decide_rejections(const std::vector<ApprovalEvent>& events, const std::vector<Principal>& approvers,
                                   const std::string& sha) {
  RejectionVerdict v;
  auto not_heard = [&](const ApprovalEvent& e, std::string reason, std::string message) {
    v.not_heard.push_back({e, std::move(reason), std::move(message)});
  };
  for (const ApprovalEvent& e : events) {
    if (!e.reject) continue;
    if (e.user.empty()) throw std::invalid_argument("decide_rejections: event '" + e.id + "' has no user login");
    const char* what = e.cancel ? "/reject cancel" : "/reject";
    if (is_bot(e.user, e.is_bot)) {
      not_heard(e, "bot_cannot_reject", e.user + " is a bot; bots can neither reject nor withdraw a rejection");
      continue;
    }
    if (!admits(approvers, Actor{e.user, e.permission, e.teams, e.is_bot})) {
      not_heard(e, "no_permission",
                e.user + " (" + std::string(to_string(e.permission)) + " permission) may not approve, so " + what +
                    " is not theirs to give: " + describe(approvers));
      continue;
    }
    if (!same_sha(e.sha, sha)) {
      not_heard(e, "stale_sha", e.user + "'s " + what + " is for " + short_sha(e.sha) + ", not " + short_sha(sha));
      continue;
    }
    auto mine =
        std::find_if(v.active.begin(), v.active.end(), [&](const Rejection& r) { return same_login(r.user, e.user); });
    if (!e.cancel) {
      if (mine != v.active.end()) v.active.erase(mine);  // the latest reason stands, in its place in time
      v.active.push_back({e.user, e.reason, e.id});
      continue;
    }
    if (e.edited) {
      not_heard(e, "edited",
                e.user + "'s /reject cancel was edited; an edited cancel withdraws nothing: post a new one");
      continue;
    }
    if (mine == v.active.end()) {
      not_heard(e, "nothing_to_cancel",
                e.user + " has no rejection of " + short_sha(sha) + " to withdraw; only the person who rejected can");
      continue;
    }
    v.active.erase(mine);
  }
  if (v.active.empty()) {
    v.outcome = Outcome::allow("not_rejected", "nobody rejected " + short_sha(sha));
    return v;
  }
  std::vector<std::string> parts;
  for (const auto& r : v.active) {
    parts.push_back(r.user + (r.reason.empty() ? std::string(" (no reason given)") : ": \"" + r.reason + "\""));
  }
  v.outcome = Outcome::deny("rejected", short_sha(sha) + " was rejected by " + join_and(parts) +
                                            "; only the person who rejected can withdraw it, with /reject cancel");
  return v;
}

// ---------------------------------------------------------------------------------------------
// 2. Rollback
// ---------------------------------------------------------------------------------------------

std::string_view to_string(DeploymentState state) {
  switch (state) {
    case DeploymentState::success:
      return "success";
    case DeploymentState::failure:
      return "failure";
    case DeploymentState::error:
      return "error";
    case DeploymentState::inactive:
      return "inactive";
    case DeploymentState::in_progress:
      return "in_progress";
  }
  return "in_progress";
}

namespace {

std::string describe_deployment(const DeploymentRecord& d) {
  return d.version + " (deployment " + std::to_string(d.id) + ", " + short_sha(d.sha) + ")";
}

// Versions that went live, newest first, each once; for "which versions could you mean".
std::string live_versions(const std::vector<DeploymentRecord>& sorted) {
  std::vector<std::string> seen;
  for (auto it = sorted.rbegin(); it != sorted.rend() && seen.size() < 5; ++it) {
    if (!went_live(it->state) || !semver::parse_tag(it->version)) continue;
    if (std::find(seen.begin(), seen.end(), it->version) == seen.end()) seen.push_back(it->version);
  }
  return seen.empty() ? "none" : join_comma(seen);
}

}  // namespace

RollbackDecision decide_rollback(const RollbackRequest& request) {
  const RollbackPolicy& policy = request.policy;
  if (policy.window < std::chrono::seconds{0}) {
    throw std::invalid_argument("decide_rollback: rollback window is negative (" +
                                std::to_string(policy.window.count()) + "s); config validation should have refused it");
  }
  const Actor& user = request.user;
  const std::string& env = request.environment;
  RollbackDecision d;

  // A bot the policy names by login (deploy-bot, which checked the person who asked) is the one
  // exception: the config trusts it by name. Any other bot is refused.
  const bool named_bot = std::any_of(policy.allowed.begin(), policy.allowed.end(), [&](const Principal& p) {
    return p.kind == Principal::Kind::user && same_login(p.name, user.login);
  });
  if (is_bot(user.login, user.is_bot) && !named_bot) {
    d.outcome = Outcome::deny("bot_cannot_rollback", user.login + " is a bot; bots cannot roll back " + env +
                                                         " unless rollback.allowed names it by login");
    return d;
  }
  if (!admits(policy.allowed, user)) {
    d.outcome = Outcome::deny("no_permission", user.login + " (" + std::string(to_string(user.permission)) +
                                                   " permission) may not roll back " + env + ": allowed are " +
                                                   describe(policy.allowed));
    return d;
  }

  std::vector<DeploymentRecord> sorted = request.history;
  std::stable_sort(sorted.begin(), sorted.end(), [](const DeploymentRecord& a, const DeploymentRecord& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  auto current_it = std::find_if(sorted.rbegin(), sorted.rend(),
                                 [](const DeploymentRecord& r) { return r.state == DeploymentState::success; });
  if (current_it == sorted.rend()) {
    d.outcome = Outcome::deny("nothing_deployed", env + " has no successful deployment to roll back from");
    return d;
  }
  const DeploymentRecord& current = *current_it;
  d.current = current;
  const auto current_version = semver::parse_tag(current.version);
  auto is_current = [&](const semver::Version& v, const DeploymentRecord& r) {
    return (current_version && v == *current_version) || same_sha(r.sha, current.sha);
  };

  const DeploymentRecord* target = nullptr;
  semver::Version target_version;
  if (request.version) {
    const semver::Version& wanted = *request.version;
    if (current_version && wanted == *current_version) {
      d.outcome = Outcome::deny("already_current", wanted.to_string() + " is already the current version of " + env +
                                                       ": " + describe_deployment(current));
      return d;
    }
    for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
      if (!went_live(it->state)) continue;
      auto v = semver::parse_tag(it->version);
      if (v && *v == wanted) {
        target = &*it;
        target_version = *v;
        break;
      }
    }
    if (target == nullptr) {
      d.outcome =
          Outcome::deny("version_never_deployed", wanted.to_string() + " never went live in " + env +
                                                      "; versions that did, newest first: " + live_versions(sorted));
      return d;
    }
    if (same_sha(target->sha, current.sha)) {
      d.outcome = Outcome::deny("already_current", wanted.to_string() + " is the same commit (" +
                                                       short_sha(current.sha) + ") as the current deployment of " +
                                                       env + ": " + describe_deployment(current));
      return d;
    }
  } else {
    // current_it is a reverse iterator: the deployments before the current one are after it.
    for (auto it = std::next(current_it); it != sorted.rend(); ++it) {
      if (!went_live(it->state)) continue;
      auto v = semver::parse_tag(it->version);
      if (!v || is_current(*v, *it)) continue;
      // Never forward: after v1.0 -> v1.1 -> /rollback (v1.0 again), the deployment of v1.1 is
      // "before the current one" in time but newer, and rolling "back" to it would undo the
      // rollback. Equal precedence (1.3.0+a vs 1.3.0) is not older either. A current version that
      // is not semver (a branch deploy) cannot be compared: then time order alone decides.
      if (current_version && !(*v < *current_version)) continue;
      target = &*it;
      target_version = *v;
      break;
    }
    if (target == nullptr) {
      d.outcome = Outcome::deny("no_previous_version",
                                env +
                                    " has no earlier successful deployment of an older version to roll back to "
                                    "from " +
                                    describe_deployment(current) + "; to go elsewhere, name the version");
      return d;
    }
  }
  d.target = RollbackTarget{target_version, target->sha, target->id};

  if (policy.window > std::chrono::seconds{0}) {
    const auto elapsed = request.now - current.created_at;
    if (elapsed > policy.window) {
      d.needs_approval = policy.outside_window == OutsideWindow::require_approval;
      d.outcome = Outcome::deny(
          "outside_rollback_window",
          "rollbacks of " + env + " are allowed within " + format_duration(policy.window) +
              " of the current deployment " + describe_deployment(current) + ", which was created " +
              format_duration(std::chrono::duration_cast<std::chrono::seconds>(elapsed)) + " ago" +
              (d.needs_approval ? "; outside the window a rollback needs approval first"
                                : "; outside the window rollbacks are denied (rollback.outside_window: deny)"));
      return d;
    }
  }
  d.outcome =
      Outcome::allow("rollback_allowed", user.login + " may roll back " + env + " from " +
                                             describe_deployment(current) + " to " + describe_deployment(*target));
  return d;
}

// ---------------------------------------------------------------------------------------------
// 3. Gates
// ---------------------------------------------------------------------------------------------

GateReport evaluate_gates(const std::vector<Gate>& gates) {
  GateReport report;
  for (const Gate& gate : gates) {
    Outcome outcome;
    try {
      outcome = gate.check();
    } catch (const std::exception& e) {
      outcome = Outcome::deny("gate_error", "gate " + gate.name + " failed to decide: " + e.what());
    }
    report.allowed = report.allowed && outcome.allowed;
    report.results.push_back({gate.name, std::move(outcome)});
  }
  return report;
}

ReviewedChangesResult check_reviewed_changes(const ReleaseChanges& changes, int required) {
  ReviewedChangesResult result;
  std::vector<std::string> unreviewed;
  for (const PullRequest& pr : changes.pulls) {
    // Latest deciding review per reviewer (lower-case login), in first-review order.
    std::vector<std::string> order;
    std::map<std::string, const Review*> latest;
    for (const Review& r : pr.reviews) {
      const std::string key = text::to_lower(r.user);
      if (std::find(order.begin(), order.end(), key) == order.end()) order.push_back(key);
      switch (r.state) {
        case ReviewState::approved:
        case ReviewState::changes_requested:
          latest[key] = &r;
          break;
        case ReviewState::dismissed:
          latest[key] = nullptr;
          break;
        case ReviewState::commented:
          break;
      }
    }
    PullRequestResult pr_result;
    pr_result.number = pr.number;
    std::vector<std::string> stale;
    for (const std::string& key : order) {
      const Review* r = latest[key];
      if (r == nullptr || r->state != ReviewState::approved) continue;
      if (is_bot(r->user, r->is_bot) || same_login(r->user, pr.author)) continue;
      if (!same_sha(r->commit_id, pr.head_sha)) {
        stale.push_back(r->user + " approved " + short_sha(r->commit_id) + ", not the head " + short_sha(pr.head_sha));
        continue;
      }
      pr_result.approvers.push_back(r->user);
    }
    const int count = static_cast<int>(pr_result.approvers.size());
    const std::string pr_name = "#" + std::to_string(pr.number);
    std::string message = pr_name + ": " + plural(count, "approving review", "approving reviews") +
                          (count > 0 ? " (" + join_and(pr_result.approvers) + ")" : "") + ", " +
                          std::to_string(std::max(0, required)) + " required";
    if (!stale.empty()) message += "; " + join_comma(stale);
    if (count >= required) {
      pr_result.outcome = Outcome::allow("change_reviewed", message);
    } else {
      pr_result.outcome = Outcome::deny("unreviewed_change", message);
      unreviewed.push_back(pr_name + " (" + std::to_string(count) + " of " + std::to_string(required) + ")");
    }
    result.pulls.push_back(std::move(pr_result));
  }

  if (unreviewed.empty() && changes.direct_commits.empty()) {
    result.outcome = Outcome::allow(
        "changes_reviewed",
        changes.pulls.empty()
            ? "no changes in this release"
            : "every pull request has at least " +
                  plural(std::max(0, required), "approving review", "approving reviews") + " (" +
                  plural(static_cast<long long>(changes.pulls.size()), "pull request", "pull requests") + ")");
    return result;
  }
  std::vector<std::string> problems;
  if (!unreviewed.empty())
    problems.push_back("pull requests without enough approving reviews: " + join_comma(unreviewed));
  if (!changes.direct_commits.empty()) {
    std::vector<std::string> shas;
    for (const auto& c : changes.direct_commits) shas.push_back(short_sha(c));
    problems.push_back("commits pushed without a pull request: " + join_comma(shas));
  }
  result.outcome =
      Outcome::deny("unreviewed_change", "unreviewed changes in this release: " + join_all(problems, "; "));
  return result;
}

CheckState check_state_of_status(std::string_view state) {
  if (state == "success") return CheckState::success;
  if (state == "failure") return CheckState::failure;
  if (state == "error") return CheckState::error;
  return CheckState::pending;
}

CheckState check_state_of_run(std::string_view status, std::string_view conclusion) {
  if (status != "completed") return CheckState::pending;
  if (conclusion == "success") return CheckState::success;
  if (conclusion == "neutral") return CheckState::neutral;
  if (conclusion == "skipped") return CheckState::skipped;
  return CheckState::failure;  // failure, cancelled, timed_out, action_required, stale, or unknown
}

RequiredChecksResult check_required_checks(const std::vector<std::string>& required,
                                           const std::vector<CheckObservation>& observed) {
  std::map<std::string, CheckState> last;
  for (const auto& o : observed) last[o.name] = o.state;

  RequiredChecksResult r;
  std::vector<std::string> seen;
  for (const auto& name : required) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    auto it = last.find(name);
    if (it == last.end()) {
      r.missing.push_back(name);
      continue;
    }
    switch (it->second) {
      case CheckState::success:
      case CheckState::neutral:
      case CheckState::skipped:
        break;
      case CheckState::failure:
      case CheckState::error:
        r.failed.push_back(name);
        break;
      case CheckState::pending:
        r.pending.push_back(name);
        break;
    }
  }
  if (r.failed.empty() && r.missing.empty() && r.pending.empty()) {
    const std::string message = seen.empty()       ? "no required checks"
                                : seen.size() == 1 ? "the required check " + seen.front() + " passed"
                                                   : "all " + std::to_string(seen.size()) + " required checks passed";
    r.outcome = Outcome::allow("checks_passed", message);
    return r;
  }
  std::vector<std::string> problems;
  if (!r.failed.empty()) problems.push_back("failed: " + join_comma(r.failed));
  if (!r.missing.empty()) problems.push_back("missing (never reported): " + join_comma(r.missing));
  if (!r.pending.empty()) problems.push_back("pending: " + join_comma(r.pending));
  const std::string reason = !r.failed.empty()    ? "check_failed"
                             : !r.missing.empty() ? "check_missing"
                                                  : "check_pending";
  r.outcome = Outcome::deny(reason, "required checks not passed: " + join_all(problems, "; "));
  return r;
}

std::string_view to_string(RunInFlight::Kind kind) {
  return kind == RunInFlight::Kind::rollback ? "rollback" : "deploy";
}

Outcome decide_rollback_start(const std::string& environment, const std::vector<RunInFlight>& runs,
                              std::chrono::system_clock::time_point now) {
  auto counts = [&](const RunInFlight& run) {
    switch (run.state) {
      case RunInFlight::State::completed:
        return false;
      case RunInFlight::State::unknown:
        return now - run.since <= kUnnamedDispatchTime;
      case RunInFlight::State::queued:
      case RunInFlight::State::in_progress:
        return now - run.since <= kMaxRunTime;
    }
    return false;
  };
  // A rollback in flight is named first: it is what a second /rollback most likely repeats.
  for (const auto kind : {RunInFlight::Kind::rollback, RunInFlight::Kind::deploy}) {
    for (const auto& run : runs) {
      if (run.kind != kind || !counts(run)) continue;
      const std::string what = std::string(to_string(kind));
      const std::string state = run.state == RunInFlight::State::in_progress ? "running" : "queued";
      return Outcome::deny(what + "_in_progress",
                           "a " + what + " of `" + environment + "` is already in progress (" + state + ")" +
                               (run.url.empty() ? std::string() : ": " + run.url) +
                               "; one rollback at a time: wait for it to finish, then ask again if it is still needed");
    }
  }
  return Outcome::allow("no_run_in_progress", "no deploy or rollback of `" + environment + "` is queued or running");
}

// ---------------------------------------------------------------------------------------------
// 4. The action's run
// ---------------------------------------------------------------------------------------------

RollbackGate decide_rollback_gate(const RollbackDecision& decision, int approvals_required, const std::string& tag,
                                  const std::string& sha) {
  RollbackGate gate;
  if (decision.outcome.allowed) {
    gate = {decision.outcome, true};
  } else if (decision.needs_approval && approvals_required > 0) {
    gate.outcome = Outcome::allow("rollback_needs_approvals",
                                  "outside the rollback window: this rollback needs the environment's approvals");
  } else {
    gate.outcome = decision.outcome;
  }
  if (decision.target && !decision.target->sha.empty() && !text::iequals(decision.target->sha, sha)) {
    gate.outcome = Outcome::deny("tag_moved", tag + " points at " + sha.substr(0, 7) + " but " + tag +
                                                  " went live here as " + decision.target->sha.substr(0, 7) +
                                                  "; a moved tag is not a rollback: deploy it as a new release, or "
                                                  "restore the tag");
    gate.skip_approvals = false;
  }
  return gate;
}

std::string_view to_string(UnmetGates unmet) {
  switch (unmet) {
    case UnmetGates::blocked:
      return "blocked";
    case UnmetGates::skipped:
      return "skipped";
    case UnmetGates::error:
      return "error";
  }
  return "blocked";
}

UnmetGates when_gates_unmet(bool skip_when_unapproved, bool gate_error) {
  if (gate_error) return UnmetGates::error;
  return skip_when_unapproved ? UnmetGates::skipped : UnmetGates::blocked;
}

DeploymentState final_deployment_state(bool went_live, bool cancelled) {
  if (went_live) return DeploymentState::success;
  return cancelled ? DeploymentState::error : DeploymentState::failure;
}

}  // namespace deploy::policy
