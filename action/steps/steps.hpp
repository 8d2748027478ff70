// The steps of a deploy or rollback run, in the order action/deploy_command.cpp runs them, each
// in a file of its own named for it. A step reads the record so far and returns what it found;
// it throws Stop when the run cannot go on (its status and message say why).
#pragma once

#include <memory>

#include "action/cancellation.hpp"
#include "action/github_deployment.hpp"
#include "action/run_lock.hpp"
#include "action/run_record.hpp"
#include "action/run_report.hpp"
#include "action/run_services.hpp"
#include "core/clock.hpp"
#include "core/runner/commands.hpp"

namespace deploy::action {

// load_config.cpp: deploy.yml and the run's environment; masks the signing key and webhook URLs.
ConfigLoaded load_config(const RunRecord& record, const runner::Environment& env, RunLog& log);

// connect.cpp: the GitHub client, and the default branch when the event did not name it.
Connection connect(const RunRecord& record, Clock& clock, const RandomSource& random, const RunLog& log);
Connected find_default_branch(const RunRecord& record, const Connection& github);

// environment_lock.cpp: the environment's locks read and judged (policy::decide_run_lock); when the
// run may go on, its run lock taken and handed to `held` (released when that is destroyed). A
// refusal is returned (outcome not allowed), for the run to stop with.
LockTaken take_environment_lock(const RunRecord& record, const Connection& github, const Clock& clock,
                                const RunLog& log, std::unique_ptr<RunLock>& held);

// read_history.cpp: the environment's deployments, the one live now and the audit chain's head.
History read_history(const RunRecord& record, const Connection& github);

// resolve_release.cpp: the ref (a rollback's target tag) and the release it names, checked out.
ReleaseResolved resolve_release(const RunRecord& record, const Connection& github, const Clock& clock);

// make_plan.cpp: the stages to run (a rollback's own short plan).
plan::Plan make_plan(const RunRecord& record);

// rollback_gate.cpp: whether the rollback policy admits this rollback (rollbacks only).
policy::RollbackGate decide_rollback_gate(const RunRecord& record, const Connection& github, const Clock& clock);
// The request core/policy decides a rollback on; `version` empty: the last good one.
policy::RollbackRequest rollback_request(const RunRecord& record, const Connection& github, const Clock& clock,
                                         const std::optional<semver::Version>& version);

// tracking_issue.cpp: the release's tracking issue, when approvals are asked for a tag.
std::optional<github::TrackingIssue> open_tracking_issue(const RunRecord& record, const Connection& github,
                                                         const RunLog& log);

// gates.cpp: every gate, the rollback gate first; printed as they are.
GateResults evaluate_gates(const RunRecord& record, const Connection& github, const Clock& clock, const RunLog& log);

// deploy.cpp: the GitHub deployment (in_progress), then the engine's run of the plan.
std::unique_ptr<GithubDeployment> start_deployment(const RunRecord& record, const Connection& github,
                                                   const RunLog& log);
engine::Report run_engine(const RunRecord& record, const Connection& github, Clock& clock, const RandomSource& random,
                          RunLog& log, const CancellationGuard& cancel);

// The three ways a run ends, each returning the exit code: gates not met (blocked.cpp), deployed
// or failed (finish.cpp), stopped early (stopped.cpp). They write the audit record, set the
// deployment's final status and report through `report`.
struct RunEnding {
  const RunRecord& record;
  const Connection* github;      // nullptr when the run stopped before connecting
  GithubDeployment* deployment;  // nullptr before start_deployment
  const Clock& clock;
  const RunLog& log;
  RunReport& report;
};
int end_blocked(const RunEnding& end);
// refused_record.cpp: the record of a run refused (or cancelled) before deploying, in
// AUDIT_DIR/refused; returns the audit-file output, empty when it could not be written.
std::string record_refusal(const RunEnding& end, RunStatus status, const std::string& message,
                           const std::string& refusal_reason);
int end_deployed(const RunEnding& end);
int end_stopped(const RunEnding& end, const Stop& stop);

}  // namespace deploy::action
