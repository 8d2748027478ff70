#include "core/deploy_engine.hpp"

#include <algorithm>
#include <utility>

#include "core/config_duration.hpp"
#include "core/process.hpp"

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

  StepReport run_command(const std::string& stage, std::optional<int> traffic, const std::string& command,
                         milliseconds timeout, int retries, const std::map<std::string, std::string>& env,
                         const std::string& title, const std::atomic<bool>* cancel);
  bool wait(milliseconds duration);
  RoundReport analysis_round(const std::string& stage, std::optional<int> traffic, int number);
  void take_baseline();
  std::optional<Failure> analyse_step(const plan::Step& step);
  void finish_failed(Failure failure, bool deployed);

  const Inputs& in_;
  const CheckRunner& run_check_;
  RandomSource random_;
  Report report_;
};

std::string step_title(const plan::Step& step) {
  return step.traffic ? step.stage + " (traffic " + std::to_string(*step.traffic) + "%)" : step.stage;
}

StepReport Run::run_command(const std::string& stage, std::optional<int> traffic, const std::string& command,
                            milliseconds timeout, int retries, const std::map<std::string, std::string>& env,
                            const std::string& title, const std::atomic<bool>* cancel) {
  StepReport step;
  step.stage = stage;
  step.traffic = traffic;
  step.started = in_.clock.now();
  emit_control(runner::group_command(in_.masker != nullptr ? in_.masker->mask(title) : title));
  const int attempts = std::max(retries, 0) + 1;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) emit("attempt " + std::to_string(attempt) + " of " + std::to_string(attempts));
    auto spec = process::shell(command);
    spec.env = env;
    // Variables we set only sometimes must not leak in from the action's own environment.
    for (const char* name : {"DEPLOY_TRAFFIC", "DEPLOY_ROLLBACK_FROM"}) {
      if (env.count(name) == 0) spec.unset_env.emplace_back(name);
    }
    spec.timeout = timeout;
    spec.kill_grace = in_.kill_grace;
    spec.working_directory = in_.working_directory;
    process::Result result;
    untrusted([&] { result = process::run(spec, [this](const std::string& line) { emit(line); }, cancel); });
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

RoundReport Run::analysis_round(const std::string& stage, std::optional<int> traffic, int number) {
  RoundReport round;
  round.stage = stage;
  round.traffic = traffic;
  round.round = number;
  round.at = in_.clock.now();
  const auto& checks = in_.environment.analysis.checks;
  for (const auto& check : checks) round.samples.push_back(run_check_(check));
  auto verdict = analysis::evaluate_round(checks, round.samples, report_.baselines);
  round.passed = verdict.passed;
  round.verdicts = std::move(verdict.checks);
  std::string where = traffic ? stage + " at " + std::to_string(*traffic) + "%" : stage;
  emit("analysis " + where + ", round " + std::to_string(number) + ": " + (round.passed ? "passed" : "failed"));
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
  report_.rounds.push_back(std::move(round));
}

std::optional<Failure> Run::analyse_step(const plan::Step& step) {
  const auto& analysis = in_.environment.analysis;
  const milliseconds pause = step.analysis;
  if (analysis.checks.empty()) {
    if (!wait(pause)) return Failure{"cancelled", "cancelled during the pause after " + step_title(step)};
    return std::nullopt;
  }
  const milliseconds interval = std::max(analysis.interval, milliseconds{1});
  const auto rounds = std::max<std::int64_t>(1, pause.count() / interval.count());
  const milliseconds before_each = std::min(interval, pause);
  std::vector<bool> passed;
  for (std::int64_t k = 1; k <= rounds; ++k) {
    if (!wait(before_each)) return Failure{"cancelled", "cancelled during the analysis of " + step_title(step)};
    auto round = analysis_round(step.stage, step.traffic, static_cast<int>(k));
    passed.push_back(round.passed);
    std::string failed_checks;
    for (const auto& v : round.verdicts) {
      if (!v.outcome.allowed) failed_checks += (failed_checks.empty() ? "" : "; ") + v.check + ": " + v.outcome.message;
    }
    report_.rounds.push_back(std::move(round));
    auto decision = analysis::decide_step(passed, analysis.failure_limit);
    if (!decision.allowed) {
      return Failure{"analysis_failed", "analysis of " + step_title(step) + " failed (" + decision.message +
                                            "); last round: " + failed_checks};
    }
  }
  return std::nullopt;
}

void Run::finish_failed(Failure failure, bool deployed) {
  const bool was_cancelled = failure.reason == "cancelled";
  report_.status = was_cancelled ? Status::cancelled : Status::failed;
  report_.reason = failure.reason;
  report_.message = failure.message;
  const auto& version = in_.release.version;
  const auto& previous = in_.release.previous_version;
  if (!deployed) {
    report_.message += "; nothing was deployed yet, so nothing was rolled back";
  } else if (!in_.environment.rollback.automatic) {
    report_.message += "; automatic rollback is off for this environment: roll back with /rollback";
  } else if (in_.rollback.run.empty()) {
    report_.message += "; no rollback command is configured (rollback.run)";
  } else if (previous.empty()) {
    report_.message += "; there is no previous version to roll back to";
  } else {
    emit("rolling back " + in_.release.environment + " from " + version + " to " + previous);
    plan::Step rollback_step{"rollback", in_.rollback.run, in_.rollback.timeout, 0, std::nullopt, {}};
    auto env = step_environment(in_.release, rollback_step, in_.steps.size() + 1);
    env["DEPLOY_VERSION"] = previous;
    env["DEPLOY_ROLLBACK_FROM"] = version;
    // Not cancellable: a cancelled deploy must still be put back.
    report_.rollback = run_command("rollback", std::nullopt, in_.rollback.run, in_.rollback.timeout, 0, env,
                                   "rollback to " + previous, nullptr);
    if (!report_.rollback->succeeded) {
      if (!was_cancelled) {
        report_.status = Status::rollback_failed;
        report_.reason = "rollback_command_failed";
      }
      report_.message += "; the rollback to " + previous + " failed (" + report_.rollback->describe +
                         "): the environment needs attention";
    } else {
      bool healthy = true;
      if (!in_.environment.analysis.checks.empty()) {
        auto round = analysis_round("post_rollback", std::nullopt, 1);
        healthy = round.passed;
        report_.rounds.push_back(std::move(round));
      }
      if (healthy) {
        report_.rolled_back = true;
        if (!was_cancelled) report_.status = Status::rolled_back;
        report_.message += "; rolled back to " + previous;
      } else {
        if (!was_cancelled) {
          report_.status = Status::rollback_failed;
          report_.reason = "post_rollback_unhealthy";
        }
        report_.message += "; rolled back to " + previous + " but the health check after it failed";
      }
    }
  }
  emit(runner::annotation_command(runner::AnnotationLevel::error, report_.message));
}

Report Run::execute() {
  const auto& steps = in_.steps;
  const auto first_traffic = std::find_if(steps.begin(), steps.end(), [](const plan::Step& s) { return s.traffic; });
  const auto first_traffic_index = static_cast<std::size_t>(first_traffic - steps.begin());
  bool deployed = false;
  bool baseline_taken = false;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    if (cancelled()) {
      finish_failed({"cancelled", "cancelled before " + step_title(step)}, deployed);
      return report_;
    }
    if (step.traffic && !baseline_taken) {
      take_baseline();
      baseline_taken = true;
    }
    if (i >= first_traffic_index) deployed = true;
    report_.steps.push_back(run_command(step.stage, step.traffic, step.run, step.timeout, step.retries,
                                        step_environment(in_.release, step, i + 1), step_title(step), in_.cancel));
    const auto& ran = report_.steps.back();
    if (!ran.succeeded) {
      if (ran.describe == "cancelled") {
        finish_failed({"cancelled", "cancelled during " + step_title(step)}, deployed);
      } else {
        finish_failed({"stage_failed", step_title(step) + " failed: " + ran.describe + " after " +
                                           std::to_string(ran.attempts) + " attempt" + (ran.attempts == 1 ? "" : "s")},
                      deployed);
      }
      return report_;
    }
    if (step.traffic) {
      if (auto failure = analyse_step(step)) {
        finish_failed(std::move(*failure), deployed);
        return report_;
      }
    }
  }
  report_.status = Status::succeeded;
  report_.reason = "deployed";
  report_.message = "deployed " + in_.release.version + " to " + in_.release.environment;
  emit(report_.message);
  return report_;
}

}  // namespace

std::string_view to_string(Status status) {
  switch (status) {
    case Status::succeeded: return "succeeded";
    case Status::failed: return "failed";
    case Status::rolled_back: return "rolled_back";
    case Status::rollback_failed: return "rollback_failed";
    case Status::cancelled: return "cancelled";
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
  return env;
}

Report run_deploy(const Inputs& inputs, const CheckRunner& run_check) {
  return Run(inputs, run_check).execute();
}

}  // namespace deploy::engine
