#include "core/plan.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

const char* kConfig = R"(version: 1
environments:
  staging:
    on: { branches: [main] }
  production:
    on: { tags: ["v*"] }
    approvals: { required: 2, from: ["@acme/release-managers", maintain] }
    reviewed_changes: { required_reviews: 1 }
    required_checks: [build]
    strategy:
      type: canary
      steps:
        - { traffic: 5, pause: 2m }
        - { traffic: 50, pause: 5m }
        - { traffic: 100 }
    analysis:
      interval: 30s
      failure_limit: 2
      checks:
        - name: health
          http: { url: "http://127.0.0.1:8080/healthz" }
stages:
  - name: backup
    run: ./backup.sh
    timeout: 10m
    retries: 1
    environments: [production]
  - name: deploy
    run: ./deploy.sh
    traffic: true
  - name: smoke
    run: ./smoke.sh
    timeout: 5m
rollback:
  run: ./rollback.sh
)";

deploy::config::Config load() {
  auto loaded = deploy::config::load_config(kConfig, "deploy.yml");
  INFO(loaded.format());
  REQUIRE(loaded.ok());
  return *loaded.config;
}

}  // namespace

TEST_CASE("a canary plan expands the traffic stage into its steps, in run order") {
  auto plan = deploy::plan::make_plan(load(), "production", "refs/tags/v1.2.0");
  REQUIRE(plan.ok());
  struct Expected {
    std::string stage;
    int traffic;  // 0 = not a traffic call
    long timeout_s;
    int retries;
    long analysis_s;
  };
  const std::vector<Expected> expected = {
      {"backup", 0, 600, 1, 0}, {"deploy", 5, 1800, 0, 120}, {"deploy", 50, 1800, 0, 300},
      {"deploy", 100, 1800, 0, 0}, {"smoke", 0, 300, 0, 0},
  };
  REQUIRE(plan->steps.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    const auto& step = plan->steps[i];
    CHECK(step.stage == expected[i].stage);
    CHECK(step.traffic.value_or(0) == expected[i].traffic);
    CHECK(std::chrono::duration_cast<std::chrono::seconds>(step.timeout).count() == expected[i].timeout_s);
    CHECK(step.retries == expected[i].retries);
    CHECK(std::chrono::duration_cast<std::chrono::seconds>(step.analysis).count() == expected[i].analysis_s);
  }
  CHECK(plan->ref_triggers);
  CHECK(plan->strategy == "canary");
}

TEST_CASE("the gates appear in evaluation order, only when configured") {
  auto production = deploy::plan::make_plan(load(), "production");
  REQUIRE(production.ok());
  std::vector<std::string> names;
  for (const auto& gate : production->gates) names.push_back(gate.name);
  CHECK(names == std::vector<std::string>{"release", "approvals", "reviewed_changes", "required_checks"});
  CHECK(production->gates[1].description.find("2 distinct approvals") != std::string::npos);
  CHECK(production->gates[1].description.find("@acme/release-managers") != std::string::npos);

  auto staging = deploy::plan::make_plan(load(), "staging");
  REQUIRE(staging.ok());
  REQUIRE(staging->gates.size() == 1);
  CHECK(staging->gates[0].name == "release");
  // backup is production-only; a rolling strategy calls the traffic stage once at 100 %.
  REQUIRE(staging->steps.size() == 2);
  CHECK(staging->steps[0].stage == "deploy");
  CHECK(staging->steps[0].traffic == 100);
  CHECK(staging->steps[1].stage == "smoke");
}

TEST_CASE("the approvals gate says who can never approve, following allow_author") {
  struct Case { bool allow_author; std::string expected; };
  const std::string head =
      "2 distinct approvals of the release commit (/approve) from @acme/release-managers or anyone with "
      "maintain permission; ";
  const std::vector<Case> cases = {
      {false, head + "never the author, a committer, the person who triggered the deploy, or a bot"},
      {true, head + "never the person who triggered the deploy or a bot"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.allow_author);
    auto config = load();
    for (auto& env : config.environments) env.approvals.allow_author = c.allow_author;
    auto plan = deploy::plan::make_plan(config, "production");
    REQUIRE(plan.ok());
    REQUIRE(plan->gates.size() > 1);
    CHECK(plan->gates[1].name == "approvals");
    CHECK(plan->gates[1].description == c.expected);
  }
}

TEST_CASE("a ref that does not trigger the environment is flagged") {
  struct Case {
    const char* environment;
    const char* ref;
    bool triggers;
  };
  const Case cases[] = {
      {"production", "refs/tags/v1.2.0", true}, {"production", "v1.2.0", true},
      {"production", "refs/heads/main", false}, {"production", "refs/tags/release-5", false},
      {"staging", "refs/heads/main", true},     {"staging", "main", true},
      {"staging", "refs/heads/feature", false}, {"staging", "refs/tags/v1.2.0", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.environment);
    CAPTURE(c.ref);
    auto plan = deploy::plan::make_plan(load(), c.environment, c.ref);
    REQUIRE(plan.ok());
    CHECK(plan->ref_triggers == c.triggers);
    CHECK((deploy::plan::render_text(*plan).find("warning: this ref would not deploy") != std::string::npos) == !c.triggers);
  }
}

TEST_CASE("an unknown environment is an error listing the known ones") {
  auto plan = deploy::plan::make_plan(load(), "prod");
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.error().code == "unknown_environment");
  CHECK(plan.error().message == "environment 'prod' is not in the config; known environments: staging, production");
}

TEST_CASE("the rendered plan numbers the stages and shows traffic, timeouts and the rollback") {
  auto plan = deploy::plan::make_plan(load(), "production", "refs/tags/v1.2.0");
  REQUIRE(plan.ok());
  const std::string text = deploy::plan::render_text(*plan);
  CHECK(text.find("Plan for production at refs/tags/v1.2.0\n") == 0);
  CHECK(text.find("  1. backup  `./backup.sh`  timeout 10m, 1 retry\n") != std::string::npos);
  CHECK(text.find("  2. deploy @ 5% traffic  `./deploy.sh`  timeout 30m, then analysis for 2m\n") != std::string::npos);
  CHECK(text.find("  4. deploy @ 100% traffic  `./deploy.sh`  timeout 30m\n") != std::string::npos);
  CHECK(text.find("  5. smoke  `./smoke.sh`  timeout 5m\n") != std::string::npos);
  CHECK(text.find("On failure: roll back automatically to the previous version with `./rollback.sh`") != std::string::npos);
  CHECK(text.find("Analysis (every 30s, a step fails after 2 failed rounds in a row):") != std::string::npos);
}
