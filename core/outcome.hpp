// Outcome: every decision (a gate, an approval, a rollback check) is allowed or not, with a stable
// reason code used alike in the reply on the thread, the audit record, the log line and the metric
// label, and a message for people.
#pragma once

#include <string>

namespace deploy {

struct Outcome {
  bool allowed = false;
  std::string reason;   // stable snake_case code, e.g. "stale_sha", "outside_rollback_window"
  std::string message;  // what happened and, when refused, what would make it pass

  static Outcome allow(std::string reason, std::string message) {
    return {true, std::move(reason), std::move(message)};
  }
  static Outcome deny(std::string reason, std::string message) {
    return {false, std::move(reason), std::move(message)};
  }
};

}  // namespace deploy
