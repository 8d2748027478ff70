#include "core/engine/summary.hpp"

#include <algorithm>
#include <cstdio>

#include "core/release/changelog.hpp"
#include "core/text/text.hpp"

namespace deploy::engine {

namespace {

using Clock = std::chrono::system_clock;
using std::chrono::milliseconds;

// Caps that keep a summary of a long run readable and far below the runner's 128 KiB limit.
constexpr std::size_t kMessageBytes = 1000;
constexpr std::size_t kCellBytes = 300;
constexpr std::size_t kSubjectBytes = 120;
constexpr std::size_t kShortBytes = 80;
constexpr std::size_t kMaxChanges = 50;
constexpr std::size_t kMaxRoundRows = 30;
constexpr std::size_t kMaxTimelineRounds = 20;

// Appends the UTF-8 encoding of the replacement character U+FFFD.
void append_replacement(std::string& out) { out += "\xEF\xBF\xBD"; }

// As core/analysis writes numbers in its verdicts, so a verdict that starts with the value is seen
// to do so.
std::string number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::string md(std::string_view text) { return escape_markdown(text, kCellBytes); }

// A link when the URL is http(s), else the label and the URL as escaped text. The destination is
// percent-encoded where Markdown or HTML could read it as the end of the link.
std::string link(std::string_view label, std::string_view url) {
  const bool web = url.starts_with("https://") || url.starts_with("http://");
  if (!web) return escape_markdown(label, kShortBytes) + ": " + escape_markdown(url, kShortBytes);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string destination;
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = c > 0x20 && c < 0x7f && std::string_view("()<>[]\"'`\\|{}^").find(ch) == std::string_view::npos;
    if (plain) {
      destination += ch;
    } else {
      destination += '%';
      destination += kHex[c >> 4];
      destination += kHex[c & 0xf];
    }
  }
  return "[" + escape_markdown(label, kShortBytes) + "](" + destination + ")";
}

// A short commit id in a code span when it is hex (as a SHA must be), else escaped text.
std::string short_sha(std::string_view sha) {
  const bool hex = !sha.empty() && std::all_of(sha.begin(), sha.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
  if (!hex) return escape_markdown(sha, kShortBytes);
  return "`" + std::string(sha.substr(0, 7)) + "`";
}

// A reason code in a code span when it looks like one (snake_case), else escaped text.
std::string code(std::string_view reason) {
  const bool snake = !reason.empty() && std::all_of(reason.begin(), reason.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!snake) return escape_markdown(reason, kShortBytes);
  return "`" + std::string(reason) + "`";
}

std::string_view status_emoji(std::string_view status) {
  if (status == "succeeded") return "✅";
  if (status == "failed") return "❌";
  if (status == "rolled_back") return "↩️";
  if (status == "rollback_failed") return "🚨";
  if (status == "cancelled") return "⏹️";
  if (status == "blocked") return "⛔";
  return "❔";
}

std::string title(const RunSummary& run) {
  const std::string version = escape_markdown(run.version.empty() ? "(unknown version)" : run.version, kShortBytes);
  const std::string environment = escape_markdown(run.environment, kShortBytes);
  const bool rollback_mode = run.mode == "rollback";
  const std::string what =
      rollback_mode ? "Rollback of " + environment + " to " + version : "Deploy of " + version + " to " + environment;
  const std::string previous =
      run.previous_version.empty() ? "" : " to " + escape_markdown(run.previous_version, kShortBytes);
  const bool rolled_back = run.report != nullptr && run.report->rolled_back;
  std::string outcome;
  if (run.status == "succeeded") {
    outcome = "succeeded";
  } else if (run.status == "failed") {
    outcome = "failed";
  } else if (run.status == "rolled_back") {
    outcome = "failed and was rolled back" + previous;
  } else if (run.status == "rollback_failed") {
    outcome = "failed, and so did the rollback";
  } else if (run.status == "cancelled") {
    outcome = rolled_back ? "was cancelled and rolled back" + previous : "was cancelled";
  } else if (run.status == "blocked") {
    outcome = "is blocked by its gates";
  } else {
    outcome = "ended: " + escape_markdown(run.status, kShortBytes);
  }
  return "## " + std::string(status_emoji(run.status)) + " " + what + " " + outcome + "\n";
}

std::string facts_line(const RunSummary& run) {
  std::vector<std::string> parts;
  if (!run.environment.empty()) parts.push_back("**Environment:** " + escape_markdown(run.environment, kShortBytes));
  if (!run.version.empty()) parts.push_back("**Version:** " + escape_markdown(run.version, kShortBytes));
  if (!run.sha.empty()) parts.push_back("**Commit:** " + short_sha(run.sha));
  if (!run.previous_version.empty()) {
    parts.push_back("**Previous:** " + escape_markdown(run.previous_version, kShortBytes));
  }
  parts.push_back("**Mode:** " + escape_markdown(run.mode, kShortBytes));
  if (!run.requested_by.empty())
    parts.push_back("**Requested by:** @" + escape_markdown(run.requested_by, kShortBytes));
  if (run.finished >= run.started && run.started != Clock::time_point{}) {
    parts.push_back("**Took:** " +
                    format_duration(std::chrono::duration_cast<milliseconds>(run.finished - run.started)));
  }
  std::string line;
  for (const auto& part : parts) line += (line.empty() ? "" : " · ") + part;
  return line + "\n";
}

std::string links_line(const RunSummary& run) {
  std::vector<std::string> parts;
  if (!run.deployment_url.empty()) parts.push_back(link("Deployment", run.deployment_url));
  if (!run.run_url.empty()) parts.push_back(link("Workflow run", run.run_url));
  if (!run.environment_url.empty()) parts.push_back(link("Environment", run.environment_url));
  if (!run.tracking_issue_url.empty()) parts.push_back(link("Release tracking issue", run.tracking_issue_url));
  if (!run.request_url.empty()) parts.push_back(link("Request", run.request_url));
  if (parts.empty()) return "";
  std::string line;
  for (const auto& part : parts) line += (line.empty() ? "" : " · ") + part;
  return line + "\n";
}

std::string gates_section(const RunSummary& run) {
  if (run.gates.empty() && run.approvers.empty()) return "";
  std::string out = "\n### Gates\n\n";
  if (!run.gates.empty()) {
    out += "| Gate | Result | Details |\n| --- | --- | --- |\n";
    for (const auto& gate : run.gates) {
      out += "| " + md(gate.name) + " | " + (gate.allowed ? "✅ passed" : "❌ refused") +
             (gate.reason.empty() ? "" : " " + code(gate.reason)) + " | " + md(gate.message) + " |\n";
    }
  }
  if (!run.approvers.empty()) {
    std::string names;
    for (const auto& approver : run.approvers) {
      names += (names.empty() ? "" : ", ") + std::string("@") + escape_markdown(approver.login, kShortBytes);
      if (!approver.source.empty()) names += " (" + escape_markdown(approver.source, kShortBytes) + ")";
    }
    out += (run.gates.empty() ? "" : "\n") + std::string("**Approved by:** ") + names + "\n";
  }
  return out;
}

std::string step_status(const engine::StepReport& step) {
  if (step.succeeded) return "✅ succeeded";
  if (step.describe == "cancelled") return "⏹️ cancelled";
  return "❌ failed";
}

std::string traffic_text(const std::optional<int>& traffic) { return traffic ? std::to_string(*traffic) + "%" : ""; }

std::string stages_section(const engine::Report& report) {
  if (report.steps.empty()) return "\n### Stages\n\nNo stage started.\n";
  std::string out =
      "\n### Stages\n\n| # | Stage | Traffic | Status | Attempts | Duration | Result |\n"
      "| ---: | --- | ---: | --- | ---: | ---: | --- |\n";
  int index = 0;
  for (const auto& step : report.steps) {
    out += "| " + std::to_string(++index) + " | " + md(step.stage) + " | " + traffic_text(step.traffic) + " | " +
           step_status(step) + " | " + std::to_string(step.attempts) + " | " + format_duration(step.duration) + " | " +
           md(step.describe) + " |\n";
  }
  return out;
}

// "deploy (25%)", "baseline", "after the rollback".
std::string round_step(const engine::RoundReport& round) {
  if (round.stage == "baseline") return "baseline (before the deploy)";
  if (round.stage == "post_rollback") return "after the rollback";
  return md(round.stage) + (round.traffic ? " (" + traffic_text(round.traffic) + ")" : "");
}

std::string checks_cell(const engine::RoundReport& round) {
  std::string cell;
  for (const auto& verdict : round.verdicts) {
    if (!cell.empty()) cell += "<br>";
    cell += (verdict.outcome.allowed ? "✅ " : "❌ ") + md(verdict.check);
    std::string detail = verdict.outcome.message;
    // A passing check without thresholds says what the probe saw; show the number too when the
    // message does not already start with it.
    auto sample = std::find_if(round.samples.begin(), round.samples.end(),
                               [&](const analysis::Sample& s) { return s.check == verdict.check; });
    if (sample != round.samples.end() && sample->value) {
      const std::string value = number(*sample->value);
      if (!detail.starts_with(value)) detail = "value " + value + (detail.empty() ? "" : "; " + detail);
    }
    if (!detail.empty()) cell += ": " + escape_markdown(detail, 200);
  }
  if (cell.empty()) cell = "no checks";
  return cell;
}

std::string analysis_section(const engine::Report& report) {
  if (report.rounds.empty() && report.baselines.empty()) return "";
  std::string out = "\n### Analysis\n\n";
  if (!report.baselines.empty()) {
    std::string values;
    for (const auto& [check, value] : report.baselines) {
      values += (values.empty() ? "" : ", ") + md(check) + " = " + number(value);
    }
    out += "**Baseline:** " + values + "\n\n";
  }
  if (report.rounds.empty()) return out;

  // A long canary has many rounds; past kMaxRoundRows, show the failed ones and the last round of
  // each step, and say how many passing rounds were left out.
  std::vector<bool> shown(report.rounds.size(), true);
  if (report.rounds.size() > kMaxRoundRows) {
    for (std::size_t i = 0; i < report.rounds.size(); ++i) {
      const auto& round = report.rounds[i];
      const bool last_of_step = i + 1 == report.rounds.size() || report.rounds[i + 1].stage != round.stage ||
                                report.rounds[i + 1].traffic != round.traffic;
      shown[i] = !round.passed || last_of_step;
    }
  }
  out += "| Step | Round | Result | Checks |\n| --- | ---: | --- | --- |\n";
  std::size_t hidden = 0;
  for (std::size_t i = 0; i < report.rounds.size(); ++i) {
    const auto& round = report.rounds[i];
    if (!shown[i]) {
      ++hidden;
      continue;
    }
    out += "| " + round_step(round) + " | " + std::to_string(round.round) + " | " +
           (round.passed ? "✅ passed" : "❌ failed") + " | " + checks_cell(round) + " |\n";
  }
  if (hidden > 0) {
    out += "\n" + std::to_string(hidden) + " passing round" + (hidden == 1 ? "" : "s") +
           " not shown (every failed round and the last round of each step are).\n";
  }
  return out;
}

std::string rollback_section(const RunSummary& run, const engine::Report& report) {
  if (!report.rollback) return "";
  const auto& step = *report.rollback;
  const std::string target = run.previous_version.empty()
                                 ? "the previous version"
                                 : "**" + escape_markdown(run.previous_version, kShortBytes) + "**";
  std::string out = "\n### Rollback\n\n";
  if (report.rolled_back) {
    out += "↩️ Rolled back to " + target + ": ";
  } else {
    out += "🚨 The rollback to " + target + " failed: ";
  }
  out += md(step.describe) + ", " + std::to_string(step.attempts) + " attempt" + (step.attempts == 1 ? "" : "s") +
         ", " + format_duration(step.duration) + ".";
  auto health = std::find_if(report.rounds.rbegin(), report.rounds.rend(),
                             [](const engine::RoundReport& r) { return r.stage == "post_rollback"; });
  if (health != report.rounds.rend()) {
    out += health->passed ? " The health check after it passed." : " The health check after it failed.";
  }
  return out + "\n";
}

std::string changelog_section(const RunSummary& run) {
  if (run.changelog.empty()) return "";
  std::string out = "\n### Changes";
  if (!run.previous_version.empty() && run.mode != "rollback") {
    out += " since " + escape_markdown(run.previous_version, kShortBytes);
  }
  out += "\n\n";
  const std::size_t count = std::min(run.changelog.size(), kMaxChanges);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& change = run.changelog[i];
    out += "- " + short_sha(change.sha) + " " + escape_markdown(change.subject, kSubjectBytes);
    if (change.pull_request) {
      // Squash merges already end their subject with "(#N)"; do not say it twice.
      const std::string reference = "#" + std::to_string(*change.pull_request);
      if (change.subject.find("(" + reference + ")") == std::string::npos) out += " (" + reference + ")";
    }
    if (!change.author.empty()) out += " by " + escape_markdown(change.author, kShortBytes);
    out += "\n";
  }
  if (run.changelog.size() > count) {
    out += "- … and " + std::to_string(run.changelog.size() - count) + " more commits\n";
  }
  return out;
}

std::int64_t epoch_ms(Clock::time_point at) {
  return std::chrono::duration_cast<milliseconds>(at.time_since_epoch()).count();
}

// One gantt task line: "    NAME :TAGS, ID, START, END". Names are escaped; the rest is ours.
std::string task(std::string_view name, std::string_view tags, std::string_view id, Clock::time_point start,
                 Clock::time_point end) {
  if (end < start) end = start;
  std::string line = "    " + std::string(name) + " :";
  if (!tags.empty()) line += std::string(tags) + ", ";
  line += std::string(id) + ", " + std::to_string(epoch_ms(start)) + ", " + std::to_string(epoch_ms(end)) + "\n";
  return line;
}

}  // namespace

std::string format_duration(milliseconds duration) {
  const long long ms = std::max<long long>(duration.count(), 0);
  const long long tenths = (ms + 50) / 100;
  char buffer[48];
  if (tenths < 600) {
    std::snprintf(buffer, sizeof buffer, "%lld.%llds", tenths / 10, tenths % 10);
    return buffer;
  }
  const long long seconds = (ms + 500) / 1000;
  if (seconds < 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldm %02llds", seconds / 60, seconds % 60);
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%lldh %02lldm %02llds", seconds / 3600, (seconds / 60) % 60, seconds % 60);
  return buffer;
}

std::string escape_markdown(std::string_view text, std::size_t max_bytes) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const text::Utf8Char c = text::decode_utf8(text, pos);
    if (pos + c.length > max_bytes) {
      out += "…";
      break;
    }
    const char ch = text[pos];
    if (!c.valid) {
      append_replacement(out);
    } else if (c.code_point < 0x20 || c.code_point == 0x7f) {
      out += ' ';  // line breaks and other controls: one line, so a table row stays one row
    } else if (ch == '&') {
      out += "&amp;";
    } else if (ch == '<') {
      out += "&lt;";
    } else if (ch == '>') {
      out += "&gt;";
    } else if (std::string_view("\\`*_[]|~$").find(ch) != std::string_view::npos) {
      out += '\\';
      out += ch;
    } else {
      out.append(text.substr(pos, c.length));
    }
    pos += c.length;
  }
  return out;
}

std::string escape_mermaid(std::string_view text) {
  constexpr std::size_t kMaxBytes = 60;
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size() && out.size() < kMaxBytes) {
    const text::Utf8Char c = text::decode_utf8(text, pos);
    const char ch = text[pos];
    const bool ascii_ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                          std::string_view(" _-.,()/+=@'").find(ch) != std::string_view::npos;
    if (c.code_point >= 0x80 && c.valid) {
      if (out.size() + c.length > kMaxBytes) break;
      out.append(text.substr(pos, c.length));
    } else {
      out += ascii_ok && c.valid ? ch : '_';
    }
    pos += c.length;
  }
  return out;
}

std::string render_mermaid_timeline(const engine::Report& report, Clock::time_point started) {
  if (report.steps.empty() && !report.rollback) return "";
  std::string out = "```mermaid\ngantt\n    dateFormat x\n    axisFormat %H:%M:%S\n    section Stages\n";
  // Every name starts with a number, so no name can begin with a gantt keyword (click, section,
  // title, ...) that the lexer would read first.
  const Clock::time_point first = report.steps.empty() ? report.rollback->started : report.steps.front().started;
  // An unset `started` (the epoch) would stretch the axis over 50 years: no "prepare" then.
  if (started != Clock::time_point{} && started < first) out += task("0 prepare", "done", "s0", started, first);
  int index = 0;
  for (const auto& step : report.steps) {
    ++index;
    std::string name = std::to_string(index) + " " + escape_mermaid(step.stage);
    if (step.traffic) name += " (traffic " + std::to_string(*step.traffic) + ")";
    const std::string_view tags = step.succeeded ? "done" : "crit";
    out += task(name, tags, "s" + std::to_string(index), step.started, step.finished);
  }

  // Rounds are instants: milestones. Past kMaxTimelineRounds only the failed ones are drawn.
  std::vector<const engine::RoundReport*> rounds;
  for (const auto& round : report.rounds) {
    if (report.rounds.size() <= kMaxTimelineRounds || !round.passed) rounds.push_back(&round);
  }
  if (!rounds.empty()) {
    out += "    section Analysis\n";
    int number_of_round = 0;
    for (const auto* round : rounds) {
      ++number_of_round;
      std::string name = std::to_string(round->round) + " ";
      if (round->stage == "baseline") {
        name += "baseline";
      } else if (round->stage == "post_rollback") {
        name += "after rollback";
      } else {
        name += escape_mermaid(round->stage) + (round->traffic ? " " + std::to_string(*round->traffic) : "");
      }
      name += round->passed ? " passed" : " failed";
      out += task(name, round->passed ? "milestone" : "crit, milestone", "r" + std::to_string(number_of_round),
                  round->at, round->at);
    }
  }
  if (report.rollback) {
    out += "    section Rollback\n";
    out += task("rollback", report.rolled_back ? "done" : "crit", "rb", report.rollback->started,
                report.rollback->finished);
  }
  out += "```\n";
  return out;
}

std::string render_markdown(const RunSummary& run) {
  std::string out = title(run);
  if (!run.message.empty()) out += "\n**Outcome:** " + escape_markdown(run.message, kMessageBytes) + "\n";
  out += "\n" + facts_line(run);
  if (const std::string links = links_line(run); !links.empty()) out += "\n" + links;
  out += gates_section(run);
  if (run.report == nullptr) {
    if (run.status == "blocked") out += "\nNo stage ran: the gates above must pass first.\n";
  } else {
    out += stages_section(*run.report);
    out += analysis_section(*run.report);
    out += rollback_section(run, *run.report);
  }
  out += changelog_section(run);
  if (run.report != nullptr) {
    if (const std::string timeline = render_mermaid_timeline(*run.report, run.started); !timeline.empty()) {
      out += "\n### Timeline\n\n" + timeline;
    }
  }
  return out;
}

std::vector<Gate> gates_from(const policy::GateReport& report) {
  std::vector<Gate> gates;
  for (const auto& result : report.results) {
    gates.push_back({result.gate, result.outcome.allowed, result.outcome.reason, result.outcome.message});
  }
  return gates;
}

std::vector<Approver> approvers_from(const policy::ApprovalVerdict& verdict) {
  std::vector<Approver> approvers;
  for (const auto& counted : verdict.counted) {
    approvers.push_back({counted.user, std::string(policy::to_string(counted.source))});
  }
  return approvers;
}

std::vector<Change> changes_from(const release::Release& release) {
  std::vector<Change> changes;
  for (const auto& commit : release.commits) {
    Change change;
    change.sha = commit.sha;
    change.subject = commit.summary.empty() ? std::string(release::summary(commit.message)) : commit.summary;
    change.author = commit.author.name;
    change.pull_request = release::merged_pull_request(commit.message.empty() ? commit.summary : commit.message);
    changes.push_back(std::move(change));
  }
  return changes;
}

}  // namespace deploy::engine
