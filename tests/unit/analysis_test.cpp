#include "core/analysis/analysis.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include <optional>
#include <string>
#include <vector>

namespace analysis = deploy::analysis;
namespace config = deploy::config;

namespace {

config::Thresholds limits(std::optional<double> min, std::optional<double> max, std::optional<double> increase) {
  config::Thresholds t;
  t.min = min;
  t.max = max;
  t.max_increase_percent = increase;
  return t;
}

config::Check prometheus_check(const std::string& name, config::Thresholds thresholds) {
  return config::Check{name, std::chrono::seconds{5},
                       config::PrometheusCheck{"http://127.0.0.1:9090", "up", thresholds}};
}

config::Check http_check(const std::string& name) {
  return config::Check{name, std::chrono::seconds{5}, config::HttpCheck{"http://127.0.0.1/healthz", 200, {}, {}, {}}};
}

}  // namespace

TEST_CASE("thresholds: min, max and max_increase against the baseline") {
  struct Case {
    const char* name;
    config::Thresholds thresholds;
    double value;
    std::optional<double> baseline;
    bool allowed;
    const char* reason;
  };
  const std::vector<Case> cases{
      {"inside min and max", limits(1, 10, {}), 5, {}, true, "within_thresholds"},
      {"equal to min", limits(1, 10, {}), 1, {}, true, "within_thresholds"},
      {"equal to max", limits(1, 10, {}), 10, {}, true, "within_thresholds"},
      {"below min", limits(1, 10, {}), 0.5, {}, false, "threshold_exceeded"},
      {"above max", limits({}, 0.02, {}), 0.5, {}, false, "threshold_exceeded"},
      {"increase within 50%", limits({}, {}, 50), 150, 100.0, true, "within_thresholds"},
      {"increase just over 50%", limits({}, {}, 50), 151, 100.0, false, "threshold_exceeded"},
      {"a decrease is fine", limits({}, {}, 50), 10, 100.0, true, "within_thresholds"},
      {"no baseline", limits({}, {}, 50), 10, std::nullopt, false, "baseline_unavailable"},
      {"baseline 0, value 0", limits({}, {}, 50), 0, 0.0, true, "within_thresholds"},
      {"baseline 0, value positive", limits({}, {}, 1000), 0.001, 0.0, false, "threshold_exceeded"},
      {"max checked before max_increase", limits({}, 2000, 50), 2500, 2000.0, false, "threshold_exceeded"},
      {"negative baseline", limits({}, {}, 50), -40, -100.0, false, "threshold_exceeded"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto outcome = analysis::evaluate_thresholds(c.thresholds, c.value, c.baseline);
    CHECK(outcome.allowed == c.allowed);
    CHECK(outcome.reason == c.reason);
  }
}

TEST_CASE("threshold messages say the value and the limit") {
  auto outcome = analysis::evaluate_thresholds(limits({}, 0.02, {}), 0.5, {});
  CHECK(outcome.message == "0.5 is above the maximum 0.02");
  outcome = analysis::evaluate_thresholds(limits({}, {}, 50), 160, 100.0);
  CHECK(outcome.message == "160 is more than 50% above the baseline 100");
}

TEST_CASE("a round judges every check by name, with baselines") {
  const std::vector<config::Check> checks{
      http_check("health"),
      prometheus_check("errors", limits({}, 0.02, {})),
      prometheus_check("latency", limits({}, {}, 50)),
  };
  struct Case {
    const char* name;
    std::vector<analysis::Sample> samples;
    analysis::Baselines baselines;
    bool passed;
    std::vector<std::string> reasons;
  };
  const std::vector<Case> cases{
      {"all good",
       {{"health", true, 3.0, "200"}, {"errors", true, 0.0, "0"}, {"latency", true, 120.0, "120"}},
       {{"latency", 100.0}},
       true,
       {"passed", "within_thresholds", "within_thresholds"}},
      {"http probe failed",
       {{"health", false, {}, "answered 500"}, {"errors", true, 0.0, "0"}, {"latency", true, 100.0, "100"}},
       {{"latency", 100.0}},
       false,
       {"check_failed", "within_thresholds", "within_thresholds"}},
      {"error rate too high, latency worse than baseline",
       {{"health", true, 3.0, "200"}, {"errors", true, 0.5, "0.5"}, {"latency", true, 200.0, "200"}},
       {{"latency", 100.0}},
       false,
       {"passed", "threshold_exceeded", "threshold_exceeded"}},
      {"no baseline for max_increase",
       {{"health", true, 3.0, "200"}, {"errors", true, 0.0, "0"}, {"latency", true, 100.0, "100"}},
       {},
       false,
       {"passed", "within_thresholds", "baseline_unavailable"}},
      {"a missing sample and a sample without a number",
       {{"errors", true, std::nullopt, "?"}, {"latency", true, 100.0, "100"}},
       {{"latency", 100.0}},
       false,
       {"missing_sample", "check_error", "within_thresholds"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto round = analysis::evaluate_round(checks, c.samples, c.baselines);
    CHECK(round.passed == c.passed);
    std::vector<std::string> reasons;
    std::vector<std::string> names;
    for (const auto& v : round.checks) {
      reasons.push_back(v.outcome.reason);
      names.push_back(v.check);
    }
    CHECK(reasons == c.reasons);
    CHECK(names == std::vector<std::string>{"health", "errors", "latency"});
  }
}

TEST_CASE("no checks: an empty round passes and a run without rounds succeeds") {
  auto round = analysis::evaluate_round({}, {}, {});
  CHECK(round.passed);
  CHECK(round.measurement == analysis::Measurement::successful);
  CHECK(round.checks.empty());
  auto verdict = analysis::judge({}, {}, true);
  CHECK(verdict.phase == analysis::Phase::succeeded);
  CHECK(verdict.reason == "no_rounds");
}

TEST_CASE("a round's measurement is the worst of its checks'") {
  const std::vector<config::Check> checks{http_check("health"), prometheus_check("p99", limits({}, {}, 50))};
  using M = analysis::Measurement;
  struct Case {
    const char* name;
    std::vector<analysis::Sample> samples;
    analysis::Baselines baselines;
    M expected;
  };
  analysis::Sample unreachable{"health", false, {}, "could not connect"};
  unreachable.error = true;
  const std::vector<Case> cases{
      {"all good", {{"health", true, 3.0, "200"}, {"p99", true, 100.0, "100"}}, {{"p99", 100.0}}, M::successful},
      {"wrong status", {{"health", false, {}, "500"}, {"p99", true, 100.0, "100"}}, {{"p99", 100.0}}, M::failed},
      {"unreachable", {unreachable, {"p99", true, 100.0, "100"}}, {{"p99", 100.0}}, M::error},
      {"unreachable and over threshold", {unreachable, {"p99", true, 900.0, "900"}}, {{"p99", 100.0}}, M::failed},
      {"no baseline", {{"health", true, 3.0, "200"}, {"p99", true, 100.0, "100"}}, {}, M::inconclusive},
      {"no baseline, unreachable", {unreachable, {"p99", true, 100.0, "100"}}, {}, M::error},
      {"missing sample", {{"p99", true, 100.0, "100"}}, {{"p99", 100.0}}, M::error},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto round = analysis::evaluate_round(checks, c.samples, c.baselines);
    CHECK(round.measurement == c.expected);
    CHECK(round.passed == (c.expected == M::successful));
  }
}

namespace {

using M = analysis::Measurement;

std::vector<M> rounds_from(std::string_view text) {
  std::vector<M> out;
  for (char c : text) {
    switch (c) {
      case 's':
        out.push_back(M::successful);
        break;
      case 'f':
        out.push_back(M::failed);
        break;
      case 'e':
        out.push_back(M::error);
        break;
      case 'i':
        out.push_back(M::inconclusive);
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("judge: the analysis state machine, case by case") {
  struct Case {
    const char* rounds;  // s successful, f failed, e error, i inconclusive
    int failure_limit;
    int consecutive_errors;
    std::optional<int> inconclusive_limit;
    bool complete;
    analysis::Phase phase;
    const char* reason;
  };
  using P = analysis::Phase;
  const std::vector<Case> cases{
      {"s", 1, 4, {}, true, P::succeeded, "analysis_passed"},
      {"s", 1, 4, {}, false, P::running, "analysis_running"},
      {"f", 1, 4, {}, false, P::failed, "analysis_failed"},
      {"f", 2, 4, {}, false, P::running, "analysis_running"},
      // Finding 1: failures carry across steps; a failure in the last round never passes.
      {"f|f", 2, 4, {}, false, P::failed, "analysis_failed"},
      {"fsfs", 2, 4, {}, true, P::failed, "analysis_failed"},
      {"ssf", 2, 4, {}, true, P::failed, "analysis_failed"},
      {"ffff", 5, 4, {}, true, P::failed, "analysis_failed"},
      {"fs", 2, 4, {}, true, P::succeeded, "analysis_passed"},
      {"sf|s", 3, 4, {}, true, P::succeeded, "analysis_passed"},
      // Errors: in a row they fail the run; an error at the end never passes.
      {"eeee", 5, 4, {}, false, P::failed, "analysis_error"},
      {"eeese", 5, 4, {}, false, P::running, "analysis_running"},
      {"eeese", 5, 4, {}, true, P::failed, "analysis_error"},
      {"ees", 5, 4, {}, true, P::succeeded, "analysis_passed"},
      {"e", 1, 1, {}, false, P::failed, "analysis_error"},
      // Inconclusive: a limit when set, and never at the end.
      {"iis", 1, 4, 2, true, P::failed, "analysis_inconclusive"},
      {"iis", 1, 4, {}, true, P::succeeded, "analysis_passed"},
      {"si", 1, 4, {}, true, P::failed, "analysis_inconclusive"},
      // The first limit reached decides.
      {"eeeef", 1, 4, {}, true, P::failed, "analysis_error"},
      {"feeee", 1, 4, {}, true, P::failed, "analysis_failed"},
      // Limits below 1 act as 1.
      {"f", 0, 0, {}, false, P::failed, "analysis_failed"},
      {"", 1, 4, {}, true, P::succeeded, "no_rounds"},
      {"", 1, 4, {}, false, P::running, "analysis_running"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.rounds);
    CAPTURE(c.failure_limit);
    auto verdict = analysis::judge(rounds_from(c.rounds), {c.failure_limit, c.consecutive_errors, c.inconclusive_limit},
                                   c.complete);
    CHECK(verdict.phase == c.phase);
    CHECK(verdict.reason == c.reason);
  }
}

// A reference model written from docs/CONFIGURATION.md ("How analysis decides") without looking
// at judge: it answers only whether a complete run may be declared healthy.
namespace {

bool model_healthy(const std::vector<M>& rounds, int failure_limit, int consecutive_errors,
                   std::optional<int> inconclusive_limit) {
  if (rounds.empty()) return true;
  for (std::size_t end = 1; end <= rounds.size(); ++end) {
    int failed = 0, inconclusive = 0, run = 0;
    for (std::size_t i = 0; i < end; ++i) {
      failed += rounds[i] == M::failed;
      inconclusive += rounds[i] == M::inconclusive;
      run = rounds[i] == M::error ? run + 1 : 0;
    }
    if (failed >= std::max(failure_limit, 1)) return false;
    if (run >= std::max(consecutive_errors, 1)) return false;
    if (inconclusive_limit && inconclusive >= std::max(*inconclusive_limit, 1)) return false;
  }
  return rounds.back() == M::successful;
}

}  // namespace

TEST_CASE("judge against a reference model over many generated runs") {
  std::mt19937 random(20261202);  // fixed: a failure names a reproducible case
  int healthy = 0, unhealthy = 0;
  for (int n = 0; n < 20'000; ++n) {
    const int length = std::uniform_int_distribution<int>(0, 14)(random);
    // Skewed so that long runs of failures, errors and successes all occur.
    const int bias = std::uniform_int_distribution<int>(0, 3)(random);
    std::vector<M> rounds;
    for (int i = 0; i < length; ++i) {
      int pick = std::uniform_int_distribution<int>(0, 5)(random);
      rounds.push_back(pick <= 1 ? static_cast<M>(bias) : static_cast<M>(pick % 4));
    }
    const int failure_limit = std::uniform_int_distribution<int>(0, 5)(random);
    const int consecutive_errors = std::uniform_int_distribution<int>(0, 5)(random);
    std::optional<int> inconclusive_limit;
    if (random() % 2 == 0) inconclusive_limit = std::uniform_int_distribution<int>(1, 4)(random);
    const analysis::Limits limits{failure_limit, consecutive_errors, inconclusive_limit};

    // The engine's loop: judge after each round, stop at the first final verdict.
    analysis::Verdict verdict;
    std::vector<M> seen;
    for (std::size_t i = 0; i < rounds.size(); ++i) {
      seen.push_back(rounds[i]);
      verdict = analysis::judge(seen, limits, i + 1 == rounds.size());
      if (verdict.phase != analysis::Phase::running) break;
    }
    if (rounds.empty()) verdict = analysis::judge({}, limits, true);

    const bool expected = model_healthy(rounds, failure_limit, consecutive_errors, inconclusive_limit);
    CAPTURE(n);
    CAPTURE(failure_limit);
    CAPTURE(consecutive_errors);
    REQUIRE((verdict.phase == analysis::Phase::succeeded) == expected);
    REQUIRE(verdict.phase != analysis::Phase::running);
    // The safety property on its own: as many failures as the limit never end in success.
    const auto failures = std::count(rounds.begin(), rounds.end(), M::failed);
    if (failures >= std::max(failure_limit, 1)) REQUIRE(verdict.phase == analysis::Phase::failed);
    if (!rounds.empty() && rounds.back() != M::successful) REQUIRE(verdict.phase == analysis::Phase::failed);
    (expected ? healthy : unhealthy) += 1;
  }
  // Both outcomes were exercised in quantity.
  CHECK(healthy > 1000);
  CHECK(unhealthy > 1000);
}

TEST_CASE("which checks need a baseline") {
  CHECK(analysis::needs_baseline(prometheus_check("p99", limits({}, {}, 50))));
  CHECK_FALSE(analysis::needs_baseline(prometheus_check("errors", limits({}, 0.02, {}))));
  CHECK_FALSE(analysis::needs_baseline(http_check("health")));
  CHECK(analysis::thresholds_of(http_check("health")) == nullptr);
}
