// `deploy-action` in mode deploy or rollback, as the runner runs it: resolve the release, pass
// the gates, deploy through the engine, and report (GitHub deployment, audit record, outputs, step
// summary, notifications). The pieces live in core; this file wires them in order.
#pragma once

#include <string>

#include "core/runner.hpp"

namespace deploy::action {

// Exit code: 0 when deployed (or skipped with on-unapproved: skip), 1 otherwise.
int run_deploy_in_runner(const runner::Environment& env, const std::string& mode);

}  // namespace deploy::action
