#include "bot/thread_target.hpp"

namespace deploy::bot {

const config::Environment* environment_for_tag(const config::Config& config, std::string_view tag) {
  const config::Environment* first_match = nullptr;
  for (const auto& env : config.environments) {
    if (!env.on.matches_tag(tag)) continue;
    if (env.approvals.required > 0) return &env;
    if (first_match == nullptr) first_match = &env;
  }
  return first_match;
}

const config::Environment* environment_for_pull_request(const config::Config& config, std::string_view base_branch) {
  const config::Environment* first_with_approvals = nullptr;
  for (const auto& env : config.environments) {
    if (env.approvals.required <= 0) continue;
    if (env.on.matches_branch(base_branch)) return &env;
    if (first_with_approvals == nullptr) first_with_approvals = &env;
  }
  return first_with_approvals;
}

}  // namespace deploy::bot
