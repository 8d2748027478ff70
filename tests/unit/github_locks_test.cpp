// How locks are named and stored on GitHub (core/github/locks): ref names git accepts, and the
// commit message a lock lives in, read back.
#include "core/github/locks.hpp"

#include <doctest/doctest.h>

#include <chrono>

using deploy::policy::Lock;
using namespace std::chrono_literals;

TEST_CASE("lock_ref: one ref per kind and environment, a name git accepts") {
  struct Row {
    Lock::Kind kind;
    const char* environment;
    const char* ref;
  };
  const Row rows[] = {
      {Lock::Kind::sticky, "production", "deploy-locks/production"},
      {Lock::Kind::run, "production", "deploy-runs/production"},
      {Lock::Kind::sticky, "Staging", "deploy-locks/staging"},  // GitHub compares environments without case
      {Lock::Kind::sticky, "eu.west-1_b", "deploy-locks/eu.west-1_b"},
      {Lock::Kind::sticky, "prod.lock", "deploy-locks/x-70726f642e6c6f636b"},
      {Lock::Kind::sticky, ".hidden", "deploy-locks/x-2e68696464656e"},
      {Lock::Kind::sticky, "a..b", "deploy-locks/x-612e2e62"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.environment);
    CHECK(deploy::github::lock_ref(row.kind, row.environment) == row.ref);
  }
}

TEST_CASE("a lock survives its commit message") {
  Lock lock;
  lock.kind = Lock::Kind::sticky;
  lock.environment = "production";
  lock.holder = "alice";
  lock.reason = "incident \"1234\"\nsecond line";
  lock.created = std::chrono::system_clock::time_point{} + 1'700'000'000s;
  lock.expires = lock.created + 2h;
  const auto message = deploy::github::lock_message(lock);
  CHECK(message.starts_with("deploy lock (sticky): production\n\n{"));
  const auto back = deploy::github::parse_lock_message(message, Lock::Kind::sticky);
  REQUIRE(back);
  CHECK(back->holder == "alice");
  CHECK(back->reason == lock.reason);
  CHECK(back->created == lock.created);
  CHECK(back->expires == lock.expires);

  Lock run = lock;
  run.kind = Lock::Kind::run;
  run.expires.reset();
  run.run_id = "7001";
  run.run_url = "https://github.example/acme/app/actions/runs/7001";
  const auto run_back = deploy::github::parse_lock_message(deploy::github::lock_message(run), Lock::Kind::run);
  REQUIRE(run_back);
  CHECK(run_back->run_id == "7001");
  CHECK_FALSE(run_back->expires);
}

TEST_CASE("a message without a lock is not one") {
  CHECK_FALSE(deploy::github::parse_lock_message("", Lock::Kind::sticky));
  CHECK_FALSE(deploy::github::parse_lock_message("made by hand", Lock::Kind::sticky));
  CHECK_FALSE(deploy::github::parse_lock_message("x\n\n{not json", Lock::Kind::sticky));
  CHECK_FALSE(deploy::github::parse_lock_message("x\n\n{\"holder\":\"a\"}", Lock::Kind::sticky));  // no env, time
}
