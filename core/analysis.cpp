#include "core/analysis.hpp"

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
      verdict.outcome = Outcome::deny("check_failed", sample->message);
    } else if (const auto* t = thresholds_of(check); t != nullptr && !t->empty()) {
      if (!sample->value) {
        verdict.outcome = Outcome::deny("check_failed", "check '" + check.name + "' produced no number");
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
  return round;
}

int trailing_failures(const std::vector<bool>& rounds_passed) {
  int count = 0;
  for (auto it = rounds_passed.rbegin(); it != rounds_passed.rend() && !*it; ++it) ++count;
  return count;
}

Outcome decide_step(const std::vector<bool>& rounds_passed, int failure_limit) {
  if (rounds_passed.empty()) return Outcome::allow("no_checks", "no analysis rounds");
  const int limit = std::max(failure_limit, 1);
  int run = 0;
  for (bool passed : rounds_passed) {
    run = passed ? 0 : run + 1;
    if (run >= limit) {
      return Outcome::deny("analysis_failed", std::to_string(limit) + " analysis round" + (limit == 1 ? "" : "s") +
                                                  " in a row failed");
    }
  }
  return Outcome::allow("analysis_passing", std::to_string(run) + " failed round(s) in a row, limit " +
                                                std::to_string(limit));
}

}  // namespace deploy::analysis
