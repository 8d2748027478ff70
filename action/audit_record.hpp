// The deploy run's audit record (core/audit): what was released where, by whom, which gates
// passed with which approvals, every stage and analysis result, and the outcome. Sealed into the
// environment's chain and written as one JSON line to $RUNNER_TEMP/deploy-audit/, named so that a
// directory of downloaded records sorts in chain order.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "action/run_record.hpp"
#include "core/audit/audit.hpp"
#include "core/engine/engine.hpp"
#include "core/result.hpp"

namespace deploy::action {

// The run's audit record, from what its steps found. status/reason/message: the run's outcome
// (engine status, or refused/cancelled when it stopped before deploying); finished: when.
audit::Record make_record(const RunRecord& run, audit::Status status, const std::string& reason,
                          const std::string& message, std::chrono::system_clock::time_point finished);

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

// write_record for a run: DIR/ENVIRONMENT-SEQ.jsonl after the environment's chain head (the
// genesis when it has none), signed with the config's signing key when set.
Result<WrittenRecord> write_run_record(const RunRecord& run, const audit::Record& record,
                                       const std::filesystem::path& dir);

// $RUNNER_TEMP/deploy-audit when RUNNER_TEMP is there. A container action does not see it (the
// runner mounts only the workspace and a few subfolders of its temp), so there the record goes to
// the workspace, which the job's later steps (upload-artifact) see.
std::filesystem::path audit_dir(const DeployInputs& in);

// The `audit-file` output: relative to the workspace when inside it, as later steps resolve it.
std::string audit_file_output(const DeployInputs& in, const std::filesystem::path& file);

}  // namespace deploy::action
