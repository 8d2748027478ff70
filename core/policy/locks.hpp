// Environment locks: who holds an environment, and whether a run, or a person's /lock or /unlock,
// may go ahead. Two kinds of lock per environment, each one ref on GitHub (core/github/locks.hpp):
//  - sticky: taken by a person with /lock, held until /unlock or its optional expiry; while it is
//    held, deploys and rollbacks of the environment are refused unless they are the holder's;
//  - run: taken by every deploy or rollback run for its duration and released at its end, so two
//    runs of one environment never overlap (the audit chain is read at the start and extended at
//    the end: overlapping runs would fork it). A crashed run's lock expires after kRunLockTime.
// Pure: the locks, the run and the person are facts read by the caller.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"
#include "core/policy/policy.hpp"

namespace deploy::policy {

struct Lock {
  enum class Kind { sticky, run };
  Kind kind = Kind::sticky;
  std::string environment;
  std::string holder;   // login of who took it (a run: who asked for the run, else its actor)
  std::string reason;   // free text (cleaned); may be empty
  std::string run_id;   // kind run: GITHUB_RUN_ID of the holding run
  std::string run_url;  // kind run: the run's page
  std::chrono::system_clock::time_point created;
  std::optional<std::chrono::system_clock::time_point> expires;  // none: until unlocked
};
std::string_view to_string(Lock::Kind kind);

// A run holds its lock at most this long: GitHub stops a job after 6 hours (policy::kMaxRunTime),
// so a lock older than that belongs to a run that crashed without releasing it.
inline constexpr std::chrono::hours kRunLockTime = kMaxRunTime;

bool is_expired(const Lock& lock, std::chrono::system_clock::time_point now);

// "held by @alice since 2026-01-02T10:00:00Z until 12:00:00Z: incident 1234" (for replies and refusals).
std::string describe(const Lock& lock);

// The run asking to deploy or roll back.
struct RunIdentity {
  std::string run_id;         // GITHUB_RUN_ID
  std::string actor;          // who started the run (GITHUB_TRIGGERING_ACTOR)
  bool actor_is_bot = false;  // a bot account started it (deploy-bot's dispatch)
  std::string requested_by;   // input requested-by: trusted only when a bot started the run
};
// Who the run acts for: the requester when a bot dispatched it (the bot checked them), else the actor.
std::string acting_for(const RunIdentity& run);

struct RunLockDecision {
  Outcome outcome;
  // allowed: whether the run must take its run lock over from an expired holder (replace the ref
  // it read) rather than create it.
  bool take_over = false;
};

// Reason codes. Allowed: "unlocked", "holder_run" (the sticky lock is held by whom the run acts
// for), "same_run" (the run lock is this run's: a re-run attempt), "lock_expired" (take over).
// Refused: "environment_locked" (a sticky lock by someone else), "run_in_progress" (another run
// holds the run lock). `sticky` and `run_lock`: the locks as read, if any.
RunLockDecision decide_run_lock(const std::optional<Lock>& sticky, const std::optional<Lock>& run_lock,
                                const RunIdentity& run, std::chrono::system_clock::time_point now);

// /lock and /unlock. `allowed`: config locks.allowed, or when empty the environment's approvers
// (approvals.from; empty = anyone with write permission). Reasons: "locked" (a new lock, or the
// holder's own lock renewed), "unlocked"; refused: "bot_not_allowed", "not_allowed" (the person is
// not admitted), "already_locked" (held by someone else and not expired: /unlock it first),
// "not_locked" (/unlock without a sticky lock).
enum class LockAction { lock, unlock };
Outcome decide_lock_command(LockAction action, const Actor& actor, const std::vector<Principal>& allowed,
                            const std::optional<Lock>& sticky, std::chrono::system_clock::time_point now);

}  // namespace deploy::policy
