// The PostgreSQL back end's database, shared by every concern of the store (pg_queue, pg_effects,
// pg_approvals, pg_config_cache, pg_state, pg_audit), as database.hpp is for SQLite: a small pool of
// connections, the schema and its migrations, the transaction a thread may hold across several
// concerns, and the LISTEN connection that wakes idle workers.
//
// Replicas. Several deploy-bot processes (on several machines) share one database; nothing here
// assumes one process. Migrations run at start-up under a session advisory lock, so replicas that
// start together apply each once and the others wait, then find nothing to do. What the concerns
// need to stay right with replicas is in their SQL: de-duplication and exactly-once by unique keys
// (INSERT ... ON CONFLICT), claims with FOR UPDATE SKIP LOCKED and a lease, the audit chain
// appended under a transaction-scoped advisory lock.
//
// Threading. One PgDatabase is shared by all threads. with() lends a connection from the pool (at
// most Options::pool_size open; callers beyond that wait) for one call; a Transaction lends one to
// the calling thread until commit() or destruction, and every with() that thread makes meanwhile
// runs on it. Each connection prepares each statement once.
//
// Failures. Every failure throws postgres::Error (purpose, PostgreSQL's message and SQLSTATE, the
// server with its password masked). A connection that broke is dropped, and the idle ones with it
// (a server that restarted broke them all); the next call opens a new one, so the store recovers by
// itself once the server is back. A call outside a transaction that
// found its pooled connection broken (the server restarted since) is tried once more on a new one:
// every statement the concerns run alone is safe to repeat.
//
// Read-only (Options::read_only): no migrations, and every connection's transactions are read-only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/postgres/postgres.hpp"
#include "core/store/database.hpp"

namespace deploy::store {

class PgDatabase {
 public:
  // Connects, applies the migrations (unless read-only). Throws postgres::Error when the server
  // cannot be reached or a migration fails, std::invalid_argument for bad options.
  explicit PgDatabase(Options options);
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  static int schema_version();  // the latest migration this build knows

  const Options& options() const { return options_; }
  const Clock& clock() const { return clock_; }
  const std::string& server() const { return server_; }  // the URL, password masked

  bool owns_transaction();

  // Runs body(connection) on the thread's transaction, or on a pooled connection (autocommit).
  template <class F>
  decltype(auto) with(F&& body) {
    if (postgres::Connection* tx = transaction_connection()) return body(*tx);
    for (int attempt = 1;; ++attempt) {
      Lease lease(*this);
      try {
        return body(*lease.connection);
      } catch (const postgres::Error& e) {
        if (!e.connection_lost()) throw;
        drop_idle();  // they were opened to the same server: most likely broken the same way
        if (attempt > 1 || !lease.reused) throw;
      }
    }
  }

  // Runs body(connection) inside a transaction: the thread's, or one of its own, committed when
  // body returns.
  template <class F>
  decltype(auto) atomically(F&& body) {
    if (postgres::Connection* tx = transaction_connection()) return body(*tx);
    Lease lease(*this);
    postgres::Transaction tx(*lease.connection);
    if constexpr (std::is_void_v<decltype(body(*lease.connection))>) {
      body(*lease.connection);
      tx.commit();
    } else {
      auto result = body(*lease.connection);
      tx.commit();
      return result;
    }
  }

  void count_ingest_commit(std::size_t carried);
  Stats stats() const;

  // LISTEN on the queue's channel on a connection of its own, calling `wake` for every
  // notification (a delivery became claimable somewhere: queued, retried, released, or one
  // finished), from a thread of its own that reconnects after failures. Once per PgDatabase.
  void watch(std::function<void()> wake);

  // BEGIN on a pooled connection lent to this thread until commit() or destruction (rollback).
  class Transaction {
   public:
    explicit Transaction(PgDatabase& database);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    PgDatabase& db_;
    std::unique_ptr<postgres::Connection> connection_;
    bool open_ = false;
  };

 private:
  struct Lease {
    explicit Lease(PgDatabase& database);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    PgDatabase& db;
    std::unique_ptr<postgres::Connection> connection;
    bool reused = false;  // came from the idle list (may have broken while idle)
  };

  std::unique_ptr<postgres::Connection> acquire(bool& reused);
  void release(std::unique_ptr<postgres::Connection> connection);
  std::unique_ptr<postgres::Connection> open();
  void drop_idle();
  postgres::Connection* transaction_connection();
  void migrate();
  void listen_loop(const std::function<void()>& wake);

  Options options_;
  const Clock& clock_;
  std::string server_;

  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<postgres::Connection>> idle_;
  int open_ = 0;
  std::map<std::thread::id, postgres::Connection*> transactions_;  // guarded by pool_mutex_

  mutable std::mutex stats_mutex_;
  Stats stats_;

  std::mutex listen_mutex_;
  std::condition_variable listen_cv_;
  bool stopping_ = false;
  std::thread listener_;
};

}  // namespace deploy::store
