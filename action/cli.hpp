// The deploy-action command line: subcommands when run by a person, inputs (INPUT_*) when run by
// the Actions runner as a container action with no arguments.
#pragma once

#include <string>
#include <vector>

namespace deploy::action {

// Returns the process exit code.
int run_cli(const std::vector<std::string>& args);

}  // namespace deploy::action
