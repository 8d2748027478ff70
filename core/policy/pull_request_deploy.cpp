#include "core/policy/pull_request_deploy.hpp"

#include "core/text/text.hpp"

namespace deploy::policy {

Outcome decide_pull_request_deploy(const PullRequestDeployRequest& r) {
  const std::string env = text::shown(r.environment, 60);
  if (!r.on_pull_request) {
    return Outcome::deny("not_a_pull_request",
                         "/deploy deploys a pull request's head commit: post it on the pull request; releases are "
                         "deployed through their tracking issue");
  }
  if (!r.environment_known) {
    return Outcome::deny("unknown_environment", "there is no environment " + env + " in .github/deploy.yml");
  }
  if (text::iequals(r.environment, "production")) {
    return Outcome::deny("production_never_from_pull_request",
                         "production is never deployed from a pull request; merge it and deploy a release");
  }
  if (!r.allow_pull_requests) {
    return Outcome::deny("pull_requests_not_allowed",
                         "environment " + env + " does not take pull requests: set environments." + env +
                             ".allow_pull_requests: true in .github/deploy.yml to allow it");
  }
  if (r.fork && !r.allow_forks) {
    return Outcome::deny("fork_not_allowed",
                         "this pull request comes from a fork; bot.allow_fork_pull_requests is off");
  }
  if (r.noop) return Outcome::allow("plan_only", "the plan only: nothing runs");
  if (r.actor.is_bot || is_bot(r.actor.login, false)) {
    return Outcome::deny("bot_not_allowed", "bots may not /deploy");
  }
  if (!admits(r.allowed, r.actor)) {
    return Outcome::deny("not_allowed", "@" + r.actor.login + " may not deploy to " + env + ": allowed are " +
                                            describe(r.allowed) + " (those who may approve it)");
  }
  return Outcome::allow("deploy_allowed", "@" + r.actor.login + " may deploy this pull request to " + env);
}

}  // namespace deploy::policy
