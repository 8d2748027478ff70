#include "action/audit_record.hpp"
#include "action/steps/steps.hpp"

namespace deploy::action {

// A refused run is recorded too, anchored to the environment's chain head but outside the chain
// of deployments (nothing on GitHub links to it): verify it alone with --anchor.
std::string record_refusal(const RunEnding& end, RunStatus status, const std::string& message,
                           const std::string& refusal_reason) {
  const auto& run = end.record;
  const auto& gates = gate_results(run);
  const std::string reason = !gates.report.results.empty() ? first_refusal(gates).reason
                             : !refusal_reason.empty()     ? refusal_reason
                                                           : std::string(to_string(status));
  auto record = make_record(run, status == RunStatus::cancelled ? audit::Status::cancelled : audit::Status::refused,
                            reason, message, end.clock.now());
  auto written = write_run_record(run, record, audit_dir(run.inputs) / "refused");
  if (!written) {
    end.log.annotate(runner::AnnotationLevel::warning, written.error().message);
    return {};
  }
  return audit_file_output(run.inputs, written->file);
}

}  // namespace deploy::action
