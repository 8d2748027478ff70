// The deploy plan: what a deploy of one environment would check and run, in order, derived from
// the configuration alone (no GitHub, no git). `deploy-action plan` prints it; the action's run
// follows the same order; the bot can show it in /status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/result.hpp"

namespace deploy::plan {

struct Gate {
  std::string name;         // stable: "release", "approvals", "reviewed_changes", "required_checks"
  std::string description;  // what must hold, for people
};

// One thing a run does, in order. The engine executes exactly these steps and `plan` prints exactly
// these steps: there is no second description of a run to drift from this one.
enum class StepKind {
  stage,           // a stage's command (or rollback.run)
  deploy,          // the deploy stage: puts the version in place (at `traffic` percent, or on a colour)
  analysis,        // a window of analysis rounds
  switch_traffic,  // blue-green: moves all traffic to a colour
  hold,            // `pause: until-promoted`: waits for /promote (goes on) or /abort (rolls back), at most
                   // `timeout` (strategy.pause_timeout; then rolls back)
};
std::string_view to_string(StepKind kind);

// Blue-green: which colour a step acts on. The engine maps the roles to "blue"/"green" from the
// colour that is live when the run starts.
enum class Color { none, idle, live };

struct Step {
  StepKind kind = StepKind::stage;
  std::string stage;  // the stage's name; "rollback", "switch", "analysis"
  std::string run;    // the command (not for analysis windows)
  config::Duration timeout{0};
  int retries = 0;
  std::optional<int> traffic;  // deploy steps of rolling and canary: the share of traffic
  std::string phase;           // DEPLOY_PHASE: "before_deploy", "deploy", "pre_switch", "switch",
                               // "post_switch", "after_deploy", "rollback"
  Color color = Color::none;   // blue-green steps: the colour acted on (DEPLOY_COLOR)
  // A failure once this step has started leaves users on the new version unless the previous one
  // is restored: from here on a failure rolls back.
  bool live = false;

  // analysis windows
  std::string label;  // "at 5% traffic", "after full traffic", "before the switch", ...
  int rounds = 0;     // one per interval
  config::Duration interval{0};
  bool starts_run = false;  // starts a new analysis run (its own counts): the first window of
                            // the deploy, the pre-switch preview, the post-rollback check
  bool ends_run = false;    // the run's verdict is final at the end of this window
  bool preview = false;     // checks go to strategy.preview_url (the idle colour)
};

struct Plan {
  std::string environment;
  std::string mode = "deploy";  // "deploy" or "rollback"
  std::string ref;              // as given; empty when none
  std::string trigger;          // how the ref relates to the environment's triggers, for people
  bool ref_triggers = true;     // false when a ref was given and no trigger of the environment matches it
  std::vector<Gate> gates;
  std::vector<Step> steps;  // in run order
  // What a failure after a `live` step runs, in order, to restore the previous version (ends with
  // the post-rollback health check when there are checks). Empty: a failure cannot roll back; see
  // `rollback`.
  std::vector<Step> rollback_steps;
  std::string strategy;             // "rolling", "canary", "blue-green"
  std::vector<std::string> checks;  // one line per analysis check
  std::string analysis;             // the analysis rules, for people; empty without checks
  std::string rollback;             // what happens on failure, for people
  std::vector<std::string> notifications;
};

// A check as it runs against the idle colour before a blue-green switch: an http check with the
// scheme, host and port of `preview_url`; nullopt for other kinds (they measure live traffic) or
// when there is no preview URL.
std::optional<config::Check> preview_check(const config::Check& check, std::string_view preview_url);

// Error codes: "unknown_environment" (the message lists the known ones).
Result<Plan> make_plan(const config::Config& config, std::string_view environment, std::string_view ref = {});

// What mode `rollback` runs to return the environment to a version: rollback.stages, then
// rollback.run, or else the deploy stage at 100 % with no pauses (blue-green: on the idle colour,
// then the switch), then one health-check round. No rollback_steps: it is itself the way back.
Result<Plan> make_rollback_plan(const config::Config& config, std::string_view environment);

// The plan as text for a terminal or a log, one item a line, numbered in run order.
std::string render_text(const Plan& plan);

}  // namespace deploy::plan
