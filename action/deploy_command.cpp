#include "action/deploy_command.hpp"

#include <iostream>
#include <memory>
#include <optional>

#include "action/cancellation.hpp"
#include "action/deploy_inputs.hpp"
#include "action/run_record.hpp"
#include "action/run_report.hpp"
#include "action/run_services.hpp"
#include "action/steps/steps.hpp"

namespace deploy::action {
namespace {

// One run: the steps in order, each appending what it found to the record, then one of the three
// endings. The members are the services the steps act through; the facts are all in record_.
class DeployRun {
 public:
  DeployRun(DeployInputs inputs, RunMode mode, const runner::Environment& env, Clock& clock, const RandomSource& random)
      : env_(env), clock_(clock), random_(random), report_(env, random) {
    record_.inputs = std::move(inputs);
    record_.mode = mode;
    record_.started = clock.now();
  }

  int execute() {
    log_.mask(record_.inputs.token);
    append(record_.config, load_config(record_, env_, log_));
    github_ = connect(record_, clock_, random_, log_);
    append(record_.connected, find_default_branch(record_, *github_));
    // Before the audit chain's head is read: a second run of the environment waits for nothing
    // and forks nothing, it is refused here.
    append(record_.lock, take_environment_lock(record_, *github_, clock_, log_, lock_));
    if (!record_.lock->outcome.allowed) {
      // Read only to anchor the refused record to the chain's head; this run extends nothing.
      append(record_.history, read_history(record_, *github_));
      throw Stop{RunStatus::refused, "refused: " + record_.lock->outcome.message, record_.lock->outcome.reason};
    }
    append(record_.history, read_history(record_, *github_));
    append(record_.release, resolve_release(record_, *github_, clock_));
    append(record_.plan, make_plan(record_));
    if (record_.mode == RunMode::rollback) {
      append(record_.rollback_gate, decide_rollback_gate(record_, *github_, clock_));
    }
    record_.tracking_issue = open_tracking_issue(record_, *github_, log_);
    append(record_.gates, evaluate_gates(record_, *github_, clock_, log_));
    if (!record_.gates->report.allowed) return end_blocked(ending());
    if (cancel_.cancelled()) throw Stop{RunStatus::cancelled, "the run was cancelled before anything was deployed", ""};
    deployment_ = start_deployment(record_, *github_, log_);
    append(record_.deployment, DeploymentStarted{deployment_->id()});
    report_.notify(record_, config::Event::started, "started", "deploying");
    append(record_.engine, run_engine(record_, *github_, clock_, random_, log_, cancel_));
    return end_deployed(ending());
  }

  // Called from the catch in run_deploy: reports the Stop with whatever the record holds.
  int stopped(const Stop& stop) { return end_stopped(ending(), stop); }

 private:
  RunEnding ending() { return {record_, github_ ? &*github_ : nullptr, deployment_.get(), clock_, log_, report_}; }

  const runner::Environment& env_;
  Clock& clock_;
  const RandomSource& random_;
  RunLog log_;
  CancellationGuard cancel_;
  RunReport report_;
  std::optional<Connection> github_;
  std::unique_ptr<RunLock> lock_;  // after github_: released before the connection goes
  std::unique_ptr<GithubDeployment> deployment_;
  RunRecord record_;
};

}  // namespace

int run_deploy(const runner::Environment& env, const std::string& mode, Clock& clock, const RandomSource& random) {
  auto inputs = read_deploy_inputs(env, mode);
  if (!inputs) {
    std::cout << runner::annotation_command(runner::AnnotationLevel::error, inputs.error().message) << std::endl;
    return 1;
  }
  const auto run_mode = parse_run_mode(inputs->mode);
  if (!run_mode) {
    std::cout << runner::annotation_command(runner::AnnotationLevel::error,
                                            "input 'mode' is '" + inputs->mode + "'; expected deploy or rollback")
              << std::endl;
    return 1;
  }
  DeployRun run(std::move(inputs).value(), *run_mode, env, clock, random);
  try {
    return run.execute();
  } catch (const Stop& stop) {
    return run.stopped(stop);
  } catch (const std::exception& error) {
    // GitHub or the disk failed in a way the run cannot go on from: say what, and stop.
    return run.stopped(Stop{RunStatus::error, std::string("deploy-action failed: ") + error.what(), ""});
  }
}

}  // namespace deploy::action
