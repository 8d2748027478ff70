// The mode a run was asked for and the status it ends with, as enums with one name table each:
// the names are the `mode` input's and the `status` output's values (action.yml, docs/ACTION.md).
#pragma once

#include <optional>
#include <string_view>

#include "core/engine/engine.hpp"
#include "core/policy/policy.hpp"

namespace deploy::action {

enum class RunMode { deploy, rollback };

// The `status` output. The first five are the engine's; the rest end a run before or instead of
// deploying.
enum class RunStatus {
  succeeded,
  failed,
  rolled_back,
  rollback_failed,
  cancelled,
  blocked,
  skipped,
  refused,
  error,
  invalid_config,
  invalid_input,
};

std::string_view to_string(RunMode mode);
std::string_view to_string(RunStatus status);
// "deploy" or "rollback"; nullopt otherwise.
std::optional<RunMode> parse_run_mode(std::string_view text);
RunStatus run_status(engine::Status status);
RunStatus run_status(policy::UnmetGates unmet);

}  // namespace deploy::action
