// The deploy run's audit record (core/audit): what was released where, by whom, which gates
// passed with which approvals, every stage and analysis result, and the outcome. Sealed into the
// environment's chain and written as one JSON line to $RUNNER_TEMP/deploy-audit/, named so that a
// directory of downloaded records sorts in chain order.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/audit.hpp"
#include "core/deploy_engine.hpp"
#include "core/policy.hpp"
#include "core/requester.hpp"
#include "core/result.hpp"

namespace deploy::action {

struct RunFacts {
  audit::Kind kind = audit::Kind::deploy;
  std::string repository;
  std::string environment;
  std::string actor;
  requester::Requester requester;  // who asked deploy-bot for this run (empty: the actor did)
  std::string trigger;       // GITHUB_EVENT_NAME
  std::string version;       // tag or branch version
  std::string sha;
  std::string previous_version;
  std::string previous_sha;
  std::string run_id;
  std::string run_attempt;
  std::string run_url;
  std::string deployment_id;
  std::string reason;        // rollback reason, as given
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
};

// status/reason/message: the run's outcome (engine status, or "refused" when a gate stopped it).
audit::Record make_record(const RunFacts& facts, const policy::GateReport& gates,
                          const std::optional<policy::ApprovalVerdict>& approvals, const engine::Report* report,
                          audit::Status status, const std::string& reason, const std::string& message);

// The engine's outcome as an audit status.
audit::Status audit_status(engine::Status status);

struct WrittenRecord {
  std::filesystem::path file;
  std::string hash;
  std::uint64_t seq = 0;
  std::string line;  // the sealed record as written: canonical JSON and "\n"
};

// Seals `record` after (prev_hash, seq - 1) and writes it to DIR/ENVIRONMENT-SEQ.jsonl (SEQ zero
// padded). Error codes: those of audit::seal, "write_failed".
Result<WrittenRecord> write_record(const audit::Record& record, const std::filesystem::path& dir,
                                   const std::string& prev_hash, std::uint64_t seq,
                                   std::optional<std::string_view> key);

}  // namespace deploy::action
