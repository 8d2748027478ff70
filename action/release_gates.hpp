// The gates a release passes before any stage runs, each a small function over facts read from
// GitHub (core/github_facts), composed as a list and evaluated by core/policy:
//   trigger           the ref is one the environment's `on:` allows
//   approvals         N distinct authorised approvals bound to the release commit (or every one of
//                     approvals.rules), counted per rule
//   rejection         no /reject of the release commit stands (read from the same comments)
//   freeze            not inside a freeze window, unless overridden with a reason and the window's
//                     override approvals (deploys only: a rollback is how a freeze's incident ends)
//   reviewed_changes  every pull request merged since the previous release was reviewed
//   required_checks   the commit's required statuses are green
// A gate that does not apply (no approvals required, no checks listed) is left out of the list.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/plan/plan.hpp"
#include "core/policy/freeze.hpp"
#include "core/policy/policy.hpp"
#include "core/release/release.hpp"

namespace deploy::action {

struct GateContext {
  const config::Environment& environment;
  const release::Release& release;
  const plan::Plan& plan;
  std::string actor;                           // who triggered the run: never counts as an approver
  std::vector<std::string> also_triggered_by;  // who else set it going (a re-run's original actor)
  bool rollback = false;                       // reviewed changes were checked when the version first shipped
  bool skip_approvals = false;                 // a rollback the rollback policy allows without approvals
  std::optional<int> tracking_issue;           // where /approve comments for a tag release are read
  freeze::Seconds now;                         // the time the freeze windows are judged at
  std::string freeze_override_reason;          // input freeze-override-reason; empty: no override asked
};

struct GateResults {
  policy::GateReport report;
  bool gate_error = false;  // a gate could not be evaluated (GitHub failed): not a refusal to skip
  std::optional<policy::ApprovalVerdict> approvals;  // when the approvals gate ran
  std::string needed;  // who could still approve, for people; empty when nothing is missing
  std::optional<policy::RejectionVerdict> rejections;  // when the rejection gate ran
  std::optional<policy::FreezeVerdict> freeze;         // when the freeze gate ran
  std::string freeze_override_reason;                  // as asked, when the freeze gate ran
};

GateResults evaluate_release_gates(github::Client& client, const github::Repo& repo, const GateContext& context);

}  // namespace deploy::action
