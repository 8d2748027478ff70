// Runs the real deploy-action binary the way a user or the runner does, for end-to-end tests:
// exit code and combined output, outside a runner unless the test passes runner variables.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/process.hpp"

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

// A temporary directory of the test's own, removed when it goes out of scope.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix) {
    path = std::filesystem::temp_directory_path() /
           (prefix + "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& name, const std::string& text) const {
    auto file = path / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
};

}  // namespace deploy::test
