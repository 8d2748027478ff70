// The comment commands that control deploys rather than approve them: /lock, /unlock, /lock (the
// list), /promote, /abort and /deploy ENV from a pull request. Each decision is core/policy's
// (locks, promotion, pull_request_deploy); each effect goes through the ports once; each refusal
// is answered on the thread with its reason code; each decision is recorded in the audit trail.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bot/handlers/context.hpp"
#include "bot/status_report.hpp"
#include "core/command/command.hpp"
#include "core/config/config.hpp"

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

// The locks on `environment` now, for /status.
std::vector<LockRow> environment_locks(Context& context, const std::string& environment);

}  // namespace deploy::bot::handlers
