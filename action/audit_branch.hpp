// The audit branch: a branch of the repository (deploy.yml audit.branch) that keeps every deploy
// run's sealed record, one commit per record, as records/ENVIRONMENT/SEQ-HASH.json. Workflow
// artifacts expire (90 days at most on public repositories); the branch lasts as long as the
// repository. Written through the Git Data API (blob, tree, commit, then the ref), so the action
// needs no checkout of it and `contents: write` only. The ref only ever moves forward: created on
// first use, then fast-forwarded, never forced; a run that loses a race with another appending run
// (422 "not a fast forward") reads the new tip and appends on top of it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/result.hpp"

namespace deploy::action {

// records/ENVIRONMENT/SEQ-HASH.json: SEQ zero-padded to 6 digits so a listing sorts in chain order;
// characters a path should not hold in ENVIRONMENT become '_'.
std::string audit_branch_path(const std::string& environment, std::uint64_t seq, const std::string& hash);

struct AuditBranchRecord {
  std::string environment;
  std::uint64_t seq = 0;
  std::string hash;
  std::string content;  // the sealed record, one JSON line
  std::string summary;  // the commit message's first line
};

struct AppendedRecord {
  std::string commit_sha;
  std::string path;
  int attempts = 1;  // 1 unless another run appended at the same time
};

inline constexpr int kAuditBranchAttempts = 5;

// Error code "audit_branch_failed" (message says what GitHub answered and what to do).
Result<AppendedRecord> append_to_audit_branch(github::Client& client, const github::Repo& repo,
                                              const std::string& branch, const AuditBranchRecord& record);

// The records on the branch, read at its tip, by environment folder; each folder's files in chain
// order (by the SEQ of their names). Every tree level is read on its own, so no listing is
// truncated. nullopt when the branch does not exist. Throws GitHubError.
struct BranchFile {
  std::string path;
  std::uint64_t seq = 0;  // from the file name
  std::string content;
};
struct AuditBranch {
  std::string tip;                                              // commit sha
  std::map<std::string, std::vector<BranchFile>> environments;  // folder name -> files
  std::vector<std::string> stray;                               // paths under records/ that are not ENV/SEQ-HASH.json
};
std::optional<AuditBranch> read_audit_branch(github::Client& client, const github::Repo& repo,
                                             const std::string& branch);

}  // namespace deploy::action
