#include "action/steps/steps.hpp"
#include "core/text/text.hpp"

namespace deploy::action {

GateResults evaluate_gates(const RunRecord& record, const Connection& github, const Clock& clock, const RunLog& log) {
  const auto& in = record.inputs;
  const auto& rollback_gate = record.rollback_gate;
  GateContext context{record.config->environment,
                      record.release->release,
                      *record.plan,
                      in.actor,
                      {},
                      record.mode == RunMode::rollback,
                      rollback_gate && rollback_gate->skip_approvals,
                      record.tracking_issue ? std::optional(record.tracking_issue->number) : std::nullopt,
                      std::chrono::floor<std::chrono::seconds>(clock.now()),
                      in.freeze_override_reason};
  if (!in.workflow_actor.empty() && !text::iequals(in.workflow_actor, in.actor)) {
    context.also_triggered_by.push_back(in.workflow_actor);
  }
  GateResults gates = evaluate_release_gates(github.github(), github.repo, context);
  if (rollback_gate) {
    gates.report.results.insert(gates.report.results.begin(), policy::GateResult{"rollback", rollback_gate->outcome});
    gates.report.allowed = gates.report.allowed && rollback_gate->outcome.allowed;
  }
  for (const auto& gate : gates.report.results) {
    log.print(std::string(gate.outcome.allowed ? "  pass  " : "  FAIL  ") + gate.gate + ": " + gate.outcome.message);
  }
  if (gates.approvals) {
    for (const auto& rule : gates.approvals->rules) {
      if (rule.name.empty() && gates.approvals->rules.size() == 1) break;  // n of N said it all
      log.print(std::string("        rule ") + (rule.name.empty() ? rule.from : rule.name) + ": " +
                std::to_string(rule.approvers.size()) + "/" + std::to_string(rule.required) +
                (rule.met ? "" : " (not met)"));
    }
    for (const auto& refused : gates.approvals->not_counted) {
      log.print("        not counted: " + refused.event.user + ": " + refused.message);
    }
  }
  if (gates.rejections) {
    for (const auto& ignored : gates.rejections->not_heard) {
      log.print("        /reject not heard: " + ignored.event.user + ": " + ignored.message);
    }
  }
  return gates;
}

}  // namespace deploy::action
