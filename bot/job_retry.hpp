// What the worker does with a delivery whose handler failed: try again later (GitHub 5xx, rate
// limits, network, the store busy) or give up and record why (a payload the bot cannot read, a
// request GitHub refuses as such). Pure: the caller passes the failure's facts and the attempt count.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "bot/metrics.hpp"

namespace deploy::bot {

// Thrown by handlers for input that will never work (a payload missing a field it must have):
// the delivery fails permanently with this message.
class PermanentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by handlers for a failure worth retrying that is not a GitHubError (a protection rule
// callback GitHub did not accept yet).
class TransientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RetrySchedule {
  std::chrono::milliseconds base{1'000};   // the wait after the first failed attempt
  std::chrono::milliseconds max{300'000};  // waits double up to this
  std::int64_t max_attempts = 10;          // claims in all; then the delivery fails for good
};

// GitHubError's code (github_error.hpp) and status: rate limits, 5xx, network failures, waits above
// the client's ceiling and installation-token hiccups are transient; 4xx answers are not.
bool github_error_is_transient(std::string_view code, int status);

// The wait before the next attempt after `attempts` claims failed transiently: base * 2^(attempts-1),
// capped at max; nullopt once attempts >= max_attempts (give up).
std::optional<std::chrono::milliseconds> retry_delay(std::int64_t attempts, const RetrySchedule& schedule);

// A handler's failure as the worker classified it (which exception, what GitHub said).
struct JobFailure {
  bool transient = false;
  std::string message;
  // GitHub's primary rate limit is used up until then: park, do not count an attempt.
  std::optional<std::chrono::system_clock::time_point> parked_until;
  // A rate limit said when to come back (retry-after): retry no earlier.
  std::optional<std::chrono::system_clock::time_point> not_before;
};

// What a failure means for the delivery: parked until `at` (`wait` from now), retried at `at`
// (`wait` from now), or failed for good (`at` and `wait` unused).
struct FailureOutcome {
  JobResult result = JobResult::failed;
  std::chrono::system_clock::time_point at;
  std::chrono::milliseconds wait{0};
};

// After `attempts` claims: a used-up primary limit parks (never in the past); a transient failure
// with attempts left is retried after retry_delay(), or at a secondary limit's retry-after if that
// is later; anything else fails.
FailureOutcome decide_failure(const JobFailure& failure, std::int64_t attempts, const RetrySchedule& schedule,
                              std::chrono::system_clock::time_point now);

}  // namespace deploy::bot
