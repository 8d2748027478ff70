#include "core/policy/freeze.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/policy/from_config.hpp"
#include "core/rfc3339/rfc3339.hpp"

namespace deploy::policy {

const freeze::Occurrence& longest(const std::vector<freeze::Occurrence>& frozen) {
  if (frozen.empty()) throw std::invalid_argument("longest: no freeze window");
  return *std::max_element(frozen.begin(), frozen.end(),
                           [](const freeze::Occurrence& a, const freeze::Occurrence& b) { return a.end < b.end; });
}

std::string describe_frozen(const std::vector<freeze::Occurrence>& frozen) {
  std::string out;
  for (const auto& o : frozen) {
    out += (out.empty() ? "" : ", ") + std::string("'") + o.name + "' (" + rfc3339::format_seconds(o.start) + " to " +
           rfc3339::format_seconds(o.end) + ")";
  }
  return out;
}

Outcome decide_freeze(const FreezeCheck& check) {
  if (check.frozen.empty()) return Outcome::allow("not_frozen", "no freeze window holds this time");
  const auto& last = longest(check.frozen);
  const std::string where =
      "deploys are frozen by " + describe_frozen(check.frozen) + ", until " + rfc3339::format_seconds(last.end);
  if (!check.override_approvals) {
    return Outcome::deny("frozen", where + "; this freeze cannot be overridden (no override rule in freeze.override)");
  }
  if (check.override_reason.empty()) {
    return Outcome::deny("frozen", where + "; to deploy anyway, give a reason (input freeze-override-reason) and " +
                                       "approvals: " + describe_rules(*check.override_approvals));
  }
  if (!check.override_approvals->met) {
    return Outcome::deny("freeze_override_unapproved",
                         where + "; the override (\"" + check.override_reason +
                             "\") needs approvals: " + describe_rules(*check.override_approvals));
  }
  return Outcome::allow("freeze_overridden", where + "; overridden (\"" + check.override_reason +
                                                 "\"), approved: " + describe_rules(*check.override_approvals));
}

FreezeVerdict judge_freeze(const config::Environment& environment, const std::vector<freeze::Window>& windows,
                           freeze::Seconds now, const std::string& override_reason, ApprovalRequest approvals) {
  FreezeVerdict v;
  v.frozen = freeze::frozen_at(windows, now);
  if (!v.frozen.empty()) {
    std::vector<std::string> names;
    for (const auto& o : v.frozen) names.push_back(o.name);
    if (auto rules = override_rules(environment, names)) {
      approvals.rules = std::move(*rules);
      v.override_approvals = count_approvals(approvals);
    }
  }
  v.outcome = decide_freeze({v.frozen, override_reason, v.override_approvals});
  return v;
}

}  // namespace deploy::policy
