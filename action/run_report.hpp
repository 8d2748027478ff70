// How a run reports to the people watching it, each a reporter over the run's record
// (action/run_record.hpp): step outputs (GITHUB_OUTPUT), the step summary (core/deploy_summary),
// and notifications (core/notify; a failed one is a warning, never a failed
// deploy). Notifications go out in the background (core/notify_queue): the run waits for them once,
// at its end, in wait_for_notifications.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "action/run_record.hpp"
#include "core/clock.hpp"
#include "core/config/config.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/summary.hpp"
#include "core/notify/queue.hpp"
#include "core/runner/commands.hpp"

namespace deploy::action {

class RunReport {
 public:
  RunReport(const runner::Environment& env, const RandomSource& random) : env_(env), random_(random) {}

  // The step outputs: status, rolled-back (when the engine ran), then what the run released.
  void outputs(const RunRecord& run, RunStatus status, const std::string& audit_file);
  // The step summary; `finished` ends the run's duration.
  void summary(const RunRecord& run, RunStatus status, const std::string& message,
               std::chrono::system_clock::time_point finished);
  // Queues the notification of `event` to the config's targets and returns at once. `status` is
  // the run's, or "started".
  void notify(const RunRecord& run, config::Event event, std::string_view status, const std::string& message);
  // Waits for the notifications still being sent, at most kNotificationBudget, and prints a warning
  // for each one not delivered (abandoned ones included). Call once, at the end of the run; a later
  // notify() starts over.
  void wait_for_notifications();

  // How long the end of a run may wait for its notifications: they never fail a deploy, so they
  // must not hold one up for long either.
  static constexpr std::chrono::seconds kNotificationBudget{10};

 private:
  void output(const std::string& name, const std::string& value);

  const runner::Environment& env_;
  const RandomSource& random_;
  std::unique_ptr<notify::Queue> notifications_;  // from the first notify() to wait_for_notifications()
};

}  // namespace deploy::action
