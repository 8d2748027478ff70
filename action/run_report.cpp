#include "action/run_report.hpp"

#include <iostream>

#include "core/engine/summary.hpp"
#include "core/notify/notify.hpp"
#include "core/runner/files.hpp"

namespace deploy::action {

void RunReport::output(const std::string& name, const std::string& value) {
  auto written = runner::write_file_command(env_, runner::FileCommand::output, name, value, random_);
  if (!written) {
    std::cout << runner::annotation_command(runner::AnnotationLevel::warning,
                                            "output '" + name + "' not written: " + written.error().message)
              << std::endl;
  }
}

void RunReport::outputs(const RunRecord& run, RunStatus status, const std::string& audit_file) {
  output("status", std::string(to_string(status)));
  if (run.engine) output("rolled-back", run.engine->rolled_back ? "true" : "false");
  output("version", version_text(run));
  output("previous-version", previous_version(run));
  output("deployment-id", deployment_id(run));
  output("audit-file", audit_file);
  output("sha", release_sha(run));
  output("tracking-issue", tracking_issue_url(run));
}

void RunReport::summary(const RunRecord& run, RunStatus status, const std::string& message,
                        std::chrono::system_clock::time_point finished) {
  const auto& gates = gate_results(run);
  engine::RunSummary view;
  view.environment = run.inputs.environment;
  view.mode = std::string(to_string(run.mode));
  view.version = version_text(run);
  view.sha = release_sha(run);
  view.previous_version = previous_version(run);
  view.status = std::string(to_string(status));
  view.message = message;
  view.run_url = run.inputs.run_url();
  view.environment_url = run.config ? run.config->environment.url : "";
  view.tracking_issue_url = tracking_issue_url(run);
  view.requested_by = run.inputs.requester.login;
  view.request_url = run.inputs.requester.url;
  view.gates = engine::gates_from(gates.report);
  if (gates.approvals) view.approvers = engine::approvers_from(*gates.approvals);
  for (auto& gate : view.gates) {
    if (gate.name != "approvals") continue;
    if (!gate.allowed && !gates.needed.empty()) gate.message += "; " + gates.needed;
    // Refusals say why, so the person whose approval did not count knows what to do.
    if (gates.approvals) {
      for (const auto& refused : gates.approvals->not_counted) gate.message += "; not counted: " + refused.message;
    }
  }
  view.report = run.engine ? &*run.engine : nullptr;
  if (run.release) view.changelog = engine::changes_from(run.release->release);
  view.started = run.started;
  view.finished = finished;
  runner::append_step_summary(env_, engine::render_markdown(view));
}

void RunReport::notify(const RunRecord& run, config::Event event_kind, std::string_view status,
                       const std::string& message) {
  notify::Event event;
  event.kind = event_kind;
  event.environment = run.inputs.environment;
  event.version = version_text(run);
  event.sha = release_sha(run);
  event.previous_version = previous_version(run);
  event.status = std::string(status);
  event.message = message;
  event.run_url = run.inputs.run_url();
  event.actor = run.inputs.actor;
  event.repository = run.inputs.owner + "/" + run.inputs.repo;
  if (!notifications_) {
    notifications_ = std::make_unique<notify::Queue>(std::make_unique<http::Client>(notify::client_options()));
  }
  notifications_->post(run.config->config.notifications, event, [this](const std::string& name) { return env_(name); });
}

void RunReport::wait_for_notifications() {
  if (!notifications_) return;
  const auto queue = std::move(notifications_);
  for (const auto& delivery : queue->finish(kNotificationBudget)) {
    if (!delivery.ok) {
      // A notification that did not arrive never fails the deploy; it is said, as a warning. The
      // error names the target and the variable, never the URL.
      std::cout << runner::annotation_command(runner::AnnotationLevel::warning,
                                              "notification " + delivery.target + " not delivered: " + delivery.error)
                << std::endl;
    }
  }
}

}  // namespace deploy::action
