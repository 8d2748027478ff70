// The environment's run lock, held by this run from before it reads the audit chain's head until
// its end (core/github/locks.hpp): two runs of one environment never overlap, so the chain never
// forks. Released when destroyed, whichever way the run ended (deployed, failed, refused,
// cancelled: SIGTERM lets the run finish); a run that crashed leaves it to expire
// (policy::kRunLockTime) or to be taken over by a re-run of the same run.
#pragma once

#include "action/run_services.hpp"
#include "core/github/locks.hpp"

namespace deploy::action {

class RunLock {
 public:
  RunLock(const Connection& github, github::StoredLock held, const RunLog& log)
      : github_(github), held_(std::move(held)), log_(log) {}
  ~RunLock();  // a failure to release is a warning: the lock then expires
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  const Connection& github_;
  github::StoredLock held_;
  const RunLog& log_;
};

}  // namespace deploy::action
