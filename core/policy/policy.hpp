// Policy: who may do what, decided from facts. The action and the bot both call these functions, so
// they reach the same verdict for the same facts. Everything here is pure: facts (permissions, team
// memberships, deployment history, the current time) are resolved by the caller at decision time
// and passed in; nothing is read from GitHub, the clock or the environment.
//
// Logins, team names and SHAs are compared case-insensitively (GitHub treats them so).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"
#include "core/result.hpp"
#include "core/semver/semver.hpp"

namespace deploy::policy {

// ---------------------------------------------------------------------------------------------
// Permissions and "who may" lists
// ---------------------------------------------------------------------------------------------

// A repository role, in GitHub's order. `none` is a user with no access.
enum class Permission { none, read, triage, write, maintain, admin };

std::string_view to_string(Permission permission);
// GitHub's role names: "none", "read", "triage", "write", "maintain", "admin".
// Error code: "invalid_permission".
Result<Permission> parse_permission(std::string_view text);

// One entry of a "who may" list (approvers, rollback.allowed): a user (regardless of teams and
// permission: the trusted config named them; remove the login to revoke), the members of a team,
// or anyone with at least a permission. Policy never parses deploy.yml: config parses the entries
// (config::Principal) and core/policy_config.hpp converts them.
struct Principal {
  enum class Kind { user, team, permission };
  Kind kind = Kind::user;
  std::string name;                               // login (user) or "org/slug" (team), no '@'
  Permission min_permission = Permission::write;  // for Kind::permission

  static Principal user(std::string login) { return {Kind::user, std::move(login), Permission::none}; }
  static Principal team(std::string org_slash_slug) {
    return {Kind::team, std::move(org_slash_slug), Permission::none};
  }
  static Principal at_least(Permission p) { return {Kind::permission, {}, p}; }
};

// For people: "alice, @acme/release-managers or anyone with write permission". An empty list is
// described as its default ("anyone with write permission").
std::string describe(const std::vector<Principal>& allowed);

// A person as seen at decision time.
struct Actor {
  std::string login;
  Permission permission = Permission::none;
  std::vector<std::string> teams;  // "org/slug", as resolved at decision time
  bool is_bot = false;
};

// True when is_bot is set or the login ends in "[bot]" (GitHub Apps' logins do).
bool is_bot(std::string_view login, bool is_bot_flag);

// Whether the list admits the actor. An EMPTY list means "anyone with at least write". A list that
// is not empty but matches nobody (for example one naming only bots) admits nobody. Bots are not
// handled here: callers refuse them first, with their own reason code.
bool admits(const std::vector<Principal>& allowed, const Actor& actor);

// ---------------------------------------------------------------------------------------------
// 1. Approval count
// ---------------------------------------------------------------------------------------------

enum class ApprovalSource { comment, review };
std::string_view to_string(ApprovalSource source);

struct ApprovalEvent {
  std::string user;  // login
  ApprovalSource source = ApprovalSource::comment;
  std::string sha;                           // the commit the approval (or cancel) was made for
  Permission permission = Permission::none;  // resolved at decision time
  std::vector<std::string> teams;            // "org/slug", resolved at decision time
  bool is_bot = false;
  bool edited = false;  // the comment was edited after posting; reviews cannot be, leave false
  bool cancel = false;  // `/approve cancel`, or a dismissed review
  std::string id;       // event id or URL, for the audit record
  // `/reject [REASON]` (with cancel: `/reject cancel`). Read from the same comments as approvals and
  // bound to a commit the same way; count_approvals skips them, decide_rejections judges them.
  bool reject = false;
  std::string reason;  // the rejection's reason as typed (cleaned by core/command), may be empty
};

// One approval rule: at least `count` distinct counted approvers whom `from` admits. Every rule of a
// request must hold; one person counts once per rule and may count toward several rules (one member
// of both @acme/sre and @acme/security meets a rule for each). A rule never widens who may approve:
// an approver must first be admitted by the request's `approvers` (no_permission otherwise).
struct ApprovalRule {
  std::string name;             // for people and records; may be empty
  std::vector<Principal> from;  // empty = anyone `approvers` admits
  int count = 1;                // >= 1; less throws std::invalid_argument
};

struct ApprovalRequest {
  int required = 1;                  // >= 0; negative throws std::invalid_argument
  std::vector<Principal> approvers;  // empty = anyone with at least write
  // Every rule must hold. Empty: one rule, `required` approvers from anyone `approvers` admits
  // (deploy.yml's `approvals.required` is that shorthand). When rules are given, `required` is not
  // read: the verdict's required is the largest rule count.
  std::vector<ApprovalRule> rules;
  bool allow_author = false;
  std::string author;                   // the change's author
  std::vector<std::string> committers;  // logins of the change's committers
  std::string triggered_by;             // who triggered the deploy; may be empty
  // Others who set this deploy going, excluded like triggered_by: the workflow's actor when
  // someone else re-ran it (GITHUB_ACTOR vs GITHUB_TRIGGERING_ACTOR), who asked the bot for it.
  std::vector<std::string> also_triggered_by;
  std::string sha;                    // the commit under decision (full SHA)
  std::vector<ApprovalEvent> events;  // chronological
};

struct CountedApproval {
  std::string user;
  Permission permission = Permission::none;
  ApprovalSource source = ApprovalSource::comment;
  std::string event_id;
};

// Reason codes for events that do not count. When several apply, the FIRST in this order is
// reported: from what the person cannot change (who they are, their permission) to what a new
// /approve fixes (the commit, the edit) to how events combine (duplicates, withdrawals).
//   cancel                   the event is itself a cancel; never an approval
//   bot_cannot_approve       is_bot, or the login ends in "[bot]"; even when listed
//   author_cannot_approve    the change's author (unless allow_author)
//   committer_cannot_approve a committer of the change; treated like the author because a
//                            committer wrote part of the change (unless allow_author)
//   triggerer_cannot_approve the person who triggered the deploy (always, even with allow_author)
//   no_permission            not admitted by the approvers list at decision time
//   stale_sha                made for another commit; a push invalidates approvals
//   edited                   an edited comment (its text may have become "/approve" later)
//   duplicate                that person already has a counted approval for this SHA
//   cancelled                withdrawn by a later cancel of the same person for the same SHA
//
// Cancels, precisely: walking the events in order, a cancel whose sha is the SHA under decision
// withdraws every earlier approval of the same person (case-insensitive login) that was counted or
// was a `duplicate`; those become `cancelled`. Approvals refused for any other reason keep that
// reason. A later /approve by that person after the cancel counts again. A cancel for another SHA
// withdraws nothing here. A cancel is honoured even when edited or from a bot: withdrawing can only
// lower the count, so it fails safe.
struct RejectedApproval {
  ApprovalEvent event;
  std::string reason;
  std::string message;  // for people, e.g. "alice wrote the change; authors cannot approve ..."
};

// One rule's count: the counted approvers it admits, each once.
struct RuleCount {
  std::string name;                    // the rule's name; "" for the one rule of `required`
  std::string from;                    // describe(rule.from), or describe(approvers) when it is empty
  int required = 0;                    // the rule's count
  std::vector<std::string> approvers;  // counted approvers it admits, in event order
  int missing = 0;                     // max(0, required - approvers)
  bool met = false;
};

struct ApprovalVerdict {
  std::vector<CountedApproval> counted;       // in event order
  std::vector<RejectedApproval> not_counted;  // in event order
  // One per rule in request order; the single rule of `required` when request.rules is empty.
  std::vector<RuleCount> rules;
  int required = 0;  // without rules: request.required; with rules: the largest rule count
  bool met = false;  // every rule met (without rules: counted >= required)
  int missing = 0;   // the most any one rule misses: at least this many more approvers are needed
  // allowed=met; reason "approvals_met" or "approvals_missing"; the message names exactly who
  // approved (never claims more than counted) and, when missing, who could still approve.
  Outcome outcome;
};

ApprovalVerdict count_approvals(const ApprovalRequest& request);

// The per-rule counts for people and status texts: "sre 1/1, security 0/1, total 1/2" (a rule
// without a name is shown as its `from`). Empty when the request had no rules (n/N says it all).
std::string describe_rules(const ApprovalVerdict& verdict);

// Who could still supply the missing approvals, for people: "needs 1 more approval from
// @acme/release-managers or anyone with write permission, other than alice (author)". The excluded
// people are the author and committers (unless allow_author), the triggerer and those already
// counted. With rules, one such clause per unmet rule, named ("rule security: needs 1 more ...").
// Empty when nothing is missing.
std::string describe_needed(const ApprovalRequest& request, const ApprovalVerdict& verdict);

// ---------------------------------------------------------------------------------------------
// 1b. Rejections (/reject [REASON], /reject cancel)
// ---------------------------------------------------------------------------------------------

struct Rejection {
  std::string user;
  std::string reason;  // may be empty
  std::string id;      // the comment's id or URL
};

struct RejectionVerdict {
  std::vector<Rejection> active;            // in event order, one per person (their latest)
  std::vector<RejectedApproval> not_heard;  // reject events that block nothing, with the reason why
  // allowed when no rejection is active: "not_rejected"; else "rejected", naming who and why and
  // how to withdraw it.
  Outcome outcome;
};

// Who blocks the commit `sha`. Only events with `reject` set are read, in order. A /reject blocks
// when made for `sha` by someone `approvers` admits (empty: anyone with write), who is not a bot;
// a person's later /reject replaces their earlier one's reason. `/reject cancel` withdraws that
// person's rejection only: nobody can withdraw someone else's. Blocking fails safe, so an edited
// /reject still blocks, while an edited `/reject cancel` withdraws nothing (its text may have been
// changed by another). Reasons in not_heard: bot_cannot_reject, no_permission, stale_sha, edited
// (a cancel), nothing_to_cancel.
RejectionVerdict decide_rejections(const std::vector<ApprovalEvent>& events, const std::vector<Principal>& approvers,
                                   const std::string& sha);

// ---------------------------------------------------------------------------------------------
// 2. Rollback
// ---------------------------------------------------------------------------------------------

// A deployment's latest status. GitHub marks earlier successful deployments `inactive` when a newer
// one succeeds, so `success` and `inactive` both mean "went live"; failure, error and in_progress
// never did.
enum class DeploymentState { success, failure, error, inactive, in_progress };
std::string_view to_string(DeploymentState state);

struct DeploymentRecord {
  std::string version;  // as recorded: "v1.2.3" or "1.2.3"; may be non-semver (a branch deploy)
  std::string sha;
  DeploymentState state = DeploymentState::in_progress;
  std::chrono::system_clock::time_point created_at;
  std::int64_t id = 0;
};

enum class OutsideWindow { deny, require_approval };

struct RollbackPolicy {
  std::chrono::seconds window{0};  // 0 = no window; negative throws std::invalid_argument
  std::vector<Principal> allowed;  // empty = anyone with at least write
  OutsideWindow outside_window = OutsideWindow::deny;
};

struct RollbackRequest {
  Actor user;
  std::string environment;
  std::optional<semver::Version> version;  // empty: the last good version before the current one
  std::vector<DeploymentRecord> history;   // this environment's deployments, any order
  std::chrono::system_clock::time_point now;
  RollbackPolicy policy;
};

struct RollbackTarget {
  semver::Version version;
  std::string sha;
  std::int64_t deployment_id = 0;
};

// The current deployment is the most recent (created_at, then id) deployment in state `success`;
// it is derived from the history so that no second source of truth can disagree with it.
//
// The window measures time since the CURRENT deployment's created_at ("you can roll back within
// 24h of a release"): allowed while now - created_at <= window, refused one second later. The
// deployment's created_at is a little before it went live, so the window closes early rather than
// late.
//
// Reason codes, checked in this order:
//   bot_cannot_rollback      the user is a bot, unless `allowed` names that bot by login (the
//                            deploy-bot that dispatched a /rollback after checking who asked)
//   no_permission            not admitted by policy.allowed
//   nothing_deployed         no deployment in state success: nothing to roll back from
//   version_never_deployed   the requested version never went live here (no success/inactive
//                            deployment of it); `/rollback v9.9.9`
//   already_current          the requested version (or its commit) is what runs now
//   no_previous_version      no version given and no older version went live before the current
//                            one (see "the default target" below); name a version instead
//   outside_rollback_window  outside the window; with require_approval, needs_approval is set and
//                            the outcome is still a refusal until the approval flow allows it
//   rollback_allowed
// The default target ("no version given") is the last version that went live BEFORE the current
// one and is older than it, never a newer one. Walking back in time from the current deployment,
// it is the first deployment that
//   - went live (success or inactive; failed, errored and in-progress ones are skipped),
//   - has a semver version (a rollback target must parse as semver; branch deploys are skipped),
//   - is not the current commit, and
//   - when the current version is semver: has a LOWER precedence than it. Deployments of the same
//     or a newer version are skipped, so a second /rollback in a row goes further back (v1.0 ->
//     v1.1 -> /rollback to v1.0 -> /rollback goes below v1.0, or is no_previous_version), never
//     forward to the version just rolled away from.
// When the current version is not semver (a branch deploy, "main-1a2b3c4"), versions cannot be
// compared with it: time order alone decides, the most recent such deployment before it.
// An explicit version names the most recent deployment of exactly that version (build metadata
// included) that went live, older or newer than the current: going forward on purpose is allowed.
struct RollbackDecision {
  Outcome outcome;
  std::optional<DeploymentRecord> current;  // set once found
  std::optional<RollbackTarget> target;     // set once resolved, also when refused by the window
  bool needs_approval = false;
};

RollbackDecision decide_rollback(const RollbackRequest& request);

// One rollback at a time per environment: a second /rollback while a deploy or rollback of the
// environment is queued or running would race it (two runs switching the same traffic), so it is
// refused and pointed at the run instead.
struct RunInFlight {
  enum class Kind { deploy, rollback };
  // queued, in_progress: GitHub says so. unknown: a dispatch whose run GitHub did not name (or
  // whose outcome was lost); it may be starting.
  enum class State { queued, in_progress, completed, unknown };
  Kind kind = Kind::deploy;
  State state = State::queued;
  std::string url;  // where people can follow it (the run, else the deployment); may be empty
  std::chrono::system_clock::time_point since;  // when it was dispatched or last changed state
};
std::string_view to_string(RunInFlight::Kind kind);

// A run stops counting once it is older than this without a change: GitHub cancels a job after
// 6 hours (the default timeout-minutes), so a deployment left in_progress longer was abandoned
// (a crashed runner) and must not block rollbacks for ever.
inline constexpr std::chrono::hours kMaxRunTime{6};
// A dispatch GitHub did not name a run for counts this long: long enough for its run to start
// and create its deployment, which then counts by itself.
inline constexpr std::chrono::minutes kUnnamedDispatchTime{10};

// Whether a /rollback may start now. Reason codes, the first that applies:
//   rollback_in_progress  a rollback of the environment is queued or running
//   deploy_in_progress    a deploy of the environment is queued or running
//   no_run_in_progress    allowed
// Completed runs, and runs past kMaxRunTime (unknown ones past kUnnamedDispatchTime) since
// `since`, do not count. The message names the run's URL when known.
Outcome decide_rollback_start(const std::string& environment, const std::vector<RunInFlight>& runs,
                              std::chrono::system_clock::time_point now);

// ---------------------------------------------------------------------------------------------
// 3. Gates as a list
// ---------------------------------------------------------------------------------------------

struct GateResult {
  std::string gate;
  Outcome outcome;
};

struct Gate {
  std::string name;
  std::function<Outcome()> check;
};

struct GateReport {
  std::vector<GateResult> results;  // one per gate, in order; every gate is evaluated
  bool allowed = true;              // all allowed; an empty list allows (nothing to check)
};

// A gate that throws a std::exception is recorded as refused with reason "gate_error" and the
// exception's text, and the remaining gates still run: a broken gate never passes.
GateReport evaluate_gates(const std::vector<Gate>& gates);

// --- reviewed changes ---

enum class ReviewState { approved, changes_requested, commented, dismissed };

struct Review {
  std::string user;
  ReviewState state = ReviewState::commented;
  std::string commit_id;  // the commit the review was submitted on
  bool is_bot = false;
};

struct PullRequest {
  int number = 0;
  std::string author;
  std::string head_sha;         // the PR's last commit; approvals of older commits do not count
  std::vector<Review> reviews;  // in the order submitted
};

struct ReleaseChanges {
  std::vector<PullRequest> pulls;           // PRs merged in the release
  std::vector<std::string> direct_commits;  // commits in the release that belong to no PR
};

struct PullRequestResult {
  int number = 0;
  std::vector<std::string> approvers;  // counted approving reviewers, in first-review order
  Outcome outcome;                     // "change_reviewed" or "unreviewed_change"
};

struct ReviewedChangesResult {
  std::vector<PullRequestResult> pulls;
  Outcome outcome;  // "changes_reviewed" or "unreviewed_change" listing PR numbers and commits
};

// Each PR needs at least `required` distinct approving reviewers, other than its author and not
// bots. A reviewer's latest review that is not COMMENTED decides: a later CHANGES_REQUESTED
// cancels an earlier APPROVED, and DISMISSED removes the reviewer's standing. The deciding
// APPROVED review must be on the PR's head_sha (an empty head_sha matches nothing). A commit
// pushed without a PR is never reviewed, so any direct commit refuses the gate. required <= 0
// passes every PR (direct commits still refuse).
ReviewedChangesResult check_reviewed_changes(const ReleaseChanges& changes, int required);

// --- required checks ---

enum class CheckState { success, failure, pending, error, neutral, skipped };

struct CheckObservation {
  std::string name;
  CheckState state = CheckState::pending;
};

struct RequiredChecksResult {
  std::vector<std::string> failed;   // failure or error
  std::vector<std::string> missing;  // never reported
  std::vector<std::string> pending;
  // "checks_passed", or the first that applies of "check_failed", "check_missing",
  // "check_pending"; the message lists every problem.
  Outcome outcome;
};

// A commit status's state ("success", "failure", "error", "pending") as a CheckState.
CheckState check_state_of_status(std::string_view state);
// A check run's status and conclusion as branch protection reads them: success, neutral and
// skipped pass; failure, cancelled, timed_out, action_required and stale fail; a run that is not
// completed (queued, in_progress, waiting, requested, pending) is pending; an unknown conclusion
// fails (a gate never passes on a state it does not understand).
CheckState check_state_of_run(std::string_view status, std::string_view conclusion);

// Every required check must have succeeded; neutral and skipped count as success, as on GitHub.
// Names match exactly (case-sensitive, as GitHub's required status checks). When a name is observed
// more than once (re-runs), the LAST observation in the list is the current one.
RequiredChecksResult check_required_checks(const std::vector<std::string>& required,
                                           const std::vector<CheckObservation>& observed);

// ---------------------------------------------------------------------------------------------
// 4. The action's run: what a rollback's gate is, what unmet gates mean, how a deployment ends
// ---------------------------------------------------------------------------------------------

// The rollback gate of a deploy-action rollback run, from decide_rollback for the release's version.
struct RollbackGate {
  Outcome outcome;
  bool skip_approvals = false;  // the rollback policy admits it: the approvals gate is left out
};

// approvals_required: the environment's approvals.required. tag, sha: the release's tag and the
// commit it points at now. Reason codes, the last that applies:
//   the decision's own        allowed: skip_approvals; refused: the refusal
//   rollback_needs_approvals  allowed: outside the window with outside_window: require_approval,
//                             and the environment requires approvals, which decide instead
//   tag_moved                 refused: the tag points at another commit than the one that went
//                             live here; a version is bound by commit, not by name
RollbackGate decide_rollback_gate(const RollbackDecision& decision, int approvals_required, const std::string& tag,
                                  const std::string& sha);

// What a run whose gates are not met ends as. A gate GitHub could not answer is an error, never
// a refusal to skip quietly; otherwise on-unapproved: skip skips and anything else blocks.
enum class UnmetGates { blocked, skipped, error };
std::string_view to_string(UnmetGates unmet);  // "blocked", "skipped", "error"
UnmetGates when_gates_unmet(bool skip_when_unapproved, bool gate_error);

// The final state of a run's deployment: success when the release went live; error when the run
// was cancelled; failure otherwise (failed or rolled back: this deployment is not live).
DeploymentState final_deployment_state(bool went_live, bool cancelled);

}  // namespace deploy::policy
