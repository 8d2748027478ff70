// An environment's deployment history as GitHub has it (deployments and their latest status),
// recorded into the store's deployments-seen table on the way.
#pragma once

#include <vector>

#include "bot/handlers/context.hpp"
#include "bot/status_report.hpp"
#include "core/policy.hpp"

namespace deploy::bot::handlers {

struct HistoryEntry {
  policy::DeploymentRecord record;
  DeploymentRow row;
};

// Newest first, at most `limit` deployments.
std::vector<HistoryEntry> deployment_history(Context& context, const std::string& environment, std::size_t limit = 30);

}  // namespace deploy::bot::handlers
