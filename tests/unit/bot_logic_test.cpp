// The bot's pure logic: which environment a thread targets, the approvals status texts, the
// /status table, and when a failed delivery is retried.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bot/job_retry.hpp"
#include "bot/status_report.hpp"
#include "bot/thread_target.hpp"
#include "core/config/config.hpp"

using namespace std::chrono_literals;
namespace bot = deploy::bot;
namespace config = deploy::config;

namespace {

config::Config load(const std::string& yaml) {
  auto result = config::load_config(yaml, "deploy.yml");
  INFO(result.format());
  REQUIRE(result.ok());
  return *result.config;
}

const char* kConfig = R"(version: 1
environments:
  staging:
    on: {branches: [main]}
  preview:
    on: {branches: ["release/*"]}
    approvals: {required: 1}
  production:
    on: {tags: ["v*"]}
    approvals: {required: 2}
  hotfix:
    on: {tags: ["hotfix-*"]}
stages:
  - name: deploy
    run: ./deploy.sh
rollback:
  run: ./rollback.sh
)";

}  // namespace

TEST_CASE("environment_for_tag: first matching environment that requires approvals, else first matching") {
  const auto cfg = load(kConfig);
  struct Case {
    std::string tag;
    std::string expected;  // "" = none
  };
  for (const auto& c : std::vector<Case>{{"v1.2.0", "production"}, {"hotfix-1", "hotfix"}, {"nope", ""}}) {
    CAPTURE(c.tag);
    const auto* env = bot::environment_for_tag(cfg, c.tag);
    CHECK((env ? env->name : std::string()) == c.expected);
  }
}

TEST_CASE("environment_for_pull_request: base branch match among those requiring approvals, else the first requiring") {
  const auto cfg = load(kConfig);
  struct Case {
    std::string base;
    std::string expected;
  };
  for (const auto& c : std::vector<Case>{{"release/2", "preview"}, {"main", "preview"}, {"", "preview"}}) {
    CAPTURE(c.base);
    const auto* env = bot::environment_for_pull_request(cfg, c.base);
    CHECK((env ? env->name : std::string()) == c.expected);
  }
  const auto none = load(
      "version: 1\nenvironments:\n  staging:\n    on: {branches: [main]}\nstages:\n  - name: d\n    run: "
      "x\nrollback:\n  run: y\n");
  CHECK(bot::environment_for_pull_request(none, "main") == nullptr);
}

TEST_CASE("approvals_status texts") {
  struct Case {
    int counted, required;
    std::string state, description;
  };
  for (const auto& c : std::vector<Case>{{0, 2, "pending", "0/2 approvals"},
                                         {1, 2, "pending", "1/2 approvals"},
                                         {2, 2, "success", "2/2 approvals"},
                                         {3, 2, "success", "3/2 approvals"},
                                         {0, 1, "pending", "0/1 approval"},
                                         {0, 0, "success", "no approvals required"}}) {
    CAPTURE(c.counted);
    CAPTURE(c.required);
    const auto status = bot::approvals_status(c.counted, c.required);
    CHECK(status.state == c.state);
    CHECK(status.description == c.description);
  }
}

TEST_CASE("approvals_status with rules and rejections") {
  struct Case {
    int counted, required;
    bool met;
    std::string rules, rejected, state, description;
  };
  const std::string long_reason(200, 'x');
  for (const auto& c : std::vector<Case>{
           {1, 2, false, "sre 1/1, security 0/1, total 1/2", "", "pending",
            "1/2 approvals; sre 1/1, security 0/1, total 1/2"},
           // n >= N but a rule is unmet: still pending.
           {2, 2, false, "sre 2/1, security 0/1", "", "pending", "2/2 approvals; sre 2/1, security 0/1"},
           {2, 2, true, "sre 1/1, security 1/1", "", "success", "2/2 approvals; sre 1/1, security 1/1"},
           {2, 2, true, "", "", "success", "2/2 approvals"},
           // A rejection wins whatever the count.
           {2, 2, true, "", "rejected by bob: breaks billing", "failure", "rejected by bob: breaks billing"},
           {0, 2, false, "", "rejected by " + long_reason, "failure",
            ("rejected by " + long_reason).substr(0, 137) + "..."},
       }) {
    CAPTURE(c.description);
    const auto status = bot::approvals_status(c.counted, c.required, c.met, c.rules, c.rejected);
    CHECK(status.state == c.state);
    CHECK(status.description == c.description);
    CHECK(status.description.size() <= 140);
  }
  deploy::policy::RejectionVerdict rejections;
  CHECK(bot::rejection_text(rejections).empty());
  rejections.active = {{"bob", "breaks billing", "1"}, {"alice", "", "2"}};
  CHECK(bot::rejection_text(rejections) == "rejected by bob: breaks billing, alice");
}

TEST_CASE("gate_progress and gate_rejection: the review comments on a waiting run") {
  bot::GateProgress none;
  none.sha = "3333333333333333333333333333333333333333";
  none.required = 2;
  none.needed = "needs 2 more approvals from anyone with write permission, other than zed (author)";
  none.tracking_issue = 7;
  CHECK(
      bot::gate_progress(none) ==
      "0 of 2 approvals for `3333333` so far. Still needed: needs 2 more approvals from anyone with write permission, "
      "other than zed (author). Approve with `/approve` on #7.");
  bot::GateProgress one = none;
  one.approvers = {"alice"};
  one.needed =
      "needs 1 more approval from anyone with write permission, other than zed (author) and alice (already approved)";
  one.tracking_issue.reset();
  CHECK(bot::gate_progress(one) ==
        "1 of 2 approvals for `3333333` so far (alice). Still needed: needs 1 more approval from anyone with write "
        "permission, other than zed (author) and alice (already approved).");
  bot::GateProgress single;
  single.sha = "abc";
  single.required = 1;
  CHECK(bot::gate_progress(single) == "0 of 1 approval for `abc` so far.");
  CHECK(bot::gate_rejection("not_newer", "v1.1.0 is not newer than v1.2.0") ==
        "Rejected: deploy-action would refuse this release: v1.1.0 is not newer than v1.2.0 (`not_newer`)");
}

TEST_CASE("format_age and format_utc") {
  const auto t0 = std::chrono::system_clock::time_point{} + 1'700'000'000s;  // 2023-11-14 22:13:20 UTC
  CHECK(bot::format_utc(t0) == "2023-11-14 22:13 UTC");
  struct Case {
    std::chrono::seconds age;
    std::string text;
  };
  for (const auto& c : std::vector<Case>{{0s, "just now"},
                                         {59s, "just now"},
                                         {60s, "1 min ago"},
                                         {3599s, "59 min ago"},
                                         {3600s, "1 h ago"},
                                         {86399s, "23 h ago"},
                                         {86400s, "1 d ago"}}) {
    CAPTURE(c.age.count());
    CHECK(bot::format_age(t0, t0 + c.age) == c.text);
  }
}

TEST_CASE("code_span neutralises backticks, pipes and line breaks") {
  CHECK(bot::code_span("v1.2.0") == "`v1.2.0`");
  CHECK(bot::code_span("a`b|c\nd") == "`a'b/c d`");
  CHECK(bot::code_span("abcdef", 3) == "`abc...`");
}

TEST_CASE("render_status: the table, approvals and recent deployments") {
  const auto t0 = std::chrono::system_clock::time_point{} + 1'700'000'000s;
  bot::StatusReport report;
  report.now = t0 + 2h;
  report.subject_sha = "0123456789abcdef0123456789abcdef01234567";
  bot::EnvironmentStatus prod;
  prod.name = "production";
  prod.current = bot::DeploymentRow{"v1.2.0", "abcdef0123456789", "success", "alice", t0};
  prod.recent = {*prod.current, {"v1.1.0", "1111111222222", "inactive", "bob", t0 - 24h}};
  prod.required = 2;
  prod.approvers = {"carol"};
  prod.needed = "needs 1 more approval from anyone with write permission, other than @dave (author)";
  prod.rollback_open = true;
  bot::EnvironmentStatus staging;
  staging.name = "staging";
  report.environments = {prod, staging};
  const std::string expected =
      "### Deploy status\n\n"
      "Approvals below are for commit `0123456`.\n\n"
      "| Environment | Deployed now | SHA | Since | By | Approvals | Still needed | Rollback |\n"
      "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
      "| `production` | `v1.2.0` | `abcdef0` | 2023-11-14 22:13 UTC (2 h ago) | `@alice` | 1/2 `@carol` | needs 1 more "
      "approval from anyone with write permission, other than @\u200bdave (author) | open |\n"
      "| `staging` | nothing yet | - | - | - | not required | - | closed |\n"
      "\n**Recent deployments to `production`**\n\n"
      "- `v1.2.0` (`abcdef0`) `success`, 2023-11-14 22:13 UTC, by `@alice`\n"
      "- `v1.1.0` (`1111111`) `inactive`, 2023-11-13 22:13 UTC, by `@bob`\n";
  CHECK(bot::render_status(report) == expected);
}

TEST_CASE("render_status without environments says so") {
  bot::StatusReport report;
  CHECK(bot::render_status(report) == "### Deploy status\n\nNo environments are configured in `.github/deploy.yml`.\n");
}

TEST_CASE("retry_delay doubles from base up to max and gives up at max_attempts") {
  bot::RetrySchedule schedule;
  schedule.base = 1000ms;
  schedule.max = 5000ms;
  schedule.max_attempts = 6;
  struct Case {
    std::int64_t attempts;
    std::optional<std::chrono::milliseconds> delay;
  };
  for (const auto& c : std::vector<Case>{
           {1, 1000ms}, {2, 2000ms}, {3, 4000ms}, {4, 5000ms}, {5, 5000ms}, {6, std::nullopt}, {60, std::nullopt}}) {
    CAPTURE(c.attempts);
    CHECK(bot::retry_delay(c.attempts, schedule) == c.delay);
  }
}

TEST_CASE("decide_failure: park until the reset, retry at the later of backoff and retry-after, else fail") {
  bot::RetrySchedule schedule;
  schedule.base = 1000ms;
  schedule.max = 5000ms;
  schedule.max_attempts = 3;
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};
  using Time = std::optional<std::chrono::system_clock::time_point>;
  struct Case {
    std::string name;
    bool transient;
    Time parked_until;
    Time not_before;
    std::int64_t attempts;
    bot::JobResult result;
    std::chrono::milliseconds wait;  // parked or retry: from now
  };
  for (const auto& c : std::vector<Case>{
           {"primary limit: park until the reset", true, now + 90s, std::nullopt, 1, bot::JobResult::parked, 90'000ms},
           {"primary limit already reset: park until now", true, now - 5s, std::nullopt, 1, bot::JobResult::parked,
            0ms},
           {"primary limit parks even with no attempts left", false, now + 2s, std::nullopt, 9, bot::JobResult::parked,
            2'000ms},
           {"transient: backoff", true, std::nullopt, std::nullopt, 2, bot::JobResult::retry, 2000ms},
           {"retry-after later than backoff wins", true, std::nullopt, now + 7s, 1, bot::JobResult::retry, 7000ms},
           {"retry-after rounds up to the millisecond", true, std::nullopt, now + 1500500us, 1, bot::JobResult::retry,
            1501ms},
           {"retry-after earlier than backoff loses", true, std::nullopt, now + 10ms, 2, bot::JobResult::retry, 2000ms},
           {"transient, attempts used up: fail", true, std::nullopt, now + 7s, 3, bot::JobResult::failed, 0ms},
           {"permanent: fail", false, std::nullopt, std::nullopt, 1, bot::JobResult::failed, 0ms},
       }) {
    CAPTURE(c.name);
    const bot::JobFailure failure{c.transient, "boom", c.parked_until, c.not_before};
    const auto outcome = bot::decide_failure(failure, c.attempts, schedule, now);
    CHECK(static_cast<int>(outcome.result) == static_cast<int>(c.result));
    CHECK(outcome.wait == c.wait);
    if (c.result != bot::JobResult::failed) CHECK(outcome.at == now + c.wait);
  }
}

TEST_CASE("github_error_is_transient") {
  struct Case {
    std::string code;
    int status;
    bool transient;
  };
  for (const auto& c : std::vector<Case>{{"github_server_error", 502, true},
                                         {"github_rate_limited", 403, true},
                                         {"github_rate_limited", 429, true},
                                         {"github_network_error", 0, true},
                                         {"github_wait_ceiling", 403, true},
                                         {"github_not_found", 404, false},
                                         {"github_validation_failed", 422, false},
                                         {"github_forbidden", 403, false},
                                         {"github_http_error", 409, false}}) {
    CAPTURE(c.code);
    CHECK(bot::github_error_is_transient(c.code, c.status) == c.transient);
  }
}
