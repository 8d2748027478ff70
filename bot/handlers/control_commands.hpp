// The comment commands that control deploys rather than approve them: /lock, /unlock, /lock (the
// list), /promote, /abort and /deploy ENV from a pull request. Each decision is core/policy's
// (locks, promotion, pull_request_deploy); each effect goes through the ports once; each refusal
// is answered on the thread with its reason code; each decision is recorded in the audit trail.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bot/handlers/context.hpp"
#include "bot/status_report.hpp"
#include "core/command/command.hpp"
#include "core/config/config.hpp"
#include "core/outcome.hpp"

namespace deploy::bot::handlers {

// What the commands need of the comment and the thread it is on.
struct CommandThread {
  int number = 0;  // issue or pull request; 0 for a commit
  bool pull_request = false;
  bool tracking_issue = false;
  std::string sha;  // the thread's commit: a pull request's head, a tracking issue's marker commit
  std::string tag;  // tracking issues
  bool fork = false;
  std::int64_t comment_id = 0;
  std::string login;  // who commented
  std::string comment_url;
  // Replies on the thread, once per comment and purpose.
  std::function<void(const std::string& purpose, const std::string& body)> reply;
};

void lock_command(Context& context, const config::Config& config, const CommandThread& thread,
                  const command::Command& cmd);
void unlock_command(Context& context, const config::Config& config, const CommandThread& thread,
                    const command::Command& cmd);
void list_locks_command(Context& context, const config::Config& config, const CommandThread& thread,
                        const command::Command& cmd);
void promotion_command(Context& context, const config::Config& config, const CommandThread& thread,
                       const command::Command& cmd);
void deploy_command(Context& context, const config::Config& config, const CommandThread& thread,
                    const command::Command& cmd);

// Whether a run the bot would start for `requested_by` would be refused by the environment's sticky
// lock: the action's own decision (policy::decide_run_lock) on the same ref, made before dispatching
// so that a run which could only fail is not started. nullopt: not locked, expired, or the holder's.
std::optional<Outcome> sticky_lock_refusal(Context& context, const std::string& environment,
                                           const std::string& requested_by);

// The locks on `environment` now, for /status.
std::vector<LockRow> environment_locks(Context& context, const std::string& environment);

}  // namespace deploy::bot::handlers
