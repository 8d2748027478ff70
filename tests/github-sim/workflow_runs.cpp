#include "workflow_runs.hpp"

#include <algorithm>
#include <stdexcept>

namespace deploy::sim {

namespace {

// The workflow's `run-name` with `${{ inputs.NAME }}` and `${{ github.event.inputs.NAME }}` replaced
// by the run's inputs (missing ones by nothing), the only expressions the simulator evaluates.
// Without a run-name GitHub shows the workflow's name.
std::string display_title(const json& workflow, const json& inputs) {
  if (!workflow.contains("run_name") || !workflow["run_name"].is_string()) return workflow["name"];
  const std::string text = workflow["run_name"];
  std::string out;
  std::size_t at = 0;
  while (true) {
    auto open = text.find("${{", at);
    if (open == std::string::npos) break;
    auto close = text.find("}}", open);
    if (close == std::string::npos) break;
    out += text.substr(at, open - at);
    std::string expression = text.substr(open + 3, close - open - 3);
    while (!expression.empty() && expression.front() == ' ') expression.erase(expression.begin());
    while (!expression.empty() && expression.back() == ' ') expression.pop_back();
    for (const char* prefix : {"inputs.", "github.event.inputs."}) {
      if (expression.starts_with(prefix)) {
        const std::string name = expression.substr(std::string(prefix).size());
        if (inputs.is_object() && inputs.contains(name) && inputs[name].is_string())
          out += inputs[name].get<std::string>();
      }
    }
    at = close + 2;
  }
  return out + text.substr(at);
}

}  // namespace

json& create_workflow_run(State& state, json& repo, json& workflow, const std::string& event,
                          const std::string& head_branch, const std::string& head_sha, const std::string& actor,
                          const json& inputs) {
  long long run_number = 1;
  for (auto& run : repo["workflow_runs"]) {
    if (run["workflow_id"] == workflow["id"]) run_number = std::max(run_number, run["run_number"].get<long long>() + 1);
  }
  std::string now = state.now_iso();
  state.ensure_user(actor);
  repo["workflow_runs"].push_back({{"id", state.next_id()},
                                   {"workflow_id", workflow["id"]},
                                   {"name", workflow["name"]},
                                   {"display_title", display_title(workflow, inputs)},
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

void advance_workflow_run(State& state, json& run, const std::string& status, const json& conclusion) {
  static const std::initializer_list<const char*> conclusions = {"success", "failure",   "cancelled",       "neutral",
                                                                 "skipped", "timed_out", "action_required", "stale"};
  if (run["status"] == "completed") throw std::invalid_argument("the run is already completed");
  if (status == "in_progress") {
    if (!conclusion.is_null()) throw std::invalid_argument("an in_progress run has no conclusion");
  } else if (status == "completed") {
    bool known = conclusion.is_string() &&
                 std::find(conclusions.begin(), conclusions.end(), conclusion.get<std::string>()) != conclusions.end();
    if (!known)
      throw std::invalid_argument(
          "a completed run needs \"conclusion\": success, failure, cancelled, neutral, skipped, timed_out, "
          "action_required or stale");
  } else {
    throw std::invalid_argument("\"status\" must be in_progress or completed");
  }
  run["status"] = status;
  run["conclusion"] = conclusion;
  run["updated_at"] = state.now_iso();
}

std::string workflow_run_action(const json& run) {
  const std::string status = run["status"];
  if (status == "queued" || status == "requested" || status == "pending") return "requested";
  if (status == "in_progress" || status == "completed") return status;
  return "";
}

json workflow_run_fields(View& view, json& repo, json& run) {
  json* workflow = State::find(repo["workflows"], "id", run["workflow_id"]);
  return {{"workflow_run", render_workflow_run(view, repo, run)},
          {"workflow", workflow != nullptr ? render_workflow(view, repo, *workflow) : json()}};
}

}  // namespace deploy::sim
