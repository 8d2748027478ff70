// Environment locks stored on GitHub itself, so the action sees them without the bot: one ref per
// lock, pointing at a commit (tree: lock.json) whose message carries the lock as JSON.
//   refs/deploy-locks/ENV  the sticky lock a person took with /lock
//   refs/deploy-runs/ENV   the lock a deploy or rollback run holds for its duration
// Taking a lock is creating its ref, which GitHub does atomically: a second creation is 422
// "Reference already exists", so of two takers exactly one wins. Taking over an expired lock is a
// fast-forward update of the ref to a new commit whose parent is the expired lock's commit: if
// someone else replaced it in between, the ref is no longer that parent, GitHub answers 422 "Update
// is not a fast forward", and the taker lost. Releasing deletes the ref after checking it still
// points at the releaser's commit. The decisions over the locks are core/policy/locks.hpp's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/policy/locks.hpp"

namespace deploy::github {

// "deploy-locks/staging" (without refs/). Environment names are compared without regard to case,
// so the name is lowercased; a name git would refuse as a ref component (a leading or trailing
// '.', "..", ".lock" at the end) is written as "x-" and its hex bytes.
std::string lock_ref(policy::Lock::Kind kind, const std::string& environment);

// The commit message a lock is stored in, and back. parse: nullopt when the message holds no lock
// (a ref someone made by hand); its fields are checked and missing ones left empty.
std::string lock_message(const policy::Lock& lock);
std::optional<policy::Lock> parse_lock_message(const std::string& message, policy::Lock::Kind kind);

struct StoredLock {
  policy::Lock lock;
  std::string sha;  // the commit the ref points at: what a release or a take-over must still find
};

// The lock of that kind on the environment, if any. A ref whose commit holds no lock counts as a
// lock held by nobody in particular (holder ""), so it is never ignored.
std::optional<StoredLock> read_lock(Client& client, const Repo& repo, policy::Lock::Kind kind,
                                    const std::string& environment);
// Every lock of the repository, sticky and run, in ref order.
std::vector<StoredLock> list_locks(Client& client, const Repo& repo);

// Takes the lock: creates its ref, or with `replacing` (the expired lock read before) moves it from
// that commit to the new one. nullopt: someone else holds it now (lost the race).
std::optional<StoredLock> take_lock(Client& client, const Repo& repo, const policy::Lock& lock,
                                    const std::optional<StoredLock>& replacing);
// Deletes the lock's ref when it still points at `held.sha` (or at anything, when held.sha is
// empty). false: it was gone or held by someone else by then.
bool release_lock(Client& client, const Repo& repo, const StoredLock& held);

}  // namespace deploy::github
