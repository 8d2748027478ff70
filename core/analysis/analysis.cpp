#include "core/analysis/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace deploy::analysis {
namespace {

std::string number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

}  // namespace

const config::Thresholds* thresholds_of(const config::Check& check) {
  if (const auto* p = std::get_if<config::PrometheusCheck>(&check.probe)) return &p->thresholds;
  if (const auto* c = std::get_if<config::CommandCheck>(&check.probe)) return &c->thresholds;
  return nullptr;
}

bool needs_baseline(const config::Check& check) {
  const auto* t = thresholds_of(check);
  return t != nullptr && t->max_increase_percent.has_value();
}

Outcome evaluate_thresholds(const config::Thresholds& thresholds, double value, std::optional<double> baseline) {
  if (thresholds.min && value < *thresholds.min) {
    return Outcome::deny("threshold_exceeded", number(value) + " is below the minimum " + number(*thresholds.min));
  }
  if (thresholds.max && value > *thresholds.max) {
    return Outcome::deny("threshold_exceeded", number(value) + " is above the maximum " + number(*thresholds.max));
  }
  if (thresholds.max_increase_percent) {
    if (!baseline) {
      return Outcome::deny("baseline_unavailable",
                           "max_increase needs the value measured before the deploy, and that measurement failed");
    }
    const double limit = *thresholds.max_increase_percent;
    double increase = 0;
    if (*baseline == 0) {
      increase = value > 0 ? std::numeric_limits<double>::infinity() : 0;
    } else {
      increase = (value - *baseline) / std::abs(*baseline) * 100.0;
    }
    if (increase > limit) {
      return Outcome::deny("threshold_exceeded", number(value) + " is more than " + number(limit) +
                                                     "% above the baseline " + number(*baseline));
    }
  }
  return Outcome::allow("within_thresholds", number(value) + " is within the thresholds");
}

RoundVerdict evaluate_round(const std::vector<config::Check>& checks, const std::vector<Sample>& samples,
                            const Baselines& baselines) {
  RoundVerdict round;
  for (const auto& check : checks) {
    auto sample = std::find_if(samples.begin(), samples.end(), [&](const Sample& s) { return s.check == check.name; });
    CheckVerdict verdict{check.name, {}};
    if (sample == samples.end()) {
      verdict.outcome = Outcome::deny("missing_sample", "check '" + check.name + "' was not measured");
    } else if (!sample->ok) {
      verdict.outcome = Outcome::deny(sample->error ? "check_error" : "check_failed", sample->message);
    } else if (const auto* t = thresholds_of(check); t != nullptr && !t->empty()) {
      if (!sample->value) {
        verdict.outcome = Outcome::deny("check_error", "check '" + check.name + "' produced no number");
      } else {
        std::optional<double> baseline;
        if (auto b = baselines.find(check.name); b != baselines.end()) baseline = b->second;
        verdict.outcome = evaluate_thresholds(*t, *sample->value, baseline);
      }
    } else {
      verdict.outcome = Outcome::allow("passed", sample->message);
    }
    if (!verdict.outcome.allowed) round.passed = false;
    round.checks.push_back(std::move(verdict));
  }
  // The worst kind of any check decides the round: failed, then error, then inconclusive.
  auto any = [&](std::initializer_list<std::string_view> reasons) {
    return std::any_of(round.checks.begin(), round.checks.end(), [&](const CheckVerdict& c) {
      return std::find(reasons.begin(), reasons.end(), c.outcome.reason) != reasons.end();
    });
  };
  if (any({"check_failed", "threshold_exceeded"}))
    round.measurement = Measurement::failed;
  else if (any({"check_error", "missing_sample"}))
    round.measurement = Measurement::error;
  else if (any({"baseline_unavailable"}))
    round.measurement = Measurement::inconclusive;
  else
    round.measurement = Measurement::successful;
  return round;
}

std::string_view to_string(Measurement measurement) {
  switch (measurement) {
    case Measurement::successful:
      return "successful";
    case Measurement::failed:
      return "failed";
    case Measurement::error:
      return "error";
    case Measurement::inconclusive:
      return "inconclusive";
  }
  return "unknown";
}

Limits limits_of(const config::Analysis& analysis) {
  return Limits{analysis.failure_limit, analysis.consecutive_errors, analysis.inconclusive_limit};
}

namespace {

std::string rounds_text(int n) { return std::to_string(n) + " round" + (n == 1 ? "" : "s"); }

std::string counts_text(const Verdict& v) {
  return std::to_string(v.successful) + " successful, " + std::to_string(v.failed) + " failed, " +
         std::to_string(v.errors) + " error, " + std::to_string(v.inconclusive) + " inconclusive";
}

Verdict finished(Verdict v, Phase phase, std::string reason, const std::string& why) {
  v.phase = phase;
  v.reason = std::move(reason);
  v.message = why + " (" + counts_text(v) + ")";
  return v;
}

}  // namespace

Verdict judge(const std::vector<Measurement>& rounds, const Limits& limits, bool complete) {
  const int failure_limit = std::max(limits.failure_limit, 1);
  const int error_limit = std::max(limits.consecutive_errors, 1);
  Verdict v;
  for (const Measurement m : rounds) {
    switch (m) {
      case Measurement::successful:
        ++v.successful;
        break;
      case Measurement::failed:
        ++v.failed;
        break;
      case Measurement::error:
        ++v.errors;
        break;
      case Measurement::inconclusive:
        ++v.inconclusive;
        break;
    }
    v.errors_in_a_row = m == Measurement::error ? v.errors_in_a_row + 1 : 0;
    if (v.failed >= failure_limit) {
      return finished(v, Phase::failed, "analysis_failed",
                      rounds_text(v.failed) + " failed, the failure_limit is " + std::to_string(failure_limit));
    }
    if (v.errors_in_a_row >= error_limit) {
      return finished(v, Phase::failed, "analysis_error",
                      rounds_text(v.errors_in_a_row) + " in a row could not measure, consecutive_errors is " +
                          std::to_string(error_limit));
    }
    if (limits.inconclusive_limit && v.inconclusive >= std::max(*limits.inconclusive_limit, 1)) {
      return finished(v, Phase::failed, "analysis_inconclusive",
                      rounds_text(v.inconclusive) + " inconclusive, the inconclusive_limit is " +
                          std::to_string(*limits.inconclusive_limit));
    }
  }
  if (!complete) return finished(v, Phase::running, "analysis_running", "analysis in progress");
  if (rounds.empty()) return finished(v, Phase::succeeded, "no_rounds", "no analysis rounds");
  switch (rounds.back()) {
    case Measurement::successful:
      return finished(v, Phase::succeeded, "analysis_passed", "the last round was successful and no limit was reached");
    case Measurement::failed:
      return finished(v, Phase::failed, "analysis_failed",
                      "the last round failed: a release is never declared "
                      "healthy on a failing reading");
    case Measurement::error:
      return finished(v, Phase::failed, "analysis_error",
                      "the last round could not measure: a release is never "
                      "declared healthy without a reading");
    case Measurement::inconclusive:
      return finished(v, Phase::failed, "analysis_inconclusive", "the last round was inconclusive");
  }
  return v;
}

}  // namespace deploy::analysis
