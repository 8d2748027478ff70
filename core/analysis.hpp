// Canary analysis decisions: whether one measured sample respects its check's thresholds (min,
// max, and max_increase against the value measured before the deploy), whether a round of checks
// passed, and whether a traffic step failed under the failure_limit rule (that many failed rounds
// in a row). Pure: samples are measured by core/checks; this only decides.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/outcome.hpp"

namespace deploy::analysis {

// One measurement of one check, as core/checks produces it.
struct Sample {
  std::string check;            // the check's name
  bool ok = false;              // the probe worked: HTTP status/field/latency fine, exit 0, number parsed
  std::optional<double> value;  // the measured number (prometheus, command with thresholds, http latency in ms)
  std::string message;          // what was seen, or why the probe failed
};

// Baseline values by check name, measured before the first traffic step, for checks that use
// max_increase.
using Baselines = std::map<std::string, double, std::less<>>;

// The thresholds a check's value must respect; nullptr for http checks (they have none).
const config::Thresholds* thresholds_of(const config::Check& check);
// True when the check needs a baseline (its thresholds set max_increase).
bool needs_baseline(const config::Check& check);

// Whether `value` respects `thresholds`. Reasons: "within_thresholds" (allowed),
// "threshold_exceeded" (below min, above max, or more than max_increase above the baseline),
// "baseline_unavailable" (max_increase set and no baseline). With a baseline of 0, any positive
// value is an infinite increase and exceeds every max_increase; 0 itself is no increase.
Outcome evaluate_thresholds(const config::Thresholds& thresholds, double value, std::optional<double> baseline);

// The verdict on one check in one round.
struct CheckVerdict {
  std::string check;
  Outcome outcome;  // reasons: "passed", "within_thresholds", "check_failed", "threshold_exceeded",
                    // "baseline_unavailable", "missing_sample"
};

struct RoundVerdict {
  bool passed = true;  // every check passed (an empty round passes)
  std::vector<CheckVerdict> checks;  // in the order of `checks`
};

// Judges one round: each configured check against its sample (matched by name). A sample whose
// probe failed is "check_failed"; a check with thresholds and no value is "check_failed"; a check
// without a sample is "missing_sample".
RoundVerdict evaluate_round(const std::vector<config::Check>& checks, const std::vector<Sample>& samples,
                            const Baselines& baselines);

// The failure_limit rule over a step's rounds so far (true = passed), oldest first: the step fails
// as soon as `failure_limit` rounds in a row have failed; a passing round resets the count.
// Reasons: "analysis_failed" (denied), "analysis_passing" (allowed, more rounds may follow),
// "no_checks" (allowed, no rounds at all). failure_limit below 1 is treated as 1.
Outcome decide_step(const std::vector<bool>& rounds_passed, int failure_limit);

// How many failed rounds end the sequence in a row.
int trailing_failures(const std::vector<bool>& rounds_passed);

}  // namespace deploy::analysis
