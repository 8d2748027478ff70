// core/store on PostgreSQL as replicas use it: several Stores (each what one deploy-bot process
// holds) on one fresh database, with threads of their own. The same delivery stored once, every
// delivery claimed once, one repository's deliveries one at a time in order, effects begun once,
// the audit chain never forked, migrations safe when replicas start together, expired leases taken
// over, LISTEN/NOTIFY waking another replica, and errors that name the statement and hide the
// password. Registered only as e2e.store_replicas.postgres (skipped without a test server).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/postgres/postgres.hpp"
#include "core/store/store.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_store.hpp"

using namespace std::chrono_literals;
namespace store = deploy::store;
using store::TimePoint;

namespace {

const TimePoint t0{std::chrono::seconds{1'700'000'000}};

struct Incoming {
  std::string id;
  std::string repository;
  std::int64_t installation = 1;
  TimePoint received_at = t0;
  std::string body = R"({"action":"created"})";
  store::IncomingDelivery view() const {
    return {id, "issue_comment", "created", installation, repository, received_at, body};
  }
};

store::Options options_for(const deploy::test::TestDatabase& db, std::chrono::seconds lease = 60s) {
  store::Options options = store::options_for(db.url());
  options.lease = lease;
  options.pool_size = 4;
  return options;
}

// Two replicas' stores on one database.
struct Replicas {
  deploy::test::TestDatabase db;
  store::Store a{options_for(db)};
  store::Store b{options_for(db)};
};

}  // namespace

TEST_CASE("the same deliveries sent to two replicas at once are stored once each") {
  Replicas r;
  constexpr int kDeliveries = 300;
  std::atomic<int> inserted{0};
  std::atomic<int> duplicates{0};
  auto send_all = [&](store::Store& s) {
    for (int i = 0; i < kDeliveries; ++i) {
      Incoming in{"d-" + std::to_string(i), "octo/repo-" + std::to_string(i % 7)};
      const auto result = s.queue().ingest(in.view());
      (result == store::IngestResult::inserted ? inserted : duplicates)++;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] { send_all(r.a); });
    threads.emplace_back([&] { send_all(r.b); });
  }
  for (auto& thread : threads) thread.join();
  CHECK(inserted.load() == kDeliveries);
  CHECK(duplicates.load() == 3 * kDeliveries);
  CHECK(r.a.queue().counts().queued == kDeliveries);
}

TEST_CASE("workers of two replicas claim every delivery exactly once") {
  Replicas r;
  constexpr int kDeliveries = 400;
  for (int i = 0; i < kDeliveries; ++i) {
    Incoming in{"d-" + std::to_string(i), "octo/repo-" + std::to_string(i), 1, t0 + std::chrono::milliseconds(i)};
    r.a.queue().ingest(in.view());
  }
  std::mutex mutex;
  std::map<std::string, int> handled;
  auto work = [&](store::Store& s, std::string worker) {
    while (auto claim = s.queue().claim_next(worker, t0 + 1h, 1000)) {
      {
        std::lock_guard lock(mutex);
        ++handled[claim->delivery.delivery_id];
      }
      REQUIRE(s.queue().complete(claim->lease));
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back(work, std::ref(r.a), "a-" + std::to_string(t));
    threads.emplace_back(work, std::ref(r.b), "b-" + std::to_string(t));
  }
  for (auto& thread : threads) thread.join();
  CHECK(handled.size() == kDeliveries);
  CHECK(std::all_of(handled.begin(), handled.end(), [](const auto& entry) { return entry.second == 1; }));
  CHECK(r.b.queue().counts().done == kDeliveries);
}

TEST_CASE("one repository's deliveries are handled one at a time, in arrival order, across replicas") {
  Replicas r;
  constexpr int kPerRepository = 30;
  const std::vector<std::string> repositories = {"octo/one", "octo/two", "octo/three"};
  int n = 0;
  for (int i = 0; i < kPerRepository; ++i) {
    for (const auto& repository : repositories) {
      Incoming in{repository + "#" + std::to_string(i), repository, 1, t0 + std::chrono::milliseconds(n++)};
      r.a.queue().ingest(in.view());
    }
  }
  std::mutex mutex;
  std::map<std::string, std::vector<int>> order;  // repository -> the sequence numbers as handled
  std::map<std::string, int> running;
  std::atomic<int> overlaps{0};
  std::atomic<int> finished{0};
  auto work = [&](store::Store& s, std::string worker) {
    while (finished.load() < kPerRepository * static_cast<int>(repositories.size())) {
      auto claim = s.queue().claim_next(worker, t0 + 1h, 1000);
      if (!claim) {
        std::this_thread::yield();
        continue;
      }
      const auto& d = claim->delivery;
      {
        std::lock_guard lock(mutex);
        if (running[d.repository]++ > 0) ++overlaps;
        order[d.repository].push_back(std::stoi(d.delivery_id.substr(d.delivery_id.find('#') + 1)));
      }
      std::this_thread::sleep_for(1ms);  // work that takes a moment, so overlaps would show
      {
        std::lock_guard lock(mutex);
        --running[d.repository];
      }
      REQUIRE(s.queue().complete(claim->lease));
      ++finished;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back(work, std::ref(r.a), "a-" + std::to_string(t));
    threads.emplace_back(work, std::ref(r.b), "b-" + std::to_string(t));
  }
  for (auto& thread : threads) thread.join();
  CHECK(overlaps.load() == 0);
  for (const auto& repository : repositories) {
    std::vector<int> expected(kPerRepository);
    for (int i = 0; i < kPerRepository; ++i) expected[static_cast<std::size_t>(i)] = i;
    CHECK(order[repository] == expected);
  }
}

TEST_CASE("a delivery waiting for its retry lets its repository's later ones pass; a running one does not") {
  Replicas r;
  r.a.queue().ingest(Incoming{"first", "octo/r", 1, t0}.view());
  r.a.queue().ingest(Incoming{"second", "octo/r", 1, t0 + 1s}.view());
  r.a.queue().ingest(Incoming{"elsewhere", "octo/other", 1, t0 + 2s}.view());
  auto first = r.a.queue().claim_next("a", t0 + 10s, 10);
  REQUIRE(first);
  CHECK(first->delivery.delivery_id == "first");
  auto next = r.b.queue().claim_next("b", t0 + 10s, 10);  // "second" waits for "first"
  REQUIRE(next);
  CHECK(next->delivery.delivery_id == "elsewhere");
  CHECK_FALSE(r.b.queue().claim_next("b", t0 + 10s, 10));
  REQUIRE(r.a.queue().fail(first->lease, "github 502", t0 + 5min));
  auto second = r.b.queue().claim_next("b", t0 + 11s, 10);
  REQUIRE(second);
  CHECK(second->delivery.delivery_id == "second");
  CHECK_FALSE(r.a.queue().claim_next("a", t0 + 6min, 10));  // "first" is due again, but "second" runs
  REQUIRE(r.b.queue().complete(second->lease));
  auto retried = r.a.queue().claim_next("a", t0 + 6min, 10);
  REQUIRE(retried);
  CHECK(retried->delivery.delivery_id == "first");
}

TEST_CASE("a dead replica's claim is taken over once its lease expires; the old lease then changes nothing") {
  deploy::test::TestDatabase db;
  deploy::ManualClock clock(t0 + 1s);  // requeue_running() at start reads the store's clock
  store::Options survivor_options = options_for(db);
  survivor_options.clock = &clock;
  store::Store survivor(survivor_options);
  store::Lease lost;
  {
    store::Store dying(options_for(db, 1s));
    dying.queue().ingest(Incoming{"d-1", "octo/r"}.view());
    auto claim = dying.queue().claim_next("dying", t0 + 1s, 10);
    REQUIRE(claim);
    lost = claim->lease;
    // Gone without completing: the Store closes, as a killed process's connections do.
  }
  CHECK(survivor.queue().requeue_running() == 0);  // a live replica's claims are not touched
  CHECK_FALSE(survivor.queue().claim_next("survivor", t0 + 1s, 10));
  CHECK(survivor.queue().release_expired_leases(t0 + 2s) == 1);
  auto taken = survivor.queue().claim_next("survivor", t0 + 3s, 10);
  REQUIRE(taken);
  CHECK(taken->lease.attempt == 2);
  CHECK_FALSE(survivor.queue().complete(lost));
  CHECK(survivor.queue().complete(taken->lease));
}

TEST_CASE("replicas beginning the same effects at once: exactly one is told it is new") {
  Replicas r;
  constexpr int kKeys = 100;
  std::atomic<int> fresh{0};
  std::atomic<int> other{0};
  auto begin_all = [&](store::Store& s) {
    for (int i = 0; i < kKeys; ++i) {
      const auto begun = s.effects().begin("comment:octo/r#1:delivery:" + std::to_string(i) + ":reply");
      (begun.status == store::EffectStart::new_effect ? fresh : other)++;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] { begin_all(r.a); });
    threads.emplace_back([&] { begin_all(r.b); });
  }
  for (auto& thread : threads) thread.join();
  CHECK(fresh.load() == kKeys);
  CHECK(other.load() == 5 * kKeys);
  const auto last = r.a.effects().begin("comment:octo/r#1:delivery:0:reply");
  CHECK(last.status == store::EffectStart::outcome_unknown);
  CHECK(last.attempts == 7);
}

TEST_CASE("replicas appending to the audit chain at once never fork it") {
  Replicas r;
  constexpr int kPerThread = 20;
  std::atomic<int> failures{0};
  auto append_some = [&](store::Store& s, std::string who) {
    for (int i = 0; i < kPerThread; ++i) {
      try {
        auto tx = s.transaction();
        const auto head = s.audit().last();
        const std::int64_t seq = head ? head->seq + 1 : 0;
        const std::string previous = head ? head->hash : "genesis";
        s.audit().append(seq, R"({"by":")" + who + R"(","prev":")" + previous + "\"}", who + "-" + std::to_string(seq));
        tx.commit();
      } catch (const std::exception& e) {
        MESSAGE(e.what());
        ++failures;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back(append_some, std::ref(r.a), "a" + std::to_string(t));
    threads.emplace_back(append_some, std::ref(r.b), "b" + std::to_string(t));
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures.load() == 0);
  const auto records = r.a.audit().records(0, 1000);
  REQUIRE(records.size() == 6 * kPerThread);
  std::string previous = "genesis";
  for (std::size_t i = 0; i < records.size(); ++i) {
    CHECK(records[i].seq == static_cast<std::int64_t>(i));
    CHECK(records[i].record.find("\"prev\":\"" + previous + "\"") != std::string::npos);
    previous = records[i].hash;
  }
}

TEST_CASE("replicas starting together on an empty database apply the migrations once") {
  deploy::test::TestDatabase db;
  std::atomic<int> failures{0};
  std::vector<std::unique_ptr<store::Store>> stores(6);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        stores[i] = std::make_unique<store::Store>(options_for(db));
      } catch (const std::exception& e) {
        MESSAGE(e.what());
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(failures.load() == 0);
  deploy::postgres::Connection check(db.url());
  const auto versions = check.exec("SELECT count(*), max(version) FROM schema_version", "test: reading versions");
  CHECK(versions.int64(0, 0) == stores[0]->current_schema_version());
  CHECK(versions.int64(0, 1) == stores[0]->current_schema_version());
  stores[3]->queue().ingest(Incoming{"d-1", "octo/r"}.view());
  CHECK(stores[5]->queue().delivery("d-1"));
}

TEST_CASE("LISTEN/NOTIFY: a delivery stored by one replica wakes the other's workers") {
  Replicas r;
  std::atomic<int> wakes{0};
  REQUIRE(r.b.watch([&] { ++wakes; }));
  REQUIRE(deploy::test::eventually([&] { return wakes.load() >= 1; }, 10s));  // the first, on LISTEN
  const int before = wakes.load();
  r.a.queue().ingest(Incoming{"d-1", "octo/r"}.view());
  CHECK(deploy::test::eventually([&] { return wakes.load() > before; }, 10s));
  // A claim does not notify (idle workers would wake each other); its completion does.
  const int after_ingest = wakes.load();
  auto claim = r.a.queue().claim_next("a", t0 + 1s, 10);
  REQUIRE(claim);
  r.a.queue().complete(claim->lease);
  CHECK(deploy::test::eventually([&] { return wakes.load() > after_ingest; }, 10s));
}

TEST_CASE("errors name the statement and PostgreSQL's message, and never the password") {
  deploy::test::TestDatabase db;
  deploy::postgres::Connection connection(db.url());
  try {
    connection.run("SELECT no_such_column FROM pg_class", "test: reading a column that is not there");
    FAIL("expected an error");
  } catch (const deploy::postgres::Error& error) {
    const std::string what = error.what();
    CHECK(what.find("test: reading a column that is not there") != std::string::npos);
    CHECK(what.find("no_such_column") != std::string::npos);
    CHECK(error.sqlstate() == "42703");
    CHECK_FALSE(error.connection_lost());
  }
  // A server that is not there: the URL's password is masked in the message.
  try {
    deploy::postgres::Connection refused("postgres://bot:s3cret-pw@127.0.0.1:1/deploy?connect_timeout=2");
    FAIL("expected an error");
  } catch (const deploy::postgres::Error& error) {
    const std::string what = error.what();
    CHECK(what.find("s3cret-pw") == std::string::npos);
    CHECK(what.find("postgres://bot:***@127.0.0.1:1/deploy") != std::string::npos);
    CHECK(error.connection_lost());
  }
  store::Options options = store::options_for("postgres://bot:s3cret-pw@127.0.0.1:1/deploy?connect_timeout=2");
  try {
    store::Store unreachable(options);
    FAIL("expected an error");
  } catch (const std::exception& error) {
    CHECK(std::string(error.what()).find("s3cret-pw") == std::string::npos);
  }
}
