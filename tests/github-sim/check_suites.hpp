// Check suites: GitHub groups the check runs one App reports on one commit into a suite, whose
// status and conclusion summarise its runs. The simulator keeps them in the repository's
// "check_suites" (seeded, or made when a check run is created) and derives their state from the
// runs, so the check_run and check_suite webhooks and GET .../check-suites agree with the runs.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "render.hpp"
#include "state.hpp"

namespace deploy::sim {

// The suite of `head_sha` for the App `app_id` (null: no App), created (queued) when there is none.
nlohmann::json& suite_for(State& state, nlohmann::json& repo, const std::string& head_sha,
                          const nlohmann::json& app_id);

// Recomputes the suite's status and conclusion from its runs: queued while none started, in_progress
// until all completed, then completed with the most severe conclusion (action_required, cancelled,
// timed_out, failure, stale, then success, neutral, skipped). Returns true when this made it completed.
bool settle_check_suite(State& state, nlohmann::json& repo, nlohmann::json& suite);

// The suite a run belongs to (nullptr for runs of a seed without one).
nlohmann::json* suite_of(nlohmann::json& repo, const nlohmann::json& run);

// GitHub's JSON for a check suite (REST and webhooks), and for a check run as webhooks send it
// (with its suite in full). The state must be locked.
nlohmann::json render_check_suite(View& view, nlohmann::json& repo, nlohmann::json& suite);
nlohmann::json render_check_suite_for_webhook(View& view, nlohmann::json& repo, nlohmann::json& suite);
nlohmann::json render_check_run_for_webhook(View& view, nlohmann::json& repo, nlohmann::json& run);

// The check_run webhook action a change of `run` causes: "created" for a new run, "completed"
// when it has just completed, "" otherwise (GitHub sends no event for other updates).
std::string check_run_action(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace deploy::sim
