#include "action/deploy_inputs.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "action/action_interface.hpp"
#include "core/command/command.hpp"

namespace deploy::action {
namespace {

std::string var(const runner::Environment& env, const char* name, std::string fallback = {}) {
  auto value = env(name);
  return value && !value->empty() ? *value : fallback;
}

// The default branch as the triggering event reports it (every event of a repository carries
// repository.default_branch). Empty when there is no event file or it says nothing.
std::string default_branch_from_event(const std::string& event_path) {
  if (event_path.empty()) return {};
  std::ifstream in(event_path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  auto event = nlohmann::json::parse(text.str(), nullptr, false);
  if (!event.is_object()) return {};
  auto repo = event.find("repository");
  if (repo == event.end() || !repo->is_object()) return {};
  auto branch = repo->find("default_branch");
  return branch != repo->end() && branch->is_string() ? branch->get<std::string>() : std::string{};
}

// Input `name`, or its fallback (action/action_interface.cpp) when empty.
std::string input(const runner::Environment& env, const char* name) {
  std::string value = runner::get_input(env, name);
  return value.empty() ? input_fallback(name) : value;
}

}  // namespace

bool started_by_runner(const runner::Environment& env) {
  return env("GITHUB_ACTIONS") || env("INPUT_ENVIRONMENT") || env("INPUT_MODE");
}

Result<std::string> read_mode(const runner::Environment& env) {
  std::string mode = input(env, "mode");
  if (mode == "deploy" || mode == "rollback" || mode == "plan") return mode;
  return Error{"invalid_input", "input 'mode' is '" + mode + "'; expected deploy, rollback or plan"};
}

Result<PlanInputs> read_plan_inputs(const runner::Environment& env) {
  PlanInputs in;
  auto environment = runner::get_required_input(env, "environment", "production");
  if (!environment) return environment.error();
  in.environment = *environment;
  in.config_path = input(env, "config");
  // The runner mounts the workspace and starts the container in it; a relative path is resolved
  // against GITHUB_WORKSPACE so the action works whatever the working directory.
  if (auto workspace = env("GITHUB_WORKSPACE"); workspace && std::filesystem::path(in.config_path).is_relative()) {
    in.config_path = (std::filesystem::path(*workspace) / in.config_path).string();
  }
  in.ref = runner::get_input(env, "ref");
  if (in.ref.empty()) in.ref = env("GITHUB_REF").value_or("");
  return in;
}

std::string DeployInputs::run_url() const {
  if (run_id.empty()) return {};
  return server_url + "/" + owner + "/" + repo + "/actions/runs/" + run_id;
}

Result<DeployInputs> read_deploy_inputs(const runner::Environment& env, const std::string& mode) {
  DeployInputs in;
  in.mode = mode;
  auto environment = runner::get_required_input(env, "environment", "production");
  if (!environment) return environment.error();
  in.environment = *environment;

  in.workspace = var(env, "GITHUB_WORKSPACE", std::filesystem::current_path().string());
  in.config_path = input(env, "config");
  if (std::filesystem::path(in.config_path).is_relative()) {
    in.config_path = (std::filesystem::path(in.workspace) / in.config_path).string();
  }
  in.ref = runner::get_input(env, "ref");
  if (in.ref.empty()) in.ref = var(env, "GITHUB_REF");
  in.version = runner::get_input(env, "version");
  in.reason = command::clean_reason(runner::get_input(env, "reason")).text;
  in.freeze_override_reason = command::clean_reason(runner::get_input(env, "freeze-override-reason")).text;

  in.token = runner::get_input(env, "github-token");
  if (in.token.empty()) in.token = var(env, "GITHUB_TOKEN");
  if (in.token.empty()) {
    return Error{"missing_input",
                 "input 'github-token' is empty and GITHUB_TOKEN is not set; the default "
                 "`github-token: ${{ github.token }}` works, with `permissions: deployments: write, "
                 "issues: write, contents: write, statuses: read, pull-requests: read` on the job"};
  }

  const std::string unapproved = input(env, "on-unapproved");
  if (unapproved == "fail")
    in.on_unapproved = OnUnapproved::fail;
  else if (unapproved == "skip")
    in.on_unapproved = OnUnapproved::skip;
  else
    return Error{"invalid_input", "input 'on-unapproved' is '" + unapproved + "'; expected fail or skip"};

  const std::string repository = var(env, "GITHUB_REPOSITORY");
  auto slash = repository.find('/');
  if (repository.empty()) {
    return Error{"missing_input", "GITHUB_REPOSITORY is not set; deploy and rollback run inside a GitHub Actions job"};
  }
  if (slash == std::string::npos || slash == 0 || slash + 1 == repository.size() ||
      repository.find('/', slash + 1) != std::string::npos) {
    return Error{"invalid_input", "GITHUB_REPOSITORY is '" + repository + "'; expected OWNER/NAME"};
  }
  in.owner = repository.substr(0, slash);
  in.repo = repository.substr(slash + 1);
  in.api_url = var(env, "GITHUB_API_URL", "https://api.github.com");
  in.server_url = var(env, "GITHUB_SERVER_URL", "https://github.com");
  in.run_id = var(env, "GITHUB_RUN_ID");
  in.run_attempt = var(env, "GITHUB_RUN_ATTEMPT");
  in.actor = var(env, "GITHUB_TRIGGERING_ACTOR", var(env, "GITHUB_ACTOR"));
  in.workflow_actor = var(env, "GITHUB_ACTOR");
  in.event_name = var(env, "GITHUB_EVENT_NAME");
  in.runner_temp = var(env, "RUNNER_TEMP", std::filesystem::temp_directory_path().string());
  in.default_branch = default_branch_from_event(var(env, "GITHUB_EVENT_PATH"));

  // Untrusted (anyone who may dispatch the workflow sets them): refused unless well formed, so a
  // record never carries a forged mention, a line break or a link elsewhere.
  auto login = requester::parse_login(runner::get_input(env, "requested-by"));
  if (!login) {
    return Error{"invalid_input",
                 "input 'requested-by': " + login.error().message +
                     "; deploy-bot sets it to the login of the person who asked, leave it empty otherwise"};
  }
  in.requester.login = *login;
  auto url = requester::parse_request_url(runner::get_input(env, "request-url"), in.api_url);
  if (!url) {
    return Error{"invalid_input",
                 "input 'request-url': " + url.error().message +
                     "; deploy-bot sets it to the URL of the comment that asked, leave it empty otherwise"};
  }
  in.requester.url = *url;
  return in;
}

}  // namespace deploy::action
