// The deploy engine's analysis against a reference model, over thousands of generated runs: the
// engine (not just core/analysis::judge) must never report a release deployed when its sequence of
// rounds says otherwise. Plans here hold only analysis windows, so nothing is spawned; checks are
// fakes that answer a generated sequence, and the clock is manual.
#include "core/engine/engine.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace engine = deploy::engine;
namespace plan = deploy::plan;
namespace config = deploy::config;
using M = deploy::analysis::Measurement;
using namespace std::chrono_literals;

namespace {

// Written from docs/CONFIGURATION.md ("How analysis decides"), not from the engine: a complete run
// is healthy when no prefix reaches a limit and its last round was successful.
bool model_healthy(const std::vector<M>& rounds, int failure_limit, int consecutive_errors) {
  int failed = 0, run = 0;
  for (M m : rounds) {
    failed += m == M::failed;
    run = m == M::error ? run + 1 : 0;
    if (failed >= failure_limit || run >= consecutive_errors) return false;
  }
  return rounds.empty() || rounds.back() == M::successful;
}

plan::Step window(int rounds, bool starts, bool ends) {
  plan::Step step;
  step.kind = plan::StepKind::analysis;
  step.stage = "analysis";
  step.label = "window";
  step.rounds = rounds;
  step.interval = 10s;
  step.phase = "deploy";
  step.live = true;
  step.starts_run = starts;
  step.ends_run = ends;
  return step;
}

}  // namespace

TEST_CASE("the engine never reports deployed when the rounds say otherwise (property, against a model)") {
  std::mt19937 random(11);  // fixed: a failure names a reproducible case
  int succeeded = 0, failed = 0;
  for (int n = 0; n < 3000; ++n) {
    config::Environment environment;
    environment.name = "production";
    environment.analysis.failure_limit = std::uniform_int_distribution<int>(1, 4)(random);
    environment.analysis.consecutive_errors = std::uniform_int_distribution<int>(1, 4)(random);
    environment.analysis.checks.push_back(
        config::Check{"health", 5s, config::HttpCheck{"http://127.0.0.1:1/healthz", 200, {}, {}, {}}});
    plan::Plan p;
    const int windows = std::uniform_int_distribution<int>(1, 4)(random);
    int total = 0;
    for (int w = 0; w < windows; ++w) {
      const int rounds = std::uniform_int_distribution<int>(1, 4)(random);
      total += rounds;
      p.steps.push_back(window(rounds, w == 0, w + 1 == windows));
    }
    // Mostly healthy sequences with runs of failures and errors, so both verdicts are common.
    std::vector<M> rounds;
    const int bad_from = std::uniform_int_distribution<int>(0, total)(random);
    for (int i = 0; i < total; ++i) {
      const int pick = std::uniform_int_distribution<int>(0, 9)(random);
      rounds.push_back(i < bad_from ? (pick < 8    ? M::successful
                                       : pick == 8 ? M::failed
                                                   : M::error)
                                    : (pick < 3   ? M::successful
                                       : pick < 7 ? M::failed
                                                  : M::error));
    }
    deploy::ManualClock clock;
    std::size_t measured = 0;
    engine::Inputs inputs{p, environment, engine::ReleaseFacts{"production", "2.0.0", "abc", "1.0.0", "", "", ""},
                          clock, [](const std::string&) {}};
    auto report = engine::run_deploy(inputs, [&](const config::Check& check) {
      const M m = rounds.at(measured++);
      deploy::analysis::Sample sample{check.name, m == M::successful, std::nullopt, "generated"};
      sample.error = m == M::error;
      return sample;
    });
    const bool healthy =
        model_healthy(rounds, environment.analysis.failure_limit, environment.analysis.consecutive_errors);
    CAPTURE(n);
    REQUIRE((report.status == engine::Status::succeeded) == healthy);
    REQUIRE(measured <= rounds.size());
    if (!healthy) {
      // Stopped no later than the round that decided it, and said why.
      REQUIRE((report.reason == "analysis_failed" || report.reason == "analysis_error"));
    }
    (healthy ? succeeded : failed) += 1;
  }
  CHECK(succeeded > 300);
  CHECK(failed > 300);
}

TEST_CASE("a hold (pause: until-promoted) goes on at /promote, stops at /abort or at its timeout") {
  using deploy::policy::Promotion;
  using deploy::policy::PromotionDecision;
  struct Row {
    const char* name;
    int decided_at;  // the ask that answers; 0 = never
    PromotionDecision decision;
    bool with_source;
    engine::Status status;
    const char* reason;
    const char* hold;
    int asks;
  };
  const std::vector<Row> rows = {
      {"promoted at the third ask", 3, PromotionDecision::promote, true, engine::Status::succeeded, "deployed",
       "promoted", 3},
      {"aborted at the second ask", 2, PromotionDecision::abort, true, engine::Status::failed, "aborted", "aborted", 2},
      {"nobody decides: the timeout", 0, PromotionDecision::waiting, true, engine::Status::failed, "promotion_timeout",
       "promotion_timeout", 5},
      {"nobody can decide: the timeout", 0, PromotionDecision::waiting, false, engine::Status::failed,
       "promotion_timeout", "promotion_timeout", 0},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    config::Environment environment;
    environment.name = "production";
    plan::Plan p;
    plan::Step hold;
    hold.kind = plan::StepKind::hold;
    hold.stage = "promotion";
    hold.label = "at 10% traffic";
    hold.traffic = 10;
    hold.timeout = 60s;
    hold.live = true;
    p.steps.push_back(hold);
    deploy::ManualClock clock;
    engine::Inputs inputs{p, environment, engine::ReleaseFacts{"production", "2.0.0", "abc", "", "", "", ""}, clock,
                          [](const std::string&) {}};
    inputs.promotion_poll = 15s;
    int asks = 0;
    int told = 0;
    inputs.on_hold = [&](const plan::Step&, std::chrono::system_clock::time_point) { ++told; };
    if (row.with_source) {
      inputs.promotion = [&] {
        ++asks;
        Promotion answer;
        if (asks == row.decided_at) {
          answer.decision = row.decision;
          answer.by = "alice";
        }
        return answer;
      };
    }
    const auto report = engine::run_deploy(inputs, [](const config::Check&) { return deploy::analysis::Sample{}; });
    CHECK(report.status == row.status);
    CHECK(report.reason == row.reason);
    CHECK(told == 1);
    CHECK(asks == row.asks);
    REQUIRE(report.holds.size() == 1);
    CHECK(report.holds[0].outcome == row.hold);
    CHECK(report.holds[0].traffic == 10);
  }
}
