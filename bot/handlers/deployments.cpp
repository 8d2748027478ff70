#include "bot/handlers/deployments.hpp"

#include "core/github_time.hpp"

namespace deploy::bot::handlers {
namespace {

policy::DeploymentState state_of(const std::string& state) {
  if (state == "success") return policy::DeploymentState::success;
  if (state == "failure") return policy::DeploymentState::failure;
  if (state == "error") return policy::DeploymentState::error;
  if (state == "inactive") return policy::DeploymentState::inactive;
  return policy::DeploymentState::in_progress;
}

// What deploy-action recorded as the version (payload.deploy_action.version: "v1.2.0",
// "main-1a2b3c4"), else the ref: the action deploys branches by SHA.
std::string version_of(const github::Deployment& deployment) {
  const auto& payload = deployment.payload;
  if (payload.is_object() && payload.contains("deploy_action") && payload["deploy_action"].is_object()) {
    const auto& ours = payload["deploy_action"];
    if (ours.contains("version") && ours["version"].is_string() && !ours["version"].get<std::string>().empty()) {
      return ours["version"].get<std::string>();
    }
  }
  std::string ref = deployment.ref;
  for (std::string_view prefix : {"refs/tags/", "refs/heads/"}) {
    if (ref.starts_with(prefix)) ref = ref.substr(prefix.size());
  }
  return ref;
}

}  // namespace

std::vector<HistoryEntry> deployment_history(Context& context, const std::string& environment, std::size_t limit) {
  github::DeploymentFilter filter;
  filter.environment = environment;
  std::vector<HistoryEntry> history;
  for (const auto& deployment : context.gh().list_deployments(context.repo.owner, context.repo.name, filter, limit)) {
    const auto statuses =
        context.gh().list_deployment_statuses(context.repo.owner, context.repo.name, deployment.id, std::size_t{1});
    const std::string state = statuses.empty() ? "pending" : statuses.front().state;
    const auto created = github::parse_rfc3339(deployment.created_at);
    const auto created_at = created ? *created : std::chrono::system_clock::time_point{};
    HistoryEntry entry;
    entry.record.version = version_of(deployment);
    entry.record.sha = deployment.sha;
    entry.record.state = state_of(state);
    entry.record.created_at = created_at;
    entry.record.id = deployment.id;
    entry.row = {entry.record.version, deployment.sha, state, deployment.creator ? deployment.creator->login : std::string(), created_at};
    history.push_back(entry);

    store::DeploymentSeen seen;
    seen.repository = context.repo.full_name();
    seen.environment = environment;
    seen.version = entry.record.version;
    seen.sha = deployment.sha;
    seen.deployment_id = deployment.id;
    seen.state = state;
    seen.created_at = created_at;
    const auto updated = statuses.empty() ? created : github::parse_rfc3339(statuses.front().created_at);
    seen.updated_at = updated ? *updated : created_at;
    context.store().record_deployment(seen);
  }
  return history;
}

}  // namespace deploy::bot::handlers
