#include "core/plan/plan.hpp"

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

TEST_CASE("a canary plan: the deploy stage at each step, each watched, the final window, in run order") {
  auto plan = deploy::plan::make_plan(load(), "production", "refs/tags/v1.2.0");
  REQUIRE(plan.ok());
  using K = deploy::plan::StepKind;
  struct Expected {
    K kind;
    std::string stage;
    int traffic;  // 0 = not a traffic call
    int rounds;
    bool live;
  };
  // 2m / 30s = 4 rounds, 5m / 30s = 10, the final window (failure_limit + 1) = 3.
  const std::vector<Expected> expected = {
      {K::stage, "backup", 0, 0, false},      {K::deploy, "deploy", 5, 0, true},
      {K::analysis, "analysis", 0, 4, true},  {K::deploy, "deploy", 50, 0, true},
      {K::analysis, "analysis", 0, 10, true}, {K::deploy, "deploy", 100, 0, true},
      {K::analysis, "analysis", 0, 3, true},  {K::stage, "smoke", 0, 0, true},
  };
  REQUIRE(plan->steps.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    const auto& step = plan->steps[i];
    CHECK(step.kind == expected[i].kind);
    CHECK(step.stage == expected[i].stage);
    CHECK(step.traffic.value_or(0) == expected[i].traffic);
    CHECK(step.rounds == expected[i].rounds);
    CHECK(step.live == expected[i].live);
  }
  CHECK(plan->steps[2].starts_run);
  CHECK_FALSE(plan->steps[4].starts_run);
  CHECK(plan->steps[6].ends_run);
  CHECK(plan->steps[6].label == "after full traffic");
  CHECK(plan->ref_triggers);
  CHECK(plan->strategy == "canary");
  // The way back: rollback.run at once, then one health-check round.
  REQUIRE(plan->rollback_steps.size() == 2);
  CHECK(plan->rollback_steps[0].run == "./rollback.sh");
  CHECK(plan->rollback_steps[1].kind == K::analysis);
  CHECK(plan->rollback_steps[1].rounds == 1);
}

TEST_CASE("the smallest documented file: rolling, a health check, no traffic stage is still watched and rolled back") {
  auto loaded = deploy::config::load_config(R"(version: 1
environments:
  production:
    on: { tags: ["v*"] }
    analysis:
      checks:
        - name: health
          http: { url: "http://127.0.0.1:9/healthz" }
stages:
  - name: build
    run: ./build.sh
  - name: deploy
    run: ./deploy.sh
  - name: smoke
    run: ./smoke.sh
)",
                                            "deploy.yml");
  INFO(loaded.format());
  REQUIRE(loaded.ok());
  auto plan = deploy::plan::make_plan(*loaded.config, "production");
  REQUIRE(plan.ok());
  using K = deploy::plan::StepKind;
  REQUIRE(plan->steps.size() == 4);
  CHECK(plan->steps[0].kind == K::stage);
  CHECK_FALSE(plan->steps[0].live);
  CHECK(plan->steps[1].kind == K::deploy);  // the stage named deploy, at 100 %
  CHECK(plan->steps[1].traffic == 100);
  CHECK(plan->steps[2].kind == K::analysis);
  CHECK(plan->steps[2].rounds == 2);  // failure_limit 1 + 1
  CHECK(plan->steps[3].stage == "smoke");
  CHECK(plan->steps[3].live);
  // No rollback.run: the deploy stage at 100 % is the way back.
  REQUIRE(plan->rollback_steps.size() == 2);
  CHECK(plan->rollback_steps[0].kind == K::deploy);
  CHECK(plan->rollback_steps[0].run == "./deploy.sh");
  CHECK(plan->rollback_steps[0].phase == "rollback");
}

TEST_CASE("mode rollback goes straight to the target: no backup, no pauses, unless rollback.stages asks") {
  auto config = load();
  auto plan = deploy::plan::make_rollback_plan(config, "production");
  REQUIRE(plan.ok());
  REQUIRE(plan->steps.size() == 2);
  CHECK(plan->steps[0].run == "./rollback.sh");
  CHECK(plan->steps[1].kind == deploy::plan::StepKind::analysis);
  CHECK(plan->steps[1].rounds == 1);
  CHECK(plan->rollback_steps.empty());

  config.rollback.stages = {"backup"};
  config.rollback.run.clear();
  plan = deploy::plan::make_rollback_plan(config, "production");
  REQUIRE(plan.ok());
  REQUIRE(plan->steps.size() == 3);
  CHECK(plan->steps[0].stage == "backup");
  CHECK(plan->steps[1].kind == deploy::plan::StepKind::deploy);
  CHECK(plan->steps[1].traffic == 100);
  CHECK(plan->steps[1].run == "./deploy.sh");
}

TEST_CASE("blue-green: the idle colour, checks on its preview, the switch, then the switch back on failure") {
  auto loaded = deploy::config::load_config(R"(version: 1
environments:
  production:
    on: { tags: ["v*"] }
    strategy:
      type: blue-green
      switch: ./switch.sh
      preview_url: "http://127.0.0.1:8081"
    analysis:
      interval: 10s
      failure_limit: 2
      checks:
        - name: health
          http: { url: "http://127.0.0.1:8080/healthz?full=1" }
        - name: errors
          prometheus: { url: "http://127.0.0.1:9090", query: "x", max: 1 }
stages:
  - name: deploy
    run: ./deploy.sh
)",
                                            "deploy.yml");
  INFO(loaded.format());
  REQUIRE(loaded.ok());
  auto plan = deploy::plan::make_plan(*loaded.config, "production");
  REQUIRE(plan.ok());
  using K = deploy::plan::StepKind;
  using C = deploy::plan::Color;
  REQUIRE(plan->steps.size() == 4);
  CHECK(plan->steps[0].kind == K::deploy);
  CHECK(plan->steps[0].color == C::idle);
  CHECK_FALSE(plan->steps[0].live);
  CHECK(plan->steps[1].preview);
  CHECK(plan->steps[1].rounds == 2);
  CHECK_FALSE(plan->steps[1].live);
  CHECK(plan->steps[2].kind == K::switch_traffic);
  CHECK(plan->steps[2].run == "./switch.sh");
  CHECK(plan->steps[2].live);
  CHECK(plan->steps[3].kind == K::analysis);
  CHECK(plan->steps[3].starts_run);
  REQUIRE(plan->rollback_steps.size() == 2);
  CHECK(plan->rollback_steps[0].kind == K::switch_traffic);
  CHECK(plan->rollback_steps[0].color == C::live);

  const auto& checks = loaded.config->environments[0].analysis.checks;
  auto preview = deploy::plan::preview_check(checks[0], "http://127.0.0.1:8081");
  REQUIRE(preview.has_value());
  CHECK(std::get<deploy::config::HttpCheck>(preview->probe).url == "http://127.0.0.1:8081/healthz?full=1");
  CHECK_FALSE(deploy::plan::preview_check(checks[1], "http://127.0.0.1:8081").has_value());
}

TEST_CASE("the gates appear in evaluation order, only when configured") {
  auto production = deploy::plan::make_plan(load(), "production");
  REQUIRE(production.ok());
  std::vector<std::string> names;
  for (const auto& gate : production->gates) names.push_back(gate.name);
  CHECK(names == std::vector<std::string>{"release", "approvals", "rejection", "reviewed_changes", "required_checks"});
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
  CHECK(deploy::plan::render_text(*staging).find("Analysis: none (no checks)") != std::string::npos);
}

TEST_CASE("the approvals gate says who can never approve, following allow_author") {
  struct Case {
    bool allow_author;
    std::string expected;
  };
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
    CHECK((deploy::plan::render_text(*plan).find("warning: this ref would not deploy") != std::string::npos) ==
          !c.triggers);
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
  CHECK(text.find("  2. deploy @ 5% traffic  `./deploy.sh`  timeout 30m\n") != std::string::npos);
  CHECK(text.find("  3. analysis at 5% traffic: 4 rounds, one every 30s\n") != std::string::npos);
  CHECK(text.find("  6. deploy @ 100% traffic  `./deploy.sh`  timeout 30m\n") != std::string::npos);
  CHECK(text.find("  7. analysis after full traffic: 3 rounds, one every 30s; the run's verdict is decided here\n") !=
        std::string::npos);
  CHECK(text.find("  8. smoke  `./smoke.sh`  timeout 5m\n") != std::string::npos);
  CHECK(text.find("  from step 2 on, a failure (or a cancel) runs:\n  R1. rollback  `./rollback.sh`") !=
        std::string::npos);
  CHECK(text.find("the run fails at 2 failed rounds counted over the whole run") != std::string::npos);
}
