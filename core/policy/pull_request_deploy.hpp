// `/deploy ENV [noop]` on a pull request: whether its head commit may be dispatched to ENV. The run
// it starts has every gate of the environment, judged by the action as for any deploy.
#pragma once

#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "core/policy/policy.hpp"

namespace deploy::policy {

struct PullRequestDeployRequest {
  std::string environment;           // as typed
  bool environment_known = false;    // deploy.yml has it
  bool on_pull_request = false;      // the comment is on a pull request (not an issue or a commit)
  bool allow_pull_requests = false;  // environments.ENV.allow_pull_requests
  bool fork = false;                 // the head is in another repository
  bool allow_forks = false;          // bot.allow_fork_pull_requests
  bool noop = false;                 // only the plan is shown: nothing runs, anyone may ask
  Actor actor;
  std::vector<Principal> allowed;  // who may deploy: the environment's approvers (empty = write)
};

// Reasons, in the order checked: "not_a_pull_request", "unknown_environment",
// "production_never_from_pull_request" (an environment named production, whatever the config
// says), "pull_requests_not_allowed", "fork_not_allowed", "bot_not_allowed", "not_allowed";
// allowed: "plan_only" (noop), "deploy_allowed".
Outcome decide_pull_request_deploy(const PullRequestDeployRequest& request);

}  // namespace deploy::policy
