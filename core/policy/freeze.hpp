// Freeze windows as a gate: a deploy inside one is refused, naming the window and when it ends,
// unless it is overridden with a reason and the approvals the window's override rule asks for.
// The action and the bot call this with the same windows (core/freeze) and the same count.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/freeze/window.hpp"
#include "core/outcome.hpp"
#include "core/policy/policy.hpp"

namespace deploy::policy {

struct FreezeCheck {
  std::vector<freeze::Occurrence> frozen;  // the windows holding the time of the deploy
  std::string override_reason;             // empty: no override asked for
  // The approvals of the commit counted against the override rules of the windows in `frozen`;
  // nullopt when one of them cannot be overridden (no override rule configured).
  std::optional<ApprovalVerdict> override_approvals;
};

// Reason codes:
//   not_frozen                  allowed: no window holds the time
//   frozen                      refused: inside a window (the latest-ending is named, with its end),
//                               and no override was asked for, or none is possible
//   freeze_override_unapproved  refused: an override was asked for but its approvals are missing
//   freeze_overridden           allowed: overridden with a reason and the override's approvals
Outcome decide_freeze(const FreezeCheck& check);

// The freeze gate as both programs run it: the windows holding `now`, and when an override is asked
// for (or possible), the approvals of `approvals` (the request the approvals gate counts: same
// events, same exclusions) counted against the override rules of those windows instead of the
// environment's approval rules.
struct FreezeVerdict {
  Outcome outcome;
  std::vector<freeze::Occurrence> frozen;
  std::optional<ApprovalVerdict> override_approvals;
};
FreezeVerdict judge_freeze(const config::Environment& environment, const std::vector<freeze::Window>& windows,
                           freeze::Seconds now, const std::string& override_reason, ApprovalRequest approvals);

// The window that keeps a deploy out longest (the latest end), for messages.
const freeze::Occurrence& longest(const std::vector<freeze::Occurrence>& frozen);

// "frozen by 'year-end' (2026-12-20T00:00:00Z to 2027-01-04T00:00:00Z)" for every window.
std::string describe_frozen(const std::vector<freeze::Occurrence>& frozen);

}  // namespace deploy::policy
