// How a run reports to the people watching it: step outputs (GITHUB_OUTPUT), the step summary
// (core/deploy_summary), and notifications (core/notify; a failed one is a warning, never a failed
// deploy). Notifications go out in the background (core/notify_queue): the run waits for them once,
// at its end, in wait_for_notifications.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/deploy_engine.hpp"
#include "core/deploy_summary.hpp"
#include "core/notify_queue.hpp"
#include "core/policy.hpp"
#include "core/release.hpp"
#include "core/requester.hpp"
#include "core/runner.hpp"

namespace deploy::action {

struct OutputFacts {
  std::string version;
  std::string previous_version;
  std::string deployment_id;
  std::string audit_file;
  std::string sha;
  std::string tracking_issue_url;
};

struct RunSummaryFacts {
  std::string environment, mode, version, sha, previous_version;
  std::string status, message;
  std::string run_url, environment_url, tracking_issue_url;
  requester::Requester requester;
  policy::GateReport gates;
  std::optional<policy::ApprovalVerdict> approvals;
  std::string needed;
  std::vector<summary::Change> changelog;
  std::chrono::system_clock::time_point started, finished;
};

struct NotificationFacts {
  config::Event event = config::Event::started;
  std::string environment, version, sha, previous_version, status, message, run_url, actor, repository;
};

class RunReport {
 public:
  RunReport(const runner::Environment& env, const RandomSource& random) : env_(env), random_(random) {}

  void output(const std::string& name, const std::string& value);
  void common_outputs(const OutputFacts& facts);
  void summary(const RunSummaryFacts& facts, const engine::Report* report);
  // Queues the notification and returns at once.
  void notify(const config::Config& config, const NotificationFacts& facts);
  // Waits for the notifications still being sent, at most kNotificationBudget, and prints a warning
  // for each one not delivered (abandoned ones included). Call once, at the end of the run; a later
  // notify() starts over.
  void wait_for_notifications();

  // How long the end of a run may wait for its notifications: they never fail a deploy, so they
  // must not hold one up for long either.
  static constexpr std::chrono::seconds kNotificationBudget{10};

 private:
  const runner::Environment& env_;
  const RandomSource& random_;
  std::unique_ptr<notify::Queue> notifications_;  // from the first notify() to wait_for_notifications()
};

}  // namespace deploy::action
