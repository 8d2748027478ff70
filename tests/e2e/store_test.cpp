// core/store against real SQLite files in a temporary directory, or (DEPLOY_TEST_STORE=postgres, the
// e2e.store.postgres variant) a fresh PostgreSQL database each: the queue, group commit, effects,
// approvals, config cache, bot state, audit, and crash recovery with real child processes; SQLite's
// migrations, lock file and read-only mode (those cases are skipped on PostgreSQL). PostgreSQL's own
// behaviour with replicas: store_replicas_test.cpp.
#include "core/store/store.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/sqlite/sqlite.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_store.hpp"

using namespace std::chrono_literals;
namespace store = deploy::store;
using deploy::test::TempDir;
using store::TimePoint;

namespace {

const TimePoint t0{std::chrono::seconds{1'700'000'000}};

const bool kPostgres = deploy::test::postgres_selected();

// Where a case's store lives: a SQLite file in its TempDir, or a fresh PostgreSQL database.
struct Place {
  TempDir dir;
  deploy::test::TestStore store{dir.db()};
};

store::Options options_for(const Place& place, const deploy::Clock* clock = nullptr) {
  store::Options options = place.store.options();
  options.clock = clock;
  options.lease = 60s;
  return options;
}

// For the SQLite-only cases.
store::Options options_for(const TempDir& dir, const deploy::Clock* clock = nullptr) {
  store::Options options;
  options.path = dir.db();
  options.clock = clock;
  options.lease = 60s;
  return options;
}

// Owns the strings an IncomingDelivery points into.
struct Incoming {
  std::string id;
  std::string event = "issue_comment";
  std::string action = "created";
  std::int64_t installation = 1;
  std::string repository = "octo/repo";
  TimePoint received_at = t0;
  std::string body = R"({"action":"created"})";

  store::IncomingDelivery view() const { return {id, event, action, installation, repository, received_at, body}; }
};

// Each delivery of its own repository: PostgreSQL handles one repository's deliveries one at a time
// (pg_queue.hpp), which these cases, written for the Queue interface, do not expect.
Incoming incoming(std::string id, TimePoint at = t0, std::int64_t installation = 1) {
  Incoming in;
  in.repository = "octo/repo-" + id;
  in.id = std::move(id);
  in.received_at = at;
  in.installation = installation;
  return in;
}

store::IngestResult ingest(store::Store& s, const Incoming& in) { return s.queue().ingest(in.view()); }

// Polls a child's pipe until `wanted` lines arrived or the child ended; no sleeping.
std::vector<std::string> read_lines(int fd, std::size_t wanted, std::string& partial) {
  std::vector<std::string> lines;
  char buffer[4096];
  while (lines.size() < wanted) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    partial.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t newline; (newline = partial.find('\n')) != std::string::npos;) {
      lines.push_back(partial.substr(0, newline));
      partial.erase(0, newline + 1);
    }
  }
  return lines;
}

int wait_for(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

}  // namespace

TEST_CASE("ingest stores the exact bytes once; the same X-GitHub-Delivery again is a duplicate") {
  Place dir;
  store::Store s(options_for(dir));
  Incoming in = incoming("d-1");
  static const char kBinary[] = "{\"x\":\"\0\xff\xfe binary\"}";
  in.body = std::string(kBinary, sizeof kBinary - 1);  // exact bytes, NULs included
  in.installation = 42;
  in.repository = "octo/repo";

  CHECK(ingest(s, in) == store::IngestResult::inserted);
  CHECK(ingest(s, in) == store::IngestResult::duplicate);
  Incoming other_body = in;
  other_body.body = "{}";
  CHECK(ingest(s, other_body) == store::IngestResult::duplicate);

  auto d = s.queue().delivery("d-1");
  REQUIRE(d);
  CHECK(d->delivery_id == "d-1");
  CHECK(d->event == "issue_comment");
  CHECK(d->action == "created");
  CHECK(d->installation_id == 42);
  CHECK(d->repository == "octo/repo");
  CHECK(d->received_at == t0);
  CHECK(d->body == in.body);
  CHECK(d->body.size() == 18);
  CHECK(d->state == store::DeliveryState::queued);
  CHECK(d->attempts == 0);
  CHECK(d->next_attempt_at == t0);
  CHECK_FALSE(d->last_error);
  CHECK_FALSE(d->finished_at);
  CHECK(d->redeliveries == 0);
  CHECK_FALSE(s.queue().delivery("d-2"));
  CHECK(s.queue().depth() == 1);

  CHECK_THROWS_AS(ingest(s, incoming("")), std::invalid_argument);
}

TEST_CASE("a delivery ingested done or ignored is stored finished, never claimed, and a redelivery is a duplicate") {
  TempDir dir;
  store::Store s(options_for(dir));
  Incoming ignored = incoming("no-job");
  ignored.body = "";
  Incoming done = incoming("ping", t0 + 1s);
  Incoming job = incoming("job", t0 + 2s);
  auto view = [](const Incoming& in, store::DeliveryState state) {
    auto v = in.view();
    v.state = state;
    return v;
  };
  const store::IncomingDelivery batch[] = {view(ignored, store::DeliveryState::ignored),
                                           view(done, store::DeliveryState::done), job.view()};
  CHECK(s.queue().ingest(batch) == std::vector<store::IngestResult>{store::IngestResult::inserted,
                                                                    store::IngestResult::inserted,
                                                                    store::IngestResult::inserted});
  CHECK(s.queue().ingest(view(ignored, store::DeliveryState::ignored)) == store::IngestResult::duplicate);
  CHECK(s.queue().ingest(ignored.view()) == store::IngestResult::duplicate);  // queued this time: still one row

  const auto stored = s.queue().delivery("no-job");
  REQUIRE(stored);
  CHECK(stored->state == store::DeliveryState::ignored);
  CHECK(stored->finished_at == t0);
  CHECK(stored->attempts == 0);
  CHECK(stored->body.empty());
  CHECK(s.queue().delivery("ping")->state == store::DeliveryState::done);
  const auto counts = s.queue().counts();
  CHECK(counts.queued == 1);
  CHECK(counts.ignored == 1);
  CHECK(counts.done == 1);
  const auto claim = s.queue().claim_next("w", t0 + 1h, 4);
  REQUIRE(claim);
  CHECK(claim->delivery.delivery_id == "job");
  CHECK_FALSE(s.queue().claim_next("w", t0 + 1h, 4));

  CHECK_THROWS_AS(s.queue().ingest(view(incoming("bad"), store::DeliveryState::running)), std::invalid_argument);
  CHECK_THROWS_AS(s.queue().ingest(view(incoming("bad"), store::DeliveryState::failed)), std::invalid_argument);
  CHECK_FALSE(s.queue().delivery("bad"));
}

TEST_CASE("claim_next takes the delivery due earliest: a parked backlog waits behind new deliveries") {
  TempDir dir;
  store::Store s(options_for(dir));
  for (int i = 0; i < 50; ++i) ingest(s, incoming("held-" + std::to_string(i), t0 + std::chrono::seconds(i), 7));
  auto first = s.queue().claim_next("w", t0 + 1min, 4);
  REQUIRE(first);
  CHECK(first->delivery.delivery_id == "held-0");
  // GitHub's limit for installation 7 is used up until t0 + 1h: all 50 wait until then.
  CHECK(s.queue().park(first->lease, 7, t0 + 1h, "rate limit") == 49);
  ingest(s, incoming("new-of-8", t0 + 3min, 8));
  auto next = s.queue().claim_next("w", t0 + 5min, 4);
  REQUIRE(next);
  CHECK(next->delivery.delivery_id == "new-of-8");
  CHECK_FALSE(s.queue().claim_next("w", t0 + 5min, 4));
  // When the limit resets they come back in the order they arrived.
  next = s.queue().claim_next("w", t0 + 1h, 4);
  REQUIRE(next);
  CHECK(next->delivery.delivery_id == "held-0");
  next = s.queue().claim_next("w", t0 + 1h, 4);
  REQUIRE(next);
  CHECK(next->delivery.delivery_id == "held-1");
}

TEST_CASE("group commit: 8 threads x 1000 deliveries are each stored exactly once, with the right results") {
  Place dir;
  store::Store s(options_for(dir));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;

  // Each thread ingests its own 1000 ids, then the ids of the thread after it: every id is
  // ingested twice, by two threads, and exactly one of the two calls may say inserted.
  std::vector<std::map<std::string, store::IngestResult>> results(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto run = [&](int owner) {
        for (int i = 0; i < kPerThread; ++i) {
          Incoming in =
              incoming("t" + std::to_string(owner) + "-" + std::to_string(i), t0 + std::chrono::milliseconds(i));
          in.body = "body of " + in.id;
          try {
            results[static_cast<std::size_t>(t)][in.id + (owner == t ? "" : "/again")] = ingest(s, in);
          } catch (const std::exception&) {
            errors.fetch_add(1);
          }
        }
      };
      run(t);
      run((t + 1) % kThreads);
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(errors.load() == 0);

  int inserted = 0;
  int duplicates = 0;
  for (int owner = 0; owner < kThreads; ++owner) {
    int other = (owner + kThreads - 1) % kThreads;  // the thread that ingested owner's ids second
    for (int i = 0; i < kPerThread; ++i) {
      std::string id = "t" + std::to_string(owner) + "-" + std::to_string(i);
      auto first = results[static_cast<std::size_t>(owner)].at(id);
      auto second = results[static_cast<std::size_t>(other)].at(id + "/again");
      CAPTURE(id);
      CHECK(((first == store::IngestResult::inserted) != (second == store::IngestResult::inserted)));
      CHECK((first == store::IngestResult::duplicate || second == store::IngestResult::duplicate));
      inserted += (first == store::IngestResult::inserted) + (second == store::IngestResult::inserted);
      duplicates += (first == store::IngestResult::duplicate) + (second == store::IngestResult::duplicate);
    }
  }
  CHECK(inserted == kThreads * kPerThread);
  CHECK(duplicates == kThreads * kPerThread);

  store::Counts counts = s.queue().counts();
  CHECK(counts.queued == kThreads * kPerThread);
  CHECK(s.queue().depth() == kThreads * kPerThread);
  auto d = s.queue().delivery("t5-999");
  REQUIRE(d);
  CHECK(d->body == "body of t5-999");

  store::Stats stats = s.stats();
  CHECK(stats.ingested == 2u * kThreads * kPerThread);
  CHECK(stats.ingest_commits <= stats.ingested);
  CHECK(stats.largest_batch >= 1u);
  CHECK(stats.largest_batch <= static_cast<std::uint64_t>(kThreads));
}

TEST_CASE("the queue: claim oldest due first, complete, fail with retry, fail permanently, stale leases") {
  Place dir;
  deploy::ManualClock clock(t0 + 1h);
  store::Store s(options_for(dir, &clock));
  ingest(s, incoming("b", t0 + 2s));
  ingest(s, incoming("a", t0 + 1s));
  ingest(s, incoming("c", t0 + 3s));
  ingest(s, incoming("future", t0 + 10min));

  CHECK_FALSE(s.queue().claim_next("w1", t0, 10));  // nothing is due before it was received

  auto first = s.queue().claim_next("w1", t0 + 5s, 10);
  REQUIRE(first);
  CHECK(first->delivery.delivery_id == "a");
  CHECK(first->lease.delivery_id == "a");
  CHECK(first->lease.attempt == 1);
  CHECK(first->delivery.state == store::DeliveryState::running);
  CHECK(first->delivery.attempts == 1);
  CHECK(first->delivery.worker_id == "w1");
  CHECK(first->delivery.lease_until == t0 + 5s + 60s);
  CHECK(first->delivery.body == R"({"action":"created"})");

  // Retry later: back to queued, not due until retry_at.
  CHECK(s.queue().fail(first->lease, "github 502", t0 + 5min));
  auto a = s.queue().delivery("a");
  REQUIRE(a);
  CHECK(a->state == store::DeliveryState::queued);
  CHECK(a->next_attempt_at == t0 + 5min);
  CHECK(a->last_error == "github 502");
  CHECK_FALSE(a->lease_until);

  auto second = s.queue().claim_next("w2", t0 + 6s, 10);
  REQUIRE(second);
  CHECK(second->delivery.delivery_id == "b");
  CHECK(s.queue().complete(second->lease));
  auto b = s.queue().delivery("b");
  REQUIRE(b);
  CHECK(b->state == store::DeliveryState::done);
  CHECK(b->finished_at == t0 + 1h);
  CHECK_FALSE(s.queue().complete(second->lease));  // already done: the lease no longer holds

  auto third = s.queue().claim_next("w1", t0 + 7s, 10);
  REQUIRE(third);
  CHECK(third->delivery.delivery_id == "c");
  CHECK(s.queue().ignore(third->lease));
  CHECK(s.queue().delivery("c")->state == store::DeliveryState::ignored);

  CHECK_FALSE(s.queue().claim_next("w1", t0 + 4min, 10));  // a waits for its retry time, "future" too

  auto retried = s.queue().claim_next("w1", t0 + 5min, 10);
  REQUIRE(retried);
  CHECK(retried->delivery.delivery_id == "a");
  CHECK(retried->lease.attempt == 2);
  CHECK_FALSE(s.queue().complete(first->lease));  // the first attempt's lease is stale
  CHECK(s.queue().fail(retried->lease, "bad payload", std::nullopt));
  a = s.queue().delivery("a");
  CHECK(a->state == store::DeliveryState::failed);
  CHECK(a->last_error == "bad payload");
  CHECK(a->finished_at == t0 + 1h);

  store::Counts counts = s.queue().counts();
  CHECK(counts.queued == 1);  // "future"
  CHECK(counts.running == 0);
  CHECK(counts.done == 1);
  CHECK(counts.failed == 1);
  CHECK(counts.ignored == 1);
  CHECK(s.queue().depth() == 1);

  // An expired lease: the delivery goes back to the queue and the old holder cannot finish it.
  auto late = s.queue().claim_next("w3", t0 + 10min, 10);
  REQUIRE(late);
  CHECK(late->delivery.delivery_id == "future");
  CHECK(s.queue().release_expired_leases(t0 + 10min + 59s) == 0);
  CHECK(s.queue().release_expired_leases(t0 + 10min + 60s) == 1);
  CHECK(s.queue().delivery("future")->state == store::DeliveryState::queued);
  auto again = s.queue().claim_next("w4", t0 + 11min, 10);
  REQUIRE(again);
  CHECK(again->lease.attempt == 2);
  CHECK_FALSE(s.queue().complete(late->lease));
  CHECK_FALSE(s.queue().fail(late->lease, "x", std::nullopt));
  CHECK(s.queue().complete(again->lease));
  CHECK_THROWS_AS(s.queue().claim_next("w", t0, 0), std::invalid_argument);
}

TEST_CASE("a GitHub redelivery re-queues a permanently failed delivery, and only that") {
  Place dir;
  store::Store s(options_for(dir));
  ingest(s, incoming("failed-one", t0));
  ingest(s, incoming("done-one", t0 + 1s));
  auto claim = s.queue().claim_next("w", t0 + 2s, 10);
  REQUIRE(claim);
  s.queue().fail(claim->lease, "permission denied", std::nullopt);
  auto done = s.queue().claim_next("w", t0 + 2s, 10);
  REQUIRE(done);
  s.queue().complete(done->lease);

  CHECK(ingest(s, incoming("failed-one", t0 + 1h)) == store::IngestResult::requeued);
  CHECK(ingest(s, incoming("done-one", t0 + 1h)) == store::IngestResult::duplicate);
  auto d = s.queue().delivery("failed-one");
  REQUIRE(d);
  CHECK(d->state == store::DeliveryState::queued);
  CHECK(d->redeliveries == 1);
  CHECK(d->received_at == t0);           // the original arrival is kept
  CHECK(d->next_attempt_at == t0 + 1h);  // due from the redelivery
  CHECK_FALSE(d->last_error);
  CHECK(d->attempts == 1);  // attempts count over the whole life (the lease token)
  auto again = s.queue().claim_next("w", t0 + 1h, 10);
  REQUIRE(again);
  CHECK(again->delivery.delivery_id == "failed-one");
  CHECK(again->lease.attempt == 2);
  CHECK(ingest(s, incoming("failed-one", t0 + 2h)) == store::IngestResult::duplicate);  // running now
}

TEST_CASE("claim_next keeps at most `limit` deliveries running per installation") {
  Place dir;
  store::Store s(options_for(dir));
  ingest(s, incoming("A1", t0 + 1s, 100));
  ingest(s, incoming("A2", t0 + 2s, 100));
  ingest(s, incoming("A3", t0 + 3s, 100));
  ingest(s, incoming("B1", t0 + 4s, 200));
  ingest(s, incoming("A4", t0 + 5s, 100));
  TimePoint now = t0 + 1min;

  std::vector<std::string> claimed;
  std::map<std::string, store::Lease> leases;
  while (auto c = s.queue().claim_next("w", now, 2)) {
    claimed.push_back(c->delivery.delivery_id);
    leases[c->delivery.delivery_id] = c->lease;
  }
  CHECK(claimed == std::vector<std::string>{"A1", "A2", "B1"});
  CHECK(s.queue().counts().running == 3);

  REQUIRE(s.queue().complete(leases.at("A1")));
  auto next = s.queue().claim_next("w", now, 2);
  REQUIRE(next);
  CHECK(next->delivery.delivery_id == "A3");
  CHECK_FALSE(s.queue().claim_next("w", now, 2));
  auto with_more_room = s.queue().claim_next("w", now, 3);
  REQUIRE(with_more_room);
  CHECK(with_more_room->delivery.delivery_id == "A4");
}

TEST_CASE("after a crash (a child process that claimed and _exit()ed), reopening finds the delivery and re-queues it" *
          doctest::skip(kPostgres)) {
  TempDir dir;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 1;
    try {
      // Never destroyed: _exit() below skips every destructor, as a crash would.
      auto* s = new store::Store(options_for(dir));
      Incoming in = incoming("crashed-while-running", t0);
      bool ok = s->queue().ingest(in.view()) == store::IngestResult::inserted;
      auto claim = s->queue().claim_next("doomed-worker", t0, 1);
      ok = ok && claim && claim->delivery.delivery_id == "crashed-while-running";
      auto effect = s->effects().begin("comment:octo/repo#1:delivery:crashed-while-running:reply");
      ok = ok && effect.status == store::EffectStart::new_effect;
      code = ok ? 0 : 2;
    } catch (...) {
      code = 3;
    }
    ::_exit(code);
  }
  int status = wait_for(child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  store::Store s(options_for(dir));  // the dead child's lock is gone with it
  auto d = s.queue().delivery("crashed-while-running");
  REQUIRE(d);
  CHECK(d->state == store::DeliveryState::running);
  CHECK(d->worker_id == "doomed-worker");
  CHECK(s.queue().requeue_running() == 1);
  CHECK(s.queue().delivery("crashed-while-running")->state == store::DeliveryState::queued);
  auto claim = s.queue().claim_next("new-worker", t0 + 1s, 1);
  REQUIRE(claim);
  CHECK(claim->delivery.delivery_id == "crashed-while-running");
  CHECK(claim->lease.attempt == 2);
  auto effect = s.effects().begin("comment:octo/repo#1:delivery:crashed-while-running:reply");
  CHECK(effect.status == store::EffectStart::outcome_unknown);
  CHECK(effect.attempts == 2);
}

TEST_CASE("SIGKILL mid-stream loses no acknowledged delivery") {
  Place dir;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    try {
      auto* s = new store::Store(options_for(dir));
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([s, t, fd = fds[1]] {
          for (int i = 0;; ++i) {
            Incoming in = incoming("k" + std::to_string(t) + "-" + std::to_string(i), t0);
            in.body.assign(4096, static_cast<char>('a' + t));
            if (s->queue().ingest(in.view()) != store::IngestResult::inserted) ::_exit(4);
            // Acknowledged: report it. One write() of < PIPE_BUF bytes is atomic.
            std::string line = in.id + "\n";
            if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
          }
        });
      }
      for (auto& thread : threads) thread.join();
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string partial;
  std::vector<std::string> acknowledged = read_lines(fds[0], 400, partial);
  REQUIRE(acknowledged.size() >= 400);  // the child is ingesting (it never exits on its own)
  REQUIRE(::kill(child, SIGKILL) == 0);
  int status = wait_for(child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  // Everything the child reported before it died is acknowledged too.
  for (auto& line : read_lines(fds[0], SIZE_MAX, partial)) acknowledged.push_back(line);
  ::close(fds[0]);

  store::Store s(options_for(dir));
  std::size_t missing = 0;
  for (const auto& id : acknowledged) {
    auto d = s.queue().delivery(id);
    if (!d) {
      ++missing;
      continue;
    }
    CHECK(d->body == std::string(4096, static_cast<char>('a' + (id[1] - '0'))));
  }
  CHECK(missing == 0);
  CHECK(s.queue().counts().queued >= static_cast<std::int64_t>(acknowledged.size()));
  MESSAGE("acknowledged before SIGKILL: ", acknowledged.size(), ", stored: ", s.queue().counts().queued);
}

TEST_CASE("effects: new, finished, begun again, started before a crash") {
  Place dir;
  const std::string key = "comment:octo/repo#12:delivery:abc:reply";
  {
    store::Store s(options_for(dir));
    auto first = s.effects().begin(key);
    CHECK(first.status == store::EffectStart::new_effect);
    CHECK(first.attempts == 1);
    s.effects().finish(key, R"({"comment_id":9001})");
    auto again = s.effects().begin(key);
    CHECK(again.status == store::EffectStart::already_done);
    CHECK(again.result == R"({"comment_id":9001})");

    auto other = s.effects().begin("status:octo/repo@abc:deploy/approvals");
    CHECK(other.status == store::EffectStart::new_effect);
    // The process "crashes" here: the effect is never finished.
    CHECK_THROWS_AS(s.effects().finish("never-begun", "{}"), std::logic_error);
    CHECK_THROWS_AS(s.effects().begin(""), std::invalid_argument);
  }
  store::Store reopened(options_for(dir));
  auto resumed = reopened.effects().begin("status:octo/repo@abc:deploy/approvals");
  CHECK(resumed.status == store::EffectStart::outcome_unknown);
  CHECK(resumed.attempts == 2);
  reopened.effects().finish("status:octo/repo@abc:deploy/approvals", R"({"state":"success"})");
  CHECK(reopened.effects().begin("status:octo/repo@abc:deploy/approvals").status == store::EffectStart::already_done);
  CHECK(reopened.effects().begin(key).result == R"({"comment_id":9001})");
}

TEST_CASE("effects: one GitHub refused is retried as such; one begun and never answered is unknown") {
  Place dir;
  store::Store s(options_for(dir));
  const std::string key = "acme/app:rollback:c7:1";
  CHECK(s.effects().begin(key).status == store::EffectStart::new_effect);
  s.effects().fail(key, "GitHub API POST /repos/acme/app/actions/workflows/deploy.yml/dispatches failed: 502");
  auto retried = s.effects().begin(key);
  CHECK(retried.status == store::EffectStart::retry_after_failure);  // not "maybe happened"
  CHECK(retried.attempts == 2);
  // This try got no answer: the next one cannot know whether it happened.
  CHECK(s.effects().begin(key).status == store::EffectStart::outcome_unknown);
  s.effects().finish(key, R"({"run_id":5})");
  CHECK(s.effects().begin(key).status == store::EffectStart::already_done);
  CHECK_THROWS_AS(s.effects().fail(key, "late"), std::logic_error);  // a done effect cannot fail
  CHECK_THROWS_AS(s.effects().fail("never-begun", "x"), std::logic_error);
}

TEST_CASE("migrations: version 3 keeps the effects a version-2 build recorded" * doctest::skip(kPostgres)) {
  TempDir dir;
  {
    store::Store s(options_for(dir));
    s.effects().begin("done-before");
    s.effects().finish("done-before", R"({"comment_id":1})");
    s.effects().begin("started-before");
  }
  {
    // Back to version 2's effects table (no 'failed' state, no last_error), with the rows kept.
    deploy::sqlite::Connection db(dir.db(), deploy::sqlite::OpenMode::read_write_create);
    db.exec(R"sql(
CREATE TABLE effects_v2 (
  effect_key  TEXT PRIMARY KEY NOT NULL CHECK (effect_key <> ''),
  state       TEXT NOT NULL CHECK (state IN ('started', 'done')),
  result      TEXT,
  attempts    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
) WITHOUT ROWID;
INSERT INTO effects_v2 SELECT effect_key, state, result, attempts, created_at, finished_at FROM effects;
DROP TABLE effects;
ALTER TABLE effects_v2 RENAME TO effects;
DELETE FROM schema_version WHERE version >= 3;)sql",
            "test: back to version 2");
  }
  store::Store s(options_for(dir));
  auto done = s.effects().begin("done-before");
  CHECK(done.status == store::EffectStart::already_done);
  CHECK(done.result == R"({"comment_id":1})");
  CHECK(s.effects().begin("started-before").status == store::EffectStart::outcome_unknown);
  s.effects().fail("started-before", "answered 422");  // the new state is accepted
  CHECK(s.effects().begin("started-before").status == store::EffectStart::retry_after_failure);
}

TEST_CASE("approvals: recorded once per event, queried per repository, subject and sha, in order") {
  Place dir;
  store::Store s(options_for(dir));
  auto approval = [](std::string login, std::int64_t event_id, std::string sha, TimePoint at) {
    store::ApprovalRecord a;
    a.repository = "octo/repo";
    a.subject = 12;
    a.sha = std::move(sha);
    a.login = std::move(login);
    a.event_id = event_id;
    a.permission = "write";
    a.created_at = at;
    return a;
  };
  CHECK(s.approvals().record(approval("alice", 1001, "aaa", t0 + 2s)));
  CHECK(s.approvals().record(approval("bob", 1002, "aaa", t0 + 1s)));
  auto cancel = approval("alice", 1003, "aaa", t0 + 3s);
  cancel.cancel = true;
  CHECK(s.approvals().record(cancel));
  CHECK(s.approvals().record(approval("carol", 1004, "bbb", t0 + 4s)));  // another commit
  auto bot = approval("deploy-bot[bot]", 1005, "aaa", t0 + 5s);
  bot.is_bot = true;
  CHECK(s.approvals().record(bot));
  auto review = approval("dave", 1001, "aaa", t0 + 6s);  // same id as a comment, but a review
  review.source = store::ApprovalSource::review;
  review.permission = "admin";
  CHECK(s.approvals().record(review));
  auto other_subject = approval("erin", 1006, "aaa", t0 + 7s);
  other_subject.subject = 13;
  CHECK(s.approvals().record(other_subject));
  CHECK_FALSE(s.approvals().record(approval("alice", 1001, "aaa", t0 + 9s)));  // webhook seen twice

  CHECK(s.approvals().mark_edited("octo/repo", store::ApprovalSource::comment, 1002));
  CHECK_FALSE(s.approvals().mark_edited("octo/repo", store::ApprovalSource::comment, 999));

  auto events = s.approvals().list("octo/repo", 12, "aaa");
  REQUIRE(events.size() == 5);
  std::vector<std::string> logins;
  for (const auto& e : events) logins.push_back(e.login);
  CHECK(logins == std::vector<std::string>{"bob", "alice", "alice", "deploy-bot[bot]", "dave"});
  CHECK(events[0].edited);
  CHECK_FALSE(events[1].edited);
  CHECK_FALSE(events[1].cancel);
  CHECK(events[2].cancel);
  CHECK(events[2].event_id == 1003);
  CHECK(events[3].is_bot);
  CHECK(events[4].source == store::ApprovalSource::review);
  CHECK(events[4].permission == "admin");
  CHECK(events[4].event_id == 1001);
  CHECK(events[0].created_at == t0 + 1s);
  CHECK(events[0].subject == 12);
  CHECK(events[0].repository == "octo/repo");
  CHECK(events[0].sha == "aaa");
  CHECK(s.approvals().list("octo/repo", 12, "bbb").size() == 1);
  CHECK(s.approvals().list("octo/repo", 13, "aaa").size() == 1);
  CHECK(s.approvals().list("octo/other", 12, "aaa").empty());
}

TEST_CASE("config cache: one entry per repository, replaced when fetched again") {
  Place dir;
  store::Store s(options_for(dir));
  CHECK_FALSE(s.config_cache().get("octo/repo"));
  s.config_cache().put({"octo/repo", "blob1", "environments: {}\n", t0});
  s.config_cache().put({"octo/other", "blob9", "x: 1\n", t0});
  s.config_cache().put({"octo/repo", "blob2", "environments:\n  production: {}\n", t0 + 1h});
  auto cached = s.config_cache().get("octo/repo");
  REQUIRE(cached);
  CHECK(cached->repository == "octo/repo");
  CHECK(cached->blob_sha == "blob2");
  CHECK(cached->text == "environments:\n  production: {}\n");
  CHECK(cached->fetched_at == t0 + 1h);
  CHECK(s.config_cache().get("octo/other")->blob_sha == "blob9");
}

TEST_CASE("bot state: JSON text by key, replaced by a later put, kept across a reopen") {
  Place dir;
  {
    store::Store s(options_for(dir));
    CHECK_FALSE(s.bot_state().get("waiting-gate:octo/repo:abc:production"));
    s.bot_state().put("waiting-gate:octo/repo:abc:production", R"({"run_id":1})");
    s.bot_state().put("dispatched-run:octo/repo:7", R"({"issue":3})");
    s.bot_state().put("waiting-gate:octo/repo:abc:production", R"({"run_id":2})");
    CHECK(s.bot_state().get("waiting-gate:octo/repo:abc:production") == std::optional<std::string>(R"({"run_id":2})"));
    CHECK_THROWS_AS(s.bot_state().put("", "{}"), std::logic_error);
  }
  store::Store reopened(options_for(dir));
  CHECK(reopened.bot_state().get("dispatched-run:octo/repo:7") == std::optional<std::string>(R"({"issue":3})"));
  // Not in the config cache: that table is for configs only.
  CHECK_FALSE(reopened.config_cache().get("dispatched-run:octo/repo:7"));
}

TEST_CASE("audit trail: append in order, read back, last record; atomic with the decision") {
  Place dir;
  deploy::ManualClock clock(t0);
  store::Store s(options_for(dir, &clock));
  CHECK_FALSE(s.audit().last());
  CHECK(s.audit().records(0, 10).empty());

  s.audit().append(0, R"({"seq":0})", "h0");
  s.audit().append(1, R"({"seq":1})", "h1");
  CHECK_THROWS_AS(s.audit().append(1, R"({"seq":1})", "again"), std::logic_error);  // not the next
  CHECK_THROWS_AS(s.audit().append(5, R"({"seq":5})", "gap"), std::logic_error);
  s.audit().append(2, R"({"seq":2})", "h2");

  auto head = s.audit().last();
  REQUIRE(head);
  CHECK(head->seq == 2);
  CHECK(head->hash == "h2");
  auto records = s.audit().records(1, 10);
  REQUIRE(records.size() == 2);
  CHECK(records[0].seq == 1);
  CHECK(records[0].record == R"({"seq":1})");
  CHECK(records[0].hash == "h1");
  CHECK(records[1].seq == 2);
  CHECK(s.audit().records(0, 1).size() == 1);

  // A worker's decision: read the head, append the sealed record, finish the delivery, together.
  ingest(s, incoming("decided", t0));
  auto claim = s.queue().claim_next("w", t0, 1);
  REQUIRE(claim);
  {
    auto tx = s.transaction();
    auto last = s.audit().last();
    REQUIRE(last);
    s.audit().append(last->seq + 1, R"({"seq":3})", "h3");
    CHECK(s.audit().last()->seq == 3);  // this thread sees its own uncommitted append
    CHECK(s.queue().complete(claim->lease));
    CHECK_THROWS_AS(ingest(s, incoming("inside", t0)), std::logic_error);
    CHECK_THROWS_AS(static_cast<void>(s.transaction()), std::logic_error);
    // Destroyed without commit(): all of it is rolled back.
  }
  CHECK(s.audit().last()->seq == 2);
  CHECK(s.queue().delivery("decided")->state == store::DeliveryState::running);
  {
    auto tx = s.transaction();
    s.audit().append(s.audit().last()->seq + 1, R"({"seq":3})", "h3");
    CHECK(s.queue().complete(claim->lease));
    tx.commit();
  }
  CHECK(s.audit().last()->seq == 3);
  CHECK(s.queue().delivery("decided")->state == store::DeliveryState::done);

  // While one thread holds a transaction, another thread's ingest waits for it and then lands.
  std::atomic<bool> done{false};
  std::thread other;
  {
    auto tx = s.transaction();
    other = std::thread([&] {
      ingest(s, incoming("from-another-thread", t0));
      done = true;
    });
    s.audit().append(4, R"({"seq":4})", "h4");
    tx.commit();
  }
  other.join();
  CHECK(done.load());
  CHECK(s.queue().delivery("from-another-thread"));
  CHECK(s.audit().last()->seq == 4);
}

TEST_CASE("migrations: an empty file gets the schema; reopening keeps the data; a newer schema is refused" *
          doctest::skip(kPostgres)) {
  TempDir dir;
  { std::ofstream touch(dir.db()); }  // an existing, empty file
  REQUIRE(std::filesystem::file_size(dir.db()) == 0);
  {
    store::Store s(options_for(dir));
    ingest(s, incoming("kept", t0));
    s.ping();
  }
  auto versions = [&] {
    deploy::sqlite::Connection db(dir.db(), deploy::sqlite::OpenMode::read_only);
    deploy::sqlite::Statement st(db, "SELECT version FROM schema_version ORDER BY version", "test: reading versions");
    std::vector<std::int64_t> result;
    while (st.step()) result.push_back(st.column_int64(0));
    return result;
  };
  CHECK(versions() == std::vector<std::int64_t>{1, 2, 3, 4, 5});
  CHECK(store::Store::schema_version() == 5);
  {
    store::Store s(options_for(dir));
    CHECK(s.queue().delivery("kept"));
  }
  CHECK(versions() == std::vector<std::int64_t>{1, 2, 3, 4, 5});  // nothing applied twice

  // A store written by a version-1 build is migrated forward on open, its data kept.
  {
    deploy::sqlite::Connection db(dir.db(), deploy::sqlite::OpenMode::read_write_create);
    db.exec("DROP TABLE bot_state; DELETE FROM schema_version WHERE version >= 2", "test: back to version 1");
  }
  CHECK(versions() == std::vector<std::int64_t>{1});
  {
    store::Store s(options_for(dir));
    CHECK(s.queue().delivery("kept"));
    s.bot_state().put("k", "{}");
  }
  CHECK(versions() == std::vector<std::int64_t>{1, 2, 3, 4, 5});

  {
    deploy::sqlite::Connection db(dir.db(), deploy::sqlite::OpenMode::read_write_create);
    db.exec("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)", "test: a future version");
  }
  try {
    store::Store s(options_for(dir));
    FAIL("opened a database with a newer schema");
  } catch (const std::runtime_error& error) {
    std::string what = error.what();
    CHECK(what.find("schema version 99") != std::string::npos);
    CHECK(what.find(dir.db().string()) != std::string::npos);
  }
}

TEST_CASE("errors name what was being done, SQLite's message and the path" * doctest::skip(kPostgres)) {
  TempDir dir;
  {
    std::ofstream garbage(dir.db());
    garbage << std::string(8192, 'x');
  }
  try {
    store::Store s(options_for(dir));
    FAIL("opened a file that is not a database");
  } catch (const deploy::sqlite::Error& error) {
    std::string what = error.what();
    CAPTURE(what);
    CHECK(what.find("file is not a database") != std::string::npos);
    CHECK(what.find(dir.db().string()) != std::string::npos);
    CHECK(error.path() == dir.db().string());
    CHECK_FALSE(error.purpose().empty());
  }

  TempDir other;
  store::Options missing_dir = options_for(other);
  missing_dir.path = other.path() / "no-such-dir" / "bot.db";
  CHECK_THROWS_WITH_AS(store::Store{missing_dir}, doctest::Contains("no-such-dir"), std::runtime_error);
}

TEST_CASE("one process per store: a second open of the same file is refused while the first is open" *
          doctest::skip(kPostgres)) {
  TempDir dir;
  std::optional<store::Store> first(std::in_place, options_for(dir));
  CHECK_THROWS_WITH_AS(store::Store{options_for(dir)}, doctest::Contains("in use by another process"),
                       std::runtime_error);
  first.reset();
  CHECK_NOTHROW(store::Store{options_for(dir)});
}

TEST_CASE("prune deletes finished deliveries and done effects older than the cutoff, nothing else") {
  Place dir;
  deploy::ManualClock clock(t0);
  store::Store s(options_for(dir, &clock));
  for (int i = 0; i < 1200; ++i) ingest(s, incoming("old-" + std::to_string(i), t0));
  ingest(s, incoming("old-queued", t0 + 1s));
  ingest(s, incoming("new", t0 + 2h));
  while (auto c = s.queue().claim_next("w", t0 + 1s, 100'000)) {
    if (c->delivery.delivery_id == "old-queued") {
      s.queue().fail(c->lease, "later", t0 + 3h);
    } else {
      s.queue().complete(c->lease);
    }
  }
  auto fresh = s.queue().claim_next("w", t0 + 2h, 1);
  REQUIRE(fresh);
  REQUIRE(fresh->delivery.delivery_id == "new");
  s.queue().complete(fresh->lease);
  s.effects().begin("old-done");
  s.effects().finish("old-done", "{}");
  s.effects().begin("old-started");
  clock.advance(2h + 1min);
  s.effects().begin("new-done");
  s.effects().finish("new-done", "{}");

  CHECK(s.prune(t0 + 1h) == 1200);
  CHECK_FALSE(s.queue().delivery("old-0"));
  CHECK(s.queue().delivery("old-queued"));  // not finished: kept
  CHECK(s.queue().delivery("new"));
  store::Counts counts = s.queue().counts();
  CHECK(counts.done == 1);  // "new"
  CHECK(counts.queued == 1);
  CHECK(s.effects().begin("old-done").status == store::EffectStart::new_effect);  // forgotten
  CHECK(s.effects().begin("old-started").status == store::EffectStart::outcome_unknown);
  CHECK(s.effects().begin("new-done").status == store::EffectStart::already_done);
}

TEST_CASE("readers do not wait for the writer: reads succeed while a transaction is open on another thread") {
  Place dir;
  store::Store s(options_for(dir));
  ingest(s, incoming("visible", t0));
  auto tx = s.transaction();
  s.audit().append(0, "{}", "h0");
  std::optional<store::Delivery> seen;
  std::optional<store::AuditHead> head;
  std::thread reader([&] {
    seen = s.queue().delivery("visible");
    head = s.audit().last();
    s.ping();
  });
  reader.join();  // would deadlock if reads needed the writer
  CHECK(seen);
  CHECK_FALSE(head);  // the uncommitted append is not visible to other threads
  tx.commit();
  CHECK(s.audit().last());
}

TEST_CASE("ingest of several at once: one result each, in order, duplicates within the call included") {
  Place dir;
  store::Store s(options_for(dir));
  ingest(s, incoming("failed-before", t0));
  auto claim = s.queue().claim_next("w", t0, 1);
  REQUIRE(claim);
  s.queue().fail(claim->lease, "gone", std::nullopt);
  ingest(s, incoming("seen-before", t0));

  std::vector<Incoming> owned{incoming("n1", t0), incoming("seen-before", t0), incoming("n2", t0), incoming("n1", t0),
                              incoming("failed-before", t0 + 1h)};
  std::vector<store::IncomingDelivery> views;
  for (const auto& in : owned) views.push_back(in.view());
  auto results = s.queue().ingest(std::span<const store::IncomingDelivery>(views));
  CHECK(results == std::vector<store::IngestResult>{store::IngestResult::inserted, store::IngestResult::duplicate,
                                                    store::IngestResult::inserted, store::IngestResult::duplicate,
                                                    store::IngestResult::requeued});
  CHECK(s.queue().counts().queued == 4);  // seen-before, n1, n2, failed-before
  CHECK(s.queue().ingest(std::span<const store::IncomingDelivery>()).empty());
  Incoming no_id = incoming("");
  views.push_back(no_id.view());
  CHECK_THROWS_AS(s.queue().ingest(std::span<const store::IncomingDelivery>(views)), std::invalid_argument);
}

TEST_CASE("prune_bodies empties old finished bodies, keeps their ids, newer bodies and the audit trail") {
  Place dir;
  deploy::ManualClock clock(t0);
  store::Store s(options_for(dir, &clock));
  const auto day = std::chrono::hours(24);
  ingest(s, incoming("old-done", t0));
  ingest(s, incoming("old-failed", t0));
  ingest(s, incoming("old-queued", t0 + 1s));
  ingest(s, incoming("new-done", t0 + 40 * day));
  for (int i = 0; i < 3; ++i) {
    auto claim = s.queue().claim_next("w", t0 + 40 * day, 10);
    REQUIRE(claim);
    if (claim->delivery.delivery_id == "old-queued") {
      s.queue().fail(claim->lease, "later", t0 + 50 * day);  // back in the queue, due later
    } else if (claim->delivery.delivery_id == "old-failed") {
      s.queue().fail(claim->lease, "gone", std::nullopt);
    } else {
      s.queue().complete(claim->lease);
    }
  }
  auto fresh = s.queue().claim_next("w", t0 + 40 * day, 10);
  REQUIRE(fresh);
  REQUIRE(fresh->delivery.delivery_id == "new-done");
  s.queue().complete(fresh->lease);
  {
    auto tx = s.transaction();
    s.audit().append(0, R"({"seq":0})", "h0");
    tx.commit();
  }
  CHECK(s.queue().prune_bodies(t0 + 10 * day) == 2);  // old-done, old-failed
  CHECK(s.queue().prune_bodies(t0 + 10 * day) == 0);  // already empty
  auto old_done = s.queue().delivery("old-done");
  REQUIRE(old_done);
  CHECK(old_done->body.empty());
  CHECK(old_done->state == store::DeliveryState::done);
  CHECK(s.queue().delivery("old-queued")->body == R"({"action":"created"})");  // not finished: kept
  CHECK(s.queue().delivery("new-done")->body == R"({"action":"created"})");    // newer: kept
  CHECK(s.audit().records(0, 10).size() == 1);
  CHECK(s.audit().last()->hash == "h0");

  // The id still de-duplicates; a redelivery of the failed one brings its body back.
  CHECK(ingest(s, incoming("old-done", t0 + 41 * day)) == store::IngestResult::duplicate);
  CHECK(ingest(s, incoming("old-failed", t0 + 41 * day)) == store::IngestResult::requeued);
  CHECK(s.queue().delivery("old-failed")->body == R"({"action":"created"})");
}

TEST_CASE("migration 4 drops the deployments table an older store wrote and never read, keeping the rest" *
          doctest::skip(kPostgres)) {
  TempDir dir;
  {
    store::Store s(options_for(dir));
    ingest(s, incoming("kept", t0));
  }
  auto has_table = [&](const char* name) {
    deploy::sqlite::Connection db(dir.db(), deploy::sqlite::OpenMode::read_only);
    deploy::sqlite::Statement st(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                                 "test: looking for a table");
    st.bind(1, name);
    return st.step() && st.column_int64(0) == 1;
  };
  CHECK_FALSE(has_table("deployments"));  // a new store never has it
  {
    // Back to version 3, with the table as version 1 created it, and a row in it.
    deploy::sqlite::Connection db(dir.db(), deploy::sqlite::OpenMode::read_write_create);
    db.exec(R"sql(
CREATE TABLE deployments (
  repository TEXT NOT NULL, deployment_id INTEGER NOT NULL, environment TEXT NOT NULL, version TEXT NOT NULL,
  sha TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (repository, deployment_id));
CREATE INDEX deployments_by_environment ON deployments (repository, environment, created_at);
INSERT INTO deployments VALUES ('octo/repo', 1, 'production', 'v1.0.0', 'abc', 'success', 0, 0);
DELETE FROM schema_version WHERE version >= 4;)sql",
            "test: back to version 3");
  }
  REQUIRE(has_table("deployments"));
  {
    store::Store s(options_for(dir));
    CHECK(s.queue().delivery("kept"));
  }
  CHECK_FALSE(has_table("deployments"));
  CHECK(has_table("deliveries"));
  CHECK(has_table("audit"));
}

TEST_CASE("read-only: opens while another process's store holds the lock; reads work, writes are refused" *
          doctest::skip(kPostgres)) {
  TempDir dir;
  store::Store writer(options_for(dir));
  ingest(writer, incoming("d-1", t0));
  {
    auto tx = writer.transaction();
    writer.audit().append(0, R"({"seq":0})", "h0");
    tx.commit();
  }
  store::Options options = options_for(dir);
  options.read_only = true;
  store::Store reader(options);  // no lock file taken: the writer holds it
  CHECK(reader.queue().delivery("d-1"));
  CHECK(reader.audit().records(0, 10).size() == 1);
  reader.ping();
  CHECK_THROWS_AS(reader.bot_state().put("k", "{}"), std::logic_error);
  CHECK_THROWS_AS(reader.queue().ingest(incoming("d-2", t0).view()), std::logic_error);
  CHECK_THROWS_AS((void)reader.transaction(), std::logic_error);
  ingest(writer, incoming("d-3", t0 + 1s));  // the writer is not held up by the reader
  CHECK(reader.queue().delivery("d-3"));
}

TEST_CASE("queue list: oldest first, filtered by state, without bodies") {
  Place dir;
  store::Store s(options_for(dir));
  ingest(s, incoming("b", t0 + 2s));
  ingest(s, incoming("a", t0 + 1s));
  ingest(s, incoming("c", t0 + 3s));
  auto claim = s.queue().claim_next("w", t0 + 10s, 4);
  REQUIRE(claim);
  REQUIRE(claim->delivery.delivery_id == "a");
  s.queue().complete(claim->lease);
  auto ids = [&](std::optional<store::DeliveryState> state) {
    std::vector<std::string> result;
    s.queue().list(state, [&](const store::Delivery& d) {
      CHECK(d.body.empty());
      result.push_back(d.delivery_id);
    });
    return result;
  };
  CHECK(ids(std::nullopt) == std::vector<std::string>{"a", "b", "c"});
  CHECK(ids(store::DeliveryState::queued) == std::vector<std::string>{"b", "c"});
  CHECK(ids(store::DeliveryState::done) == std::vector<std::string>{"a"});
  CHECK(ids(store::DeliveryState::failed).empty());
  CHECK(store::parse_delivery_state("ignored") == store::DeliveryState::ignored);
  CHECK_FALSE(store::parse_delivery_state("lost"));
}
