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
};

// Prints "verified N records" or the first broken link as FILE:LINE: reason: message.
// Exit code 0 when the chain verifies, 1 when it does not, 2 on bad usage.
int run_verify_audit(const VerifyAuditOptions& options);

}  // namespace deploy::action
