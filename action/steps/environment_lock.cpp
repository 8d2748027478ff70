#include "action/steps/steps.hpp"
#include "core/github/error.hpp"

namespace deploy::action {
namespace {

policy::RunIdentity identity(const DeployInputs& in) {
  policy::RunIdentity run;
  run.run_id = in.run_id;
  run.actor = in.actor;
  run.actor_is_bot = policy::is_bot(in.actor, false);
  run.requested_by = in.requester.login;
  return run;
}

}  // namespace

LockTaken take_environment_lock(const RunRecord& record, const Connection& github, const Clock& clock,
                                const RunLog& log, std::unique_ptr<RunLock>& held) {
  const auto& in = record.inputs;
  const std::string& environment = record.config->environment.name;
  const auto run = identity(in);
  LockTaken taken;
  std::optional<github::StoredLock> sticky;
  std::optional<github::StoredLock> current;
  // Two tries: a lost race for an expired lock reads the winner's lock and decides again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    sticky = github::read_lock(github.github(), github.repo, policy::Lock::Kind::sticky, environment);
    current = github::read_lock(github.github(), github.repo, policy::Lock::Kind::run, environment);
    if (sticky) taken.sticky = sticky->lock;
    const auto now = clock.now();
    const auto decision = policy::decide_run_lock(sticky ? std::optional(sticky->lock) : std::nullopt,
                                                  current ? std::optional(current->lock) : std::nullopt, run, now);
    taken.outcome = decision.outcome;
    if (!decision.outcome.allowed) return taken;
    policy::Lock lock;
    lock.kind = policy::Lock::Kind::run;
    lock.environment = environment;
    lock.holder = policy::acting_for(run);
    lock.reason = std::string(to_string(record.mode)) + " " + (in.ref.empty() ? in.version : in.ref);
    lock.run_id = in.run_id;
    lock.run_url = in.run_url();
    lock.created = now;
    lock.expires = now + policy::kRunLockTime;
    std::optional<github::StoredLock> mine;
    try {
      mine = github::take_lock(github.github(), github.repo, lock,
                               decision.take_over ? current : std::optional<github::StoredLock>());
    } catch (const github::GitHubError& error) {
      if (error.status() != 403) throw;
      // A token without contents: write can read locks but not take one: the run goes on, as
      // runs did before locks existed, and says how to make it safe.
      log.annotate(runner::AnnotationLevel::warning,
                   "could not lock " + environment + " for this run (" + error.details().message +
                       "): give the workflow `permissions: contents: write` so that two runs of one environment "
                       "never overlap");
      taken.held = false;
      return taken;
    }
    if (mine) {
      log.print("deploy-action: locked " + environment + " for this run (refs/" +
                github::lock_ref(policy::Lock::Kind::run, environment) + "): " + decision.outcome.message);
      held = std::make_unique<RunLock>(github, *mine, log);
      taken.held = true;
      return taken;
    }
  }
  // Lost the race twice: someone else holds it now.
  const auto winner = github::read_lock(github.github(), github.repo, policy::Lock::Kind::run, environment);
  const std::string who = winner ? policy::describe(winner->lock) : std::string("held by another run");
  taken.outcome = Outcome::deny("run_in_progress", "another run is deploying " + environment + ", lock " + who +
                                                       "; run this again when it has finished");
  return taken;
}

}  // namespace deploy::action
