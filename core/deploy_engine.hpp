// The deploy engine: runs a deploy's planned steps (core/plan) as child processes, with traffic
// steps and analysis rounds between them, and rolls back by itself when a stage fails, the
// analysis fails or the run is cancelled. GitHub (gates, deployments, tracking issue) and the CLI
// are not here: the caller brings the release facts and reports the returned Report.
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

#include "core/analysis.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/http_client.hpp"
#include "core/plan.hpp"
#include "core/runner.hpp"

namespace deploy::engine {

// What is being released where. All values are untrusted text: they reach commands as variables.
struct ReleaseFacts {
  std::string environment;       // DEPLOY_ENVIRONMENT
  std::string version;           // DEPLOY_VERSION (DEPLOY_ROLLBACK_FROM during a rollback)
  std::string sha;               // DEPLOY_SHA
  std::string previous_version;  // DEPLOY_PREVIOUS_VERSION; what a rollback returns to
  std::string deployment_id;     // DEPLOY_DEPLOYMENT_ID (may be empty)
  std::string run_url;           // DEPLOY_RUN_URL (may be empty)
};

// One run of a plan step (or of the rollback command), over all its attempts.
struct StepReport {
  std::string stage;           // the stage's name; "rollback" for the rollback command
  std::optional<int> traffic;  // set on traffic steps
  int attempts = 0;
  bool succeeded = false;
  int exit_code = -1;          // of the last attempt, when it exited
  std::string describe;        // of the last attempt: "exit 0", "timed out after 30s", "cancelled", ...
  std::chrono::system_clock::time_point started;   // from the Clock
  std::chrono::system_clock::time_point finished;  // from the Clock
  std::chrono::milliseconds duration{0};           // finished - started
};

// One analysis round: every check measured once and judged.
struct RoundReport {
  std::string stage;           // the traffic stage it followed; "baseline" / "post_rollback" otherwise
  std::optional<int> traffic;
  int round = 0;               // 1-based within its step
  std::chrono::system_clock::time_point at;
  bool passed = false;
  std::vector<analysis::Sample> samples;
  std::vector<analysis::CheckVerdict> verdicts;
};

enum class Status { succeeded, failed, rolled_back, rollback_failed, cancelled };
std::string_view to_string(Status status);  // "succeeded", "failed", "rolled_back", ...

struct Report {
  Status status = Status::failed;
  // Stable codes: "deployed" (succeeded); what went wrong: "stage_failed", "analysis_failed",
  // "cancelled"; with status rollback_failed: "rollback_command_failed", "post_rollback_unhealthy".
  // When no rollback ran (nothing deployed yet, rollback.automatic off, no previous version) the
  // status is failed (or cancelled), the reason is what went wrong and the message says why.
  std::string reason;
  std::string message;  // for people: what failed, and what the rollback did
  bool rolled_back = false;  // the rollback command ran and succeeded (and the health check passed)
  std::vector<StepReport> steps;        // plan steps that started, in order
  std::vector<RoundReport> rounds;      // baseline, per-step and post-rollback rounds, in order
  analysis::Baselines baselines;
  std::optional<StepReport> rollback;   // set when the rollback command ran
};

// Writes one line of output (the action passes stdout); lines come without a newline.
using OutputSink = std::function<void(const std::string& line)>;

// Measures one check once (core/checks::run_check in production; tests may fake it).
using CheckRunner = std::function<analysis::Sample(const config::Check& check)>;

struct Inputs {
  const std::vector<plan::Step>& steps;    // plan::make_plan(config, environment).steps
  const config::Environment& environment;  // its analysis and rollback policy
  const config::RollbackCommand& rollback; // config.rollback
  ReleaseFacts release;
  Clock& clock;                            // timestamps, pauses and intervals (sleep_for)
  OutputSink out;
  const std::atomic<bool>* cancel = nullptr;  // set by a signal handler or another thread
  runner::Masker* masker = nullptr;           // masks output lines; nullptr = print as is
  RandomSource random{};                      // stop-commands tokens; empty = system_random()
  std::string working_directory{};            // for every command; empty = inherit
  std::chrono::milliseconds kill_grace{5'000};  // SIGTERM to SIGKILL on timeout or cancellation
};

// Runs the deploy. Never throws for a failing command or check; those are in the Report.
//
// Order: for each step, run its command (retries, timeout; output in a ::group::). Before the
// first traffic step, measure the baseline of checks that use max_increase. After each traffic
// step, run analysis rounds: round k after k*interval, max(1, pause/interval) rounds (none when
// the environment has no checks; the pause is still waited); the step fails at failure_limit
// failed rounds in a row. On a failed stage, failed analysis or cancellation, when a traffic stage
// or any later stage had started and rollback.automatic is on: run rollback.run with DEPLOY_VERSION
// = previous version and DEPLOY_ROLLBACK_FROM = the failed version (not cancellable: it must
// finish), then one analysis round as the post-rollback health check.
//
// DEPLOY_STEP is the 1-based index of the step in `steps` (the rollback gets steps.size() + 1);
// DEPLOY_TRAFFIC is set on traffic steps only, DEPLOY_ROLLBACK_FROM on the rollback only (neither
// is inherited from the action's own environment). The post-rollback round runs right after the
// rollback command, without waiting an interval.
Report run_deploy(const Inputs& inputs, const CheckRunner& run_check);

// The variables a plan step's command gets (exposed for tests and for `plan` output).
std::map<std::string, std::string> step_environment(const ReleaseFacts& release, const plan::Step& step,
                                                    std::size_t step_index);

}  // namespace deploy::engine
