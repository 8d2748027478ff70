// `deploy-action plan`: load and validate the config, print what a deploy of one environment would
// check and run. The first real job, and the dry run users reach for before a release.
#pragma once

#include <string>

#include "core/runner/commands.hpp"

namespace deploy::action {

struct PlanOptions {
  std::string config_path;
  std::string environment;
  std::string ref;
  std::string at;  // --at TIME (RFC 3339): say whether a deploy then is inside a freeze window
};

// Prints the plan (or every config error) to stdout/stderr; exit code 0 when valid.
int run_plan(const PlanOptions& options);

// As a container action: prints the plan, writes it to the step summary and sets outputs.
int run_plan_in_runner(const PlanOptions& options, const runner::Environment& env);

}  // namespace deploy::action
