// push (refreshes the cached deploy.yml when a push to the default branch changed it), ping and
// installation events (acknowledged and recorded as done).
#include <algorithm>

#include "bot/handlers/registry.hpp"

namespace deploy::bot::handlers {
namespace {

HandleResult on_push(Context& context) {
  const auto& push = context.event<events::Push>();
  if (context.default_branch.empty() || push.ref != "refs/heads/" + context.default_branch)
    return HandleResult::ignored;
  const bool touches_config =
      std::find(push.changed_paths.begin(), push.changed_paths.end(), kConfigPath) != push.changed_paths.end();
  if (!touches_config) return HandleResult::ignored;
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
