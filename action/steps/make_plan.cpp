#include "action/steps/steps.hpp"

namespace deploy::action {

plan::Plan make_plan(const RunRecord& record) {
  const auto& config = record.config->config;
  const auto& environment = record.inputs.environment;
  // A rollback goes straight to its target: its own short plan, not the deploy's stages and pauses.
  auto plan = record.mode == RunMode::rollback ? plan::make_rollback_plan(config, environment)
                                               : plan::make_plan(config, environment, record.release->ref);
  if (!plan) throw Stop{RunStatus::invalid_input, plan.error().message, ""};
  return std::move(plan).value();
}

}  // namespace deploy::action
