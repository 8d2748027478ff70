#include "core/analysis.hpp"

#include <doctest/doctest.h>

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
       {"missing_sample", "check_failed", "within_thresholds"}},
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

TEST_CASE("no checks: an empty round passes and a step without rounds passes") {
  auto round = analysis::evaluate_round({}, {}, {});
  CHECK(round.passed);
  CHECK(round.checks.empty());
  auto decision = analysis::decide_step({}, 2);
  CHECK(decision.allowed);
  CHECK(decision.reason == "no_checks");
}

TEST_CASE("failure_limit counts failed rounds in a row, not in total") {
  struct Case {
    const char* name;
    std::vector<bool> rounds;
    int limit;
    bool allowed;
    const char* reason;
  };
  const std::vector<Case> cases{
      {"one pass", {true}, 1, true, "analysis_passing"},
      {"one failure, limit 1", {false}, 1, false, "analysis_failed"},
      {"one failure, limit 2", {false}, 2, true, "analysis_passing"},
      {"two in a row, limit 2", {true, false, false}, 2, false, "analysis_failed"},
      {"interleaved failures never reach 2", {false, true, false, true, false}, 2, true, "analysis_passing"},
      {"three interleaved then two in a row", {false, true, false, false}, 2, false, "analysis_failed"},
      {"failed earlier stays failed", {false, false, true}, 2, false, "analysis_failed"},
      {"limit 0 acts as 1", {false}, 0, false, "analysis_failed"},
      {"limit 3, two in a row", {true, false, false}, 3, true, "analysis_passing"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto decision = analysis::decide_step(c.rounds, c.limit);
    CHECK(decision.allowed == c.allowed);
    CHECK(decision.reason == c.reason);
  }
  CHECK(analysis::trailing_failures({true, false, false}) == 2);
  CHECK(analysis::trailing_failures({false, true}) == 0);
  CHECK(analysis::decide_step({true, false, false}, 2).message == "2 analysis rounds in a row failed");
}

TEST_CASE("which checks need a baseline") {
  CHECK(analysis::needs_baseline(prometheus_check("p99", limits({}, {}, 50))));
  CHECK_FALSE(analysis::needs_baseline(prometheus_check("errors", limits({}, 0.02, {}))));
  CHECK_FALSE(analysis::needs_baseline(http_check("health")));
  CHECK(analysis::thresholds_of(http_check("health")) == nullptr);
}
