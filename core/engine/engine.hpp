// The deploy engine: executes a plan's steps (core/plan: stages, deploy steps, analysis windows,
// blue-green switches) as child processes and analysis rounds, and when a step fails, the analysis
// fails or the run is cancelled after the new version may be serving, runs the plan's
// rollback_steps. It interprets the plan and decides nothing the plan does not say: `plan` prints
// the same steps. GitHub (gates, deployments, tracking issue) and the CLI are not here: the caller
// brings the release facts and reports the returned Report.
//
// Security: everything that came from outside (versions, sha, ids, URLs) reaches commands only as
// DEPLOY_* environment variables; command text comes from the trusted config alone. Command output
// is printed between stop-commands tokens (so it cannot issue workflow commands) and masked.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/analysis/analysis.hpp"
#include "core/clock.hpp"
#include "core/config/config.hpp"
#include "core/http/client.hpp"
#include "core/plan/plan.hpp"
#include "core/policy/promotion.hpp"
#include "core/runner/commands.hpp"

namespace deploy::engine {

// What is being released where. All values are untrusted text: they reach commands as variables.
struct ReleaseFacts {
  std::string environment;       // DEPLOY_ENVIRONMENT
  std::string version;           // DEPLOY_VERSION (DEPLOY_ROLLBACK_FROM during a rollback)
  std::string sha;               // DEPLOY_SHA
  std::string previous_version;  // DEPLOY_PREVIOUS_VERSION; what a rollback returns to
  std::string deployment_id;     // DEPLOY_DEPLOYMENT_ID (may be empty)
  std::string run_url;           // DEPLOY_RUN_URL (may be empty)
  std::string live_color;        // blue-green: the colour serving when the run starts; empty = "blue"
};

// Blue-green colours: the one that serves now and the one the new version goes to.
std::string live_color_of(const ReleaseFacts& release);
std::string idle_color_of(const ReleaseFacts& release);

// One run of a plan step (or of the rollback command), over all its attempts.
struct StepReport {
  std::string stage;           // the stage's name; "rollback" for rollback.run; "switch"
  std::optional<int> traffic;  // set on traffic steps
  std::string phase;           // the plan step's DEPLOY_PHASE
  std::string color;           // blue-green: DEPLOY_COLOR
  int attempts = 0;
  bool succeeded = false;
  int exit_code = -1;    // of the last attempt, when it exited
  std::string describe;  // of the last attempt: "exit 0", "timed out after 30s", "cancelled", ...
  std::chrono::system_clock::time_point started;   // from the Clock
  std::chrono::system_clock::time_point finished;  // from the Clock
  std::chrono::milliseconds duration{0};           // finished - started
};

// One analysis round: every check measured once and judged.
struct RoundReport {
  std::string stage;  // the deploy stage it followed; "baseline", "pre_switch", "post_switch",
                      // "post_rollback" otherwise
  std::optional<int> traffic;
  int round = 0;  // 1-based within its window
  std::chrono::system_clock::time_point at;
  bool passed = false;
  analysis::Measurement measurement = analysis::Measurement::successful;
  std::vector<analysis::Sample> samples;
  std::vector<analysis::CheckVerdict> verdicts;
};

// One hold (`pause: until-promoted`) and how it ended.
struct HoldReport {
  std::optional<int> traffic;
  std::string outcome;  // "promoted", "aborted", "promotion_timeout", "cancelled"
  std::string by;       // who promoted or aborted
  std::string reason;   // abort: as given
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
};

enum class Status { succeeded, failed, rolled_back, rollback_failed, cancelled };
std::string_view to_string(Status status);  // "succeeded", "failed", "rolled_back", ...

struct Report {
  Status status = Status::failed;
  // Stable codes: "deployed" (succeeded); what went wrong: "stage_failed", "analysis_failed",
  // "analysis_error", "analysis_inconclusive", "cancelled"; with status rollback_failed:
  // "rollback_command_failed", "post_rollback_unhealthy". When no rollback ran (nothing deployed
  // yet, rollback.automatic off, no previous version) the status is failed (or cancelled), the
  // reason is what went wrong and the message says why.
  std::string reason;
  std::string message;              // for people: what failed, and what the rollback did
  bool deployed = false;            // a step that may put the new version in front of users started
  bool rolled_back = false;         // the rollback steps ran and succeeded (and the health check passed)
  std::vector<StepReport> steps;    // command steps of the plan that started, in order
  std::vector<RoundReport> rounds;  // baseline, per-window and post-rollback rounds, in order
  analysis::Baselines baselines;
  std::vector<StepReport> rollback_steps;  // the rollback's command steps, in order
  std::optional<StepReport> rollback;      // the last of rollback_steps, when any ran
  // From the first failure detected (a failed step, the round that decided the analysis, the
  // cancel) to the end of the rollback's health check: how long users waited for the old version.
  std::optional<std::chrono::milliseconds> time_to_restore;
  std::string color;              // blue-green: the colour serving at the end of the run
  std::vector<HoldReport> holds;  // in order
};

// Writes one line of output (the action passes stdout); lines come without a newline.
using OutputSink = std::function<void(const std::string& line)>;

// Measures one check once (core/checks::run_check in production; tests may fake it).
using CheckRunner = std::function<analysis::Sample(const config::Check& check)>;

struct Inputs {
  const plan::Plan& plan;                  // plan::make_plan or plan::make_rollback_plan
  const config::Environment& environment;  // its analysis checks and limits, preview URL
  ReleaseFacts release;
  Clock& clock;  // timestamps, pauses and intervals (sleep_for)
  OutputSink out;
  const std::atomic<bool>* cancel = nullptr;    // set by a signal handler or another thread
  runner::Masker* masker = nullptr;             // masks output lines; nullptr = print as is
  RandomSource random{};                        // stop-commands tokens; empty = system_random()
  std::string working_directory{};              // for every command; empty = inherit
  std::chrono::milliseconds kill_grace{5'000};  // SIGTERM to SIGKILL on timeout or cancellation
  // Holds (plan::StepKind::hold): `on_hold` is told once when one starts (with its deadline), then
  // `promotion` is asked every `promotion_poll` until it answers promote or abort, or the hold's
  // timeout passes. Without `promotion` nobody can promote: the hold runs to its timeout.
  std::function<void(const plan::Step& hold, std::chrono::system_clock::time_point until)> on_hold{};
  std::function<policy::Promotion()> promotion{};
  std::chrono::milliseconds promotion_poll{15'000};
};

// Runs the plan. Never throws for a failing command or check; those are in the Report.
//
// Steps run in order. Command steps (stage, deploy, switch) run with retries and timeout, output
// in a ::group::. Before the first deploy step, checks that use max_increase measure a baseline.
// An analysis window runs `rounds` rounds, each after waiting its interval, and feeds one analysis
// run (core/analysis::judge): counts carry across windows until a window that ends the run; the
// run stops the deploy as soon as judge says failed. A window of 0 rounds is a plain pause.
//
// On a failed step, failed analysis or cancellation after a `live` step has started, with
// rollback.automatic on and a previous version: run plan.rollback_steps (not cancellable: they
// must finish) with DEPLOY_VERSION = the previous version and DEPLOY_ROLLBACK_FROM = the failed
// one; their health-check window decides rolled_back vs rollback_failed. In a rollback plan
// (mode rollback) DEPLOY_VERSION is the release's version and DEPLOY_ROLLBACK_FROM the previous.
//
// A hold waits for `promotion`: promote goes on, abort fails the run with reason "aborted", the
// timeout with "promotion_timeout"; both then roll back like any failure after a live step.
//
// Every command gets DEPLOY_PHASE; blue-green commands DEPLOY_COLOR. DEPLOY_STEP is the 1-based
// index of the step in plan.steps (rollback steps continue after the last); DEPLOY_TRAFFIC is set
// on deploy steps with a traffic share only, DEPLOY_ROLLBACK_FROM on rollback steps only (neither
// is inherited from the action's own environment).
Report run_deploy(const Inputs& inputs, const CheckRunner& run_check);

// The variables a plan step's command gets (exposed for tests and for `plan` output).
std::map<std::string, std::string> step_environment(const ReleaseFacts& release, const plan::Step& step,
                                                    std::size_t step_index);

}  // namespace deploy::engine
