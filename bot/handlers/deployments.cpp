#include "bot/handlers/deployments.hpp"

namespace deploy::bot::handlers {

std::vector<HistoryEntry> deployment_history(Context& context, const std::string& environment, std::size_t limit) {
  std::vector<HistoryEntry> history;
  for (auto& seen : context.ports().deployments.deployments(environment, limit)) {
    // The table shows GitHub's word for a deployment with no status yet.
    const std::string state = seen.latest_status.empty() ? "pending" : seen.latest_status;
    HistoryEntry entry;
    entry.record = seen.record;
    entry.row = {seen.record.version, seen.record.sha, state, seen.creator, seen.record.created_at};
    entry.seen = std::move(seen);
    history.push_back(std::move(entry));
  }
  return history;
}

}  // namespace deploy::bot::handlers
