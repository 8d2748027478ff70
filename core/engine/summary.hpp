// The step summary of a deploy run: the Markdown the action appends to $GITHUB_STEP_SUMMARY.
// Title and outcome, gates and approvers, stages, analysis rounds, the rollback, the changelog and
// a Mermaid timeline. Pure: no I/O, no clock; the caller passes every fact and time.
//
// Everything that came from outside (versions, commit subjects, logins, messages, check output,
// URLs) is escaped where it lands: in Markdown text it cannot open HTML, links, code or emphasis,
// nor break a table row; in the Mermaid block it cannot end a task, start a comment or a
// directive, or close the code fence. Long texts are shortened so the summary stays far below the
// runner's 128 KiB limit (runner::kStepSummaryLimitBytes).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/policy/policy.hpp"
#include "core/release/release.hpp"

namespace deploy::engine {

struct Approver {
  std::string login;
  std::string source;  // "comment" | "review"
};

struct Gate {
  std::string name;
  bool allowed = false;
  std::string reason;   // stable code, e.g. "approvals_missing"
  std::string message;  // for people: what is missing and who could supply it
};

struct Change {
  std::string sha;
  std::string subject;  // the commit's first line
  std::string author;   // name (or login) of the author
  std::optional<std::uint64_t> pull_request;
};

struct RunSummary {
  std::string environment;
  std::string mode = "deploy";  // "deploy" | "rollback"
  std::string version;
  std::string sha;
  std::string previous_version;
  // "succeeded", "failed", "rolled_back", "rollback_failed", "cancelled" (engine::to_string of the
  // report's status) or "blocked" (a gate refused: no stage ran).
  std::string status;
  std::string message;  // the one-line outcome for people
  // Links; each may be empty. Only http(s) URLs become links, anything else is shown as text.
  std::string deployment_url, run_url, environment_url, tracking_issue_url;
  // Who asked deploy-bot for this run and their comment (the action's requested-by and
  // request-url inputs); empty when the run's actor started it.
  std::string requested_by, request_url;
  std::vector<Gate> gates;
  std::vector<Approver> approvers;
  const engine::Report* report = nullptr;  // null when gates blocked the run (no stage ran)
  std::vector<Change> changelog;           // newest first, as release::Release::commits
  std::chrono::system_clock::time_point started, finished;
};

// The whole summary, ending with a newline.
std::string render_markdown(const RunSummary& run);

// A ```mermaid gantt block of the report (stages, analysis rounds, rollback) on a time axis in epoch
// milliseconds (`dateFormat x`), with failed stages and rounds marked `crit`. `started` is when the
// run began (before the gates): the time until the first stage is drawn as "prepare" (not when
// `started` is the epoch, i.e. unset). Empty when there is nothing to draw (no stage and no
// rollback ran).
std::string render_mermaid_timeline(const engine::Report& report, std::chrono::system_clock::time_point started);

// "0.4s", "1.2s", "59.9s", "2m 05s", "1h 02m 05s". Negative durations count as 0.
std::string format_duration(std::chrono::milliseconds duration);

// Text from outside, made safe inside Markdown text and table cells: one line (line breaks and
// other control characters become spaces), `& < >` as entities, `\ ` * _ [ ] | ~ $` backslash-
// escaped, invalid UTF-8 as U+FFFD, shortened to `max_bytes` (at a character boundary, then "…").
std::string escape_markdown(std::string_view text, std::size_t max_bytes = 500);

// Text from outside, made safe as a Mermaid gantt task or section name: only letters, digits,
// UTF-8 characters beyond ASCII and ` _-.,()/+=@'` are kept, anything else (`: ; # % < > { }`, line
// breaks, quotes, backticks, ...) becomes '_'; at most 60 bytes.
std::string escape_mermaid(std::string_view text);

// --- adapters from the decision types, for the caller ---

// One Gate per evaluated gate, in order.
std::vector<Gate> gates_from(const policy::GateReport& report);
// The counted approvers, in event order.
std::vector<Approver> approvers_from(const policy::ApprovalVerdict& verdict);
// The release's commits (newest first) with the pull request each merged, if any.
std::vector<Change> changes_from(const release::Release& release);

}  // namespace deploy::engine
