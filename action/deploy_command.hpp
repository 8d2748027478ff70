// `deploy-action` in mode deploy or rollback, as the runner runs it: resolve the release, pass
// the gates, deploy through the engine, and report (GitHub deployment, audit record, outputs, step
// summary, notifications). The steps are in action/steps/ (one file each) and the facts they find
// in action/run_record.hpp; deploy_command.cpp runs them in order.
#pragma once

#include <string>

#include "core/clock.hpp"
#include "core/runner/commands.hpp"

namespace deploy::action {

// Exit code: 0 when deployed (or skipped with on-unapproved: skip), 1 otherwise. The clock and
// randomness are the caller's: every timestamp, wait and token of the run comes from them.
int run_deploy(const runner::Environment& env, const std::string& mode, Clock& clock, const RandomSource& random);

}  // namespace deploy::action
