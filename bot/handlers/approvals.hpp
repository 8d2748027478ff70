// Approvals of one commit, as the bot keeps them: events recorded in the store per thread
// (pull request, tracking issue, or 0 for commit comments), counted by core/policy with every
// person's permission and teams resolved again now (decision time). Then the effects of a count:
// the `deploy/approvals` commit status, and on a release the deploy it unlocks (approving the
// waiting protection rule, or dispatching the deploy workflow), each exactly once.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/handlers/context.hpp"
#include "core/policy/freeze.hpp"
#include "core/policy/policy.hpp"
#include "core/requester/requester.hpp"

namespace deploy::bot::handlers {

// Who and what the count is about. Who may not approve (the author and committers of the change,
// who started the run) is read by core/github_facts, as the action reads it, and judged by
// core/policy: the bot never counts an approval the action would refuse.
struct Subject {
  std::int64_t number = 0;  // pull request or tracking issue; 0 = commit comments only
  bool tracking_issue = false;
  std::string sha;     // full, lowercase
  std::string tag;     // tracking issues: the release tag
  std::string author;  // the change's author (pull requests), may be empty
  // Who started the run the count is for (a run waiting on the protection rule): they may not
  // approve it, as the action in that run decides (github::run_starters).
  std::vector<std::string> started_by;
};

struct Count {
  policy::ApprovalRequest request;  // its events hold the rejections too (event.reject)
  policy::ApprovalVerdict verdict;
  policy::RejectionVerdict rejections;  // /reject of the commit, as the action's rejection gate judges it
  // The environment's freeze windows now, as the action's freeze gate judges them without an
  // override reason (the bot never overrides a freeze); nullopt when it has none.
  std::optional<policy::FreezeVerdict> freeze;

  bool rejected() const { return !rejections.outcome.allowed; }
  bool frozen() const { return freeze && !freeze->outcome.allowed; }
  // What would stop the action now, other than approvals: the rejection, else the freeze.
  std::optional<Outcome> blocked() const;
};

Count count_approvals(Context& context, const Subject& subject, const config::Environment& environment);

// Sets `deploy/approvals` on subject.sha from the count (once per delivery and state).
void set_approvals_status(Context& context, const Subject& subject, const Count& count);

// A custom protection rule waiting for this commit and environment (recorded when GitHub asked).
struct WaitingGate {
  std::int64_t run_id = 0;
  std::string environment;
  std::string sha;
  std::string settled;                  // "" while waiting; "approved" or "rejected" once the bot reviewed it
  std::string why;                      // the review's comment, once settled
  std::vector<std::string> started_by;  // github::run_starters of the run
};
void remember_gate(Context& context, const WaitingGate& gate);
std::optional<WaitingGate> waiting_gate(Context& context, const std::string& sha, const std::string& environment);

// A workflow run the bot dispatched from a tracking issue (remembered for workflow_run.completed).
struct DispatchedRun {
  int issue = 0;
  std::string version;
  std::string environment;
  std::string mode;  // "deploy" or "rollback"
};
void remember_run(Context& context, std::int64_t run_id, const DispatchedRun& run);
std::optional<DispatchedRun> dispatched_run(Context& context, std::int64_t run_id);

// The runs the bot dispatched for an environment (deploys and rollbacks), for "one rollback at a
// time": github::runs_in_flight asks GitHub whether each is still queued or running. Entries older
// than policy::kMaxRunTime are dropped.
// `by` is the effect key of the dispatch: a retried delivery whose dispatch already happened finds
// it with dispatched_by (and must not refuse itself as "already in progress").
void remember_in_flight(Context& context, const std::string& environment, const github::DispatchedRunRef& run,
                        const std::string& by);
std::vector<github::DispatchedRunRef> dispatched_in_flight(Context& context, const std::string& environment);
bool dispatched_by(Context& context, const std::string& environment, const std::string& by);

// A run the bot dispatched (a deploy or a rollback, by run.mode), whether the dispatch's answer came
// back or the run was found after a lost answer: remembered for workflow_run events when a thread
// asked for it (run.issue != 0), and as in flight for run.environment, dispatched by `effect_key`.
void remember_dispatch(Context& context, const DispatchedRun& run, std::int64_t run_id, const std::string& url,
                       const std::string& effect_key);

// Approves the waiting run (at the count). A run GitHub already settled counts as approved.
void approve_gate(Context& context, const WaitingGate& gate, const Count& count);
// Rejects the waiting run, saying why (`refusal`: the action's reason code and text). Shares
// approve_gate's effect key: a gate is settled once, whichever comes first.
void reject_gate(Context& context, const WaitingGate& gate, const Outcome& refusal);
// While the count is not met: a review comment on the waiting run (no state, so it keeps waiting)
// with n of N and who may still approve (policy::describe_needed, as the action says it). Once per
// run and set of counted approvals: each approval that changes the count posts one update.
void report_gate_progress(Context& context, const WaitingGate& gate, const Subject& subject, const Count& count);
// While something other than approvals would stop the action (a freeze): a review comment without a
// state saying why, once per run and reason.
void report_gate_blocked(Context& context, const WaitingGate& gate, const Outcome& blocked);

// Dispatches config.bot.workflow on `ref` with `inputs`, plus the inputs `requested-by` and
// `request-url` naming the person whose comment made the bot do it (the run's actor is the bot;
// deploy-action records them next to it). A workflow written before those inputs existed does not
// declare them, and GitHub then refuses the whole dispatch (422 "Unexpected inputs provided"): it
// is dispatched again without them, so such a workflow keeps working, and the log says why its
// record will not name who asked. Not idempotent, like the dispatch itself: call it inside once().
// Why a dispatch is reported unconfirmed (in replies and the audit trail), one sentence.
inline constexpr const char* kDispatchUnconfirmed =
    "GitHub did not answer the workflow dispatch request, so whether a run started is unknown.";
//
// Every dispatch also carries the input `dispatch-id`, the same on every try of one effect
// (`effect_key`), and the bot remembers when it sent it: a workflow whose run-name shows that input
// (examples/workflows/deploy.yml) lets find_dispatched_run() find the run a try whose answer was
// lost created. A workflow that does not declare it is dispatched without it (as above), and such
// a lost answer stays unknown.
github::WorkflowDispatchResult dispatch_workflow(Context& context, const config::Config& config, const std::string& ref,
                                                 const std::map<std::string, std::string>& inputs,
                                                 const requester::Requester& asked_by, const std::string& effect_key);

// How long after a dispatch GitHub may take to list the run it created: a look-up sooner than this
// after the send waits out the rest before it says "not found".
inline constexpr std::chrono::seconds kDispatchVisibility{10};

// Looks for the run an earlier try of the dispatch `effect_key` created: the workflow's
// workflow_dispatch runs created since that try was sent (with a margin for clock skew), every page,
// whose display title (run-name) or name carries its dispatch-id. found: result is
// {"run_url","run_id"}, as the dispatch effects record; not_found: nothing was sent, or nothing
// turned up after kDispatchVisibility; cannot_tell: that try went without a dispatch-id.
Lookup find_dispatched_run(Context& context, const config::Config& config, const std::string& effect_key);

// The one way the bot starts a run: config.bot.workflow dispatched on `ref` with `inputs` exactly
// once per `effect_key` (Repeat::at_most_once): sent by dispatch_workflow, or, after a lost answer,
// found by find_dispatched_run; remembered either way (remember_dispatch). Returns the run's URL
// ("" when GitHub did not say it), or nullopt when whether a run started cannot be told.
std::optional<std::string> dispatch_once(Context& context, const config::Config& config, const std::string& ref,
                                         const std::map<std::string, std::string>& inputs,
                                         const requester::Requester& asked_by, const DispatchedRun& run,
                                         const std::string& effect_key);

// On a release whose count is met: approves the waiting protection rule, or dispatches the deploy
// workflow (mode deploy, version = tag), exactly once per commit and environment. Returns the
// sentence to tell people ("" when nothing was done now; when GitHub never answered the dispatch,
// that whether it started is unknown). `completed_by` is the person whose
// approval completed the count, and their comment: the bot's record names them as its actor, and
// the dispatched run gets them as requested-by and request-url (that approval is what set the
// deploy going; the approvals themselves are re-counted and recorded by the run).
// Not started while the count is blocked (rejected, frozen) or the environment's sticky lock would
// make the action refuse the run: `refused` then holds the reason code, and a later start has its
// own sentence.
struct ReleaseStart {
  std::string said;
  std::string refused;  // reason code when nothing was started because of a refusal
};
ReleaseStart start_release_deploy(Context& context, const Subject& subject, const config::Config& config,
                                  const config::Environment& environment, const Count& count,
                                  const requester::Requester& completed_by);

// Audit record of a count: every event with its verdict.
audit::Record approval_record(const Subject& subject, const config::Environment& environment, const Count& count,
                              const std::string& actor);

}  // namespace deploy::bot::handlers
