// The texts the bot shows: the `deploy/approvals` commit status, its reviews of a waiting run and
// the `/status` reply. Pure:
// the facts (deployments, approvals, the time) are gathered by the handler and passed in.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/policy.hpp"

namespace deploy::bot {

inline constexpr std::string_view kApprovalsContext = "deploy/approvals";

struct ApprovalsStatus {
  std::string state;        // "success" or "pending"
  std::string description;  // "1/2 approvals", "2/2 approvals"; "no approvals required" when required is 0
};
ApprovalsStatus approvals_status(int counted, int required);
// With approval rules and rejections: "failure" while a /reject stands ("rejected by alice: ..."),
// else "success" when every rule is met; the description adds the per-rule counts
// ("2/2 approvals; sre 1/1, security 0/1"), at most 140 bytes (GitHub's limit).
ApprovalsStatus approvals_status(int counted, int required, bool met, const std::string& rules,
                                 const std::string& rejected);
// "rejected by alice: breaks billing" for the active rejections; "" when none.
std::string rejection_text(const policy::RejectionVerdict& rejections);

// The review comment on a run waiting for the bot's protection rule, while approvals are missing:
// "1 of 2 approvals for `3333333` so far (alice). Still needed: needs 1 more approval from ...
// Approve with `/approve` on #1."
struct GateProgress {
  std::string sha;
  int required = 0;
  std::vector<std::string> approvers;  // counted, in order
  std::string needed;                  // policy::describe_needed
  std::optional<int> tracking_issue;   // where to comment /approve, when known
};
std::string gate_progress(const GateProgress& progress);

// The review comment when the bot rejects a waiting run: the action's refusal, word for word, and
// its reason code.
std::string gate_rejection(const std::string& reason, const std::string& message);

struct DeploymentRow {
  std::string version;  // as recorded (a tag, or a ref)
  std::string sha;
  std::string state;    // GitHub's latest status: success, failure, inactive, in_progress...
  std::string creator;  // login
  std::chrono::system_clock::time_point created_at;
};

// A lock on an environment (core/github/locks.hpp), as /status and /lock show it.
struct LockRow {
  std::string kind;    // "sticky" (a /lock) or "run" (a deploy or rollback running now)
  std::string holder;  // login
  std::string reason;
  std::string run_url;
  std::chrono::system_clock::time_point since;
  std::optional<std::chrono::system_clock::time_point> until;  // none: until /unlock (sticky)
  bool expired = false;
};
// "- `production`: locked by `@alice` since ... until ...: reason" (one line, no newline).
std::string render_lock(const std::string& environment, const LockRow& lock);

struct EnvironmentStatus {
  std::string name;
  std::optional<DeploymentRow> current;  // the deployment live now (latest success), if any
  std::vector<DeploymentRow> recent;     // newest first
  int required = 0;                      // approvals the environment requires
  std::vector<std::string> approvers;    // counted approvals for the thread's commit (logins)
  std::string needed;                    // policy::describe_needed text; empty when none missing
  std::string rules;                     // policy::describe_rules: per-rule counts; empty without rules
  std::string rejected;                  // rejection_text; empty when nobody rejected
  std::string frozen;                    // the freeze gate's refusal now; empty when not frozen
  bool rollback_open = false;            // a plain /rollback would be inside the window now
  std::vector<LockRow> locks;            // sticky and run locks held now
};

struct StatusReport {
  std::string subject_sha;  // the commit the thread's approvals are for; may be empty
  std::vector<EnvironmentStatus> environments;
  std::chrono::system_clock::time_point now;
  std::size_t recent_limit = 5;  // rows of recent deployments per environment
};

// One Markdown reply: a table (Environment | Deployed now | SHA | Since | By | Approvals |
// Still needed | Rollback) and then the recent deployments per environment. Logins are shown as
// `@login` inside code spans so nobody is notified; versions and SHAs in code spans too.
std::string render_status(const StatusReport& report);

// "2026-11-23 16:04 UTC".
std::string format_utc(std::chrono::system_clock::time_point time);
// "3 h ago", "12 min ago", "2 d ago", "just now".
std::string format_age(std::chrono::system_clock::time_point time, std::chrono::system_clock::time_point now);
// Text safe inside a Markdown code span and a table cell: backticks, pipes and line breaks
// replaced, at most max_bytes.
std::string code_span(std::string_view text, std::size_t max_bytes = 80);

}  // namespace deploy::bot
