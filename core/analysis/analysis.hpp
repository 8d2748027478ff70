// Analysis decisions: whether one measured sample respects its check's thresholds (min, max, and
// max_increase against the value measured before the deploy), what a round of checks measured
// (successful, failed, error, inconclusive), and the verdict of a whole analysis run over the
// sequence of its rounds (docs/CONFIGURATION.md, "How analysis decides", is the user-facing text of
// `judge`). Pure: samples are measured by core/checks; this only decides.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/outcome.hpp"

namespace deploy::analysis {

// One measurement of one check, as core/checks produces it.
struct Sample {
  std::string check;            // the check's name
  bool ok = false;              // the probe worked: HTTP status/field/latency fine, exit 0, number parsed
  std::optional<double> value;  // the measured number (prometheus, command with thresholds, http latency in ms)
  std::string message;          // what was seen, or why the probe failed
  // With ok == false: the probe could not take a measurement at all (could not connect, timed
  // out, unreadable answer), as opposed to measuring something wrong. Counts as an error round.
  bool error = false;
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
  Outcome outcome;  // reasons: "passed", "within_thresholds", "check_failed", "check_error",
                    // "threshold_exceeded", "baseline_unavailable", "missing_sample"
};

// What one round of checks measured, in the spirit of Argo Rollouts' measurement phases.
//   successful    every check passed
//   failed        a check measured something wrong (status, field, latency, exit code, threshold)
//   error         no check failed, but one could not be measured (connect, timeout, no number)
//   inconclusive  no check failed or errored, but one could not be judged (max_increase without
//                 a baseline)
enum class Measurement { successful, failed, error, inconclusive };
std::string_view to_string(Measurement measurement);

struct RoundVerdict {
  bool passed = true;  // every check passed (an empty round passes)
  Measurement measurement = Measurement::successful;
  std::vector<CheckVerdict> checks;  // in the order of `checks`
};

// Judges one round: each configured check against its sample (matched by name). A sample whose
// probe measured something wrong is "check_failed", one that could not measure (Sample::error) or
// a check with thresholds and no value is "check_error"; a check without a sample is
// "missing_sample". The round's measurement is the worst of its checks'.
RoundVerdict evaluate_round(const std::vector<config::Check>& checks, const std::vector<Sample>& samples,
                            const Baselines& baselines);

// The limits of one analysis run (deploy.yml `analysis`).
struct Limits {
  int failure_limit = 1;                  // failed rounds in the whole run that fail it
  int consecutive_errors = 4;             // error rounds in a row that fail it
  std::optional<int> inconclusive_limit;  // inconclusive rounds in the whole run that fail it
};
Limits limits_of(const config::Analysis& analysis);

enum class Phase { running, succeeded, failed };

struct Verdict {
  Phase phase = Phase::running;
  // "analysis_running", "analysis_passed", "no_rounds", or what failed it: "analysis_failed",
  // "analysis_error", "analysis_inconclusive".
  std::string reason;
  std::string message;  // for people: the counts and the rule that decided
  int successful = 0, failed = 0, errors = 0, inconclusive = 0;
  int errors_in_a_row = 0;
};

// The verdict of one analysis run over all its rounds so far, oldest first. Counts run across
// the whole run (every traffic step and the final window): they never restart at a step.
//  1. After each round: failed >= failure_limit fails it ("analysis_failed"); error rounds in a row
//     >= consecutive_errors fails it ("analysis_error"); inconclusive >= inconclusive_limit (when
//     set) fails it ("analysis_inconclusive"). The first limit reached decides; later rounds are
//     not looked at (the engine stops measuring there).
//  2. `complete` (the planned rounds are all measured) and no limit reached: succeeded only when
//     the last round was successful; otherwise failed with the reason of the last round's kind. A
//     release is never declared healthy on a reading that says it is not.
//  3. Not complete and no limit reached: running. No rounds at all and complete: succeeded with
//     "no_rounds" (an environment without checks).
// failure_limit and consecutive_errors below 1 are treated as 1.
Verdict judge(const std::vector<Measurement>& rounds, const Limits& limits, bool complete);

}  // namespace deploy::analysis
