#include "action/steps/steps.hpp"

namespace deploy::action {

int end_stopped(const RunEnding& end, const Stop& stop) {
  const auto& run = end.record;
  end.log.annotate(runner::AnnotationLevel::error, stop.message);
  if (end.deployment && !end.deployment->final_status_set()) {
    // A deployment left in_progress would show as running forever.
    try {
      end.deployment->status("error", github::short_description(stop.message));
    } catch (const std::exception& error) {
      end.log.annotate(runner::AnnotationLevel::warning,
                       std::string("could not mark the deployment as failed: ") + error.what());
    }
  }
  std::string audit_file;
  if (stop.status == RunStatus::refused || stop.status == RunStatus::cancelled) {
    audit_file = record_refusal(end, stop.status, stop.message, stop.reason);
  }
  end.report.outputs(run, stop.status, audit_file);
  end.report.summary(run, stop.status, stop.message, end.clock.now());
  end.report.wait_for_notifications();
  return 1;
}

}  // namespace deploy::action
