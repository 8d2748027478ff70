// `deploy-action verify-audit FILE...`: checks an audit chain offline. The files, in the order
// given, hold sealed records (one JSON object per line); together they must form one chain.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace deploy::action {

struct VerifyAuditOptions {
  std::vector<std::string> files;
  // Name of the environment variable holding the HMAC key (never the key itself on the command
  // line, where other users of the machine could read it).
  std::string key_env;
  // The hash the first record must link to (from the GitHub deployment's payload) when the files
  // do not start the chain; empty = the chain starts at the genesis record.
  std::string anchor;

  // --from-github: the records on the repository's audit branch instead of files, each checked
  // against the hash its GitHub deployment's final status carries (audit#SEQ HASH).
  bool from_github = false;
  std::string repository;   // owner/name; default GITHUB_REPOSITORY
  std::string branch;       // default "deploy-audit"
  std::string environment;  // only this environment's folder; empty = every one on the branch
};

// Prints "verified N records" or the first broken link as FILE:LINE: reason: message.
// Exit code 0 when the chain verifies, 1 when it does not, 2 on bad usage.
// --from-github prints every problem as PATH: reason: message (PATH the record's file on the
// branch, or the deployment), reasons as verify_chain's plus deployment_missing,
// deployment_hash_mismatch, record_missing, stray_file; exit 0 when every record verifies and
// matches its deployment, 1 when not, 2 on bad usage or when GitHub cannot be read (the token is
// read from GITHUB_TOKEN, the API from GITHUB_API_URL, default https://api.github.com).
int run_verify_audit(const VerifyAuditOptions& options);

}  // namespace deploy::action
