#include "core/github/retry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/github/time.hpp"

namespace deploy::github {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Header values are clamped to this many seconds (about 100 years) before any chrono conversion:
// a larger value overflows milliseconds or system_clock's nanosecond time_point (UB, and a negative
// wait that retries at once). The clamp is far above any sane ceiling, so such values still fail
// with the normal ceiling error.
constexpr std::int64_t kMaxHeaderWaitSeconds = 100LL * 366 * 24 * 3600;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parse_int(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::string_view s = trim(*text);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || value < 0) return std::nullopt;
  return value;
}

bool mentions_rate_limit(std::string_view message) {
  std::string lower(message);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("rate limit") != std::string::npos;
}

// base * 2^(attempt-1), saturating at `cap`.
milliseconds doubled(milliseconds base, int attempt, milliseconds cap) {
  milliseconds value = base;
  for (int i = 1; i < attempt && value < cap; ++i) value *= 2;
  return std::min(value, cap);
}

std::string whole_seconds(milliseconds ms) { return std::to_string((ms.count() + 999) / 1000) + " s"; }

RetryDecision stop(std::string reason, std::string message) {
  return {RetryDecision::Action::stop, milliseconds{0}, std::move(reason), std::move(message)};
}

}  // namespace

bool is_rate_limited(const AttemptFacts& facts) {
  if (facts.transport_error) return false;
  if (facts.status == 429) return true;
  if (facts.status != 403) return false;
  if (parse_int(facts.retry_after)) return true;
  if (facts.ratelimit_remaining && trim(*facts.ratelimit_remaining) == "0") return true;
  return mentions_rate_limit(facts.message);
}

std::optional<RateLimitWait> rate_limit_wait(const AttemptFacts& facts, std::chrono::system_clock::time_point now) {
  if (!is_rate_limited(facts)) return std::nullopt;
  if (auto retry_after = parse_int(facts.retry_after)) {
    return RateLimitWait{now + seconds{std::min(*retry_after, kMaxHeaderWaitSeconds)}, false};
  }
  auto reset = parse_int(facts.ratelimit_reset);
  const bool exhausted = facts.ratelimit_remaining && trim(*facts.ratelimit_remaining) == "0";
  if (!exhausted || !reset) return std::nullopt;
  auto now_s = std::chrono::floor<seconds>(now.time_since_epoch()).count();
  std::int64_t reset_s = *reset - now_s > kMaxHeaderWaitSeconds ? now_s + kMaxHeaderWaitSeconds : *reset;
  return RateLimitWait{std::max(now, std::chrono::system_clock::time_point{seconds{reset_s} + seconds{1}}), true};
}

bool idempotent_by_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

RetryDecision decide_retry(const AttemptFacts& facts, const RetryContext& context, const RetryPolicy& policy) {
  using Kind = http::TransportError::Kind;
  if (!facts.transport_error && facts.status >= 200 && facts.status < 300) return stop("success", "");

  milliseconds wait{0};
  std::string reason;
  std::string why;
  bool rate_limit = false;

  if (is_rate_limited(facts)) {
    rate_limit = true;
    auto retry_after = parse_int(facts.retry_after);
    auto reset = parse_int(facts.ratelimit_reset);
    bool exhausted = facts.ratelimit_remaining && trim(*facts.ratelimit_remaining) == "0";
    if (retry_after) {
      wait = seconds{std::min(*retry_after, kMaxHeaderWaitSeconds)};
      reason = "retry_after";
      why = "GitHub asked to retry after " + std::to_string(*retry_after) + " s";
    } else if (exhausted && reset && !policy.wait_out_primary_limit) {
      return stop("primary_limit_not_waited",
                  "GitHub rate limit exhausted until " +
                      format_rfc3339(rate_limit_wait(facts, context.now)->until - seconds{1}));
    } else if (exhausted && reset) {
      auto now_s = std::chrono::floor<seconds>(context.now.time_since_epoch()).count();
      std::int64_t reset_s = *reset - now_s > kMaxHeaderWaitSeconds ? now_s + kMaxHeaderWaitSeconds : *reset;
      auto until = std::chrono::system_clock::time_point{seconds{reset_s} + seconds{1}};
      wait = std::max(milliseconds{0}, std::chrono::ceil<milliseconds>(until - context.now));
      reason = "rate_limit_reset";
      why = "GitHub rate limit exhausted until " + format_rfc3339(until - seconds{1});
    } else {
      wait = doubled(policy.secondary_min_wait, context.attempt, milliseconds::max() / 4);
      reason = "secondary_rate_limit";
      why = "GitHub secondary rate limit";
    }
  } else if (facts.transport_error) {
    Kind kind = *facts.transport_error;
    bool nothing_sent = kind == Kind::connect;
    if (kind != Kind::connect && kind != Kind::timeout && kind != Kind::closed) {
      return stop("not_retryable", "a transport error of this kind is not transient");
    }
    if (!nothing_sent && !context.idempotent) {
      return stop("not_idempotent", "the request may have been processed and is not safe to repeat");
    }
    reason = "network_error";
    why = "network error";
  } else if (facts.status >= 500) {
    if (!context.idempotent) {
      return stop("not_idempotent", "the request may have been processed and is not safe to repeat");
    }
    reason = "server_error";
    why = "GitHub answered " + std::to_string(facts.status);
  } else {
    return stop("not_retryable", "HTTP " + std::to_string(facts.status) + " is not transient");
  }

  if (!rate_limit) {
    milliseconds cap = doubled(policy.base_backoff, context.attempt, policy.max_backoff);
    auto span = static_cast<std::uint64_t>(cap.count()) + 1;
    wait = milliseconds{static_cast<milliseconds::rep>(context.random % span)};
  }

  if (context.attempt >= policy.max_attempts) {
    return stop("attempts_exhausted", why + "; gave up after " + std::to_string(context.attempt) +
                                          (context.attempt == 1 ? " attempt" : " attempts"));
  }

  std::string prefix = rate_limit ? "GitHub rate limit" : "GitHub retry (" + why + ")";
  std::string until = format_rfc3339(context.now + wait);
  if (wait > policy.max_wait) {
    return {RetryDecision::Action::fail, wait, "wait_above_ceiling",
            prefix + ": would need to wait " + whole_seconds(wait) + " until " + until + ", above the " +
                whole_seconds(policy.max_wait) + " ceiling (" + policy.raise_hint + ")"};
  }
  if (context.waited + wait > policy.wait_budget) {
    return {RetryDecision::Action::fail, wait, "wait_budget_exhausted",
            prefix + ": would need to wait " + whole_seconds(wait) + " until " + until +
                ", but this call has already waited " + whole_seconds(context.waited) + " of its " +
                whole_seconds(policy.wait_budget) + " budget (" + policy.raise_hint + ")"};
  }
  return {RetryDecision::Action::retry, wait, reason,
          why + "; waiting " + std::to_string(wait.count()) + " ms before attempt " +
              std::to_string(context.attempt + 1) + " of " + std::to_string(policy.max_attempts)};
}

}  // namespace deploy::github
