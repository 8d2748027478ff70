// Runs the real deploy-action binary the way a user or the runner does, for end-to-end tests:
// exit code and combined output, outside a runner unless the test passes runner variables.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/process/process.hpp"

namespace deploy::test {

struct ActionRun {
  int exit_code = -1;
  std::string output;
};

inline ActionRun run_action(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
  process::Spec spec;
  spec.argv = {DEPLOY_ACTION_BINARY};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = std::move(env);
  spec.unset_env = {"GITHUB_ACTIONS", "INPUT_MODE", "INPUT_ENVIRONMENT", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"};
  spec.timeout = std::chrono::seconds{30};
  ActionRun run;
  auto result = process::run(spec, [&](const std::string& line) { run.output += line + "\n"; });
  REQUIRE(result.end == process::Result::End::exited);
  run.exit_code = result.exit_code;
  return run;
}

}  // namespace deploy::test
