// What action.yml declares the action takes and gives: its inputs (read from INPUT_* by
// action/deploy_inputs.cpp, and only there) and its outputs, each with the line `deploy-action
// --help` shows for it. tests/e2e/action_contract_test.cpp checks that action.yml, --help and
// docs/ACTION.md name the same ones, with the same defaults.
#pragma once

#include <string>
#include <vector>

namespace deploy::action {

struct InputDefinition {
  std::string name;      // "on-unapproved", as action.yml and the workflow's `with:` spell it
  std::string fallback;  // what the action uses when the input is empty (action.yml's default too); "" = none
  std::string help;      // one line for --help
};

// In action.yml's order.
const std::vector<InputDefinition>& input_definitions();
// The fallback of input `name`; throws std::out_of_range for a name not in the table (a bug).
const std::string& input_fallback(const std::string& name);

struct OutputDefinition {
  std::string name;  // "previous-version"
};
const std::vector<OutputDefinition>& output_definitions();

}  // namespace deploy::action
