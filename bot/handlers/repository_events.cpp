// push (refreshes the cached deploy.yml when a push to the default branch changed it), ping and
// installation events (acknowledged and recorded as done).
#include "bot/handlers/registry.hpp"

namespace deploy::bot::handlers {
namespace {

bool touches_config(const nlohmann::json& commits) {
  if (!commits.is_array()) return false;
  for (const auto& commit : commits) {
    for (const char* list : {"added", "modified", "removed"}) {
      if (!commit.contains(list) || !commit[list].is_array()) continue;
      for (const auto& path : commit[list]) {
        if (path.is_string() && path.get<std::string>() == kConfigPath) return true;
      }
    }
  }
  return false;
}

HandleResult on_push(Context& context) {
  const std::string ref = context.payload.value("ref", "");
  if (context.default_branch.empty() || ref != "refs/heads/" + context.default_branch) return HandleResult::ignored;
  const auto commits = context.payload.contains("commits") ? context.payload["commits"] : nlohmann::json::array();
  const auto head = context.payload.contains("head_commit") ? context.payload["head_commit"] : nlohmann::json();
  if (!touches_config(commits) && !touches_config(nlohmann::json::array({head}))) return HandleResult::ignored;
  context.config(true);
  return HandleResult::done;
}

HandleResult acknowledge(Context&) { return HandleResult::done; }

}  // namespace

std::vector<Entry> repository_entries() {
  return {
      {"push", {}, "refreshes the cached .github/deploy.yml when the default branch changes it", on_push},
      {"ping", {}, "acknowledged", acknowledge},
      {"installation", {}, "acknowledged", acknowledge},
      {"installation_repositories", {}, "acknowledged", acknowledge},
  };
}

}  // namespace deploy::bot::handlers
