#include "core/config/config.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/config/duration.hpp"
#include "core/config/glob.hpp"

using namespace std::chrono_literals;
namespace cfg = deploy::config;

namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  const cfg::LoadResult result = cfg::load_config(yaml, "deploy.yml");
  std::vector<std::string> out;
  for (const auto& e : result.errors) out.push_back(e.format());
  CHECK(result.ok() == out.empty());
  return out;
}

std::string read_source_file(const std::string& relative) {
  const std::string path = std::string(DEPLOY_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The smallest valid file; cases below change one thing in it.
const std::string kMinimal =
    "version: 1\n"
    "environments:\n"
    "  production:\n"
    "    on: { tags: [\"v*\"] }\n"
    "stages:\n"
    "  - name: deploy\n"
    "    run: ./deploy.sh\n"
    "rollback:\n"
    "  run: ./rollback.sh\n";

// Lines 1-4 of kMinimal; an environment case appends its own keys at line 5 and after.
const std::string kHead =
    "version: 1\n"
    "environments:\n"
    "  production:\n"
    "    on: { tags: [\"v*\"] }\n";

// Lines 5-9 of kMinimal when appended to kHead without extra lines.
const std::string kTail =
    "stages:\n"
    "  - name: deploy\n"
    "    run: ./deploy.sh\n"
    "rollback:\n"
    "  run: ./rollback.sh\n";

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::vector<std::string> expected;
};

// One error per line, so a failing case shows both lists in full.
std::string lines(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

void run_cases(const std::vector<ErrorCase>& cases) {
  for (const auto& c : cases) {
    INFO("case: ", c.name);
    INFO("yaml:\n", c.yaml);
    CHECK(lines(errors_of(c.yaml)) == lines(c.expected));
  }
}

}  // namespace

TEST_CASE("the example file is valid and matches docs/CONFIGURATION.md byte for byte") {
  const std::string example = read_source_file("examples/deploy.yml");
  const cfg::LoadResult result = cfg::load_config(example, "examples/deploy.yml");
  INFO(result.format());
  REQUIRE(result.ok());
  CHECK(result.errors.empty());

  const std::string doc = read_source_file("docs/CONFIGURATION.md");
  const std::string marker = "<!-- BEGIN examples/deploy.yml -->\n```yaml\n";
  const std::string end_marker = "```\n<!-- END examples/deploy.yml -->";
  const auto begin = doc.find(marker);
  REQUIRE(begin != std::string::npos);
  const auto start = begin + marker.size();
  const auto end = doc.find(end_marker, start);
  REQUIRE(end != std::string::npos);
  CHECK(doc.substr(start, end - start) == example);
}

// Every other complete example in the reference (between "<!-- BEGIN deploy.yml: NAME -->" and its
// END) must load: an example people copy must not be refused.
TEST_CASE("the named examples in docs/CONFIGURATION.md are valid") {
  const std::string doc = read_source_file("docs/CONFIGURATION.md");
  const std::string marker = "<!-- BEGIN deploy.yml: ";
  int found = 0;
  for (auto at = doc.find(marker); at != std::string::npos; at = doc.find(marker, at + 1)) {
    const auto name_end = doc.find(" -->\n```yaml\n", at);
    REQUIRE(name_end != std::string::npos);
    const std::string name = doc.substr(at + marker.size(), name_end - at - marker.size());
    const auto start = name_end + std::string(" -->\n```yaml\n").size();
    const auto end = doc.find("```\n<!-- END deploy.yml: " + name + " -->", start);
    REQUIRE_MESSAGE(end != std::string::npos, name);
    const cfg::LoadResult result = cfg::load_config(doc.substr(start, end - start), name);
    INFO(name, "\n", result.format());
    CHECK(result.ok());
    ++found;
  }
  CHECK(found >= 2);
}

TEST_CASE("the project's own .github/deploy.yml (its release gates) is valid") {
  const std::string text = read_source_file(".github/deploy.yml");
  const cfg::LoadResult result = cfg::load_config(text, ".github/deploy.yml");
  INFO(result.format());
  REQUIRE(result.ok());
  REQUIRE(result.config->environment("release") != nullptr);
  CHECK(result.config->environment("release")->approvals.required == 1);
}

TEST_CASE("the example file loads into the expected values") {
  const cfg::LoadResult result = cfg::load_config(read_source_file("examples/deploy.yml"), "examples/deploy.yml");
  REQUIRE(result.ok());
  const cfg::Config& c = *result.config;

  CHECK(c.version == 1);
  CHECK(c.release.tag_pattern == "v*");
  CHECK(c.release.branches == std::vector<std::string>{"main"});
  CHECK(c.release.require_annotated);
  CHECK_FALSE(c.release.require_signed);
  CHECK_FALSE(c.release.allow_prereleases);

  REQUIRE(c.environments.size() == 2);
  CHECK(c.environments[0].name == "staging");
  CHECK(c.environments[1].name == "production");

  const cfg::Environment* staging = c.environment("staging");
  REQUIRE(staging != nullptr);
  CHECK(staging->on.branches == std::vector<std::string>{"main"});
  CHECK(staging->on.tags.empty());
  CHECK(staging->url == "https://staging.example.com");
  CHECK(staging->approvals.required == 0);
  CHECK(staging->strategy.type == cfg::Strategy::Type::rolling);
  REQUIRE(staging->strategy.steps.size() == 1);
  CHECK(staging->strategy.steps[0].traffic == 100);
  CHECK(staging->strategy.steps[0].pause == 0ms);
  REQUIRE(staging->analysis.checks.size() == 1);
  CHECK(std::get<cfg::HttpCheck>(staging->analysis.checks[0].probe).url == "http://127.0.0.1:8080/healthz");

  const cfg::Environment* prod = c.environment("production");
  REQUIRE(prod != nullptr);
  CHECK(prod->on.tags == std::vector<std::string>{"v*"});
  CHECK(prod->approvals.required == 2);
  CHECK(prod->approvals.from == std::vector<cfg::Principal>{{cfg::Principal::Kind::team, "acme/release-managers"},
                                                            {cfg::Principal::Kind::user, "alice"},
                                                            {cfg::Principal::Kind::permission, "maintain"}});
  CHECK(prod->approvals.count_reviews);
  CHECK(prod->reviewed_changes.required_reviews == 1);
  CHECK(prod->required_checks == std::vector<std::string>{"build", "test"});
  CHECK(prod->rollback.window == 24h);
  CHECK(prod->rollback.allowed == std::vector<cfg::Principal>{{cfg::Principal::Kind::team, "acme/oncall"},
                                                              {cfg::Principal::Kind::permission, "maintain"}});
  CHECK(prod->rollback.outside_window == cfg::RollbackPolicy::OutsideWindow::require_approval);
  CHECK(prod->rollback.automatic);
  CHECK(prod->strategy.type == cfg::Strategy::Type::canary);
  REQUIRE(prod->strategy.steps.size() == 3);
  CHECK(prod->strategy.steps[0].traffic == 5);
  CHECK(prod->strategy.steps[0].pause == 2min);
  CHECK(prod->strategy.steps[1].traffic == 25);
  CHECK(prod->strategy.steps[1].pause == 5min);
  CHECK(prod->strategy.steps[2].traffic == 100);
  CHECK(prod->strategy.steps[2].pause == 10min);
  CHECK(prod->analysis.interval == 30s);
  CHECK(prod->analysis.failure_limit == 2);
  REQUIRE(prod->analysis.checks.size() == 3);

  const cfg::Check& health = prod->analysis.checks[0];
  CHECK(health.name == "health");
  CHECK(health.timeout == 5s);
  const auto& http = std::get<cfg::HttpCheck>(health.probe);
  CHECK(http.expect_status == 200);
  CHECK(http.json_field == "status");
  CHECK(http.equals == "ok");
  CHECK(http.max_latency == 2s);

  const cfg::Check& errors = prod->analysis.checks[1];
  CHECK(errors.name == "error-rate");
  CHECK(errors.timeout == 10s);
  const auto& prom = std::get<cfg::PrometheusCheck>(errors.probe);
  CHECK(prom.url == "http://prometheus:9090");
  CHECK(prom.query == "sum(rate(http_errors_total[1m])) / sum(rate(http_requests_total[1m]))");
  CHECK(prom.thresholds.max == 0.02);
  CHECK_FALSE(prom.thresholds.min.has_value());
  CHECK_FALSE(prom.thresholds.max_increase_percent.has_value());

  const cfg::Check& p99 = prod->analysis.checks[2];
  CHECK(p99.timeout == 1min);
  const auto& command = std::get<cfg::CommandCheck>(p99.probe);
  CHECK(command.run == "./scripts/p99.sh");
  CHECK(command.thresholds.max == 2000);
  CHECK(command.thresholds.max_increase_percent == 50);

  REQUIRE(c.stages.size() == 4);
  CHECK(c.stages[0].name == "backup");
  CHECK(c.stages[0].timeout == 10min);
  CHECK(c.stages[0].retries == 1);
  CHECK(c.stages[0].environments == std::vector<std::string>{"production"});
  CHECK(c.stages[2].traffic);
  CHECK(c.stages[3].timeout == 5min);

  CHECK(c.rollback.run == "./scripts/rollback.sh");
  CHECK(c.rollback.timeout == 10min);

  REQUIRE(c.notifications.slack.has_value());
  CHECK(c.notifications.slack->url_env == "SLACK_WEBHOOK_URL");
  CHECK(c.notifications.slack->on == std::vector<cfg::Event>{cfg::Event::started, cfg::Event::succeeded,
                                                             cfg::Event::failed, cfg::Event::rolled_back});
  CHECK(c.notifications.slack->environments == std::vector<std::string>{"production"});
  REQUIRE(c.notifications.webhooks.size() == 1);
  CHECK(c.notifications.webhooks[0].url_env == "DEPLOY_WEBHOOK_URL");
  CHECK(c.notifications.webhooks[0].on == std::vector<cfg::Event>{cfg::Event::failed, cfg::Event::rolled_back});

  CHECK(c.bot.workflow == "deploy.yml");
  CHECK(c.bot.ref == "main");
  CHECK_FALSE(c.bot.allow_fork_pull_requests);
  CHECK(c.audit.signing_key_env == "DEPLOY_AUDIT_KEY");
  CHECK(c.audit.branch == "deploy-audit");
}

TEST_CASE("stages_for lists the stages of an environment in file order") {
  const cfg::LoadResult result = cfg::load_config(read_source_file("examples/deploy.yml"), "examples/deploy.yml");
  REQUIRE(result.ok());
  const auto names = [&](std::string_view env) {
    std::vector<std::string> out;
    for (const cfg::Stage* s : result.config->stages_for(env)) out.push_back(s->name);
    return out;
  };
  CHECK(names("production") == std::vector<std::string>{"backup", "migrate", "deploy", "smoke"});
  CHECK(names("staging") == std::vector<std::string>{"migrate", "deploy", "smoke"});
  CHECK(result.config->environment("nowhere") == nullptr);
  CHECK(result.config->environment("Production") == nullptr);  // lookups are exact
}

TEST_CASE("defaults apply to every key left out") {
  const cfg::LoadResult result = cfg::load_config(kHead +
                                                      "    analysis:\n"
                                                      "      checks:\n"
                                                      "        - name: health\n"
                                                      "          http: { url: \"http://127.0.0.1/\" }\n"
                                                      "notifications:\n"
                                                      "  slack: { webhook_url_env: SLACK }\n" +
                                                      kTail,
                                                  "deploy.yml");
  INFO(result.format());
  REQUIRE(result.ok());
  const cfg::Config& c = *result.config;

  CHECK(c.release.tag_pattern == "v*");
  CHECK(c.release.branches.empty());
  CHECK_FALSE(c.release.require_annotated);
  CHECK_FALSE(c.release.require_signed);
  CHECK_FALSE(c.release.allow_prereleases);

  const cfg::Environment& env = c.environments.at(0);
  CHECK(env.url.empty());
  CHECK(env.on.branches.empty());
  CHECK(env.approvals.required == 0);
  CHECK(env.approvals.from.empty());
  CHECK_FALSE(env.approvals.count_reviews);
  CHECK_FALSE(env.approvals.allow_author);
  CHECK(env.reviewed_changes.required_reviews == 0);
  CHECK(env.required_checks.empty());
  CHECK(env.rollback.window == 24h);
  CHECK(env.rollback.allowed.empty());
  CHECK(env.rollback.outside_window == cfg::RollbackPolicy::OutsideWindow::require_approval);
  CHECK(env.rollback.automatic);
  CHECK(env.strategy.type == cfg::Strategy::Type::rolling);
  REQUIRE(env.strategy.steps.size() == 1);
  CHECK(env.strategy.steps[0].traffic == 100);
  CHECK(env.strategy.steps[0].pause == 0ms);
  CHECK(env.analysis.interval == 30s);
  CHECK(env.analysis.failure_limit == 1);
  REQUIRE(env.analysis.checks.size() == 1);
  CHECK(env.analysis.checks[0].timeout == 10s);
  const auto& http = std::get<cfg::HttpCheck>(env.analysis.checks[0].probe);
  CHECK(http.expect_status == 200);
  CHECK_FALSE(http.json_field.has_value());
  CHECK_FALSE(http.equals.has_value());
  CHECK_FALSE(http.max_latency.has_value());

  const cfg::Stage& stage = c.stages.at(0);
  CHECK(stage.timeout == 30min);
  CHECK(stage.retries == 0);
  CHECK(stage.environments.empty());
  CHECK_FALSE(stage.traffic);
  CHECK(stage.applies_to("production"));
  CHECK(stage.applies_to("anything"));

  CHECK(c.rollback.timeout == 30min);
  REQUIRE(c.notifications.slack.has_value());
  CHECK(c.notifications.slack->on.size() == 4);
  CHECK(c.notifications.slack->environments.empty());
  CHECK(c.notifications.slack->wants(cfg::Event::rolled_back, "staging"));
  CHECK(c.notifications.webhooks.empty());
  CHECK(c.bot.workflow == "deploy.yml");
  CHECK(c.bot.ref.empty());
  CHECK_FALSE(c.bot.allow_fork_pull_requests);
  CHECK(c.audit.signing_key_env.empty());
}

TEST_CASE("errors in the top level") {
  run_cases({
      {"a typo in a required top-level key is reported once, with the key it resembles",
       "version: 1\n"
       "enviroments:\n"
       "  production:\n"
       "    on: { tags: [\"v*\"] }\n" +
           kTail,
       {"deploy.yml:2:1: error: enviroments: unknown key 'enviroments' (did you mean "
        "'environments'?)"}},
      {"unknown key with nothing close lists the valid keys",
       kMinimal + "colour: red\n",
       {"deploy.yml:10:1: error: colour: unknown key 'colour' (expected version, release, "
        "environments, stages, rollback, notifications, bot, audit or locks)"}},
      {"missing required keys are reported at the parent (the document)",
       "version: 1\n"
       "environments:\n"
       "  production:\n"
       "    on: { tags: [\"v*\"] }\n",
       {"deploy.yml:1:1: error: stages: missing required key 'stages' (the commands a deploy "
        "runs, in order)"}},
      {"unsupported version",
       "version: 2\n" + kMinimal.substr(std::string("version: 1\n").size()),
       {"deploy.yml:1:10: error: version: expected 1 (the only schema version this action "
        "reads), found '2'"}},
      {"the document is a list",
       "- version: 1\n",
       {"deploy.yml:1:1: error: expected a mapping with keys such as version, release, "
        "environments, stages, rollback, notifications, bot, audit or locks, found a list"}},
      {"duplicate key",
       kMinimal + "version: 1\n",
       {"deploy.yml:10:1: error: version: duplicate key 'version' (first given on line 1)"}},
      {"merge keys are explained",
       kMinimal + "bot:\n  <<: {ref: main}\n",
       {"deploy.yml:11:3: error: bot.<<: YAML merge keys (<<) are not supported; write the keys "
        "out"}},
      {"more than one document",
       kMinimal + "---\nversion: 1\n",
       {"deploy.yml:10:1: error: expected one YAML document, found more (remove the --- "
        "separators)"}},
  });
}

TEST_CASE("an empty file is one error") {
  for (const std::string text : {"", "# nothing yet\n", "\n\n"}) {
    CAPTURE(text);
    CHECK(errors_of(text) == std::vector<std::string>{"deploy.yml:1:1: error: the file is empty; it needs at least "
                                                      "version, environments, stages and rollback"});
  }
}

TEST_CASE("YAML syntax errors carry yaml-cpp's position") {
  run_cases({
      {"unclosed flow sequence",
       "version: 1\nstages: [a, b\n",
       {"deploy.yml:3:1: error: invalid YAML: end of sequence flow not found"}},
      {"a bad indentation",
       "version: 1\nrollback:\n  run: x\n   timeout: 5m\n",
       {"deploy.yml:4:11: error: invalid YAML: illegal map value"}},
      {"an unquoted @ gets a hint",
       "version: 1\nfrom: [@alice]\n",
       {"deploy.yml:2:8: error: invalid YAML: unknown token (a value starting with @ must be "
        "quoted, e.g. \"@alice\")"}},
      // yaml-cpp 0.7's own LoadAll would loop forever, exhausting memory, on these.
      {"a stray comma where the document starts", ",\n", {"deploy.yml:1:1: error: invalid YAML: unexpected ','"}},
      {"a stray comma after a comment",
       "# deploy config\n  ,version: 1\n",
       {"deploy.yml:2:3: error: invalid YAML: unexpected ','"}},
      {"a tab gets a hint",
       "version: 1\nrollback:\n\trun: x\n",
       {"deploy.yml:3:5: error: invalid YAML: illegal map value (YAML indents with spaces; this "
        "line contains a tab)"}},
  });
}

TEST_CASE("approvals.allow_author is read as a boolean") {
  struct Case {
    const char* value;
    bool expected;
  };
  const std::vector<Case> cases = {{"true", true}, {"false", false}};
  for (const auto& c : cases) {
    CAPTURE(c.value);
    const cfg::LoadResult result = cfg::load_config(
        kHead + "    approvals: { required: 1, allow_author: " + c.value + " }\n" + kTail, "deploy.yml");
    INFO(result.format());
    REQUIRE(result.ok());
    CHECK(result.config->environments.at(0).approvals.allow_author == c.expected);
  }
}

TEST_CASE("errors in environments") {
  run_cases({
      {"a typo in a nested key",
       kHead + "    approvals:\n      requird: 2\n" + kTail,
       {"deploy.yml:6:7: error: environments.production.approvals.requird: unknown key "
        "'requird' (did you mean 'required'?)"}},
      {"case and dashes do not hide a key",
       kHead + "    Required_Checks: [build]\n    reviewed-changes: { required_reviews: 1 }\n" + kTail,
       {"deploy.yml:5:5: error: environments.production.Required_Checks: unknown key "
        "'Required_Checks' (did you mean 'required_checks'?)",
        "deploy.yml:6:5: error: environments.production.reviewed-changes: unknown key "
        "'reviewed-changes' (did you mean 'reviewed_changes'?)"}},
      {"missing on is reported at the environment",
       "version: 1\nenvironments:\n  production:\n    url: https://x.example\n" + kTail,
       {"deploy.yml:3:3: error: environments.production.on: missing required key 'on' (which "
        "branches or tags may deploy here, e.g. on: { tags: [\"v*\"] })"}},
      {"on without branches or tags",
       "version: 1\nenvironments:\n  production:\n    on: {}\n" + kTail,
       {"deploy.yml:4:9: error: environments.production.on: expected branches, tags or both, "
        "found neither; nothing could deploy to 'production'"}},
      {"a string where a list belongs",
       "version: 1\nenvironments:\n  production:\n    on: { branches: main }\n" + kTail,
       {"deploy.yml:4:21: error: environments.production.on.branches: expected a list like "
        "[main], found 'main' (did you mean '[main]'?)"}},
      {"a full ref name",
       "version: 1\nenvironments:\n  production:\n    on: { tags: [refs/tags/v1] }\n" + kTail,
       {"deploy.yml:4:18: error: environments.production.on.tags[0]: expected a branch or tag "
        "name pattern without refs/heads/ or refs/tags/, found 'refs/tags/v1'"}},
      {"no environments",
       "version: 1\nenvironments: {}\n" + kTail,
       {"deploy.yml:2:15: error: environments: expected at least one environment, found none"}},
      {"environment names differing only in case",
       "version: 1\nenvironments:\n  prod:\n    on: { tags: [v1] }\n  Prod:\n    on: { tags: [v2] "
       "}\n" +
           kTail,
       {"deploy.yml:5:3: error: environments.Prod: environments 'prod' and 'Prod' differ only "
        "in case; GitHub treats them as the same environment"}},
      {"environment name with a space",
       "version: 1\nenvironments:\n  my env:\n    on: { tags: [v1] }\n" + kTail,
       {"deploy.yml:3:3: error: environments.my env: expected an environment name of letters, "
        "digits, '-', '_' and '.', found 'my env'"}},
      {"url must be http(s)",
       kHead + "    url: example.com\n" + kTail,
       {"deploy.yml:5:10: error: environments.production.url: expected an http:// or https:// "
        "URL, found 'example.com'"}},
      {"approvals out of range",
       kHead + "    approvals: { required: 11 }\n" + kTail,
       {"deploy.yml:5:28: error: environments.production.approvals.required: expected a whole "
        "number from 0 to 10, found '11'"}},
      {"approvals that no one can reach",
       kHead + "    approvals:\n      required: 3\n      from: [\"@alice\", \"@bob\"]\n" + kTail,
       {"deploy.yml:6:17: error: environments.production.approvals.required: requires 3 "
        "approvals but 'from' names only 2 people; no deploy could ever be approved"}},
      {"principals: bare login, typo of a permission, too-low permission, bad team",
       kHead +
           "    approvals:\n"
           "      from: [alice, maintainer, read, \"@acme/\", \"@-x\"]\n" +
           kTail,
       {"deploy.yml:6:14: error: environments.production.approvals.from[0]: expected @user, "
        "@org/team, write, maintain or admin, found 'alice' (did you mean '@alice'?)",
        "deploy.yml:6:21: error: environments.production.approvals.from[1]: expected @user, "
        "@org/team, write, maintain or admin, found 'maintainer' (did you mean 'maintain'?)",
        "deploy.yml:6:33: error: environments.production.approvals.from[2]: permission 'read' "
        "is too low to approve or roll back deploys; use write, maintain or admin",
        "deploy.yml:6:39: error: environments.production.approvals.from[3]: expected @user, "
        "@org/team, write, maintain or admin, found '@acme/'",
        "deploy.yml:6:49: error: environments.production.approvals.from[4]: expected @user, "
        "@org/team, write, maintain or admin, found '@-x'"}},
      {"an App account is a login; a bare or glued [bot] is not",
       kHead +
           "    rollback:\n"
           "      allowed: [\"@deploy-bot[bot]\", \"@[bot]\", \"@x[bot]y\"]\n" +
           kTail,
       {"deploy.yml:6:37: error: environments.production.rollback.allowed[1]: expected @user, "
        "@org/team, write, maintain or admin, found '@[bot]'",
        "deploy.yml:6:47: error: environments.production.rollback.allowed[2]: expected @user, "
        "@org/team, write, maintain or admin, found '@x[bot]y'"}},
      {"a boolean written yes",
       kHead + "    approvals: { count_reviews: yes }\n" + kTail,
       {"deploy.yml:5:33: error: environments.production.approvals.count_reviews: expected true "
        "or false, found 'yes'"}},
      {"allow_author written yes",
       kHead + "    approvals: { allow_author: yes }\n" + kTail,
       {"deploy.yml:5:32: error: environments.production.approvals.allow_author: expected true "
        "or false, found 'yes'"}},
      {"a mapping where a number belongs",
       kHead + "    reviewed_changes: { required_reviews: { n: 1 } }\n" + kTail,
       {"deploy.yml:5:43: error: environments.production.reviewed_changes.required_reviews: "
        "expected a whole number from 0 to 10, found a mapping"}},
      {"rollback policy: window, outside_window",
       kHead + "    rollback:\n      window: soon\n      outside_window: refuse\n" + kTail,
       {"deploy.yml:6:15: error: environments.production.rollback.window: expected a duration "
        "like 90s, 5m or 1h, found 'soon'",
        "deploy.yml:7:23: error: environments.production.rollback.outside_window: expected "
        "require_approval or deny, found 'refuse'"}},
      {"an empty value",
       kHead + "    rollback:\n      window:\n" + kTail,
       {"deploy.yml:6:7: error: environments.production.rollback.window: expected a duration "
        "like 90s, 5m or 1h, found nothing"}},
  });
}

TEST_CASE("errors in strategies") {
  // kTail with a traffic stage, which a canary needs.
  const std::string traffic_tail =
      "stages:\n"
      "  - name: deploy\n"
      "    run: ./deploy.sh\n"
      "    traffic: true\n"
      "rollback:\n"
      "  run: ./rollback.sh\n";
  run_cases({
      {"a typo in the type",
       kHead + "    strategy: { type: canery, steps: [{ traffic: 100 }] }\n" + kTail,
       {"deploy.yml:5:23: error: environments.production.strategy.type: expected rolling, "
        "canary or blue-green, found 'canery' (did you mean 'canary'?)"}},
      {"a canary without steps",
       kHead + "    strategy: { type: canary }\n" + traffic_tail,
       {"deploy.yml:5:5: error: environments.production.strategy.steps: missing required key "
        "'steps' (the traffic percentages a canary goes through, e.g. [{ traffic: 10, pause: 5m "
        "}, { traffic: 100 }])"}},
      {"traffic must increase and end at 100",
       kHead +
           "    strategy:\n"
           "      type: canary\n"
           "      steps:\n"
           "        - { traffic: 25 }\n"
           "        - { traffic: 5%, pause: 1m }\n"
           "        - { traffic: 50 }\n" +
           traffic_tail,
       {"deploy.yml:9:22: error: environments.production.strategy.steps[1].traffic: expected "
        "traffic to increase from step to step, found 5 after 25",
        "deploy.yml:10:22: error: environments.production.strategy.steps[2].traffic: expected the "
        "last step to send 100% of traffic, found 50"}},
      {"traffic out of range, fractional, not a number, and a bad pause",
       kHead +
           "    strategy:\n"
           "      type: canary\n"
           "      steps:\n"
           "        - { traffic: 0 }\n"
           "        - { traffic: 2.5 }\n"
           "        - { traffic: lots }\n"
           "        - { traffic: 150%, pause: 25h }\n"
           "        - { traffic: 100 }\n" +
           traffic_tail,
       {"deploy.yml:8:22: error: environments.production.strategy.steps[0].traffic: expected a "
        "percentage from 1 to 100, found '0'",
        "deploy.yml:9:22: error: environments.production.strategy.steps[1].traffic: expected a "
        "whole percentage from 1 to 100, found '2.5'",
        "deploy.yml:10:22: error: environments.production.strategy.steps[2].traffic: expected a "
        "percentage like 5 or 5%, found 'lots'",
        "deploy.yml:11:22: error: environments.production.strategy.steps[3].traffic: expected a "
        "percentage from 1 to 100, found '150%'",
        "deploy.yml:11:35: error: environments.production.strategy.steps[3].pause: expected a "
        "duration from 0s to 24h, found '25h'"}},
      {"a canary of one step",
       kHead + "    strategy: { type: canary, steps: [{ traffic: 100 }] }\n" + traffic_tail,
       {"deploy.yml:5:38: error: environments.production.strategy.steps: expected at least two "
        "steps, a share below 100 and then 100, found 1 (one step at 100 is a rolling deploy)"}},
      {"a step without traffic",
       kHead + "    strategy: { type: canary, steps: [{ traffic: 10 }, { pause: 1m }] }\n" + traffic_tail,
       {"deploy.yml:5:56: error: environments.production.strategy.steps[1].traffic: missing "
        "required key 'traffic' (the percent of traffic on the new version at this step)"}},
      {"rolling takes at most one step at 100",
       kHead + "    strategy: { type: rolling, steps: [{ traffic: 50 }, { traffic: 100 }] }\n" + kTail,
       {"deploy.yml:5:39: error: environments.production.strategy.steps: rolling and blue-green "
        "send all traffic at once: give at most one step, { traffic: 100, pause: ... }, to set "
        "how long the analysis watches it"}},
      {"a canary needs a traffic stage",
       kHead +
           "    strategy:\n"
           "      type: canary\n"
           "      steps: [{ traffic: 10 }, { traffic: 100 }]\n" +
           kTail,
       {"deploy.yml:6:13: error: environments.production.strategy.type: a canary needs a stage "
        "with traffic: true that runs in 'production' (it moves traffic at each step)"}},
  });
}

TEST_CASE("a rolling deploy may set a single step to watch it longer") {
  const cfg::LoadResult result = cfg::load_config(
      kHead + "    strategy: { type: blue-green, switch: ./switch.sh, steps: [{ traffic: 100%, pause: 10m }] }\n" +
          kTail,
      "deploy.yml");
  INFO(result.format());
  REQUIRE(result.ok());
  const cfg::Strategy& s = result.config->environments.at(0).strategy;
  CHECK(s.type == cfg::Strategy::Type::blue_green);
  REQUIRE(s.steps.size() == 1);
  CHECK(s.steps[0].traffic == 100);
  CHECK(s.steps[0].pause == 10min);
}

TEST_CASE("errors in analysis") {
  run_cases({
      {"a final window too short to reach failure_limit (finding 1)",
       kHead +
           "    analysis:\n      interval: 30s\n      failure_limit: 3\n      after_full_traffic: 1m\n"
           "      checks: [{ name: health, http: { url: \"http://a/\" } }]\n" +
           kTail,
       {"deploy.yml:8:27: error: environments.production.analysis.after_full_traffic: the final window gives 2 "
        "rounds of checks at interval 30s, fewer than failure_limit 3: a release failing every round could never "
        "reach the limit; set after_full_traffic to at least 1m30s or lower failure_limit"}},
      {"the new limits out of range",
       kHead + "    analysis: { consecutive_errors: 0, inconclusive_limit: 101 }\n" + kTail,
       {"deploy.yml:5:37: error: environments.production.analysis.consecutive_errors: expected a whole number "
        "from 1 to 100, found '0'",
        "deploy.yml:5:60: error: environments.production.analysis.inconclusive_limit: expected a whole number "
        "from 1 to 100, found '101'"}},
      {"blue-green without its switch",
       kHead + "    strategy: { type: blue-green }\n" + kTail,
       {"deploy.yml:5:5: error: environments.production.strategy.switch: missing required key 'switch' (the command "
        "that moves all traffic to DEPLOY_COLOR (blue or green), e.g. switch: ./scripts/switch.sh)"}},
      {"switch on another strategy is refused",
       kHead + "    strategy: { type: rolling, switch: ./s.sh }\n" + kTail,
       {"deploy.yml:5:40: error: environments.production.strategy.switch: switch applies to type: blue-green "
        "only; remove it"}},
      {"interval and failure_limit out of range",
       kHead + "    analysis: { interval: 2h, failure_limit: 0 }\n" + kTail,
       {"deploy.yml:5:27: error: environments.production.analysis.interval: expected a duration "
        "from 1s to 1h, found '2h'",
        "deploy.yml:5:46: error: environments.production.analysis.failure_limit: expected a "
        "whole number from 1 to 100, found '0'"}},
      {"a check with no probe and a check with two",
       kHead +
           "    analysis:\n"
           "      checks:\n"
           "        - name: nothing\n"
           "        - name: both\n"
           "          http: { url: \"http://a/\" }\n"
           "          command: { run: ./x }\n" +
           kTail,
       {"deploy.yml:7:11: error: environments.production.analysis.checks[0]: expected exactly "
        "one of http, prometheus or command, found none",
        "deploy.yml:10:11: error: environments.production.analysis.checks[1].command: expected "
        "exactly one of http, prometheus or command, found both http and command (make them two "
        "checks)"}},
      {"duplicate check names and a missing name",
       kHead +
           "    analysis:\n"
           "      checks:\n"
           "        - { name: health, command: { run: ./a } }\n"
           "        - { name: health, command: { run: ./b } }\n"
           "        - { command: { run: ./c } }\n" +
           kTail,
       {"deploy.yml:8:19: error: environments.production.analysis.checks[1].name: duplicate "
        "check name 'health' (first on line 7)",
        "deploy.yml:9:11: error: environments.production.analysis.checks[2].name: missing "
        "required key 'name' (a short name for logs and the summary, e.g. health)"}},
      {"http: json_field without equals, bad status, bad url",
       kHead +
           "    analysis:\n"
           "      checks:\n"
           "        - name: health\n"
           "          http: { url: \"ftp://a\", expect_status: 99, json_field: status }\n" +
           kTail,
       {"deploy.yml:8:24: error: environments.production.analysis.checks[0].http.url: expected "
        "an http:// or https:// URL, found 'ftp://a'",
        "deploy.yml:8:50: error: environments.production.analysis.checks[0].http.expect_status: "
        "expected a whole number from 100 to 599, found '99'",
        "deploy.yml:8:54: error: environments.production.analysis.checks[0].http.json_field: "
        "json_field needs equals, the value the field must have (e.g. equals: ok)"}},
      {"prometheus without thresholds; command with min above max",
       kHead +
           "    analysis:\n"
           "      checks:\n"
           "        - name: errors\n"
           "          prometheus: { url: \"http://p:9090\", query: up }\n"
           "        - name: p99\n"
           "          command: { run: ./p99.sh, min: 5, max: 2, max_increase: 2000% }\n" +
           kTail,
       {"deploy.yml:8:11: error: environments.production.analysis.checks[0].prometheus: expected "
        "at least one of min, max or max_increase, found none (a query alone cannot pass or "
        "fail)",
        "deploy.yml:10:42: error: environments.production.analysis.checks[1].command.min: min (5) "
        "is above max (2); no measurement could pass",
        "deploy.yml:10:67: error: "
        "environments.production.analysis.checks[1].command.max_increase: expected a percentage "
        "from 0 to 1000, found '2000%'"}},
      {"a typo in a probe key",
       kHead +
           "    analysis:\n"
           "      checks:\n"
           "        - name: health\n"
           "          http: { url: \"http://a/\", expect_statsu: 204 }\n" +
           kTail,
       {"deploy.yml:8:37: error: environments.production.analysis.checks[0].http.expect_statsu: "
        "unknown key 'expect_statsu' (did you mean 'expect_status'?)"}},
  });
}

TEST_CASE("errors in stages") {
  run_cases({
      {"missing run is reported at the stage",
       kHead + "stages:\n  - name: deploy\nrollback:\n  run: ./rollback.sh\n",
       {"deploy.yml:6:5: error: stages[0].run: missing required key 'run' (the command this "
        "stage runs)"}},
      {"timeouts, retries and names",
       kHead + "stages:\n"
               "  - name: deploy\n"
               "    run: ./deploy.sh\n"
               "    timeout: 90\n"
               "    retries: 11\n"
               "  - name: deploy\n"
               "    run: ./again.sh\n"
               "    timeout: 48h\n"
               "  - name: \"smoke test\"\n"
               "    run: ./smoke.sh\n"
               "    timout: 5m\n"
               "rollback:\n"
               "  run: ./rollback.sh\n",
       {"deploy.yml:8:14: error: stages[0].timeout: expected a duration like 90s, 5m or 1h, found "
        "'90' (a plain number is ambiguous: add a unit, e.g. 90s or 90m)",
        "deploy.yml:9:14: error: stages[0].retries: expected a whole number from 0 to 10, found "
        "'11'",
        "deploy.yml:10:11: error: stages[1].name: duplicate stage name 'deploy' (first on line "
        "6)",
        "deploy.yml:12:14: error: stages[1].timeout: expected a duration from 1s to 24h, found "
        "'48h'",
        "deploy.yml:13:11: error: stages[2].name: expected a stage name of letters, digits, '-' "
        "and '_', found 'smoke test'",
        "deploy.yml:15:5: error: stages[2].timout: unknown key 'timout' (did you mean "
        "'timeout'?)"}},
      {"an unknown environment gets the nearest name",
       kHead + "stages:\n  - { name: deploy, run: ./d.sh, environments: [prodution] }\n" +
           "rollback:\n  run: ./rollback.sh\n",
       {"deploy.yml:6:49: error: stages[0].environments[0]: expected an environment defined "
        "under environments (production), found 'prodution' (did you mean 'production'?)"}},
      {"an empty environments list",
       kHead + "stages:\n  - { name: deploy, run: ./d.sh, environments: [] }\n" + "rollback:\n  run: ./rollback.sh\n",
       {"deploy.yml:6:48: error: stages[0].environments: expected at least one environment, "
        "found an empty list (leave environments out to run the stage everywhere)"}},
      {"no stages",
       kHead + "stages: []\nrollback:\n  run: ./rollback.sh\n",
       {"deploy.yml:5:9: error: stages: expected at least one stage, found an empty list"}},
      {"an environment no stage runs in",
       "version: 1\n"
       "environments:\n"
       "  staging:\n"
       "    on: { branches: [main] }\n"
       "  production:\n"
       "    on: { tags: [\"v*\"] }\n"
       "stages:\n"
       "  - { name: deploy, run: ./d.sh, environments: [staging] }\n"
       "rollback:\n"
       "  run: ./rollback.sh\n",
       {"deploy.yml:5:3: error: environments.production: no stage runs in environment "
        "'production' (name it in a stage's environments, or leave a stage's environments out)"}},
      {"two traffic stages for one environment",
       kHead + "stages:\n"
               "  - { name: deploy, run: ./d.sh, traffic: true }\n"
               "  - { name: shift, run: ./s.sh, traffic: true }\n"
               "rollback:\n"
               "  run: ./rollback.sh\n",
       {"deploy.yml:7:42: error: stages[1].traffic: environment 'production' already has "
        "traffic stage 'deploy' (line 6); at most one stage per environment shifts traffic"}},
      {"rollback without run (the deploy stage is the way back), bad timeout, unknown and traffic stages",
       kHead + "stages:\n  - { name: deploy, run: ./d.sh, traffic: true }\nrollback:\n  timeout: 1h30\n"
               "  stages: [backup, deploy]\n",
       {"deploy.yml:8:12: error: rollback.timeout: expected a duration like 90s, 5m or 1h, found "
        "'1h30' (add a unit: ms, s, m, h or d)",
        "deploy.yml:9:12: error: rollback.stages[0]: no stage is named 'backup'; rollback.stages names stages to "
        "run before a rollback",
        "deploy.yml:9:20: error: rollback.stages[1]: 'deploy' is the traffic stage; a rollback runs it (or "
        "rollback.run) by itself: list only stages that run before it, such as backup or migrate"}},
  });
}

TEST_CASE("traffic stages for different environments do not clash") {
  const cfg::LoadResult result = cfg::load_config(
      "version: 1\n"
      "environments:\n"
      "  staging: { on: { branches: [main] } }\n"
      "  production: { on: { tags: [\"v*\"] } }\n"
      "stages:\n"
      "  - { name: deploy-staging, run: ./a.sh, traffic: true, environments: [staging] }\n"
      "  - { name: deploy-production, run: ./b.sh, traffic: true, environments: [production] }\n"
      "rollback: { run: ./r.sh }\n",
      "deploy.yml");
  INFO(result.format());
  CHECK(result.ok());
}

TEST_CASE("errors in notifications, bot and audit") {
  run_cases({
      {"a literal webhook URL is refused and the env key suggested",
       kMinimal + "notifications:\n  slack: { webhook_url: \"https://hooks.slack.com/x\" }\n",
       {"deploy.yml:11:12: error: notifications.slack.webhook_url: a webhook URL is a secret and "
        "must not be written in this file: store it as a secret, pass it to the action as an "
        "environment variable, and name that variable with webhook_url_env (did you mean "
        "'webhook_url_env'?)"}},
      {"a URL where a variable name belongs; a bad variable name",
       kMinimal + "notifications:\n"
                  "  webhooks:\n"
                  "    - url_env: \"https://example.com/hook\"\n"
                  "    - url_env: 1ST_HOOK\n",
       {"deploy.yml:12:16: error: notifications.webhooks[0].url_env: expected the name of an "
        "environment variable like SLACK_WEBHOOK_URL, found a URL (keep URLs and keys in secrets "
        "and name the variable that holds them)",
        "deploy.yml:13:16: error: notifications.webhooks[1].url_env: expected the name of an "
        "environment variable (letters, digits and _, not starting with a digit), found "
        "'1ST_HOOK'"}},
      {"events and environments are checked",
       kMinimal + "notifications:\n"
                  "  webhooks:\n"
                  "    - { url_env: HOOK, on: [failed, rolledback], environments: [staging] }\n",
       {"deploy.yml:12:37: error: notifications.webhooks[0].on[1]: expected started, succeeded, "
        "failed or rolled_back, found 'rolledback' (did you mean 'rolled_back'?)",
        "deploy.yml:12:65: error: notifications.webhooks[0].environments[0]: expected an "
        "environment defined under environments (production), found 'staging'"}},
      {"a missing url_env",
       kMinimal + "notifications:\n  webhooks:\n    - on: [failed]\n",
       {"deploy.yml:12:7: error: notifications.webhooks[0].url_env: missing required key "
        "'url_env' (the name of the environment variable that holds the webhook URL)"}},
      {"bot workflow must be a file name; fork flag is a boolean",
       kMinimal + "bot:\n"
                  "  workflow: .github/workflows/deploy.yml\n"
                  "  allow_fork_pull_requests: no\n",
       {"deploy.yml:11:13: error: bot.workflow: expected a workflow file name in "
        ".github/workflows like deploy.yml, found '.github/workflows/deploy.yml'",
        "deploy.yml:12:29: error: bot.allow_fork_pull_requests: expected true or false, found "
        "'no'"}},
      {"audit key name",
       kMinimal + "audit: { signing_key_env: \"my key\" }\n",
       {"deploy.yml:10:27: error: audit.signing_key_env: expected the name of an environment "
        "variable (letters, digits and _, not starting with a digit), found 'my key'"}},
      {"audit branch must be a git branch name",
       kMinimal + "audit: { branch: \"x..y\" }\n",
       {"deploy.yml:10:18: error: audit.branch: expected a git branch name like deploy-audit, found "
        "'x..y', which contains .., // or @{"}},
      {"audit branch without refs/heads/",
       kMinimal + "audit: { branch: refs/heads/audit }\n",
       {"deploy.yml:10:18: error: audit.branch: expected a git branch name like deploy-audit, found "
        "'refs/heads/audit', which starts with refs/ (give the branch name alone, e.g. deploy-audit)"}},
      {"release",
       kMinimal + "release: { tag_pattern: \"v *\", require_signed: 1 }\n",
       {"deploy.yml:10:25: error: release.tag_pattern: expected a branch or tag name pattern like "
        "main or v*, found 'v *' (git ref names cannot contain spaces)",
        "deploy.yml:10:48: error: release.require_signed: expected true or false, found '1'"}},
  });
}

TEST_CASE("every error is collected, in file order") {
  const std::string yaml =
      "version: 1\n"
      "notifications: { slack: { webhook_url_env: SLACK, on: [done] } }\n"
      "environments:\n"
      "  production:\n"
      "    on: { tags: [\"v*\"] }\n"
      "    approvals: { required: many }\n"
      "stages:\n"
      "  - { name: deploy, run: ./d.sh, timeout: soon }\n"
      "rollback: { run: ./r.sh }\n";
  const cfg::LoadResult result = cfg::load_config(yaml, ".github/deploy.yml");
  CHECK_FALSE(result.ok());
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 3);
  const cfg::ConfigError& first = result.errors[0];
  CHECK(first.file == ".github/deploy.yml");
  CHECK(first.line == 2);
  CHECK(first.column == 56);
  CHECK(first.key == "notifications.slack.on[0]");
  CHECK(first.message == "expected started, succeeded, failed or rolled_back, found 'done'");
  CHECK(first.suggestion.empty());
  CHECK(result.format() ==
        ".github/deploy.yml:2:56: error: notifications.slack.on[0]: expected started, succeeded, "
        "failed or rolled_back, found 'done'\n"
        ".github/deploy.yml:6:28: error: environments.production.approvals.required: expected a "
        "whole number from 0 to 10, found 'many'\n"
        ".github/deploy.yml:8:43: error: stages[0].timeout: expected a duration like 90s, 5m or "
        "1h, found 'soon'\n");
}

TEST_CASE("ConfigError::format") {
  cfg::ConfigError e{"f.yml", 3, 7, "a.b", "unknown key 'b'", "c"};
  CHECK(e.format() == "f.yml:3:7: error: a.b: unknown key 'b' (did you mean 'c'?)");
  e.suggestion.clear();
  CHECK(e.format() == "f.yml:3:7: error: a.b: unknown key 'b'");
  e.key.clear();
  CHECK(e.format() == "f.yml:3:7: error: unknown key 'b'");
}

TEST_CASE("durations") {
  struct Case {
    const char* text;
    std::chrono::milliseconds expected;
  };
  const std::vector<Case> valid = {
      {"0s", 0ms},
      {"500ms", 500ms},
      {"90s", 90s},
      {"5m", 5min},
      {"1h", 1h},
      {"1h30m", 90min},
      {"1h0m5s", 3605s},
      {"1s500ms", 1500ms},
      {"7d", 168h},
      {"2d12h", 60h},
      {"1d2h3m4s5ms", 93784005ms},
      {"0ms", 0ms},
  };
  for (const auto& c : valid) {
    CAPTURE(c.text);
    const auto parsed = cfg::parse_duration(c.text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == c.expected);
  }

  struct Bad {
    const char* text;
    const char* message;
  };
  const std::vector<Bad> invalid = {
      {"", "expected a duration like 90s, 5m or 1h, found ''"},
      {"soon", "expected a duration like 90s, 5m or 1h, found 'soon'"},
      {"90",
       "expected a duration like 90s, 5m or 1h, found '90' (a plain number is ambiguous: "
       "add a unit, e.g. 90s or 90m)"},
      {"0",
       "expected a duration like 90s, 5m or 1h, found '0' (a plain number is ambiguous: "
       "add a unit, e.g. 0s or 0m)"},
      {"-5m",
       "expected a duration like 90s, 5m or 1h, found '-5m' (durations cannot be "
       "negative)"},
      {"1.5h",
       "expected a duration like 90s, 5m or 1h, found '1.5h' (use whole numbers, e.g. "
       "1h30m or 1500ms)"},
      {"5min",
       "expected a duration like 90s, 5m or 1h, found '5min' (units are ms, s, m, h and "
       "d)"},
      {"5 m",
       "expected a duration like 90s, 5m or 1h, found '5 m' (units are ms, s, m, h and "
       "d)"},
      {"1h30",
       "expected a duration like 90s, 5m or 1h, found '1h30' (add a unit: ms, s, m, h or "
       "d)"},
      {"30m1h",
       "expected a duration like 90s, 5m or 1h, found '30m1h' (give each unit once, "
       "largest first, e.g. 1h30m)"},
      {"1m1m",
       "expected a duration like 90s, 5m or 1h, found '1m1m' (give each unit once, "
       "largest first, e.g. 1h30m)"},
      {"h", "expected a duration like 90s, 5m or 1h, found 'h'"},
      {"1H", "expected a duration like 90s, 5m or 1h, found '1H' (units are ms, s, m, h and d)"},
      {"99999999999999999999s",
       "expected a duration like 90s, 5m or 1h, found "
       "'99999999999999999999s' (too large)"},
      {"5000d", "expected a duration like 90s, 5m or 1h, found '5000d' (too large)"},
  };
  for (const auto& c : invalid) {
    CAPTURE(c.text);
    const auto parsed = cfg::parse_duration(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "invalid_duration");
    CHECK(parsed.error().message == c.message);
  }
}

TEST_CASE("format_duration reads back as the same duration") {
  const std::vector<std::pair<std::chrono::milliseconds, std::string>> cases = {
      {0ms, "0s"},  {500ms, "500ms"},    {90s, "1m30s"},  {90min, "1h30m"},
      {48h, "48h"}, {1500ms, "1s500ms"}, {3605s, "1h5s"},
  };
  for (const auto& entry : cases) {
    // Plain variables, not a structured binding: clang 14 (clang-tidy) cannot capture one in CAPTURE's lambda.
    const std::chrono::milliseconds value = entry.first;
    const std::string& text = entry.second;
    CAPTURE(text);
    CHECK(cfg::format_duration(value) == text);
    CHECK(*cfg::parse_duration(text) == value);
  }
}

TEST_CASE("percentages") {
  const std::vector<std::pair<const char*, double>> valid = {
      {"5", 5}, {"5%", 5}, {"0", 0}, {"100%", 100}, {"12.5%", 12.5}, {"0.5", 0.5}, {"150%", 150},
  };
  for (const auto& entry : valid) {
    // Plain variables, not a structured binding: clang 14 (clang-tidy) cannot capture one in CAPTURE's lambda.
    const char* const text = entry.first;
    const double value = entry.second;
    CAPTURE(text);
    const auto parsed = cfg::parse_percent(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == value);
  }
  for (const char* text : {"", "%", "-5", "+5", "5 %", "five", "5%%", ".5", "5.", "1e2", "inf", "nan", "5,5"}) {
    CAPTURE(text);
    const auto parsed = cfg::parse_percent(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "invalid_percent");
    CHECK(parsed.error().message == "expected a percentage like 5 or 5%, found '" + std::string(text) + "'");
  }
}

TEST_CASE("glob patterns for branches and tags") {
  struct Case {
    const char* pattern;
    const char* name;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"main", "main", true},
      {"main", "main2", false},
      {"main", "mai", false},
      {"v*", "v1.2.3", true},
      {"v*", "v", true},
      {"v*", "1.2.3", false},
      {"release/*", "release/1.x", true},
      {"release/*", "release/1.x/hotfix", false},
      {"release/**", "release/1.x/hotfix", true},
      {"**", "a/b/c", true},
      {"v?.*", "v1.0", true},
      {"v?.*", "v10.0", false},
      {"?", "/", false},
      {"*-rc", "v1-rc", true},
      {"*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"", "", true},
      {"", "x", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.pattern);
    CAPTURE(c.name);
    CHECK(cfg::glob_match(c.pattern, c.name) == c.matches);
  }
}

TEST_CASE("triggers, notification filters and principals") {
  cfg::Triggers t{{"main", "release/*"}, {"v*"}};
  CHECK(t.matches_branch("main"));
  CHECK(t.matches_branch("release/2.0"));
  CHECK_FALSE(t.matches_branch("feature/x"));
  CHECK(t.matches_tag("v1.0.0"));
  CHECK_FALSE(t.matches_tag("1.0.0"));

  cfg::NotificationTarget n{"HOOK", {cfg::Event::failed}, {"production"}};
  CHECK(n.wants(cfg::Event::failed, "production"));
  CHECK_FALSE(n.wants(cfg::Event::failed, "staging"));
  CHECK_FALSE(n.wants(cfg::Event::started, "production"));

  CHECK(cfg::Principal{cfg::Principal::Kind::user, "alice"}.to_string() == "@alice");
  CHECK(cfg::Principal{cfg::Principal::Kind::team, "acme/ops"}.to_string() == "@acme/ops");
  CHECK(cfg::Principal{cfg::Principal::Kind::permission, "admin"}.to_string() == "admin");
  CHECK(cfg::to_string(cfg::Event::rolled_back) == "rolled_back");
}

TEST_CASE("a config larger than 1 MiB is refused before parsing, with a clear error (issue 13)") {
  std::string text = "version: 1\n# " + std::string(cfg::kMaxConfigBytes, 'x') + "\n";
  const cfg::LoadResult result = cfg::load_config(text, "deploy.yml");
  REQUIRE_FALSE(result.ok());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.format() ==
        "deploy.yml:1:1: error: the file has more than 1048576 bytes; a deploy config may be at most 1 MiB: check "
        "that the path names the right file\n");
}

TEST_CASE("approvals.rules and freeze windows load into their values") {
  const std::string yaml =
      kHead +
      "    approvals:\n"
      "      rules:\n"
      "        - { name: sre, from: [\"@acme/sre\"], count: 1 }\n"
      "        - { count: 3 }\n"
      "    freeze:\n"
      "      override: { from: [\"@acme/sre\"], count: 2 }\n"
      "      windows:\n"
      "        - { name: weekend, cron: \"0 18 * * FRI\", duration: 62h, time_zone: Europe/Berlin }\n"
      "        - name: year-end\n"
      "          start: 2026-12-20T00:00:00Z\n"
      "          end: 2027-01-04T01:00:00+01:00\n"
      "          override: { count: 1 }\n" +
      kTail;
  const auto result = cfg::load_config(yaml, "deploy.yml");
  INFO(result.format());
  REQUIRE(result.ok());
  const auto& env = *result.config->environment("production");
  REQUIRE(env.approvals.rules.size() == 2);
  CHECK(env.approvals.rules[0].name == "sre");
  CHECK(env.approvals.rules[0].from.size() == 1);
  CHECK(env.approvals.rules[1].count == 3);
  CHECK(env.approvals.required == 3);  // the largest rule: > 0 means the gate is on
  REQUIRE(env.freeze.override);
  CHECK(env.freeze.override->count == 2);
  REQUIRE(env.freeze.windows.size() == 2);
  CHECK(env.freeze.windows[0].recurring());
  CHECK(env.freeze.windows[0].cron == "0 18 * * FRI");
  CHECK(env.freeze.windows[0].duration == std::chrono::hours{62});
  CHECK(env.freeze.windows[0].time_zone == "Europe/Berlin");
  CHECK_FALSE(env.freeze.windows[1].recurring());
  CHECK(env.freeze.windows[1].end - env.freeze.windows[1].start == std::chrono::hours{24 * 15});
  REQUIRE(env.freeze.windows[1].override);
  CHECK(env.freeze.windows[1].override->from.empty());
}

TEST_CASE("approvals.rules and freeze: errors name the key") {
  run_cases({
      {"required and rules together",
       kHead + "    approvals:\n      required: 1\n      rules: [{ count: 1 }]\n" + kTail,
       {"deploy.yml:7:7: error: environments.production.approvals.rules: give either 'required' or 'rules', not both: "
        "'required: N' is the one-rule shorthand; add a rule { name: total, count: N } to the list instead"}},
      {"a rule without count",
       kHead + "    approvals:\n      rules: [{ name: sre }]\n" + kTail,
       {"deploy.yml:6:15: error: environments.production.approvals.rules[0].count: missing required key 'count' (how "
        "many "
        "distinct approvers this rule needs, e.g. count: 1)"}},
      {"a rule count of 0",
       kHead + "    approvals:\n      rules: [{ count: 0 }]\n" + kTail,
       {"deploy.yml:6:24: error: environments.production.approvals.rules[0].count: expected a whole number from 1 to "
        "10, found '0'"}},
      {"more than the people named",
       kHead + "    approvals:\n      rules: [{ from: [\"@ann\"], count: 2 }]\n" + kTail,
       {"deploy.yml:6:40: error: environments.production.approvals.rules[0].count: needs 2 approvers but 'from' names "
        "only 1 people; it could never be met"}},
      {"a bad cron expression",
       kHead + "    freeze:\n      windows: [{ name: w, cron: \"0 25 * * *\", duration: 1h }]\n" + kTail,
       {"deploy.yml:6:34: error: environments.production.freeze.windows[0].cron: hour field '25': expected * or "
        "values 0-23"}},
      {"a cron date that never comes",
       kHead + "    freeze:\n      windows: [{ name: w, cron: \"0 0 30 2 *\", duration: 1h }]\n" + kTail,
       {"deploy.yml:6:34: error: environments.production.freeze.windows[0].cron: '0 0 30 2 *' matches no date (a day "
        "that no month has?)"}},
      {"a fixed window ending before it starts",
       kHead + "    freeze:\n      windows: [{ name: w, start: 2026-12-20T00:00:00Z, end: 2026-12-19T00:00:00Z }]\n" +
           kTail,
       {"deploy.yml:6:62: error: environments.production.freeze.windows[0].end: the window must end after it starts"}},
      {"neither recurring nor fixed",
       kHead + "    freeze:\n      windows: [{ name: w }]\n" + kTail,
       {"deploy.yml:6:17: error: environments.production.freeze.windows[0]: expected cron (with duration and "
        "time_zone) for a recurring window, or start and end for a fixed one"}},
  });
}

TEST_CASE("locks, allow_pull_requests, pause: until-promoted and pause_timeout") {
  const std::string yaml =
      "version: 1\n"
      "environments:\n"
      "  staging:\n"
      "    on: { branches: [main] }\n"
      "    allow_pull_requests: true\n"
      "  production:\n"
      "    on: { tags: [\"v*\"] }\n"
      "    strategy:\n"
      "      type: canary\n"
      "      pause_timeout: 30m\n"
      "      steps:\n"
      "        - { traffic: 10, pause: until-promoted }\n"
      "        - { traffic: 100, pause: 1m }\n"
      "stages:\n"
      "  - name: deploy\n"
      "    run: ./deploy.sh\n"
      "    traffic: true\n"
      "locks:\n"
      "  allowed: [\"@acme/sre\", maintain]\n";
  auto loaded = cfg::load_config(yaml, "deploy.yml");
  INFO(loaded.format());
  REQUIRE(loaded.ok());
  const auto& config = *loaded.config;
  CHECK(config.environment("staging")->allow_pull_requests);
  CHECK_FALSE(config.environment("production")->allow_pull_requests);
  const auto& strategy = config.environment("production")->strategy;
  CHECK(strategy.pause_timeout == std::chrono::minutes{30});
  CHECK(strategy.steps[0].until_promoted);
  CHECK(strategy.steps[0].pause.count() == 0);
  CHECK_FALSE(strategy.steps[1].until_promoted);
  REQUIRE(config.locks.allowed.size() == 2);
  CHECK(config.locks.allowed[0].to_string() == "@acme/sre");
  // Defaults.
  auto minimal = cfg::load_config(kMinimal, "deploy.yml");
  REQUIRE(minimal.ok());
  CHECK(minimal.config->locks.allowed.empty());
  CHECK(minimal.config->environments[0].strategy.pause_timeout == std::chrono::hours{1});
  CHECK_FALSE(minimal.config->environments[0].allow_pull_requests);
}

TEST_CASE("errors in locks, allow_pull_requests and until-promoted") {
  const std::string traffic_tail =
      "stages:\n"
      "  - name: deploy\n"
      "    run: ./deploy.sh\n"
      "    traffic: true\n"
      "rollback:\n"
      "  run: ./rollback.sh\n";
  run_cases({
      {"production never takes pull requests",
       kHead + "    allow_pull_requests: true\n" + kTail,
       {"deploy.yml:5:26: error: environments.production.allow_pull_requests: production is never deployed from a "
        "pull request (its head is not reviewed and merged yet); remove allow_pull_requests here, or deploy a "
        "release"}},
      {"the last step cannot hold",
       kHead +
           "    strategy:\n"
           "      type: canary\n"
           "      steps:\n"
           "        - { traffic: 10 }\n"
           "        - { traffic: 100, pause: until-promoted }\n" +
           traffic_tail,
       {"deploy.yml:9:11: error: environments.production.strategy.steps[1]: pause: until-promoted holds a step "
        "below 100% until /promote; the last step already sends all traffic, so there is nothing left to "
        "promote"}},
      {"a typo in until-promoted is a bad duration",
       kHead +
           "    strategy:\n"
           "      type: canary\n"
           "      steps:\n"
           "        - { traffic: 10, pause: until-promote }\n"
           "        - { traffic: 100 }\n" +
           traffic_tail,
       {"deploy.yml:8:33: error: environments.production.strategy.steps[0].pause: expected a duration like 90s, 5m "
        "or 1h, found 'until-promote'"}},
      {"a typo under locks",
       kMinimal + "locks:\n  alowed: [maintain]\n",
       {"deploy.yml:11:3: error: locks.alowed: unknown key 'alowed' (did you mean 'allowed'?)"}},
  });
}
