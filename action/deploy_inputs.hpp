// What a run is asked to do, read once from the runner's environment: the action's inputs
// (INPUT_*, as action/action_interface.hpp defines them) and the GITHUB_* / RUNNER_* variables the
// runner sets. Nothing else in the action reads its inputs.
#pragma once

#include <optional>
#include <string>

#include "core/requester/requester.hpp"
#include "core/result.hpp"
#include "core/runner/commands.hpp"

namespace deploy::action {

enum class OnUnapproved { fail, skip };

// Whether the Actions runner started the action (GITHUB_ACTIONS, or the inputs a test sets without it).
bool started_by_runner(const runner::Environment& env);

// Input mode: "deploy" (when empty), "rollback" or "plan". Error code "invalid_input".
Result<std::string> read_mode(const runner::Environment& env);

// What mode plan needs: the environment, the config (resolved against GITHUB_WORKSPACE) and the ref.
struct PlanInputs {
  std::string environment;
  std::string config_path;
  std::string ref;  // input ref, else GITHUB_REF
};
// Error code "missing_input" (environment).
Result<PlanInputs> read_plan_inputs(const runner::Environment& env);

struct DeployInputs {
  std::string mode;                    // "deploy" or "rollback"
  std::string environment;             // input environment
  std::string config_path;             // input config, resolved against the workspace
  std::string ref;                     // input ref, else GITHUB_REF ("refs/tags/v1.2.0", "refs/heads/main")
  std::string version;                 // input version: what a rollback returns to ("v1.1.0"); empty = last good
  std::string reason;                  // input reason (rollback), cleaned
  std::string freeze_override_reason;  // input freeze-override-reason, cleaned; empty: no override asked
  std::string token;                   // input github-token, else GITHUB_TOKEN; never printed
  OnUnapproved on_unapproved = OnUnapproved::fail;
  // Inputs requested-by and request-url: who asked deploy-bot for this run, and their comment.
  // Checked (core/requester.hpp), recorded and shown; never used to decide anything.
  requester::Requester requester;

  std::string owner, repo;  // GITHUB_REPOSITORY
  std::string api_url;      // GITHUB_API_URL (default https://api.github.com)
  std::string server_url;   // GITHUB_SERVER_URL (default https://github.com)
  std::string run_id, run_attempt;
  std::string actor;           // GITHUB_TRIGGERING_ACTOR (who started this attempt), else GITHUB_ACTOR
  std::string workflow_actor;  // GITHUB_ACTOR: who started the workflow (differs on a re-run)
  std::string event_name;      // GITHUB_EVENT_NAME
  std::string workspace;       // GITHUB_WORKSPACE, else the working directory
  std::string runner_temp;     // RUNNER_TEMP, else the system's temporary directory
  std::string default_branch;  // from the event payload (GITHUB_EVENT_PATH); empty = ask GitHub
  std::string audit_key;       // the value of the variable config.audit.signing_key_env names (read later)

  std::string run_url() const;  // SERVER/OWNER/REPO/actions/runs/RUN_ID, empty without a run id
};

// Error codes: "missing_input" (environment, token, repository), "invalid_input" (mode,
// on-unapproved, repository, requested-by, request-url), each message naming the input and how to
// set it.
Result<DeployInputs> read_deploy_inputs(const runner::Environment& env, const std::string& mode);

}  // namespace deploy::action
