#include "action/run_status.hpp"

namespace deploy::action {

namespace {

struct StatusName {
  RunStatus status;
  std::string_view name;
};

// The `status` output's values, as action.yml and docs/ACTION.md list them.
constexpr StatusName kStatusNames[] = {
    {RunStatus::succeeded, "succeeded"},
    {RunStatus::failed, "failed"},
    {RunStatus::rolled_back, "rolled_back"},
    {RunStatus::rollback_failed, "rollback_failed"},
    {RunStatus::cancelled, "cancelled"},
    {RunStatus::blocked, "blocked"},
    {RunStatus::skipped, "skipped"},
    {RunStatus::refused, "refused"},
    {RunStatus::error, "error"},
    {RunStatus::invalid_config, "invalid_config"},
    {RunStatus::invalid_input, "invalid_input"},
};

}  // namespace

std::string_view to_string(RunMode mode) { return mode == RunMode::rollback ? "rollback" : "deploy"; }

std::string_view to_string(RunStatus status) {
  for (const auto& entry : kStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return "error";
}

std::optional<RunMode> parse_run_mode(std::string_view text) {
  for (const auto mode : {RunMode::deploy, RunMode::rollback}) {
    if (text == to_string(mode)) return mode;
  }
  return std::nullopt;
}

RunStatus run_status(engine::Status status) {
  switch (status) {
    case engine::Status::succeeded:
      return RunStatus::succeeded;
    case engine::Status::failed:
      return RunStatus::failed;
    case engine::Status::rolled_back:
      return RunStatus::rolled_back;
    case engine::Status::rollback_failed:
      return RunStatus::rollback_failed;
    case engine::Status::cancelled:
      return RunStatus::cancelled;
  }
  return RunStatus::failed;
}

RunStatus run_status(policy::UnmetGates unmet) {
  switch (unmet) {
    case policy::UnmetGates::blocked:
      return RunStatus::blocked;
    case policy::UnmetGates::skipped:
      return RunStatus::skipped;
    case policy::UnmetGates::error:
      return RunStatus::error;
  }
  return RunStatus::blocked;
}

}  // namespace deploy::action
