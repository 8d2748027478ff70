#include "core/policy/locks.hpp"

#include "core/rfc3339/rfc3339.hpp"
#include "core/text/text.hpp"

namespace deploy::policy {

std::string_view to_string(Lock::Kind kind) { return kind == Lock::Kind::run ? "run" : "sticky"; }

bool is_expired(const Lock& lock, std::chrono::system_clock::time_point now) {
  if (lock.expires && now >= *lock.expires) return true;
  // A run lock without an expiry (written by hand) still ends with the longest a run can last.
  return lock.kind == Lock::Kind::run && now - lock.created >= kRunLockTime;
}

std::string describe(const Lock& lock) {
  std::string out = lock.kind == Lock::Kind::run ? "held by run " + lock.run_id : "held";
  if (!lock.holder.empty()) out += " by @" + lock.holder;
  out += " since " + rfc3339::format_seconds(lock.created);
  out += lock.expires ? " until " + rfc3339::format_seconds(*lock.expires) : std::string(" until unlocked");
  if (!lock.run_url.empty()) out += " (" + lock.run_url + ")";
  if (!lock.reason.empty()) out += ": " + lock.reason;
  return out;
}

std::string acting_for(const RunIdentity& run) {
  return run.actor_is_bot && !run.requested_by.empty() ? run.requested_by : run.actor;
}

RunLockDecision decide_run_lock(const std::optional<Lock>& sticky, const std::optional<Lock>& run_lock,
                                const RunIdentity& run, std::chrono::system_clock::time_point now) {
  Outcome sticky_ok = Outcome::allow("unlocked", "the environment is not locked");
  if (sticky && !is_expired(*sticky, now)) {
    const std::string who = acting_for(run);
    if (who.empty() || !text::iequals(who, sticky->holder)) {
      return {Outcome::deny("environment_locked", "environment " + sticky->environment + " is locked, " +
                                                      describe(*sticky) + "; deploys wait until @" + sticky->holder +
                                                      " (or anyone allowed) posts /unlock " + sticky->environment),
              false};
    }
    sticky_ok = Outcome::allow("holder_run", "environment " + sticky->environment + " is locked by @" + sticky->holder +
                                                 ", for whom this run deploys");
  }
  if (!run_lock) return {sticky_ok, false};
  if (!run.run_id.empty() && run_lock->run_id == run.run_id) {
    return {Outcome::allow("same_run", "this run (" + run.run_id + ") holds the lock already: a re-run attempt"), true};
  }
  if (is_expired(*run_lock, now)) {
    return {Outcome::allow("lock_expired", "the previous run's lock expired (" + describe(*run_lock) +
                                               "): that run ended without releasing it"),
            true};
  }
  return {Outcome::deny("run_in_progress",
                        "another run is deploying " + run_lock->environment + ", lock " + describe(*run_lock) +
                            "; runs of one environment never overlap: run this again when it has finished"),
          false};
}

Outcome decide_lock_command(LockAction action, const Actor& actor, const std::vector<Principal>& allowed,
                            const std::optional<Lock>& sticky, std::chrono::system_clock::time_point now) {
  const std::string verb = action == LockAction::lock ? "lock" : "unlock";
  if (actor.is_bot || is_bot(actor.login, false)) {
    return Outcome::deny("bot_not_allowed", "bots may not " + verb + " environments");
  }
  if (!admits(allowed, actor)) {
    return Outcome::deny("not_allowed", "@" + actor.login + " may not " + verb + " environments: allowed are " +
                                            describe(allowed) + " (locks.allowed in .github/deploy.yml)");
  }
  const bool held = sticky && !is_expired(*sticky, now);
  if (action == LockAction::lock) {
    if (held && !text::iequals(sticky->holder, actor.login)) {
      return Outcome::deny("already_locked", "environment " + sticky->environment + " is already locked, " +
                                                 describe(*sticky) + "; /unlock it first");
    }
    return Outcome::allow("locked", held ? "lock renewed" : "locked");
  }
  if (!sticky) return Outcome::deny("not_locked", "there is no lock to remove");
  return Outcome::allow("unlocked", held ? "unlocked" : "an expired lock removed");
}

}  // namespace deploy::policy
