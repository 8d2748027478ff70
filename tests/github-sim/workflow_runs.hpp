// Workflow runs the simulator creates: one per workflow dispatch, and waiting runs for custom
// deployment protection rules (admin API). A run waits while a gate is pending, proceeds when all
// are approved, and fails when one is rejected.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "state.hpp"

namespace deploy::sim {

nlohmann::json& create_workflow_run(State& state, nlohmann::json& repo, nlohmann::json& workflow, const std::string& event,
                                    const std::string& head_branch, const std::string& head_sha, const std::string& actor,
                                    const nlohmann::json& inputs);

// Moves a run on from "waiting" once its protection-rule gates are all decided.
void settle_workflow_run(State& state, nlohmann::json& run);

}  // namespace deploy::sim
