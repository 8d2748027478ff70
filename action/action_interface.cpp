#include "action/action_interface.hpp"

#include <stdexcept>

namespace deploy::action {

const std::vector<InputDefinition>& input_definitions() {
  static const std::vector<InputDefinition> inputs = {
      {"environment", "", "the environment to deploy (required)"},
      {"mode", "deploy", "deploy (default), rollback or plan"},
      {"config", ".github/deploy.yml", "path of the config in the workspace (default .github/deploy.yml)"},
      {"ref", "", "the ref to release (default: the ref that triggered the workflow, GITHUB_REF)"},
      {"version", "", "rollback: the version to return to (default: the last good one before the current)"},
      {"reason", "", "why, for the record"},
      {"freeze-override-reason", "",
       "deploy inside a freeze window: why (recorded); the window's override approvals are still needed"},
      {"requested-by", "", "who asked deploy-bot for this run (deploy-bot sets it; recorded, never decides)"},
      {"request-url", "", "the URL of the comment that asked (deploy-bot sets it; recorded, never decides)"},
      {"github-token", "", "token for the GitHub API (default: GITHUB_TOKEN)"},
      {"on-unapproved", "fail", "fail (default) or skip: the exit when a gate is not met"},
  };
  return inputs;
}

const std::string& input_fallback(const std::string& name) {
  for (const auto& input : input_definitions()) {
    if (input.name == name) return input.fallback;
  }
  throw std::out_of_range("action input '" + name + "' is not in input_definitions()");
}

const std::vector<OutputDefinition>& output_definitions() {
  static const std::vector<OutputDefinition> outputs = {
      {"status"},      {"version"}, {"previous-version"}, {"deployment-id"}, {"audit-file"},
      {"rolled-back"}, {"sha"},     {"tracking-issue"},
  };
  return outputs;
}

}  // namespace deploy::action
