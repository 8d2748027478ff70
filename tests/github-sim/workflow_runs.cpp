#include "workflow_runs.hpp"

namespace deploy::sim {

json& create_workflow_run(State& state, json& repo, json& workflow, const std::string& event, const std::string& head_branch,
                          const std::string& head_sha, const std::string& actor, const json& inputs) {
  long long run_number = 1;
  for (auto& run : repo["workflow_runs"]) {
    if (run["workflow_id"] == workflow["id"]) run_number = std::max(run_number, run["run_number"].get<long long>() + 1);
  }
  std::string now = state.now_iso();
  state.ensure_user(actor);
  repo["workflow_runs"].push_back({{"id", state.next_id()},
                                   {"workflow_id", workflow["id"]},
                                   {"name", workflow["name"]},
                                   {"head_branch", head_branch},
                                   {"head_sha", head_sha},
                                   {"event", event},
                                   {"status", "queued"},
                                   {"conclusion", nullptr},
                                   {"actor", actor},
                                   {"triggering_actor", actor},
                                   {"run_number", run_number},
                                   {"run_attempt", 1},
                                   {"inputs", inputs},
                                   {"created_at", now},
                                   {"updated_at", now},
                                   {"run_started_at", now},
                                   {"protection_rules", json::array()}});
  return repo["workflow_runs"].back();
}

void settle_workflow_run(State& state, json& run) {
  bool pending = false;
  bool rejected = false;
  for (auto& rule : run["protection_rules"]) {
    if (rule["state"] == "pending") pending = true;
    if (rule["state"] == "rejected") rejected = true;
  }
  if (rejected) {
    run["status"] = "completed";
    run["conclusion"] = "failure";
  } else if (!pending) {
    run["status"] = "in_progress";
  }
  run["updated_at"] = state.now_iso();
}

}  // namespace deploy::sim
