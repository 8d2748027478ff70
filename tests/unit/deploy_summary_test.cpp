// The step summary: exact Markdown pieces for succeeded, blocked, rolled back and cancelled runs,
// the escaping of everything that came from outside, and the Mermaid timeline.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/engine/summary.hpp"
#include "core/runner/commands.hpp"

namespace {

using namespace std::chrono_literals;
using deploy::engine::Report;
using deploy::engine::RoundReport;
using deploy::engine::RunSummary;
using deploy::engine::Status;
using deploy::engine::StepReport;
using TimePoint = std::chrono::system_clock::time_point;

const TimePoint kT0{std::chrono::seconds{1'700'000'000}};  // 1700000000000 ms

StepReport step(std::string stage, std::optional<int> traffic, TimePoint start, std::chrono::milliseconds took,
                bool succeeded, std::string describe, int attempts = 1) {
  StepReport s;
  s.stage = std::move(stage);
  s.traffic = traffic;
  s.attempts = attempts;
  s.succeeded = succeeded;
  s.exit_code = succeeded ? 0 : 1;
  s.describe = std::move(describe);
  s.started = start;
  s.finished = start + took;
  s.duration = took;
  return s;
}

RoundReport round(std::string stage, std::optional<int> traffic, int number, TimePoint at, bool passed,
                  std::vector<deploy::analysis::Sample> samples, std::vector<deploy::analysis::CheckVerdict> verdicts) {
  RoundReport r;
  r.stage = std::move(stage);
  r.traffic = traffic;
  r.round = number;
  r.at = at;
  r.passed = passed;
  r.samples = std::move(samples);
  r.verdicts = std::move(verdicts);
  return r;
}

deploy::analysis::CheckVerdict verdict(std::string check, bool allowed, std::string reason, std::string message) {
  return {std::move(check), deploy::Outcome{allowed, std::move(reason), std::move(message)}};
}

// A canary that went through: build, deploy at 25 % and 100 %, one analysis round per step.
Report succeeded_report() {
  Report report;
  report.status = Status::succeeded;
  report.reason = "deployed";
  report.message = "deployed 1.2.0 to production";
  report.steps = {step("build", std::nullopt, kT0 + 2s, 1234ms, true, "exit 0"),
                  step("deploy", 25, kT0 + 4s, 125s, true, "exit 0", 2),
                  step("deploy", 100, kT0 + 140s, 3s, true, "exit 0")};
  report.baselines = {{"p99", 120}};
  report.rounds = {
      round("deploy", 25, 1, kT0 + 135s, true,
            {{"error_rate", true, 0.5, "0.5"}, {"health", true, std::nullopt, "HTTP 200"}},
            {verdict("error_rate", true, "within_thresholds", "0.5 is within the thresholds"),
             verdict("health", true, "passed", "HTTP 200")}),
  };
  return report;
}

RunSummary base_run() {
  RunSummary run;
  run.environment = "production";
  run.mode = "deploy";
  run.version = "1.2.0";
  run.sha = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";
  run.previous_version = "1.1.0";
  run.started = kT0;
  run.finished = kT0 + 150s;
  return run;
}

void require_contains(const std::string& text, const std::string& piece) {
  INFO("looking for:\n" << piece << "\nin:\n" << text);
  CHECK(text.find(piece) != std::string::npos);
}

void require_absent(const std::string& text, const std::string& piece) {
  INFO("must not contain:\n" << piece << "\nin:\n" << text);
  CHECK(text.find(piece) == std::string::npos);
}

}  // namespace

TEST_CASE("format_duration: tenths below a minute, then minutes and seconds, then hours") {
  struct Case {
    long long ms;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {0, "0.0s"},
      {49, "0.0s"},
      {50, "0.1s"},
      {400, "0.4s"},
      {1234, "1.2s"},
      {1250, "1.3s"},
      {59'949, "59.9s"},
      {59'950, "1m 00s"},
      {125'000, "2m 05s"},
      {3'599'499, "59m 59s"},
      {3'599'500, "1h 00m 00s"},
      {3'725'000, "1h 02m 05s"},
      {-5, "0.0s"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.ms);
    CHECK(deploy::engine::format_duration(std::chrono::milliseconds{c.ms}) == c.expected);
  }
}

TEST_CASE("escape_markdown: one line, no HTML, no Markdown syntax, cut at a character") {
  struct Case {
    std::string input;
    std::size_t max_bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"v1.2.0", 500, "v1.2.0"},
      {"a|b", 500, "a\\|b"},
      {"line one\nline two\r\nthree", 500, "line one line two  three"},
      {"<img src=x onerror=alert(1)>", 500, "&lt;img src=x onerror=alert(1)&gt;"},
      {"a & b", 500, "a &amp; b"},
      {"**bold** _it_ ~~x~~", 500, "\\*\\*bold\\*\\* \\_it\\_ \\~\\~x\\~\\~"},
      {"[click](https://evil.example)", 500, "\\[click\\](https://evil.example)"},
      {"`code` \\ $x$", 500, "\\`code\\` \\\\ \\$x\\$"},
      {"tab\there", 500, "tab here"},
      {std::string("bad \xff byte"), 500, "bad \xEF\xBF\xBD byte"},
      {"h\xC3\xA9llo", 3, "h\xC3\xA9\xE2\x80\xA6"},  // "hé…": the cut never splits "é"
      {"h\xC3\xA9llo", 2, "h\xE2\x80\xA6"},
      {"", 500, ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    CHECK(deploy::engine::escape_markdown(c.input, c.max_bytes) == c.expected);
  }
}

TEST_CASE("escape_mermaid: nothing that ends a task, starts a comment or opens HTML survives") {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"deploy-web_1", "deploy-web_1"},
      {"a:b;c#d%%e", "a_b_c_d__e"},
      {"x\n    click s1 href \"javascript:alert(1)\"", "x_    click s1 href _javascript_alert(1)_"},
      {"<b>bold</b>", "_b_bold_/b_"},
      {"%%{init: {}}%%", "___init_ _____"},
      {"```", "___"},
      {"d\xC3\xA9ploi", "d\xC3\xA9ploi"},
      {std::string("bad\xff"), "bad_"},
      {std::string(70, 'a'), std::string(60, 'a')},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    CHECK(deploy::engine::escape_mermaid(c.input) == c.expected);
  }
}

TEST_CASE("a succeeded canary: title, facts, gates, stages, analysis, changelog, timeline") {
  const Report report = succeeded_report();
  RunSummary run = base_run();
  run.status = "succeeded";
  run.message = report.message;
  run.report = &report;
  run.deployment_url = "https://github.com/acme/app/deployments/production";
  run.run_url = "https://github.com/acme/app/actions/runs/42";
  run.gates = {{"approvals", true, "approvals_met", "approved by alice and bob (2 of 2)"},
               {"required_checks", true, "checks_passed", "ci, lint passed"}};
  run.approvers = {{"alice", "comment"}, {"bob", "review"}};
  run.changelog = {{"abcdef0123456789", "Fix the login page (#13)", "Alice", 13},
                   {"0123456789abcdef", "Merge pull request #12 from acme/feature", "Bob", 12},
                   {"fedcba9876543210", "Direct commit", "Carol", std::nullopt}};

  const std::string md = deploy::engine::render_markdown(run);
  const std::vector<std::string> pieces = {
      "## ✅ Deploy of 1.2.0 to production succeeded\n",
      "\n**Outcome:** deployed 1.2.0 to production\n",
      "**Environment:** production · **Version:** 1.2.0 · **Commit:** `1a2b3c4` · **Previous:** 1.1.0 · "
      "**Mode:** deploy · **Took:** 2m 30s\n",
      "[Deployment](https://github.com/acme/app/deployments/production) · "
      "[Workflow run](https://github.com/acme/app/actions/runs/42)\n",
      "### Gates\n\n| Gate | Result | Details |\n| --- | --- | --- |\n",
      "| approvals | ✅ passed `approvals_met` | approved by alice and bob (2 of 2) |\n",
      "| required\\_checks | ✅ passed `checks_passed` | ci, lint passed |\n",
      "**Approved by:** @alice (comment), @bob (review)\n",
      "### Stages\n\n| # | Stage | Traffic | Status | Attempts | Duration | Result |\n",
      "| 1 | build |  | ✅ succeeded | 1 | 1.2s | exit 0 |\n",
      "| 2 | deploy | 25% | ✅ succeeded | 2 | 2m 05s | exit 0 |\n",
      "| 3 | deploy | 100% | ✅ succeeded | 1 | 3.0s | exit 0 |\n",
      "### Analysis\n\n**Baseline:** p99 = 120\n\n| Step | Round | Result | Checks |\n",
      "| deploy (25%) | 1 | ✅ passed | ✅ error\\_rate: 0.5 is within the thresholds<br>✅ health: HTTP 200 |\n",
      "### Changes since 1.1.0\n\n",
      "- `abcdef0` Fix the login page (#13) by Alice\n",
      "- `0123456` Merge pull request #12 from acme/feature (#12) by Bob\n",
      "- `fedcba9` Direct commit by Carol\n",
      "### Timeline\n\n```mermaid\ngantt\n    dateFormat x\n    axisFormat %H:%M:%S\n    section Stages\n"
      "    0 prepare :done, s0, 1700000000000, 1700000002000\n"
      "    1 build :done, s1, 1700000002000, 1700000003234\n"
      "    2 deploy (traffic 25) :done, s2, 1700000004000, 1700000129000\n"
      "    3 deploy (traffic 100) :done, s3, 1700000140000, 1700000143000\n"
      "    section Analysis\n"
      "    1 deploy 25 passed :milestone, r1, 1700000135000, 1700000135000\n"
      "```\n",
  };
  for (const auto& piece : pieces) require_contains(md, piece);
  require_absent(md, "### Rollback");
  require_absent(md, "No stage ran");
  CHECK(md.back() == '\n');
}

TEST_CASE("a run blocked by its gates has no stages and says what is missing") {
  RunSummary run = base_run();
  run.status = "blocked";
  run.message = "the gates refused the deploy: approvals";
  run.tracking_issue_url = "https://github.com/acme/app/issues/7";
  run.gates = {{"approvals", false, "approvals_missing",
                "approved by alice (1 of 2); needs 1 more approval from anyone with write permission, other than "
                "carol (author)"},
               {"reviewed_changes", true, "changes_reviewed", "every pull request was reviewed"}};
  run.approvers = {{"alice", "comment"}};

  const std::string md = deploy::engine::render_markdown(run);
  require_contains(md, "## ⛔ Deploy of 1.2.0 to production is blocked by its gates\n");
  require_contains(md, "**Outcome:** the gates refused the deploy: approvals\n");
  require_contains(md, "[Release tracking issue](https://github.com/acme/app/issues/7)\n");
  require_contains(md,
                   "| approvals | ❌ refused `approvals_missing` | approved by alice (1 of 2); needs 1 more approval "
                   "from anyone with write permission, other than carol (author) |\n");
  require_contains(md, "| reviewed\\_changes | ✅ passed `changes_reviewed` | every pull request was reviewed |\n");
  require_contains(md, "**Approved by:** @alice (comment)\n");
  require_contains(md, "\nNo stage ran: the gates above must pass first.\n");
  require_absent(md, "### Stages");
  require_absent(md, "### Analysis");
  require_absent(md, "```mermaid");
}

TEST_CASE("a failed canary that rolled back: failed stage, failed round, rollback, crit tasks") {
  Report report;
  report.status = Status::rolled_back;
  report.reason = "analysis_failed";
  report.message = "analysis failed at 25% traffic; rolled back to 1.2.0";
  report.rolled_back = true;
  report.steps = {step("build", std::nullopt, kT0, 1s, true, "exit 0"),
                  step("deploy", 25, kT0 + 1s, 2s, false, "exit 0")};
  report.rounds = {
      round("deploy", 25, 1, kT0 + 33s, false, {{"error_rate", true, 7.5, "7.5"}},
            {verdict("error_rate", false, "threshold_exceeded", "7.5 is above the maximum 2")}),
      round("post_rollback", std::nullopt, 1, kT0 + 40s, true, {{"error_rate", true, 0.5, "0.5"}},
            {verdict("error_rate", true, "within_thresholds", "0.5 is within the thresholds")}),
  };
  report.rollback = step("rollback", std::nullopt, kT0 + 34s, 3s, true, "exit 0");

  RunSummary run = base_run();
  run.version = "1.3.0";
  run.previous_version = "1.2.0";
  run.status = "rolled_back";
  run.message = report.message;
  run.report = &report;

  const std::string md = deploy::engine::render_markdown(run);
  const std::vector<std::string> pieces = {
      "## ↩️ Deploy of 1.3.0 to production failed and was rolled back to 1.2.0\n",
      "| 2 | deploy | 25% | ❌ failed | 1 | 2.0s | exit 0 |\n",
      "| deploy (25%) | 1 | ❌ failed | ❌ error\\_rate: 7.5 is above the maximum 2 |\n",
      "| after the rollback | 1 | ✅ passed | ✅ error\\_rate: 0.5 is within the thresholds |\n",
      "### Rollback\n\n↩️ Rolled back to **1.2.0**: exit 0, 1 attempt, 3.0s. The health check after it passed.\n",
      "    2 deploy (traffic 25) :crit, s2, 1700000001000, 1700000003000\n",
      "    1 deploy 25 failed :crit, milestone, r1, 1700000033000, 1700000033000\n",
      "    1 after rollback passed :milestone, r2, 1700000040000, 1700000040000\n",
      "    section Rollback\n    rollback :done, rb, 1700000034000, 1700000037000\n",
  };
  for (const auto& piece : pieces) require_contains(md, piece);
  // The first step started with the run: no "prepare" bar.
  require_absent(md, "0 prepare");
}

TEST_CASE("a failed rollback says so in the title and the rollback section") {
  Report report;
  report.status = Status::rollback_failed;
  report.reason = "rollback_command_failed";
  report.steps = {step("deploy", std::nullopt, kT0, 1s, false, "exit 3")};
  report.rollback = step("rollback", std::nullopt, kT0 + 1s, 30s, false, "timed out after 30s", 1);
  RunSummary run = base_run();
  run.status = "rollback_failed";
  run.report = &report;

  const std::string md = deploy::engine::render_markdown(run);
  require_contains(md, "## 🚨 Deploy of 1.2.0 to production failed, and so did the rollback\n");
  require_contains(md, "🚨 The rollback to **1.1.0** failed: timed out after 30s, 1 attempt, 30.0s.\n");
  require_contains(md, "    rollback :crit, rb, 1700000001000, 1700000031000\n");
}

TEST_CASE("cancelled runs, with and without a rollback") {
  struct Case {
    const char* name;
    bool rolled_back;
    const char* title;
  };
  const std::vector<Case> cases = {
      {"cancelled before anything was deployed", false, "## ⏹️ Deploy of 1.2.0 to production was cancelled\n"},
      {"cancelled and rolled back", true,
       "## ⏹️ Deploy of 1.2.0 to production was cancelled and rolled back to 1.1.0\n"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Report report;
    report.status = Status::cancelled;
    report.reason = "cancelled";
    report.rolled_back = c.rolled_back;
    report.steps = {step("deploy", 50, kT0, 4s, false, "cancelled")};
    if (c.rolled_back) report.rollback = step("rollback", std::nullopt, kT0 + 4s, 1s, true, "exit 0");
    RunSummary run = base_run();
    run.status = "cancelled";
    run.report = &report;

    const std::string md = deploy::engine::render_markdown(run);
    require_contains(md, c.title);
    require_contains(md, "| 1 | deploy | 50% | ⏹️ cancelled | 1 | 4.0s | cancelled |\n");
    CHECK((md.find("### Rollback") != std::string::npos) == c.rolled_back);
  }
}

TEST_CASE("a rollback-mode run is titled as a rollback") {
  Report report;
  report.status = Status::succeeded;
  report.steps = {step("deploy", std::nullopt, kT0, 1s, true, "exit 0")};
  RunSummary run = base_run();
  run.mode = "rollback";
  run.version = "1.1.0";
  run.previous_version = "1.2.0";
  run.status = "succeeded";
  run.report = &report;
  run.changelog = {{"abcdef0123456789", "Something", "Alice", std::nullopt}};
  const std::string md = deploy::engine::render_markdown(run);
  require_contains(md, "## ✅ Rollback of production to 1.1.0 succeeded\n");
  require_contains(md, "**Mode:** rollback");
  require_contains(md, "\n### Changes\n\n");  // no "since": a rollback goes backwards
  require_absent(md, "Requested by");         // nobody asked deploy-bot: the actor started it
}

TEST_CASE("a run deploy-bot started for someone names who asked, and links their comment") {
  RunSummary run = base_run();
  run.mode = "rollback";
  run.status = "blocked";
  run.requested_by = "alice";
  run.request_url = "https://github.com/acme/app/issues/1#issuecomment-42";
  const std::string md = deploy::engine::render_markdown(run);
  require_contains(md, " · **Mode:** rollback · **Requested by:** @alice");
  require_contains(md, "[Request](https://github.com/acme/app/issues/1#issuecomment-42)");

  // Whatever got through, it stays text and a link's destination.
  run.requested_by = "a_b*[x](y)";
  run.request_url = "https://github.com/x)](javascript:y)";
  const std::string hostile = deploy::engine::render_markdown(run);
  require_contains(hostile, "**Requested by:** @a\\_b\\*\\[x\\](y)");
  require_contains(hostile, "[Request](https://github.com/x%29%5D%28javascript:y%29)");
}

TEST_CASE("text from outside cannot break the table, inject HTML or links, or escape the Mermaid block") {
  Report report;
  report.status = Status::failed;
  report.steps = {step("deploy", std::nullopt, kT0, 1s, false, "exit 1 | <b>x</b>\nnext")};
  report.rounds = {round("deploy", std::nullopt, 1, kT0 + 2s, false,
                         {{"probe", false, std::nullopt, "got <script>alert(1)</script>\n| x |"}},
                         {verdict("probe", false, "check_failed", "got <script>alert(1)</script>\n| x |")})};
  RunSummary run = base_run();
  run.version = "main-<b>|x";
  run.status = "failed";
  run.message = "failed:\n# not a heading <img src=x>";
  run.report = &report;
  run.run_url = "https://example.test/run?a=(1)&b=<x>";
  run.deployment_url = "javascript:alert(1)";
  run.gates = {{"approvals\n| injected | row |", false, "not a code`", "msg with | pipe"}};
  run.approvers = {{"mallory<script>", "comment"}};
  run.changelog = {{"not-a-sha`", "Subject | with pipe\n<img src=x onerror=alert(1)> [x](javascript:y)", "Eve *", 5}};

  const std::string md = deploy::engine::render_markdown(run);
  for (const char* raw : {"<b>", "<img", "<script", "[x](javascript", "\n# not a heading", "\n| injected"}) {
    require_absent(md, raw);
  }
  const std::vector<std::string> pieces = {
      "## ❌ Deploy of main-&lt;b&gt;\\|x to production failed\n",
      "**Outcome:** failed: # not a heading &lt;img src=x&gt;\n",
      "[Workflow run](https://example.test/run?a=%281%29&b=%3Cx%3E)",
      "Deployment: javascript:alert(1)",
      "| approvals \\| injected \\| row \\| | ❌ refused not a code\\` | msg with \\| pipe |\n",
      "**Approved by:** @mallory&lt;script&gt; (comment)\n",
      "| 1 | deploy |  | ❌ failed | 1 | 1.0s | exit 1 \\| &lt;b&gt;x&lt;/b&gt; next |\n",
      "❌ probe: got &lt;script&gt;alert(1)&lt;/script&gt; \\| x \\| |\n",
      "- not-a-sha\\` Subject \\| with pipe &lt;img src=x onerror=alert(1)&gt; \\[x\\](javascript:y) (#5) by Eve \\*\n",
  };
  for (const auto& piece : pieces) require_contains(md, piece);

  // Every table row is one line that starts and ends with a pipe.
  std::size_t start = 0;
  while (start < md.size()) {
    const std::size_t end = md.find('\n', start);
    const std::string line = md.substr(start, end - start);
    if (!line.empty() && line.front() == '|') {
      CAPTURE(line);
      CHECK(line.back() == '|');
    }
    start = end + 1;
  }
}

TEST_CASE("the timeline escapes stage names and draws nothing when no stage ran") {
  Report report;
  report.steps = {step("a:b;c#d%%e\nclick s1 href \"x\"", 5, kT0, 1s, true, "exit 0")};
  const std::string timeline = deploy::engine::render_mermaid_timeline(report, kT0);
  CHECK(timeline ==
        "```mermaid\ngantt\n    dateFormat x\n    axisFormat %H:%M:%S\n    section Stages\n"
        "    1 a_b_c_d__e_click s1 href _x_ (traffic 5) :done, s1, 1700000000000, 1700000001000\n```\n");

  // An unset start draws no "prepare" bar from 1970.
  CHECK(deploy::engine::render_mermaid_timeline(report, TimePoint{}).find("prepare") == std::string::npos);
  CHECK(deploy::engine::render_mermaid_timeline(report, kT0 - 5s)
            .find("    0 prepare :done, s0, 1699999995000, 1700000000000\n") != std::string::npos);

  CHECK(deploy::engine::render_mermaid_timeline(Report{}, kT0).empty());
}

TEST_CASE("a long run stays readable and far below the step summary limit") {
  Report report;
  report.status = Status::succeeded;
  report.steps = {step("deploy", 5, kT0, 1s, true, "exit 0"), step("deploy", 100, kT0 + 2000s, 1s, true, "exit 0")};
  for (int i = 1; i <= 100; ++i) {
    const bool passed = i != 7;
    report.rounds.push_back(round("deploy", 5, i, kT0 + std::chrono::seconds{i * 10}, passed,
                                  {{"error_rate", passed, 0.5, std::string(400, 'x')}},
                                  {verdict("error_rate", passed, "x", std::string(400, 'y'))}));
  }
  report.rounds.push_back(round("deploy", 100, 1, kT0 + 2100s, true, {}, {}));
  RunSummary run = base_run();
  run.status = "succeeded";
  run.report = &report;
  run.message = std::string(5000, 'm');
  for (int i = 0; i < 60; ++i) run.changelog.push_back({"abcdef0", std::string(500, 's'), "Alice", std::nullopt});

  const std::string md = deploy::engine::render_markdown(run);
  CHECK(md.size() < deploy::runner::kStepSummaryLimitBytes / 2);
  // Round 7 failed and round 100 ends its step: shown; 98 passing rounds are not.
  require_contains(md, "| deploy (5%) | 7 | ❌ failed |");
  require_contains(md, "| deploy (5%) | 100 | ✅ passed |");
  require_contains(md, "| deploy (100%) | 1 | ✅ passed | no checks |");
  require_absent(md, "| deploy (5%) | 8 |");
  require_contains(md, "\n98 passing rounds not shown (every failed round and the last round of each step are).\n");
  require_contains(md, "- … and 10 more commits\n");
  // Past 20 rounds only failed ones are drawn on the timeline.
  require_contains(md, "    7 deploy 5 failed :crit, milestone, r1, 1700000070000, 1700000070000\n");
  require_absent(md, ":milestone, r2,");
}

TEST_CASE("adapters from the decision types") {
  deploy::policy::GateReport gates;
  gates.results = {{"approvals", deploy::Outcome::deny("approvals_missing", "needs 1 more")},
                   {"required_checks", deploy::Outcome::allow("checks_passed", "all green")}};
  const auto converted = deploy::engine::gates_from(gates);
  REQUIRE(converted.size() == 2);
  CHECK(converted[0].name == "approvals");
  CHECK_FALSE(converted[0].allowed);
  CHECK(converted[0].reason == "approvals_missing");
  CHECK(converted[0].message == "needs 1 more");
  CHECK(converted[1].allowed);

  deploy::policy::ApprovalVerdict verdict;
  verdict.counted = {{"alice", deploy::policy::Permission::write, deploy::policy::ApprovalSource::comment, "1"},
                     {"bob", deploy::policy::Permission::admin, deploy::policy::ApprovalSource::review, "2"}};
  const auto approvers = deploy::engine::approvers_from(verdict);
  REQUIRE(approvers.size() == 2);
  CHECK(approvers[0].login == "alice");
  CHECK(approvers[0].source == "comment");
  CHECK(approvers[1].login == "bob");
  CHECK(approvers[1].source == "review");

  deploy::release::Release release;
  deploy::release::Commit squash;
  squash.sha = "aaa";
  squash.summary = "Fix the login page (#13)";
  squash.message = "Fix the login page (#13)\n\nbody";
  squash.author.name = "Alice";
  deploy::release::Commit direct;
  direct.sha = "bbb";
  direct.summary = "Tweak";
  direct.message = "Tweak\n";
  direct.author.name = "Bob";
  release.commits = {squash, direct};
  const auto changes = deploy::engine::changes_from(release);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].sha == "aaa");
  CHECK(changes[0].subject == "Fix the login page (#13)");
  CHECK(changes[0].author == "Alice");
  CHECK(changes[0].pull_request == std::optional<std::uint64_t>{13});
  CHECK(changes[1].pull_request == std::nullopt);
}
