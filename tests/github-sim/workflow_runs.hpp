// Workflow runs the simulator creates: one per workflow dispatch, and waiting runs for custom
// deployment protection rules (admin API). A run waits while a gate is pending, proceeds when all
// are approved, and fails when one is rejected. Each change of status a webhook reports
// (queued -> requested, in_progress, completed) is a workflow_run event, as GitHub sends them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "render.hpp"
#include "state.hpp"

namespace deploy::sim {

nlohmann::json& create_workflow_run(State& state, nlohmann::json& repo, nlohmann::json& workflow,
                                    const std::string& event, const std::string& head_branch,
                                    const std::string& head_sha, const std::string& actor,
                                    const nlohmann::json& inputs);

// Moves a run on from "waiting" once its protection-rule gates are all decided.
void settle_workflow_run(State& state, nlohmann::json& run);

// Moves a run to `status` (in_progress or completed; completed needs a conclusion). Throws
// std::invalid_argument with what to send instead.
void advance_workflow_run(State& state, nlohmann::json& run, const std::string& status,
                          const nlohmann::json& conclusion);

// The workflow_run webhook's action for the run's status: "requested" while queued,
// "in_progress", "completed"; "" while waiting (GitHub reports no workflow_run change then).
std::string workflow_run_action(const nlohmann::json& run);

// The objects of a workflow_run webhook: {"workflow_run", "workflow"}. The state must be locked.
nlohmann::json workflow_run_fields(View& view, nlohmann::json& repo, nlohmann::json& run);

}  // namespace deploy::sim
