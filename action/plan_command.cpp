#include "action/plan_command.hpp"

#include <iostream>
#include <sstream>

#include "action/config_file.hpp"
#include "core/config/config.hpp"
#include "core/freeze/window.hpp"
#include "core/plan/plan.hpp"
#include "core/policy/freeze.hpp"
#include "core/rfc3339/rfc3339.hpp"
#include "core/runner/files.hpp"
#include "core/tz/zone.hpp"

namespace deploy::action {
namespace {

// Whether a deploy at options.at would be inside a freeze window: one line, or an error.
Result<std::string> freeze_at(const config::Config& config, const PlanOptions& options) {
  const auto at = rfc3339::parse(options.at, rfc3339::Form::any);
  if (!at) {
    return Error{"invalid_option",
                 "--at: expected an RFC 3339 time like 2026-12-24T10:00:00Z, found '" + options.at + "'"};
  }
  const auto* env = config.environment(options.environment);
  if (env == nullptr) return Error{"unknown_environment", "no environment '" + options.environment + "'"};
  const std::string when = rfc3339::format_seconds(*at);
  if (env->freeze.windows.empty())
    return "freeze at " + when + ": not frozen (" + env->name + " has no freeze windows)\n";
  auto windows = tz::freeze_windows(*env);
  if (!windows) return Error{windows.error().code, options.config_path + ": error: " + windows.error().message};
  const auto frozen = freeze::frozen_at(*windows, std::chrono::floor<std::chrono::seconds>(*at));
  if (frozen.empty()) return "freeze at " + when + ": not frozen\n";
  const auto& last = policy::longest(frozen);
  return "freeze at " + when + ": FROZEN by " + policy::describe_frozen(frozen) + ", until " +
         rfc3339::format_seconds(last.end) + "\n";
}

// The plan, and in `frozen_line` the answer to --at (empty without it).
Result<plan::Plan> make(const PlanOptions& options, std::string& errors, std::string& frozen_line) {
  LoadedConfig loaded = load_config_file(options.config_path);
  if (!loaded.config) {
    errors = loaded.errors;
    return Error{"invalid_config", loaded.errors};
  }
  auto plan = plan::make_plan(*loaded.config, options.environment, options.ref);
  if (!plan) {
    errors = options.config_path + ": error: " + plan.error().message + "\n";
    return plan;
  }
  if (!options.at.empty()) {
    auto line = freeze_at(*loaded.config, options);
    if (!line) {
      errors = line.error().message + "\n";
      return line.error();
    }
    frozen_line = *line;
  }
  return plan;
}

}  // namespace

int run_plan(const PlanOptions& options) {
  std::string errors, frozen_line;
  auto plan = make(options, errors, frozen_line);
  if (!plan) {
    std::cerr << errors;
    if (!errors.empty() && errors.back() != '\n') std::cerr << '\n';
    return 1;
  }
  std::cout << plan::render_text(*plan) << frozen_line;
  return 0;
}

int run_plan_in_runner(const PlanOptions& options, const runner::Environment& env) {
  std::string errors, frozen_line;
  auto plan = make(options, errors, frozen_line);
  if (!plan) {
    // One annotation per error so each shows on the config file in the run's summary.
    std::istringstream lines(errors);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) std::cout << runner::annotation_command(runner::AnnotationLevel::error, line) << "\n";
    }
    runner::append_step_summary(env, "### deploy-action plan: invalid configuration\n\n```\n" + errors + "```\n");
    auto random = system_random();
    (void)runner::write_file_command(env, runner::FileCommand::output, "status", "invalid_config", random);
    return 1;
  }
  const std::string text = plan::render_text(*plan) + frozen_line;
  std::cout << text;
  runner::append_step_summary(env, "### deploy-action plan for " + plan->environment + "\n\n```\n" + text + "```\n");
  auto random = system_random();
  (void)runner::write_file_command(env, runner::FileCommand::output, "status", "planned", random);
  return 0;
}

}  // namespace deploy::action
