#include "action/plan_command.hpp"

#include <iostream>
#include <sstream>

#include "action/config_file.hpp"
#include "core/config/config.hpp"
#include "core/plan/plan.hpp"
#include "core/runner/files.hpp"

namespace deploy::action {
namespace {

Result<plan::Plan> make(const PlanOptions& options, std::string& errors) {
  LoadedConfig loaded = load_config_file(options.config_path);
  if (!loaded.config) {
    errors = loaded.errors;
    return Error{"invalid_config", loaded.errors};
  }
  auto plan = plan::make_plan(*loaded.config, options.environment, options.ref);
  if (!plan) errors = options.config_path + ": error: " + plan.error().message + "\n";
  return plan;
}

}  // namespace

int run_plan(const PlanOptions& options) {
  std::string errors;
  auto plan = make(options, errors);
  if (!plan) {
    std::cerr << errors;
    if (!errors.empty() && errors.back() != '\n') std::cerr << '\n';
    return 1;
  }
  std::cout << plan::render_text(*plan);
  return 0;
}

int run_plan_in_runner(const PlanOptions& options, const runner::Environment& env) {
  std::string errors;
  auto plan = make(options, errors);
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
  const std::string text = plan::render_text(*plan);
  std::cout << text;
  runner::append_step_summary(env, "### deploy-action plan for " + plan->environment + "\n\n```\n" + text + "```\n");
  auto random = system_random();
  (void)runner::write_file_command(env, runner::FileCommand::output, "status", "planned", random);
  return 0;
}

}  // namespace deploy::action
