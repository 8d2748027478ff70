// The deploy plan: what a deploy of one environment would check and run, in order, derived from
// the configuration alone (no GitHub, no git). `deploy-action plan` prints it; the action's run
// follows the same order; the bot can show it in /status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"

namespace deploy::plan {

struct Gate {
  std::string name;         // stable: "release", "approvals", "reviewed_changes", "required_checks"
  std::string description;  // what must hold, for people
};

struct Step {
  std::string stage;
  std::string run;
  config::Duration timeout{0};
  int retries = 0;
  std::optional<int> traffic;             // set on the calls of a traffic stage
  config::Duration analysis{0};           // analysis time after this call (traffic steps)
};

struct Plan {
  std::string environment;
  std::string ref;             // as given; empty when none
  std::string trigger;         // how the ref relates to the environment's triggers, for people
  bool ref_triggers = true;    // false when a ref was given and no trigger of the environment matches it
  std::vector<Gate> gates;
  std::vector<Step> steps;     // in run order, traffic stages expanded per step
  std::string strategy;        // "rolling", "canary", "blue-green"
  std::vector<std::string> checks;  // one line per analysis check
  std::string analysis;        // interval and failure limit, for people; empty without checks
  std::string rollback;        // what happens on failure
  std::vector<std::string> notifications;
};

// Error codes: "unknown_environment" (the message lists the known ones).
Result<Plan> make_plan(const config::Config& config, std::string_view environment, std::string_view ref = {});

// The plan as text for a terminal or a log, one item a line, numbered in run order.
std::string render_text(const Plan& plan);

}  // namespace deploy::plan
