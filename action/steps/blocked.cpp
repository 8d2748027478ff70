#include "action/steps/steps.hpp"

namespace deploy::action {
namespace {

// What the tracking issue says is missing, for the people who can approve.
std::string missing_text(const GateResults& gates) {
  std::string missing;
  for (const auto& gate : gates.report.results) {
    if (!gate.outcome.allowed) missing += "- **" + gate.gate + "**: " + gate.outcome.message + "\n";
  }
  if (!gates.needed.empty()) missing += "\nStill needed: " + gates.needed + "\n";
  if (gates.approvals && !gates.approvals->not_counted.empty()) {
    missing += "\nNot counted:\n";
    for (const auto& refused : gates.approvals->not_counted) missing += "- " + refused.message + "\n";
  }
  return missing;
}

void comment_on_tracking_issue(const RunEnding& end) {
  const auto& run = end.record;
  if (!run.tracking_issue || !end.github) return;
  const auto& release = run.release->release;
  const auto& environment = run.inputs.environment;
  try {
    github::post_keyed_comment(end.github->github(), end.github->repo, run.tracking_issue->number,
                               "gates/" + environment + "/" + release.sha,
                               "**" + release.tag + "** is waiting to deploy to **" + environment + "**:\n\n" +
                                   missing_text(*run.gates) + "\nComment `/approve` here to approve this commit.");
  } catch (const std::exception& error) {
    end.log.annotate(runner::AnnotationLevel::warning,
                     std::string("could not comment on the tracking issue: ") + error.what());
  }
}

}  // namespace

int end_blocked(const RunEnding& end) {
  const auto& run = end.record;
  const auto unmet = policy::when_gates_unmet(run.inputs.on_unapproved == OnUnapproved::skip, run.gates->gate_error);
  const RunStatus status = run_status(unmet);
  const std::string message = "not deployed: " + first_refusal(*run.gates).message;
  comment_on_tracking_issue(end);
  const bool skipped = unmet == policy::UnmetGates::skipped;
  end.log.annotate(skipped ? runner::AnnotationLevel::notice : runner::AnnotationLevel::error, message);
  const std::string audit_file = record_refusal(end, RunStatus::refused, message, "");
  end.report.outputs(run, status, audit_file);
  end.report.summary(run, status, message, end.clock.now());
  return skipped ? 0 : 1;
}

}  // namespace deploy::action
