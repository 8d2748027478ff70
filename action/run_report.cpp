#include "action/run_report.hpp"

#include <iostream>

#include "core/deploy_summary.hpp"
#include "core/notify.hpp"
#include "core/runner_files.hpp"

namespace deploy::action {

void RunReport::output(const std::string& name, const std::string& value) {
  auto written = runner::write_file_command(env_, runner::FileCommand::output, name, value, random_);
  if (!written) {
    std::cout << runner::annotation_command(runner::AnnotationLevel::warning,
                                            "output '" + name + "' not written: " + written.error().message)
              << std::endl;
  }
}

void RunReport::common_outputs(const OutputFacts& facts) {
  output("version", facts.version);
  output("previous-version", facts.previous_version);
  output("deployment-id", facts.deployment_id);
  output("audit-file", facts.audit_file);
  output("sha", facts.sha);
  output("tracking-issue", facts.tracking_issue_url);
}

void RunReport::summary(const RunSummaryFacts& facts, const engine::Report* report) {
  summary::RunSummary run;
  run.environment = facts.environment;
  run.mode = facts.mode;
  run.version = facts.version;
  run.sha = facts.sha;
  run.previous_version = facts.previous_version;
  run.status = facts.status;
  run.message = facts.message;
  run.run_url = facts.run_url;
  run.environment_url = facts.environment_url;
  run.tracking_issue_url = facts.tracking_issue_url;
  run.requested_by = facts.requester.login;
  run.request_url = facts.requester.url;
  run.gates = summary::gates_from(facts.gates);
  if (facts.approvals) run.approvers = summary::approvers_from(*facts.approvals);
  for (auto& gate : run.gates) {
    if (gate.name != "approvals") continue;
    if (!gate.allowed && !facts.needed.empty()) gate.message += "; " + facts.needed;
    // Refusals say why, so the person whose approval did not count knows what to do.
    if (facts.approvals) {
      for (const auto& refused : facts.approvals->not_counted) gate.message += "; not counted: " + refused.message;
    }
  }
  run.report = report;
  run.changelog = facts.changelog;
  run.started = facts.started;
  run.finished = facts.finished;
  runner::append_step_summary(env_, summary::render_markdown(run));
}

void RunReport::notify(const config::Config& config, const NotificationFacts& facts) {
  notify::Event event;
  event.kind = facts.event;
  event.environment = facts.environment;
  event.version = facts.version;
  event.sha = facts.sha;
  event.previous_version = facts.previous_version;
  event.status = facts.status;
  event.message = facts.message;
  event.run_url = facts.run_url;
  event.actor = facts.actor;
  event.repository = facts.repository;
  if (!notifications_) {
    notifications_ = std::make_unique<notify::Queue>(std::make_unique<http::Client>(notify::client_options()));
  }
  notifications_->post(config.notifications, event, [this](const std::string& name) { return env_(name); });
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
