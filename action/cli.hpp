// The deploy-action command line: subcommands when run by a person, inputs (INPUT_*) when run by
// the Actions runner as a container action with no arguments.
#pragma once

#include <string>
#include <vector>

#include "core/clock.hpp"

namespace deploy::action {

// Returns the process exit code. The clock and randomness are main's: a deploy or rollback run
// reads time and random values only through them.
int run_cli(const std::vector<std::string>& args, Clock& clock, const RandomSource& random);

}  // namespace deploy::action
