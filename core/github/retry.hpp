// The pure retry and rate-limit decision of the GitHub client: given what one attempt produced,
// wait and try again, stop, or fail because the wait would be too long. The loop that sleeps and
// resends lives in github_client.cpp; this file has no I/O, clock or randomness of its own.
//
// Rules (GitHub's "Best practices for using the REST API" and "Rate limits for the REST API"):
// - 403/429 with `retry-after: N` -> wait exactly N seconds.
// - 403/429 with `x-ratelimit-remaining: 0` -> wait until `x-ratelimit-reset` (epoch s) + 1 s.
// - 429, or 403 whose message mentions "rate limit", without those headers (secondary limit) ->
//   wait secondary_min_wait doubled per earlier attempt (60 s, 120 s, 240 s...).
//   Rate-limited requests were not processed, so they are retried whatever the method.
// - Any other 403 (permission), 4xx or 3xx -> stop, never retried.
// - 5xx and the transport errors closed/timeout -> full-jitter exponential backoff
//   (uniform in [0, min(max_backoff, base_backoff * 2^(attempt-1))]), only when the request is
//   safe to repeat. A connect error is retried for every method: nothing was sent.
//   TLS, policy, resolve and protocol errors are not retried.
// Every wait is bounded by max_wait (one wait) and wait_budget (all waits of one call).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/http/client.hpp"

namespace deploy::github {

struct RetryPolicy {
  int max_attempts = 4;  // attempts in all, the first included
  std::chrono::milliseconds base_backoff{1'000};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds secondary_min_wait{60'000};
  // Ceiling for one wait. GitHub's primary window resets hourly; a job should rather fail with a
  // clear message than sit for an hour.
  std::chrono::milliseconds max_wait{15 * 60'000};
  // Ceiling for the sum of all waits of one call (every attempt and page of it).
  std::chrono::milliseconds wait_budget{20 * 60'000};
  // false: a used-up primary limit (x-ratelimit-remaining: 0 with a reset time) is not waited out
  // inside the call: it fails at once with code github_rate_limited and the reset time in the
  // error (ErrorDetails::retry_at), for a caller that can put the work aside until then (the bot
  // parks the installation's jobs) rather than hold a thread or give up.
  bool wait_out_primary_limit = true;
  // Appended to ceiling errors: how the user raises the limits where this client is configured.
  std::string raise_hint = "raise the GitHub client's max_wait / wait_budget";
};

// What one attempt produced, reduced to the facts the decision reads.
struct AttemptFacts {
  std::optional<http::TransportError::Kind> transport_error{};  // set when there was no response
  int status = 0;
  std::optional<std::string> retry_after{};  // header values as received
  std::optional<std::string> ratelimit_remaining{};
  std::optional<std::string> ratelimit_reset{};
  std::string message{};  // GitHub's "message" field, if any
};

struct RetryContext {
  int attempt = 1;          // the attempt that just produced the facts, 1-based
  bool idempotent = false;  // safe to send again after a 5xx / lost connection
  std::chrono::system_clock::time_point now{};
  std::chrono::milliseconds waited{0};  // already waited during this call
  std::uint64_t random = 0;             // one draw of the injected RandomSource, for jitter
};

struct RetryDecision {
  enum class Action { stop, retry, fail };
  Action action = Action::stop;
  std::chrono::milliseconds wait{0};  // for retry: how long to sleep first
  // Stable snake_case: "success", "not_retryable", "not_idempotent", "attempts_exhausted",
  // "server_error", "network_error", "retry_after", "rate_limit_reset", "secondary_rate_limit",
  // "wait_above_ceiling", "wait_budget_exhausted", "primary_limit_not_waited".
  std::string reason{};
  std::string message{};  // for people; for fail it is the whole error text
};

// True for 403/429 responses that GitHub uses for rate limiting (primary or secondary).
bool is_rate_limited(const AttemptFacts& facts);

// When a rate-limited answer says to come back: `retry-after` seconds from now, or for a used-up
// primary limit one second after `x-ratelimit-reset`. nullopt when the answer says neither.
struct RateLimitWait {
  std::chrono::system_clock::time_point until{};
  bool primary = false;  // the hourly primary limit is used up (not a secondary limit)
};
std::optional<RateLimitWait> rate_limit_wait(const AttemptFacts& facts, std::chrono::system_clock::time_point now);

RetryDecision decide_retry(const AttemptFacts& facts, const RetryContext& context, const RetryPolicy& policy);

// Methods safe to repeat by HTTP semantics; POST and PATCH are not unless the caller says so.
bool idempotent_by_method(std::string_view method);

}  // namespace deploy::github
