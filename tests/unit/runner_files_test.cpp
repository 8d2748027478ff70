// The runner contract's I/O edge: the process environment and the file command files.
#include "core/runner/files.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/fixed_random.hpp"

namespace runner = deploy::runner;
using deploy::test::fixed_random;
using deploy::test::read_file;
using deploy::test::TempDir;
using runner::FileCommandEntry;

TEST_CASE("writing file commands appends to the file named by the variable") {
  TempDir dir;
  const auto output = dir.path() / "set_output";
  const auto env_file = dir.path() / "set_env";
  const auto summary = dir.path() / "step_summary";
  { std::ofstream(output) << "earlier=1\n"; }  // the runner creates the files; we only append
  auto env = runner::environment_from_map({{"GITHUB_OUTPUT", output.string()},
                                           {"GITHUB_ENV", env_file.string()},
                                           {"GITHUB_STEP_SUMMARY", summary.string()}});
  auto random = fixed_random({5, 6, 7, 8});

  auto first = runner::write_file_command(env, runner::FileCommand::output, "version", "v1.4.0", random);
  REQUIRE(first.ok());
  CHECK(*first == runner::WriteStatus::written);
  auto second = runner::write_file_command(env, runner::FileCommand::output, "notes", "a\nb", random);
  REQUIRE(second.ok());
  auto exported = runner::write_file_command(env, runner::FileCommand::env, "DEPLOY_ID", "42", random);
  REQUIRE(exported.ok());

  auto outputs = runner::parse_file_commands(read_file(output));
  REQUIRE(outputs.ok());
  CHECK(*outputs == std::vector<FileCommandEntry>{{"earlier", "1"}, {"version", "v1.4.0"}, {"notes", "a\nb"}});
  auto envs = runner::parse_file_commands(read_file(env_file));
  REQUIRE(envs.ok());
  CHECK(*envs == std::vector<FileCommandEntry>{{"DEPLOY_ID", "42"}});

  CHECK(runner::append_step_summary(env, "## Deploy\n") == runner::WriteStatus::written);
  CHECK(runner::append_step_summary(env, "| a | b |") == runner::WriteStatus::written);
  CHECK(read_file(summary) == "## Deploy\n| a | b |\n");

  // Bad names fail before anything is written.
  auto bad = runner::write_file_command(env, runner::FileCommand::output, "a=b", "x", random);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "invalid_file_command_name");
  auto summary_pair = runner::write_file_command(env, runner::FileCommand::step_summary, "a", "x", random);
  REQUIRE_FALSE(summary_pair.ok());
  CHECK(summary_pair.error().code == "invalid_file_command");
}

TEST_CASE("outside Actions nothing is written and the caller is told") {
  auto env = runner::environment_from_map({{"GITHUB_ENV", ""}});
  auto random = fixed_random({1, 2});
  for (auto command : {runner::FileCommand::output, runner::FileCommand::env, runner::FileCommand::state}) {
    CAPTURE(runner::file_command_variable(command));
    auto status = runner::write_file_command(env, command, "n", "v", random);
    REQUIRE(status.ok());
    CHECK(*status == runner::WriteStatus::no_file);
  }
  CHECK(runner::append_step_summary(env, "x") == runner::WriteStatus::no_file);
  CHECK_FALSE(runner::file_command_writer(env, runner::FileCommand::output).has_value());
}

TEST_CASE("the writer reports a file it cannot open") {
  TempDir dir;
  runner::FileCommandWriter writer(dir.path() / "missing-dir" / "file");
  CHECK_THROWS_WITH_AS(writer.append("x"), doctest::Contains("cannot open file command file"), std::runtime_error);
}

TEST_CASE("process_environment reads the real environment") {
  REQUIRE(setenv("DEPLOY_RUNNER_TEST_VAR", " v ", 1) == 0);
  REQUIRE(unsetenv("DEPLOY_RUNNER_TEST_UNSET") == 0);
  auto env = runner::process_environment();
  CHECK(env("DEPLOY_RUNNER_TEST_VAR") == std::optional<std::string>(" v "));
  CHECK_FALSE(env("DEPLOY_RUNNER_TEST_UNSET").has_value());
  unsetenv("DEPLOY_RUNNER_TEST_VAR");
}
