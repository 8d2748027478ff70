#include "core/engine/engine.hpp"

#include <algorithm>
#include <utility>

#include "core/config/duration.hpp"
#include "core/process/process.hpp"

namespace deploy::engine {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kWaitSlice{100};  // how often a pause looks at the cancel flag

struct Failure {
  std::string reason;
  std::string message;
};

class Run {
 public:
  Run(const Inputs& in, const CheckRunner& run_check)
      : in_(in), run_check_(run_check), random_(in.random ? in.random : system_random()) {}

  Report execute();

 private:
  bool cancelled() const { return in_.cancel != nullptr && in_.cancel->load(); }
  void emit(const std::string& line) const { in_.out(in_.masker != nullptr ? in_.masker->mask(line) : line); }
  void emit_control(const std::string& line) const { in_.out(line); }

  // Prints lines that may carry text from outside (command output, response bodies) where the
  // runner cannot take them for workflow commands.
  template <class Body>
  void untrusted(Body body) {
    const std::string token = runner::random_uuid(random_);
    emit_control(runner::stop_commands_command(token));
    body();
    emit_control(runner::resume_commands_command(token));
  }

  StepReport run_command(const plan::Step& step, const std::map<std::string, std::string>& env,
                         const std::string& title, const std::atomic<bool>* cancel);
  bool wait(milliseconds duration);
  RoundReport analysis_round(const plan::Step& window, int number);
  void take_baseline();
  std::optional<Failure> run_window(const plan::Step& window, const std::atomic<bool>* cancel);
  std::optional<Failure> run_hold(const plan::Step& hold);
  std::optional<Failure> run_step(const plan::Step& step, std::size_t index, bool rolling_back);
  void finish_failed(Failure failure);
  bool roll_back(std::string& message);
  std::string color_of(plan::Color color) const;
  std::map<std::string, std::string> environment_of(const plan::Step& step, std::size_t index, bool rolling_back) const;

  const Inputs& in_;
  const CheckRunner& run_check_;
  RandomSource random_;
  Report report_;
  std::vector<analysis::Measurement> measurements_;  // the current analysis run's rounds
  std::optional<std::chrono::system_clock::time_point> failed_at_;
  bool switched_ = false;  // blue-green: traffic moved to the new colour
};

std::string step_title(const plan::Step& step, const std::string& color) {
  std::string title = step.stage;
  if (step.traffic) title += " (traffic " + std::to_string(*step.traffic) + "%)";
  if (step.kind == plan::StepKind::switch_traffic)
    title = "switch traffic to " + color;
  else if (!color.empty())
    title += " (" + color + ")";
  if (step.phase == "rollback" && step.kind != plan::StepKind::switch_traffic) title = "rollback: " + title;
  return title;
}

std::string window_title(const plan::Step& window) { return "analysis " + window.label; }

std::string Run::color_of(plan::Color color) const {
  switch (color) {
    case plan::Color::none:
      return "";
    case plan::Color::idle:
      return idle_color_of(in_.release);
    case plan::Color::live:
      return live_color_of(in_.release);
  }
  return "";
}

std::map<std::string, std::string> Run::environment_of(const plan::Step& step, std::size_t index,
                                                       bool rolling_back) const {
  auto env = step_environment(in_.release, step, index);
  const std::string color = color_of(step.color);
  if (!color.empty()) env["DEPLOY_COLOR"] = color;
  if (rolling_back) {
    // Automatic rollback: back to the version that served before this run.
    env["DEPLOY_VERSION"] = in_.release.previous_version;
    env["DEPLOY_ROLLBACK_FROM"] = in_.release.version;
  } else if (in_.plan.mode == "rollback") {
    env["DEPLOY_ROLLBACK_FROM"] = in_.release.previous_version;
  }
  return env;
}

StepReport Run::run_command(const plan::Step& plan_step, const std::map<std::string, std::string>& env,
                            const std::string& title, const std::atomic<bool>* cancel) {
  StepReport step;
  step.stage = plan_step.stage;
  step.traffic = plan_step.traffic;
  step.phase = plan_step.phase;
  if (auto it = env.find("DEPLOY_COLOR"); it != env.end()) step.color = it->second;
  step.started = in_.clock.now();
  emit_control(runner::group_command(in_.masker != nullptr ? in_.masker->mask(title) : title));
  const int attempts = std::max(plan_step.retries, 0) + 1;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) emit("attempt " + std::to_string(attempt) + " of " + std::to_string(attempts));
    auto spec = process::shell(plan_step.run);
    spec.env = env;
    // Variables we set only sometimes must not leak in from the action's own environment.
    for (const char* name : {"DEPLOY_TRAFFIC", "DEPLOY_ROLLBACK_FROM", "DEPLOY_COLOR"}) {
      if (env.count(name) == 0) spec.unset_env.emplace_back(name);
    }
    spec.timeout = plan_step.timeout;
    spec.kill_grace = in_.kill_grace;
    spec.working_directory = in_.working_directory;
    process::Result result;
    untrusted([&] {
      result = process::run(
          spec, [this](const std::string& line) { emit(line); }, cancel);
    });
    step.attempts = attempt;
    step.succeeded = result.succeeded();
    step.exit_code = result.end == process::Result::End::exited ? result.exit_code : -1;
    step.describe = result.describe();
    if (step.succeeded || result.end == process::Result::End::cancelled) break;
    if (attempt < attempts) emit(title + ": " + step.describe + ", retrying");
  }
  emit_control(runner::endgroup_command());
  step.finished = in_.clock.now();
  step.duration = std::chrono::duration_cast<milliseconds>(step.finished - step.started);
  emit(title + ": " + step.describe + " after " + std::to_string(step.attempts) + " attempt" +
       (step.attempts == 1 ? "" : "s"));
  return step;
}

bool Run::wait(milliseconds duration) {
  while (duration > milliseconds{0}) {
    if (cancelled()) return false;
    const auto slice = std::min(duration, kWaitSlice);
    in_.clock.sleep_for(slice);
    duration -= slice;
  }
  return !cancelled();
}

RoundReport Run::analysis_round(const plan::Step& window, int number) {
  RoundReport round;
  round.stage = window.phase == "pre_switch"    ? "pre_switch"
                : window.phase == "post_switch" ? "post_switch"
                : window.phase == "rollback"    ? "post_rollback"
                : report_.steps.empty()         ? "analysis"
                                                : report_.steps.back().stage;
  if (window.phase == "deploy" && !report_.steps.empty()) round.traffic = report_.steps.back().traffic;
  round.round = number;
  round.at = in_.clock.now();
  std::vector<config::Check> checks;
  for (const auto& check : in_.environment.analysis.checks) {
    if (!window.preview) {
      checks.push_back(check);
    } else if (auto preview = plan::preview_check(check, in_.environment.strategy.preview_url)) {
      checks.push_back(std::move(*preview));
    }
  }
  for (const auto& check : checks) round.samples.push_back(run_check_(check));
  auto verdict = analysis::evaluate_round(checks, round.samples, report_.baselines);
  round.passed = verdict.passed;
  round.measurement = verdict.measurement;
  round.verdicts = std::move(verdict.checks);
  emit(window_title(window) + ", round " + std::to_string(number) + ": " +
       std::string(analysis::to_string(round.measurement)));
  untrusted([&] {
    for (const auto& v : round.verdicts) emit("  " + v.check + ": " + v.outcome.reason + ": " + v.outcome.message);
  });
  return round;
}

void Run::take_baseline() {
  RoundReport round;
  round.stage = "baseline";
  round.round = 1;
  round.at = in_.clock.now();
  for (const auto& check : in_.environment.analysis.checks) {
    if (!analysis::needs_baseline(check)) continue;
    auto sample = run_check_(check);
    if (sample.ok && sample.value) {
      report_.baselines[check.name] = *sample.value;
      emit("baseline of " + check.name + ": " + sample.message);
    } else {
      untrusted([&] { emit("baseline of " + check.name + " unavailable: " + sample.message); });
    }
    round.samples.push_back(std::move(sample));
  }
  if (round.samples.empty()) return;
  round.passed = report_.baselines.size() == round.samples.size();
  round.measurement = round.passed ? analysis::Measurement::successful : analysis::Measurement::inconclusive;
  report_.rounds.push_back(std::move(round));
}

std::optional<Failure> Run::run_window(const plan::Step& window, const std::atomic<bool>* cancel) {
  auto was_cancelled = [&] { return cancel != nullptr && cancel->load(); };
  if (window.rounds == 0) {
    if (cancel == nullptr) {
      in_.clock.sleep_for(window.interval);
    } else if (!wait(window.interval)) {
      return Failure{"cancelled", "cancelled during the " + window.label};
    }
    return std::nullopt;
  }
  if (window.starts_run) measurements_.clear();
  const auto limits = analysis::limits_of(in_.environment.analysis);
  for (int k = 1; k <= window.rounds; ++k) {
    if (cancel == nullptr) {
      in_.clock.sleep_for(window.interval);
    } else if (!wait(window.interval) || was_cancelled()) {
      return Failure{"cancelled", "cancelled during the " + window_title(window)};
    }
    auto round = analysis_round(window, k);
    measurements_.push_back(round.measurement);
    std::string failed_checks;
    for (const auto& v : round.verdicts) {
      if (!v.outcome.allowed) failed_checks += (failed_checks.empty() ? "" : "; ") + v.check + ": " + v.outcome.message;
    }
    const auto at = round.at;
    report_.rounds.push_back(std::move(round));
    const auto verdict = analysis::judge(measurements_, limits, window.ends_run && k == window.rounds);
    if (verdict.phase == analysis::Phase::failed) {
      failed_at_ = at;
      return Failure{verdict.reason, window_title(window) + " failed: " + verdict.message +
                                         (failed_checks.empty() ? "" : "; last round: " + failed_checks)};
    }
    if (verdict.phase == analysis::Phase::succeeded) emit(window_title(window) + ": passed (" + verdict.message + ")");
  }
  return std::nullopt;
}

std::optional<Failure> Run::run_hold(const plan::Step& hold) {
  HoldReport report;
  report.traffic = hold.traffic;
  report.started = in_.clock.now();
  const auto until = report.started + hold.timeout;
  const std::string where = "the hold " + hold.label;
  emit("holding " + hold.label + ": waiting for /promote or /abort, at most " + config::format_duration(hold.timeout) +
       " (then rolling back)");
  if (in_.on_hold) in_.on_hold(hold, until);
  auto end = [&](std::string outcome) {
    report.outcome = std::move(outcome);
    report.finished = in_.clock.now();
    report_.holds.push_back(report);
  };
  while (true) {
    if (in_.promotion) {
      const auto promotion = in_.promotion();
      report.by = promotion.by;
      report.reason = promotion.reason;
      if (promotion.decision == policy::PromotionDecision::promote) {
        end("promoted");
        emit(where + ": promoted by @" + promotion.by);
        return std::nullopt;
      }
      if (promotion.decision == policy::PromotionDecision::abort) {
        end("aborted");
        failed_at_ = report.finished;
        return Failure{"aborted", "aborted by @" + promotion.by + " during " + where +
                                      (promotion.reason.empty() ? std::string() : ": " + promotion.reason)};
      }
    }
    const auto now = in_.clock.now();
    if (now >= until) {
      end("promotion_timeout");
      failed_at_ = report.finished;
      return Failure{"promotion_timeout", "nobody promoted within " + config::format_duration(hold.timeout) +
                                              " (strategy.pause_timeout) during " + where};
    }
    const auto left = std::chrono::duration_cast<milliseconds>(until - now);
    if (!wait(std::min(left, in_.promotion_poll))) {
      end("cancelled");
      return Failure{"cancelled", "cancelled during " + where};
    }
  }
}

std::optional<Failure> Run::run_step(const plan::Step& step, std::size_t index, bool rolling_back) {
  const std::atomic<bool>* cancel = rolling_back ? nullptr : in_.cancel;
  if (step.kind == plan::StepKind::analysis) return run_window(step, cancel);
  if (step.kind == plan::StepKind::hold) return run_hold(step);
  const auto env = environment_of(step, index, rolling_back);
  const std::string title = step_title(step, color_of(step.color));
  auto ran = run_command(step, env, title, cancel);
  (rolling_back ? report_.rollback_steps : report_.steps).push_back(ran);
  if (ran.succeeded) {
    if (step.kind == plan::StepKind::switch_traffic) {
      switched_ = step.color == plan::Color::idle;
      report_.color = color_of(step.color);
    }
    return std::nullopt;
  }
  failed_at_ = ran.finished;
  if (ran.describe == "cancelled") return Failure{"cancelled", "cancelled during " + title};
  return Failure{"stage_failed", title + " failed: " + ran.describe + " after " + std::to_string(ran.attempts) +
                                     " attempt" + (ran.attempts == 1 ? "" : "s")};
}

// Runs plan.rollback_steps; true when they all succeeded and the health check passed.
bool Run::roll_back(std::string& message) {
  const auto& previous = in_.release.previous_version;
  emit("rolling back " + in_.release.environment + " from " + in_.release.version + " to " + previous);
  measurements_.clear();
  std::size_t index = in_.plan.steps.size();
  for (const auto& step : in_.plan.rollback_steps) {
    ++index;
    if (auto failure = run_step(step, index, true)) {
      if (step.kind == plan::StepKind::analysis) {
        report_.status = Status::rollback_failed;
        report_.reason = "post_rollback_unhealthy";
        message += "; rolled back to " + previous + " but the health check after it failed (" + failure->message + ")";
      } else {
        report_.status = Status::rollback_failed;
        report_.reason = "rollback_command_failed";
        message +=
            "; the rollback to " + previous + " failed (" + failure->message + "): the environment needs attention";
      }
      return false;
    }
  }
  if (!report_.rollback_steps.empty()) report_.rollback = report_.rollback_steps.back();
  message += "; rolled back to " + previous;
  return true;
}

void Run::finish_failed(Failure failure) {
  const bool was_cancelled = failure.reason == "cancelled";
  if (!failed_at_) failed_at_ = in_.clock.now();
  report_.status = was_cancelled ? Status::cancelled : Status::failed;
  report_.reason = failure.reason;
  report_.message = failure.message;
  const auto& previous = in_.release.previous_version;
  const bool blue_green = in_.environment.strategy.type == config::Strategy::Type::blue_green;
  if (in_.plan.mode == "rollback") {
    report_.message += "; the rollback did not complete: the environment needs attention";
  } else if (!report_.deployed) {
    report_.message += blue_green ? "; traffic was never switched, so users stay on " +
                                        (previous.empty() ? std::string("the live colour") : previous)
                                  : "; nothing was deployed yet, so nothing was rolled back";
  } else if (!in_.environment.rollback.automatic) {
    report_.message += "; automatic rollback is off for this environment: roll back with /rollback";
  } else if (in_.plan.rollback_steps.empty()) {
    report_.message += "; no way back is configured (rollback.run, or a deploy stage)";
  } else if (previous.empty()) {
    report_.message += "; there is no previous version to roll back to";
  } else {
    std::string message = report_.message;
    const bool ok = roll_back(message);
    report_.message = message;
    report_.time_to_restore = std::chrono::duration_cast<milliseconds>(in_.clock.now() - *failed_at_);
    if (ok) {
      emit(previous + " is serving again " + std::to_string(report_.time_to_restore->count()) +
           " ms after the failure was detected");
      report_.rolled_back = true;
      if (!was_cancelled) report_.status = Status::rolled_back;
      if (blue_green) report_.color = live_color_of(in_.release);
    } else if (was_cancelled) {
      report_.status = Status::cancelled;
      report_.reason = "cancelled";
    }
  }
  // The caller prints the run's one error annotation (the action adds what GitHub was told).
  emit("deploy failed: " + report_.message);
}

Report Run::execute() {
  const auto& steps = in_.plan.steps;
  bool baseline_taken = false;
  report_.color = in_.environment.strategy.type == config::Strategy::Type::blue_green ? live_color_of(in_.release) : "";
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    if (cancelled()) {
      finish_failed({"cancelled", "cancelled before " + (step.kind == plan::StepKind::analysis
                                                             ? window_title(step)
                                                             : step_title(step, color_of(step.color)))});
      return report_;
    }
    if (step.kind == plan::StepKind::deploy && !baseline_taken && in_.plan.mode == "deploy") {
      take_baseline();
      baseline_taken = true;
    }
    if (step.live) report_.deployed = true;
    if (auto failure = run_step(step, i + 1, false)) {
      finish_failed(std::move(*failure));
      return report_;
    }
  }
  report_.status = Status::succeeded;
  report_.reason = "deployed";
  report_.message =
      (in_.plan.mode == "rollback" ? "rolled back " + in_.release.environment + " to " + in_.release.version
                                   : "deployed " + in_.release.version + " to " + in_.release.environment);
  emit(report_.message);
  return report_;
}

}  // namespace

std::string_view to_string(Status status) {
  switch (status) {
    case Status::succeeded:
      return "succeeded";
    case Status::failed:
      return "failed";
    case Status::rolled_back:
      return "rolled_back";
    case Status::rollback_failed:
      return "rollback_failed";
    case Status::cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::map<std::string, std::string> step_environment(const ReleaseFacts& release, const plan::Step& step,
                                                    std::size_t step_index) {
  std::map<std::string, std::string> env{
      {"DEPLOY_ENVIRONMENT", release.environment},
      {"DEPLOY_VERSION", release.version},
      {"DEPLOY_SHA", release.sha},
      {"DEPLOY_PREVIOUS_VERSION", release.previous_version},
      {"DEPLOY_STEP", std::to_string(step_index)},
      {"DEPLOY_DEPLOYMENT_ID", release.deployment_id},
      {"DEPLOY_RUN_URL", release.run_url},
  };
  if (step.traffic) env["DEPLOY_TRAFFIC"] = std::to_string(*step.traffic);
  if (!step.phase.empty()) env["DEPLOY_PHASE"] = step.phase;
  return env;
}

std::string live_color_of(const ReleaseFacts& release) { return release.live_color == "green" ? "green" : "blue"; }

std::string idle_color_of(const ReleaseFacts& release) { return live_color_of(release) == "blue" ? "green" : "blue"; }

Report run_deploy(const Inputs& inputs, const CheckRunner& run_check) { return Run(inputs, run_check).execute(); }

}  // namespace deploy::engine
