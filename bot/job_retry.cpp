#include "bot/job_retry.hpp"

#include <algorithm>

namespace deploy::bot {

bool github_error_is_transient(std::string_view code, int status) {
  if (code == "github_rate_limited" || code == "github_server_error" || code == "github_network_error" ||
      code == "github_wait_ceiling") {
    return true;
  }
  if (status == 0 || status >= 500 || status == 429 || status == 408) return true;
  // An installation token refused twice in a row, or GitHub replying with something unparseable,
  // is usually GitHub having a moment; a 401 that persists ends in max_attempts anyway.
  return code == "github_unauthorized" || code == "github_bad_response";
}

std::optional<std::chrono::milliseconds> retry_delay(std::int64_t attempts, const RetrySchedule& schedule) {
  if (attempts >= schedule.max_attempts) return std::nullopt;
  std::chrono::milliseconds wait = schedule.base;
  for (std::int64_t i = 1; i < attempts && wait < schedule.max; ++i) wait *= 2;
  return std::min(wait, schedule.max);
}

FailureOutcome decide_failure(const JobFailure& failure, std::int64_t attempts, const RetrySchedule& schedule,
                              std::chrono::system_clock::time_point now) {
  if (failure.parked_until) {
    const auto until = std::max(*failure.parked_until, now);
    return {JobResult::parked, until, std::chrono::duration_cast<std::chrono::milliseconds>(until - now)};
  }
  const auto delay = failure.transient ? retry_delay(attempts, schedule) : std::nullopt;
  if (!delay) return {};
  auto wait = *delay;
  // A secondary limit's retry-after is the earliest a retry can work.
  if (failure.not_before)
    wait = std::max(wait, std::chrono::ceil<std::chrono::milliseconds>(*failure.not_before - now));
  return {JobResult::retry, now + wait, wait};
}

}  // namespace deploy::bot
