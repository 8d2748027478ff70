// The record of one deploy or rollback run: what each step found, in the order the steps run.
// A step is a function from the record so far (and the services it uses) to its own section;
// the run appends the section once (append) and never changes it after, so every later step and
// every reporter (audit record, outputs, summary, notifications) reads the same facts. A section
// left empty is a step that has not run: the run stopped before it, or it does not apply.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "action/deploy_inputs.hpp"
#include "action/release_gates.hpp"
#include "action/run_status.hpp"
#include "core/config/config.hpp"
#include "core/engine/engine.hpp"
#include "core/github/facts.hpp"
#include "core/plan/plan.hpp"
#include "core/policy/locks.hpp"
#include "core/policy/policy.hpp"
#include "core/release/release.hpp"

namespace deploy::action {

// Stops the run early with a clear message; thrown by a step, caught once, by the run.
struct Stop {
  RunStatus status = RunStatus::error;
  std::string message;  // for people: what is wrong and what to do
  std::string reason;   // the refusal's reason code for the audit record, when a decision refused
};

// ---- the sections, in the order the steps fill them ----

struct ConfigLoaded {  // load_config
  config::Config config;
  config::Environment environment;  // the run's environment, from config
  std::string audit_key;            // the signing key's value; empty: records are not signed
};

struct Connected {             // connect
  std::string default_branch;  // the input's, else the repository's
};

struct LockTaken {                     // take_environment_lock
  Outcome outcome;                     // policy::decide_run_lock's verdict
  std::optional<policy::Lock> sticky;  // the sticky lock seen, if any
  bool held = false;                   // this run holds the run lock (false: the token could not take it)
};

struct History {                                    // read_history
  std::vector<github::DeploymentSeen> deployments;  // newest first
  std::optional<github::DeploymentSeen> current;    // the newest that went live: what runs now
  std::optional<github::AuditLink> chain_head;      // the newest record of the environment's chain
};

struct ReleaseResolved {  // resolve_release
  std::string ref;        // the input ref, or for a rollback the target's tag
  release::Release release;
};

struct DeploymentStarted {  // start_deployment
  std::int64_t id = 0;
};

struct RunRecord {
  DeployInputs inputs;
  RunMode mode = RunMode::deploy;
  std::chrono::system_clock::time_point started;

  std::optional<ConfigLoaded> config;
  std::optional<Connected> connected;
  std::optional<LockTaken> lock;  // take_environment_lock
  std::optional<History> history;
  std::optional<ReleaseResolved> release;
  std::optional<plan::Plan> plan;                       // make_plan
  std::optional<policy::RollbackGate> rollback_gate;    // decide_rollback_gate (rollbacks only)
  std::optional<github::TrackingIssue> tracking_issue;  // open_tracking_issue (when approvals are asked)
  std::optional<GateResults> gates;                     // evaluate_gates
  std::optional<DeploymentStarted> deployment;          // start_deployment
  std::optional<engine::Report> engine;                 // run_engine
};

// Fills a section once: a step that would fill it twice is a bug in the run's order.
template <class T>
void append(std::optional<T>& section, T found) {
  if (section) throw std::logic_error("a step of the run filled its section twice");
  section.emplace(std::move(found));
}

// ---- facts derived from the record, each computed here only ----

// The version released: the tag, or the branch version; before the release is resolved, the
// version input (a rollback's target as asked).
std::string version_text(const RunRecord& record);
// What a failed deploy returns to: the version live now (for a tag release without a deployment
// history, the previous release tag).
std::string previous_version(const RunRecord& record);
std::string release_sha(const RunRecord& record);         // empty before the release is resolved
std::string deployment_id(const RunRecord& record);       // empty before the deployment is created
std::string tracking_issue_url(const RunRecord& record);  // empty without a tracking issue
// The gates' results; empty (allowed, nothing checked) before they are evaluated.
const GateResults& gate_results(const RunRecord& record);
// The first gate that refused; a generic refusal when none did.
Outcome first_refusal(const GateResults& gates);
// The environment's audit chain: the seq this run's record takes and the hash it links to.
std::uint64_t chain_next_seq(const RunRecord& record);
std::string chain_prev_hash(const RunRecord& record);

}  // namespace deploy::action
