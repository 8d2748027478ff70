// The deploy engine end to end: real shell stage commands deploy a real HTTP service
// (tests/demo-service) by writing its state files; checks measure it over HTTP; rollbacks are
// observed from outside, over HTTP. A second group drives the engine with a ManualClock and fake
// checks to pin down the round schedule and the failure_limit rule without waiting.
#include "core/engine/engine.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/checks/checks.hpp"
#include "core/config/config.hpp"
#include "core/http/client.hpp"
#include "core/plan/plan.hpp"
#include "core/process/process.hpp"
#include "tests/support/demo_service.hpp"
#include "tests/support/files.hpp"

using namespace std::chrono_literals;
namespace engine = deploy::engine;
namespace checks = deploy::checks;
namespace config = deploy::config;
namespace fs = std::filesystem;
using deploy::test::DemoService;
using deploy::test::eventually;
using deploy::test::process_gone;
using deploy::test::read_file;

namespace {

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("deploy-engine-" + name + "-" + std::to_string(::getpid()) + "-" +
                                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// The deploy.yml every end-to-end case starts from. Stage commands are config text (trusted):
// the test's own directory is written into them; versions reach them only as DEPLOY_* variables.
std::string deploy_yml(const fs::path& state, const std::string& service_url, const std::string& extra_stage = "") {
  const std::string dir = "'" + state.string() + "'";
  return R"Y(version: 1
environments:
  production:
    on: { tags: ["v*"] }
    strategy:
      type: canary
      steps:
        - { traffic: 5 }
        - { traffic: 25 }
        - { traffic: 100 }
    analysis:
      interval: 1s
      failure_limit: 1
      checks:
        - name: health
          http:
            url: ")Y" +
         service_url + R"Y(/healthz"
            json_field: status
            equals: ok
            max_latency: 5s
        - name: error-rate
          prometheus:
            url: ")Y" +
         service_url + R"Y("
            query: 'sum(rate(http_errors_total{service="demo"}[1m]))'
            max: 0.02
        - name: queue-depth
          command:
            run: "echo measuring; echo 0.25"
            max: 1
            max_increase: 50%
stages:
  - name: migrate
    run: "if [ ! -f )Y" +
         dir + R"Y(/migrated-once ]; then touch )Y" + dir +
         R"Y(/migrated-once; echo first attempt fails; exit 1; fi; echo migrated"
    retries: 1
    timeout: 10s
  - name: deploy
    traffic: true
    timeout: 10s
    run: |
      cd )Y" +
         dir + R"Y(
      printf '%s\n' "$DEPLOY_TRAFFIC" >> traffic-log
      if [ "$DEPLOY_TRAFFIC" = 25 ] && [ -f sleep-at-25 ]; then echo $$ > stage.pid; sleep 30; fi
      printf '%s' "$DEPLOY_VERSION" > version
      printf '%s' "$DEPLOY_TRAFFIC" > traffic
      echo "deployed $DEPLOY_VERSION at $DEPLOY_TRAFFIC% (step $DEPLOY_STEP)"
)Y" + extra_stage +
         R"Y(rollback:
  run: |
    cd )Y" +
         dir + R"Y(
    printf '%s' "$DEPLOY_VERSION" > version
    printf '%s' "$DEPLOY_ROLLBACK_FROM" > rollback-from
    echo "rolled back to $DEPLOY_VERSION"
)Y";
}

struct Deploy {
  fs::path state;
  std::unique_ptr<DemoService> service;
  config::Config config;
  deploy::plan::Plan plan;
  std::vector<deploy::plan::Step>& steps = plan.steps;
  deploy::SystemClock clock;
  deploy::http::Client client;
  std::vector<std::string> output;
  std::mutex output_mutex;

  explicit Deploy(const std::string& name, const std::string& extra_stage = "") : state(temp_dir(name)) {
    write_file(state / "version", "1.1.0");
    write_file(state / "broken", "1.2.0\n");
    service = std::make_unique<DemoService>(state);
    auto loaded = config::load_config(deploy_yml(state, service->url(), extra_stage), "deploy.yml");
    INFO(loaded.format());
    REQUIRE(loaded.ok());
    config = *loaded.config;
    // Tiny durations below what deploy.yml allows, so the test runs quickly on the real clock.
    config.environments[0].analysis.interval = 100ms;
    auto made = deploy::plan::make_plan(config, "production");
    REQUIRE(made.ok());
    plan = std::move(made).value();
    // Three rounds 100ms apart per window, below what deploy.yml allows, to run quickly on the real clock.
    for (auto& step : plan.steps) {
      if (step.kind == deploy::plan::StepKind::analysis) {
        step.rounds = 3;
        step.interval = 100ms;
      }
    }
  }
  ~Deploy() {
    service.reset();
    fs::remove_all(state);
  }

  engine::Report run(const std::string& version, const std::atomic<bool>* cancel = nullptr) {
    engine::Inputs inputs{
        plan, config.environments[0],
        engine::ReleaseFacts{"production", version, "0123abcd", "1.1.0", "42", "https://ci/run/1", ""}, clock,
        [this](const std::string& line) {
          std::lock_guard lock(output_mutex);
          output.push_back(line);
        }};
    inputs.cancel = cancel;
    inputs.kill_grace = 500ms;
    checks::Probes probes{client, clock, {}, nullptr};
    return engine::run_deploy(inputs, [&](const config::Check& check) { return checks::run_check(check, probes); });
  }

  std::vector<std::string> stages(const engine::Report& report) const {
    std::vector<std::string> names;
    for (const auto& step : report.steps) {
      names.push_back(step.stage + (step.traffic ? "@" + std::to_string(*step.traffic) : ""));
    }
    return names;
  }
};

const deploy::analysis::Sample* find_sample(const engine::RoundReport& round, const std::string& check) {
  for (const auto& sample : round.samples) {
    if (sample.check == check) return &sample;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("a healthy version goes through the canary steps in order and is served") {
  Deploy d("healthy");
  auto report = d.run("1.3.0");
  INFO(report.message);
  CHECK(report.status == engine::Status::succeeded);
  CHECK(report.reason == "deployed");
  CHECK_FALSE(report.rolled_back);
  CHECK_FALSE(report.rollback.has_value());
  CHECK(read_file(d.state / "traffic-log") == "5\n25\n100\n");
  CHECK(d.service->get("/version") == "1.3.0");
  CHECK(d.stages(report) == std::vector<std::string>{"migrate", "deploy@5", "deploy@25", "deploy@100"});

  // The migrate stage failed once and passed on its retry.
  REQUIRE(report.steps.size() == 4);
  CHECK(report.steps[0].attempts == 2);
  CHECK(report.steps[0].succeeded);
  CHECK(report.steps[0].describe == "exit 0");
  CHECK(report.steps[1].attempts == 1);
  for (const auto& step : report.steps) CHECK(step.finished >= step.started);

  // Baseline of the max_increase check, then 3 rounds per analysis window.
  REQUIRE(report.rounds.size() == 10);
  CHECK(report.rounds[0].stage == "baseline");
  CHECK(report.baselines.at("queue-depth") == doctest::Approx(0.25));
  int round_index = 1;
  for (int traffic : {5, 25, 100}) {
    for (int k = 1; k <= 3; ++k, ++round_index) {
      const auto& round = report.rounds[static_cast<std::size_t>(round_index)];
      CAPTURE(traffic);
      CAPTURE(k);
      CHECK(round.traffic == traffic);
      CHECK(round.round == k);
      CHECK(round.passed);
    }
  }
  const auto& last = report.rounds.back();
  REQUIRE(find_sample(last, "queue-depth") != nullptr);
  CHECK(find_sample(last, "queue-depth")->value == 0.25);  // the command check read the number
  REQUIRE(find_sample(last, "error-rate") != nullptr);
  CHECK(find_sample(last, "error-rate")->value == 0.0);  // the prometheus check read the vector
  CHECK(find_sample(last, "health")->ok);

  // Output: grouped, and the command's output is fenced by stop-commands tokens.
  std::lock_guard lock(d.output_mutex);
  // The runner reads "%25" in command data as "%".
  auto at = std::find(d.output.begin(), d.output.end(), "::group::deploy (traffic 25%25)");
  REQUIRE(at != d.output.end());
  REQUIRE(at + 3 < d.output.end());
  CHECK((at + 1)->rfind("::stop-commands::", 0) == 0);
  CHECK(*(at + 2) == "deployed 1.3.0 at 25% (step 4)");  // the plan's numbering: windows count
  CHECK(*(at + 3) == "::" + (at + 1)->substr(std::string("::stop-commands::").size()) + "::");
}

TEST_CASE("a broken version fails analysis at the first step and is rolled back, seen over HTTP") {
  Deploy d("broken");
  auto report = d.run("1.2.0");
  INFO(report.message);
  CHECK(report.status == engine::Status::rolled_back);
  CHECK(report.reason == "analysis_failed");
  CHECK(report.rolled_back);
  CHECK(read_file(d.state / "traffic-log") == "5\n");
  CHECK(d.service->get("/version") == "1.1.0");
  CHECK(read_file(d.state / "rollback-from") == "1.2.0");
  REQUIRE(report.rollback.has_value());
  CHECK(report.rollback->succeeded);

  // Baseline, one failed round at 5% (failure_limit 1), one passing post-rollback round.
  CHECK(report.time_to_restore.has_value());
  REQUIRE(report.rounds.size() == 3);
  const auto& failed = report.rounds[1];
  CHECK(failed.traffic == 5);
  CHECK_FALSE(failed.passed);
  REQUIRE(failed.verdicts.size() == 3);
  CHECK(failed.verdicts[0].outcome.reason == "check_failed");        // health answered 500
  CHECK(failed.verdicts[1].outcome.reason == "threshold_exceeded");  // error rate 0.5 > 0.02
  CHECK(failed.verdicts[2].outcome.reason == "within_thresholds");
  CHECK(failed.verdicts[0].outcome.message.find("answered 500") != std::string::npos);
  CHECK(report.rounds[2].stage == "post_rollback");
  CHECK(report.rounds[2].passed);
}

TEST_CASE("a stage past its timeout leaves no process behind and triggers the rollback") {
  Deploy d("timeout");
  write_file(d.state / "sleep-at-25", "");
  for (auto& step : d.steps) step.timeout = 1s;
  for (auto& step : d.plan.rollback_steps) step.timeout = 10s;
  auto report = d.run("1.3.0");
  INFO(report.message);
  CHECK(report.status == engine::Status::rolled_back);
  CHECK(report.reason == "stage_failed");
  REQUIRE(report.steps.size() == 3);
  CHECK(report.steps[2].traffic == 25);
  CHECK(report.steps[2].describe.rfind("timed out after", 0) == 0);
  CHECK_FALSE(report.steps[2].succeeded);

  const pid_t pid = std::stoi(read_file(d.state / "stage.pid"));
  CHECK(eventually([&] { return process_gone(pid); }));
  CHECK(d.service->get("/version") == "1.1.0");
}

TEST_CASE("cancelling mid-deploy stops the stage, rolls back and reports cancelled") {
  Deploy d("cancel");
  write_file(d.state / "sleep-at-25", "");
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    if (eventually([&] { return fs::exists(d.state / "stage.pid"); }, 30s)) cancel = true;
  });
  auto report = d.run("1.3.0", &cancel);
  canceller.join();
  INFO(report.message);
  CHECK(report.status == engine::Status::cancelled);
  CHECK(report.reason == "cancelled");
  CHECK(report.rolled_back);
  REQUIRE(report.steps.size() == 3);
  CHECK(report.steps[2].describe == "cancelled");
  CHECK(d.service->get("/version") == "1.1.0");
  const pid_t pid = std::stoi(read_file(d.state / "stage.pid"));
  CHECK(eventually([&] { return process_gone(pid); }));
}

TEST_CASE("a failure before any traffic step rolls nothing back") {
  Deploy d("early", "  - name: smoke\n    run: \"exit 3\"\n");
  // Move the failing stage before the traffic stage: the plan is ordered by the config.
  std::rotate(d.steps.begin() + 1, d.steps.end() - 1, d.steps.end());
  d.steps[1].live = false;
  d.steps[1].phase = "before_deploy";
  auto report = d.run("1.3.0");
  CHECK(report.status == engine::Status::failed);
  CHECK(report.reason == "stage_failed");
  CHECK_FALSE(report.rollback.has_value());
  CHECK(report.message.find("nothing was deployed yet") != std::string::npos);
  CHECK(d.service->get("/version") == "1.1.0");
}

TEST_CASE("the prometheus check reads demo-service's query endpoint") {
  auto state = temp_dir("prometheus");
  write_file(state / "version", "2.0.0");
  {
    DemoService service(state);
    deploy::SystemClock clock;
    deploy::http::Client client;
    checks::Probes probes{client, clock, {}, nullptr};
    config::Check check{"errors", 5s, config::PrometheusCheck{service.url() + "/", "rate(x[1m]) > 0", {{}, 0.02, {}}}};
    auto sample = checks::run_check(check, probes);
    CHECK(sample.ok);
    CHECK(sample.value == 0.0);
    write_file(state / "broken", "2.0.0\n");
    sample = checks::run_check(check, probes);
    CHECK(sample.value == 0.5);

    config::Check missing{"nothing", 5s, config::HttpCheck{service.url() + "/nope", 200, {}, {}, {}}};
    sample = checks::run_check(missing, probes);
    CHECK_FALSE(sample.ok);
    CHECK(sample.message.find("check 'nothing': GET " + service.url() + "/nope answered 404") == 0);
  }
  fs::remove_all(state);
}

TEST_CASE("checks: Prometheus answers, numbers and JSON fields") {
  CHECK(checks::prometheus_query_url("http://p:9090/", "sum(rate(x{a=\"b\"}[1m]))") ==
        "http://p:9090/api/v1/query?query=sum%28rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%29");
  struct Case {
    const char* body;
    double value;
    const char* error;
  };
  const std::vector<Case> cases{
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.25"]}]}})", 0.25, ""},
      {R"({"status":"success","data":{"resultType":"scalar","result":[1,"3"]}})", 3, ""},
      {R"({"status":"success","data":{"resultType":"vector","result":[]}})", 0, "prometheus_empty"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[]}})", 0, "prometheus_unsupported"},
      {R"({"status":"error","errorType":"bad_data","error":"parse error"})", 0, "prometheus_error"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,"NaN"]}]}})", 0, "not_a_number"},
      {"not json", 0, "invalid_json"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto value = checks::parse_prometheus_answer(c.body);
    if (std::string(c.error).empty()) {
      REQUIRE(value.ok());
      CHECK(*value == c.value);
    } else {
      REQUIRE_FALSE(value.ok());
      CHECK(value.error().code == c.error);
    }
  }
  CHECK(*checks::parse_number(" 12.5\n") == 12.5);
  CHECK(checks::parse_number("12ms").error().code == "not_a_number");
  CHECK(checks::parse_number("inf").error().code == "not_a_number");
  CHECK(checks::parse_number("").error().code == "not_a_number");
  CHECK(*checks::json_field_text(R"({"checks":{"db":"ok","n":3,"up":true}})", "checks.db") == "ok");
  CHECK(*checks::json_field_text(R"({"checks":{"db":"ok","n":3,"up":true}})", "checks.n") == "3");
  CHECK(*checks::json_field_text(R"({"checks":{"db":"ok","n":3,"up":true}})", "checks.up") == "true");
  CHECK(checks::json_field_text(R"({"checks":{}})", "checks.db").error().code == "missing_field");
}

// --- the engine on a ManualClock, with fake checks: the schedule, exactly ---

namespace {

struct ManualRun {
  config::Environment environment;
  deploy::plan::Plan plan;
  deploy::ManualClock clock;
  std::vector<std::string> output;
  std::vector<bool> check_results;  // consumed one per measurement; true once exhausted
  std::size_t measured = 0;
  deploy::runner::Masker masker;

  static deploy::plan::Step deploy_step(int traffic) {
    deploy::plan::Step step;
    step.kind = deploy::plan::StepKind::deploy;
    step.stage = "deploy";
    step.run = "echo \"v=$DEPLOY_VERSION t=$DEPLOY_TRAFFIC\"";
    step.timeout = 10s;
    step.traffic = traffic;
    step.phase = "deploy";
    step.live = true;
    return step;
  }
  static deploy::plan::Step window(int rounds, bool starts, bool ends) {
    deploy::plan::Step step;
    step.kind = deploy::plan::StepKind::analysis;
    step.stage = "analysis";
    step.label = "window";
    step.rounds = rounds;
    step.interval = 30s;
    step.phase = "deploy";
    step.live = true;
    step.starts_run = starts;
    step.ends_run = ends;
    return step;
  }

  ManualRun() {
    environment.name = "production";
    environment.analysis.interval = 30s;
    environment.analysis.failure_limit = 2;
    environment.analysis.checks.push_back(
        config::Check{"health", 5s, config::HttpCheck{"http://127.0.0.1:1/healthz", 200, {}, {}, {}}});
    plan.steps = {deploy_step(10), window(3, true, false), deploy_step(100), window(2, false, true)};
    deploy::plan::Step rollback;
    rollback.stage = "rollback";
    rollback.run = "echo rollback to \"$DEPLOY_VERSION\"";
    rollback.timeout = 10s;
    rollback.phase = "rollback";
    rollback.live = true;
    auto health = window(1, true, true);
    health.interval = 0s;
    health.phase = "rollback";
    plan.rollback_steps = {rollback, health};
  }

  engine::Report run(const std::string& version) {
    engine::Inputs inputs{plan, environment, engine::ReleaseFacts{"production", version, "abc", "1.0.0", "", "", ""},
                          clock, [this](const std::string& line) { output.push_back(line); }};
    inputs.masker = &masker;
    return engine::run_deploy(inputs, [this](const config::Check& check) {
      bool ok = measured < check_results.size() ? check_results[measured] : true;
      ++measured;
      return deploy::analysis::Sample{check.name, ok, std::nullopt, ok ? "fine" : "down"};
    });
  }
};

}  // namespace

TEST_CASE("rounds run every interval, window after window") {
  ManualRun r;
  auto report = r.run("2.0.0");
  CHECK(report.status == engine::Status::succeeded);
  REQUIRE(report.rounds.size() == 5);
  CHECK(report.rounds[2].round == 3);
  CHECK(report.rounds[3].traffic == 100);
  CHECK(r.clock.total_slept() == 150s);
  CHECK(report.rounds[0].at - report.steps[0].finished == 30s);
}

TEST_CASE("failure_limit counts failures over the whole run; a failing last round never passes") {
  SUBCASE("one failure in each step reaches a limit of 2 (finding 1: counts carried across steps)") {
    ManualRun r;
    r.check_results = {false, true, true, false};
    auto report = r.run("2.0.0");
    CHECK(report.status == engine::Status::rolled_back);
    CHECK(report.reason == "analysis_failed");
    CHECK(report.rounds.size() == 5);  // 4 rounds, then the post-rollback round
  }
  SUBCASE("a failure in the very last round") {
    ManualRun r;
    r.environment.analysis.failure_limit = 3;
    r.check_results = {true, true, true, true, false};
    auto report = r.run("2.0.0");
    CHECK(report.status == engine::Status::rolled_back);
    CHECK(report.reason == "analysis_failed");
  }
  SUBCASE("every round fails, windows shorter than the limit") {
    ManualRun r;
    r.environment.analysis.failure_limit = 4;
    r.plan.steps = {ManualRun::deploy_step(10),  ManualRun::window(1, true, false),
                    ManualRun::deploy_step(50),  ManualRun::window(1, false, false),
                    ManualRun::deploy_step(100), ManualRun::window(1, false, true)};
    r.check_results = {false, false, false, true};  // post-rollback passes
    auto report = r.run("2.0.0");
    CHECK(report.status == engine::Status::rolled_back);
    CHECK(report.reason == "analysis_failed");
  }
  SUBCASE("two in a row") {
    ManualRun r;
    r.check_results = {true, false, false};  // step 1 fails at its third round
    auto report = r.run("2.0.0");
    CHECK(report.status == engine::Status::rolled_back);
    CHECK(report.reason == "analysis_failed");
    REQUIRE(report.rounds.size() == 4);  // 3 rounds, then the post-rollback round
    CHECK(report.rounds[3].stage == "post_rollback");
    REQUIRE(report.rollback.has_value());
    CHECK(std::find(r.output.begin(), r.output.end(), "rollback to 1.0.0") != r.output.end());
  }
  SUBCASE("post-rollback health fails") {
    ManualRun r;
    r.environment.analysis.failure_limit = 1;
    r.check_results = {false, false};
    auto report = r.run("2.0.0");
    CHECK(report.status == engine::Status::rollback_failed);
    CHECK(report.reason == "post_rollback_unhealthy");
    CHECK_FALSE(report.rolled_back);
  }
}

TEST_CASE("values from outside reach commands only as variables, and output is masked") {
  ManualRun r;
  const auto dir = temp_dir("inject");
  r.environment.analysis.checks.clear();
  r.plan.steps.resize(2);
  r.plan.steps[0].run = "echo \"v=$DEPLOY_VERSION\"; echo s3cret-token";
  r.plan.steps[1].rounds = 0;  // a plain pause
  r.plan.steps[1].interval = 90s;
  r.masker.add("s3cret-token");
  const std::string hostile = "$(touch " + (dir / "pwned").string() + ")";
  auto report = r.run(hostile);
  CHECK(report.status == engine::Status::succeeded);
  CHECK_FALSE(fs::exists(dir / "pwned"));
  CHECK(std::find(r.output.begin(), r.output.end(), "v=" + hostile) != r.output.end());
  CHECK(std::find(r.output.begin(), r.output.end(), "***") != r.output.end());
  for (const auto& line : r.output) CHECK(line.find("s3cret-token") == std::string::npos);
  CHECK(r.clock.total_slept() == 90s);  // no checks: the pause is still waited
  fs::remove_all(dir);
}

TEST_CASE("step environment") {
  deploy::plan::Step step;
  step.stage = "deploy";
  step.run = "x";
  step.traffic = 25;
  auto env = engine::step_environment({"prod", "1.2.0", "abc", "1.1.0", "7", "https://run", ""}, step, 3);
  CHECK(env == std::map<std::string, std::string>{{"DEPLOY_ENVIRONMENT", "prod"},
                                                  {"DEPLOY_VERSION", "1.2.0"},
                                                  {"DEPLOY_SHA", "abc"},
                                                  {"DEPLOY_PREVIOUS_VERSION", "1.1.0"},
                                                  {"DEPLOY_STEP", "3"},
                                                  {"DEPLOY_DEPLOYMENT_ID", "7"},
                                                  {"DEPLOY_RUN_URL", "https://run"},
                                                  {"DEPLOY_TRAFFIC", "25"}});
}
