#include "core/github/retry.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using deploy::github::AttemptFacts;
using deploy::github::decide_retry;
using deploy::github::RetryContext;
using deploy::github::RetryDecision;
using deploy::github::RetryPolicy;
using Kind = deploy::http::TransportError::Kind;
using Action = RetryDecision::Action;

namespace {

// 2023-11-14T22:13:20Z
const auto kNow = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};

AttemptFacts status(int code, std::string message = "") {
  AttemptFacts f;
  f.status = code;
  f.message = std::move(message);
  return f;
}

AttemptFacts transport(Kind kind) {
  AttemptFacts f;
  f.transport_error = kind;
  return f;
}

AttemptFacts with(AttemptFacts f, std::optional<std::string> retry_after, std::optional<std::string> remaining,
                  std::optional<std::string> reset) {
  f.retry_after = std::move(retry_after);
  f.ratelimit_remaining = std::move(remaining);
  f.ratelimit_reset = std::move(reset);
  return f;
}

std::string reset_in(std::chrono::seconds s) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>((kNow + s).time_since_epoch()).count());
}

}  // namespace

TEST_CASE("decide_retry: table") {
  struct Case {
    const char* name;
    AttemptFacts facts;
    int attempt;
    bool idempotent;
    std::uint64_t random;
    Action action;
    std::chrono::milliseconds wait;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"200 is success", status(200), 1, true, 7, Action::stop, 0ms, "success"},
      {"204 is success", status(204), 1, true, 7, Action::stop, 0ms, "success"},
      {"301 not retried", status(301, "Moved Permanently"), 1, true, 7, Action::stop, 0ms, "not_retryable"},
      {"404 not retried", status(404, "Not Found"), 1, true, 7, Action::stop, 0ms, "not_retryable"},
      {"422 not retried", status(422, "Validation Failed"), 1, true, 7, Action::stop, 0ms, "not_retryable"},
      {"401 not retried", status(401, "Bad credentials"), 1, true, 7, Action::stop, 0ms, "not_retryable"},
      {"403 permission not retried", status(403, "Resource not accessible by integration"), 1, true, 7, Action::stop,
       0ms, "not_retryable"},
      {"403 with remaining 5 is a permission error", with(status(403, "Forbidden"), std::nullopt, "5", reset_in(10s)),
       1, true, 7, Action::stop, 0ms, "not_retryable"},
      // full jitter: uniform in [0, 1000 ms] on attempt 1 -> random % 1001
      {"502 attempt 1: jitter within 1 s", status(502), 1, true, 500, Action::retry, 500ms, "server_error"},
      {"502 attempt 1: random wraps", status(502), 1, true, 1001 + 250, Action::retry, 250ms, "server_error"},
      {"503 attempt 2: jitter within 2 s", status(503), 2, true, 2000, Action::retry, 2000ms, "server_error"},
      {"500 attempt 3: jitter within 4 s", status(500), 3, true, 4001 * 3 + 3999, Action::retry, 3999ms,
       "server_error"},
      {"502 last attempt: give up", status(502), 4, true, 5, Action::stop, 0ms, "attempts_exhausted"},
      {"502 non-idempotent: not retried", status(502), 1, false, 5, Action::stop, 0ms, "not_idempotent"},
      {"closed idempotent: retried", transport(Kind::closed), 1, true, 10, Action::retry, 10ms, "network_error"},
      {"timeout idempotent: retried", transport(Kind::timeout), 2, true, 10, Action::retry, 10ms, "network_error"},
      {"closed non-idempotent: not retried", transport(Kind::closed), 1, false, 10, Action::stop, 0ms,
       "not_idempotent"},
      {"connect non-idempotent: retried, nothing was sent", transport(Kind::connect), 1, false, 10, Action::retry, 10ms,
       "network_error"},
      {"tls not retried", transport(Kind::tls), 1, true, 10, Action::stop, 0ms, "not_retryable"},
      {"refused_by_policy not retried", transport(Kind::refused_by_policy), 1, true, 10, Action::stop, 0ms,
       "not_retryable"},
      {"resolve not retried", transport(Kind::resolve), 1, true, 10, Action::stop, 0ms, "not_retryable"},
      {"protocol not retried", transport(Kind::protocol), 1, true, 10, Action::stop, 0ms, "not_retryable"},
      {"403 retry-after 1: exactly 1 s", with(status(403, "secondary"), "1", std::nullopt, std::nullopt), 1, true, 999,
       Action::retry, 1000ms, "retry_after"},
      {"429 retry-after 30, even for a POST", with(status(429), "30", std::nullopt, std::nullopt), 1, false, 999,
       Action::retry, 30000ms, "retry_after"},
      {"retry-after wins over remaining=0", with(status(403), "2", "0", reset_in(100s)), 1, true, 0, Action::retry,
       2000ms, "retry_after"},
      {"remaining=0: until reset + 1 s",
       with(status(403, "API rate limit exceeded"), std::nullopt, "0", reset_in(100s)), 1, true, 0, Action::retry,
       101000ms, "rate_limit_reset"},
      {"remaining=0 on 429", with(status(429), std::nullopt, "0", reset_in(5s)), 1, false, 0, Action::retry, 6000ms,
       "rate_limit_reset"},
      {"remaining=0, reset already past: no wait", with(status(403), std::nullopt, "0", reset_in(-10s)), 1, true, 0,
       Action::retry, 0ms, "rate_limit_reset"},
      {"secondary by message, attempt 1: 60 s",
       status(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."), 1,
       true, 0, Action::retry, 60000ms, "secondary_rate_limit"},
      {"secondary, attempt 2: 120 s", status(403, "You have exceeded a secondary rate limit"), 2, true, 0,
       Action::retry, 120000ms, "secondary_rate_limit"},
      {"secondary, attempt 3: 240 s", status(403, "You have exceeded a secondary rate limit"), 3, true, 0,
       Action::retry, 240000ms, "secondary_rate_limit"},
      {"429 without headers is secondary", status(429), 1, false, 0, Action::retry, 60000ms, "secondary_rate_limit"},
      {"unparseable retry-after falls back to secondary", with(status(429), "soon", std::nullopt, std::nullopt), 1,
       true, 0, Action::retry, 60000ms, "secondary_rate_limit"},
      {"rate limit on the last attempt: give up", with(status(403), "1", std::nullopt, std::nullopt), 4, true, 0,
       Action::stop, 0ms, "attempts_exhausted"},
      {"reset an hour away: above the ceiling", with(status(403), std::nullopt, "0", reset_in(3600s)), 1, true, 0,
       Action::fail, 3601000ms, "wait_above_ceiling"},
      {"retry-after above the ceiling", with(status(429), "901", std::nullopt, std::nullopt), 1, true, 0, Action::fail,
       901000ms, "wait_above_ceiling"},
      // would overflow milliseconds / the time_point without the clamp to kMaxHeaderWaitSeconds (100 * 366 days)
      {"huge retry-after: above the ceiling, no overflow",
       with(status(429), "10000000000000000", std::nullopt, std::nullopt), 1, true, 0, Action::fail, 3162240000000ms,
       "wait_above_ceiling"},
      {"huge reset: above the ceiling, no overflow", with(status(403), std::nullopt, "0", "10000000000000000"), 1, true,
       0, Action::fail, 3162240001000ms, "wait_above_ceiling"},
      {"retry-after at the ceiling is fine", with(status(429), "900", std::nullopt, std::nullopt), 1, true, 0,
       Action::retry, 900000ms, "retry_after"},
  };
  RetryPolicy policy;
  for (const auto& c : cases) {
    CAPTURE(c.name);
    RetryContext context{c.attempt, c.idempotent, kNow, 0ms, c.random};
    RetryDecision d = decide_retry(c.facts, context, policy);
    CHECK(d.action == c.action);
    CHECK(d.wait == c.wait);
    CHECK(d.reason == c.reason);
  }
}

TEST_CASE("decide_retry: backoff is capped at max_backoff") {
  RetryPolicy policy;
  policy.max_attempts = 50;
  RetryContext context{20, true, kNow, 0ms, ~std::uint64_t{0}};
  RetryDecision d = decide_retry(status(500), context, policy);
  CHECK(d.action == Action::retry);
  CHECK(d.wait <= policy.max_backoff);
  CHECK(d.wait == std::chrono::milliseconds(~std::uint64_t{0} % 30001));
}

TEST_CASE("decide_retry: ceiling message says how long, until when, and how to raise it") {
  RetryPolicy policy;
  policy.raise_hint = "set input github-max-wait to raise it";
  RetryContext context{1, true, kNow, 0ms, 0};
  auto facts = with(status(403, "API rate limit exceeded"), std::nullopt, "0", reset_in(3599s));
  RetryDecision d = decide_retry(facts, context, policy);
  REQUIRE(d.action == Action::fail);
  CHECK(d.message ==
        "GitHub rate limit: would need to wait 3600 s until 2023-11-14T23:13:20Z, above the 900 s ceiling (set input "
        "github-max-wait to raise it)");
}

TEST_CASE("decide_retry: the wait budget covers all waits of one call") {
  RetryPolicy policy;  // 900 s per wait, 1200 s per call
  auto facts = with(status(429), "300", std::nullopt, std::nullopt);
  RetryDecision ok = decide_retry(facts, RetryContext{2, true, kNow, 900s, 0}, policy);
  CHECK(ok.action == Action::retry);
  CHECK(ok.wait == 300s);
  RetryDecision over = decide_retry(facts, RetryContext{2, true, kNow, 901s, 0}, policy);
  CHECK(over.action == Action::fail);
  CHECK(over.reason == "wait_budget_exhausted");
  CHECK(over.message ==
        "GitHub rate limit: would need to wait 300 s until 2023-11-14T22:18:20Z, but this call has already waited "
        "901 s of its 1200 s budget (raise the GitHub client's max_wait / wait_budget)");
}

TEST_CASE("is_rate_limited distinguishes rate limits from permission errors") {
  CHECK(deploy::github::is_rate_limited(status(429)));
  CHECK(deploy::github::is_rate_limited(status(403, "API rate limit exceeded for installation ID 1.")));
  CHECK(deploy::github::is_rate_limited(with(status(403), std::nullopt, "0", "1")));
  CHECK(deploy::github::is_rate_limited(with(status(403), "60", std::nullopt, std::nullopt)));
  CHECK_FALSE(deploy::github::is_rate_limited(status(403, "Must have admin rights to Repository.")));
  CHECK_FALSE(deploy::github::is_rate_limited(with(status(403), std::nullopt, "4999", "1")));
  CHECK_FALSE(deploy::github::is_rate_limited(status(500, "rate limit")));
  CHECK_FALSE(deploy::github::is_rate_limited(transport(Kind::closed)));
}

TEST_CASE("idempotent_by_method") {
  using deploy::github::idempotent_by_method;
  CHECK(idempotent_by_method("GET"));
  CHECK(idempotent_by_method("HEAD"));
  CHECK(idempotent_by_method("PUT"));
  CHECK(idempotent_by_method("DELETE"));
  CHECK_FALSE(idempotent_by_method("POST"));
  CHECK_FALSE(idempotent_by_method("PATCH"));
}

TEST_CASE("a used-up primary limit fails at once with its reset time when the caller parks instead of waiting") {
  RetryPolicy policy;
  policy.wait_out_primary_limit = false;
  const AttemptFacts exhausted = with(status(403, "API rate limit exceeded"), std::nullopt, "0", reset_in(3600s));
  const RetryDecision decision = decide_retry(exhausted, RetryContext{1, true, kNow, 0ms, 0}, policy);
  CHECK(decision.action == Action::stop);
  CHECK(decision.reason == "primary_limit_not_waited");
  const auto wait = deploy::github::rate_limit_wait(exhausted, kNow);
  REQUIRE(wait);
  CHECK(wait->primary);
  CHECK(wait->until == kNow + 3601s);
  // A secondary limit is still waited out inside the call, for exactly retry-after.
  const AttemptFacts secondary = with(status(429), "7", std::nullopt, std::nullopt);
  const RetryDecision waited = decide_retry(secondary, RetryContext{1, true, kNow, 0ms, 0}, policy);
  CHECK(waited.action == Action::retry);
  CHECK(waited.wait == 7s);
  REQUIRE(deploy::github::rate_limit_wait(secondary, kNow));
  CHECK_FALSE(deploy::github::rate_limit_wait(secondary, kNow)->primary);
  CHECK(deploy::github::rate_limit_wait(secondary, kNow)->until == kNow + 7s);
  CHECK_FALSE(deploy::github::rate_limit_wait(status(403, "Resource not accessible by integration"), kNow));
}
