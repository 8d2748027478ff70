#include "action/github_deployment.hpp"

#include <utility>

namespace deploy::action {

GithubDeployment::GithubDeployment(github::Client& client, github::Repo repo, DeploymentRequest request)
    : client_(client), repo_(std::move(repo)), request_(std::move(request)) {}

std::int64_t GithubDeployment::create() {
  github::NewDeployment deployment;
  deployment.ref = request_.ref;
  deployment.task = request_.mode == RunMode::rollback ? "deploy:rollback" : "deploy";
  deployment.environment = request_.environment;
  deployment.description = (request_.mode == RunMode::rollback ? "Roll back to " : "Deploy ") + request_.version;
  // deploy-action checked the gates itself (required checks included) and releases exactly this
  // commit: GitHub must neither merge the default branch in nor re-check contexts.
  deployment.auto_merge = false;
  deployment.required_contexts = std::vector<std::string>{};
  deployment.production_environment = request_.environment == "production";
  deployment.payload =
      github::Json{{"deploy_action",
                    {{"version", request_.version},
                     {"sha", request_.sha},
                     {"previous_version", request_.previous_version},
                     {"mode", std::string(to_string(request_.mode))},
                     {"run_url", request_.run_url},
                     {"color", request_.color},
                     {"audit", {{"seq", request_.audit_seq}, {"prev_hash", request_.audit_prev_hash}}}}}};
  id_ = client_.create_deployment(repo_.owner, repo_.name, deployment).id;
  status("in_progress", deployment.description.value_or(""));
  return id_;
}

void GithubDeployment::status(const std::string& state, const std::string& description) {
  github::NewDeploymentStatus status;
  status.state = state;
  status.description = description;
  if (!request_.run_url.empty()) status.log_url = request_.run_url;
  if (!request_.environment_url.empty()) status.environment_url = request_.environment_url;
  // GitHub's auto_inactive would also deactivate the replaced deployment, but only on success;
  // mark_inactive does it explicitly so the record of which one was replaced is ours.
  status.auto_inactive = false;
  client_.create_deployment_status(repo_.owner, repo_.name, id_, status);
  if (state != "in_progress") final_status_set_ = true;
}

void GithubDeployment::mark_inactive(std::int64_t deployment_id, const std::string& description) {
  github::NewDeploymentStatus status;
  status.state = "inactive";
  status.description = description;
  client_.create_deployment_status(repo_.owner, repo_.name, deployment_id, status);
}

}  // namespace deploy::action
