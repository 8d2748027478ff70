// The runner cancels a job by sending SIGTERM (then SIGKILL after a grace period) to the action's
// process. While a CancellationGuard lives, SIGTERM and SIGINT set a flag instead of killing the
// process, so the deploy engine can stop the current stage, roll back and write the record.
#pragma once

#include <atomic>

namespace deploy::action {

class CancellationGuard {
 public:
  CancellationGuard();   // installs the handlers (one guard at a time)
  ~CancellationGuard();  // restores the previous handlers
  CancellationGuard(const CancellationGuard&) = delete;
  CancellationGuard& operator=(const CancellationGuard&) = delete;

  const std::atomic<bool>* flag() const;
  bool cancelled() const;
};

}  // namespace deploy::action
