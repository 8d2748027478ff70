// An environment's deployment history as GitHub has it, read by core/github_facts (the one reader
// the action uses too). GitHub is the record of deployments: the bot keeps no copy.
#pragma once

#include <vector>

#include "bot/handlers/context.hpp"
#include "bot/status_report.hpp"
#include "core/github/facts.hpp"
#include "core/policy/policy.hpp"

namespace deploy::bot::handlers {

struct HistoryEntry {
  github::DeploymentSeen seen;
  policy::DeploymentRecord record;  // seen.record
  DeploymentRow row;                // for the /status table
};

// Newest first, at most `limit` deployments.
std::vector<HistoryEntry> deployment_history(Context& context, const std::string& environment,
                                             std::size_t limit = kDeploymentHistoryLimit);

}  // namespace deploy::bot::handlers
