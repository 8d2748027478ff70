// Events the bot subscribes to only because they change what GitHub would answer to a read it
// repeats: the Dispatcher drops the kept answers they make stale (bot/cache_invalidation.hpp)
// before routing, and these entries (no handler) make the delivery `done` rather than `ignored`.
// Listed last in the registry, so the pull_request and pull_request_review actions other handlers
// take stay theirs.
#include "bot/handlers/registry.hpp"

namespace deploy::bot::handlers {

std::vector<Entry> cache_entries() {
  return {
      {"member", {}, "drops kept permission answers of the repository", nullptr},
      {"membership", {}, "drops kept permission and team answers of the organization", nullptr},
      {"team", {}, "drops kept permission and team answers of the organization", nullptr},
      {"organization", {}, "drops kept permission and team answers of the organization", nullptr},
      {"repository", {}, "drops every kept answer about the repository", nullptr},
      {"deployment", {}, "drops kept deployment answers of the repository", nullptr},
      {"deployment_status", {}, "drops kept deployment answers of the repository", nullptr},
      {"pull_request", {}, "drops kept pull request answers of the repository", nullptr},
      {"pull_request_review", {}, "drops kept review answers of the repository", nullptr},
  };
}

}  // namespace deploy::bot::handlers
