// deploy-action plan as users run it: the real binary, a real config file, its exit code and output.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/runner/commands.hpp"
#include "tests/support/run_action.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using deploy::test::run_action;
using TempDir = deploy::test::TempDir;

const std::string kExample = std::string(DEPLOY_SOURCE_DIR) + "/examples/deploy.yml";

}  // namespace

TEST_CASE("plan prints the production plan of the example config") {
  auto run = run_action({"plan", "--config", kExample, "--environment", "production"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("Plan for production") == 0);
  CHECK(run.output.find("Gates (all must pass before any stage runs):") != std::string::npos);
  CHECK(run.output.find("approvals: 2 distinct approvals") != std::string::npos);
  CHECK(run.output.find("deploy @ 5% traffic") != std::string::npos);
  CHECK(run.output.find("deploy @ 25% traffic") != std::string::npos);
  CHECK(run.output.find("deploy @ 5% traffic") < run.output.find("deploy @ 25% traffic"));
  CHECK(run.output.find("analysis after full traffic: 20 rounds") != std::string::npos);  // the 10m pause
  CHECK(run.output.find("On failure: before the deploy stage starts") != std::string::npos);
  CHECK(run.output.find("R1. rollback  `./scripts/rollback.sh`") != std::string::npos);
}

TEST_CASE("a misspelt key is reported with file, line, column, key and the suggestion") {
  TempDir dir("action-plan");
  const std::string path = dir.write("deploy.yml", R"(version: 1
environments:
  production:
    on: { tags: ["v*"] }
    approvals:
      requird: 2
stages:
  - name: deploy
    run: ./deploy.sh
)");
  auto run = run_action({"plan", "--config", path, "--environment", "production"});
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find(path + ":6:7: error: environments.production.approvals.requird") != std::string::npos);
  CHECK(run.output.find("did you mean 'required'?") != std::string::npos);
}

TEST_CASE("bad invocations name the problem") {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const Case cases[] = {
      {{"plan", "--config", kExample}, 2, "--environment NAME is required"},
      {{"plan", "--config", kExample, "--environment", "prod"}, 1, "known environments: staging, production"},
      {{"plan", "--config", "/nonexistent/deploy.yml", "--environment", "production"},
       1,
       "/nonexistent/deploy.yml: error: cannot read the config file"},
      {{"plan", "--bogus", "x"}, 2, "unknown option --bogus"},
      {{"frobnicate"}, 2, "unknown command 'frobnicate'"},
      {{"--help"}, 0, "deploy-action plan --config FILE --environment NAME"},
      {{"--version"}, 0, "deploy-action "},
  };
  for (const auto& c : cases) {
    CAPTURE(c.says);
    auto run = run_action(c.args);
    INFO(run.output);
    CHECK(run.exit_code == c.exit_code);
    CHECK(run.output.find(c.says) != std::string::npos);
  }
}

TEST_CASE("as a container action, mode plan reads INPUT_* and writes outputs the runner can parse") {
  TempDir dir("action-plan");
  const std::string output_file = dir.write("output", "");
  const std::string summary_file = dir.write("summary", "");
  auto run = run_action({}, {{"GITHUB_ACTIONS", "true"},
                             {"INPUT_MODE", "plan"},
                             {"INPUT_ENVIRONMENT", "production"},
                             {"INPUT_CONFIG", "examples/deploy.yml"},
                             {"GITHUB_WORKSPACE", DEPLOY_SOURCE_DIR},
                             {"GITHUB_REF", "refs/tags/v1.2.0"},
                             {"GITHUB_OUTPUT", output_file},
                             {"GITHUB_STEP_SUMMARY", summary_file}});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("Plan for production at refs/tags/v1.2.0") == 0);

  std::ifstream out(output_file);
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  auto entries = deploy::runner::parse_file_commands(text);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].name == "status");
  CHECK((*entries)[0].value == "planned");

  std::ifstream summary(summary_file);
  std::string markdown((std::istreambuf_iterator<char>(summary)), std::istreambuf_iterator<char>());
  CHECK(markdown.find("### deploy-action plan for production") == 0);
}

TEST_CASE("as a container action, a missing environment input is an error annotation") {
  auto run = run_action({}, {{"GITHUB_ACTIONS", "true"}, {"INPUT_MODE", "plan"}});
  CHECK(run.exit_code == 1);
  CHECK(run.output.rfind("::error::", 0) == 0);
  CHECK(run.output.find("environment") != std::string::npos);
}

TEST_CASE("plan --at says whether a time is inside a freeze window, which, and until when") {
  TempDir dir("action-plan");
  const std::string path = dir.write("deploy.yml", R"(version: 1
environments:
  production:
    on: { tags: ["v*"] }
    freeze:
      windows:
        - name: weekend
          cron: "0 18 * * FRI"
          duration: 62h
          time_zone: Europe/Berlin
        - name: year-end
          start: 2026-12-20T00:00:00Z
          end: 2027-01-04T00:00:00Z
stages:
  - name: deploy
    run: ./deploy.sh
)");
  struct Case {
    const char* at;
    int exit_code;
    const char* says;
  };
  const std::vector<Case> cases = {
      // Saturday 2026-12-05, noon in Berlin: the weekend that began Friday 18:00 CET (17:00 UTC).
      {"2026-12-05T12:00:00+01:00", 0,
       "freeze at 2026-12-05T11:00:00Z: FROZEN by 'weekend' (2026-12-04T17:00:00Z to 2026-12-07T07:00:00Z), until "
       "2026-12-07T07:00:00Z"},
      {"2026-12-08T10:00:00Z", 0, "freeze at 2026-12-08T10:00:00Z: not frozen"},
      // Both hold on Christmas Day, a Friday evening: the later end is the one that matters.
      {"2026-12-25T20:00:00Z", 0, "until 2027-01-04T00:00:00Z"},
      // Summer time: the weekend starts at 16:00 UTC.
      {"2026-07-03T16:00:00Z", 0, "FROZEN by 'weekend' (2026-07-03T16:00:00Z to 2026-07-06T06:00:00Z)"},
      {"2026-07-03T15:59:59Z", 0, "not frozen"},
      {"tomorrow", 1, "--at: expected an RFC 3339 time"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.at);
    auto run = run_action({"plan", "--config", path, "--environment", "production", "--at", c.at});
    INFO(run.output);
    CHECK(run.exit_code == c.exit_code);
    CHECK(run.output.find(c.says) != std::string::npos);
  }
  auto plain = run_action({"plan", "--config", path, "--environment", "production"});
  CHECK(plain.output.find("freeze: not inside a freeze window: weekend (from `0 18 * * FRI` in Europe/Berlin for "
                          "62h") != std::string::npos);
}
