#include "core/store/pg_database.hpp"

#include <algorithm>
#include <stdexcept>

namespace deploy::store {

namespace {

struct Migration {
  int version;
  const char* purpose;
  const char* sql;
};

// The session advisory lock migrations run under (any constant; "deploy-b" in ASCII). Replicas
// that start together queue on it: the first applies the migrations, the others find them applied.
constexpr std::int64_t kMigrationLock = 0x6465706c6f792d62;

// Forward only: a released migration is never edited; a change is a new entry at the end. The
// schema mirrors the SQLite one (database.cpp, at its version 4); times are integer milliseconds
// since the Unix epoch (UTC). The histories are separate: this list starts at 1.
constexpr Migration kMigrations[] = {
    {1, "creating the initial schema", R"sql(
CREATE TABLE deliveries (
  id              BIGSERIAL PRIMARY KEY,  -- arrival order among equal received_at
  delivery_id     TEXT NOT NULL UNIQUE CHECK (delivery_id <> ''),
  event           TEXT NOT NULL,
  action          TEXT NOT NULL,
  installation_id BIGINT NOT NULL,
  repository      TEXT NOT NULL,
  received_at     BIGINT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed', 'ignored')),
  attempts        BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error      TEXT,
  finished_at     BIGINT,
  lease_until     BIGINT,
  worker_id       TEXT,
  redeliveries    BIGINT NOT NULL DEFAULT 0,
  body            BYTEA NOT NULL
);
CREATE INDEX deliveries_by_state ON deliveries (state, received_at, id);
-- A repository's queued and running deliveries, for claiming them in order across replicas.
CREATE INDEX deliveries_open_by_repository ON deliveries (repository, received_at, id)
  WHERE state IN ('queued', 'running');
CREATE INDEX deliveries_running ON deliveries (installation_id) WHERE state = 'running';

CREATE TABLE effects (
  effect_key  TEXT PRIMARY KEY CHECK (effect_key <> ''),
  state       TEXT NOT NULL CHECK (state IN ('started', 'failed', 'done')),
  result      TEXT,
  attempts    BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  finished_at BIGINT,
  last_error  TEXT
);

CREATE TABLE approvals (
  id          BIGSERIAL PRIMARY KEY,
  repository  TEXT NOT NULL,
  subject     BIGINT NOT NULL,
  sha         TEXT NOT NULL,
  login       TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('comment', 'review')),
  event_id    BIGINT NOT NULL,
  permission  TEXT NOT NULL,
  is_bot      BOOLEAN NOT NULL,
  cancel      BOOLEAN NOT NULL,
  edited      BOOLEAN NOT NULL,
  created_at  BIGINT NOT NULL,
  UNIQUE (repository, source, event_id)
);
CREATE INDEX approvals_by_subject ON approvals (repository, subject, sha);

CREATE TABLE config_cache (
  repository TEXT PRIMARY KEY,
  blob_sha   TEXT NOT NULL,
  text       TEXT NOT NULL,
  fetched_at BIGINT NOT NULL
);

CREATE TABLE audit (
  seq         BIGINT PRIMARY KEY CHECK (seq >= 0),
  record      TEXT NOT NULL,
  hash        TEXT NOT NULL,
  appended_at BIGINT NOT NULL
);

CREATE TABLE bot_state (
  key        TEXT PRIMARY KEY CHECK (key <> ''),
  value      TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Idle workers of every replica LISTEN on deploy_bot_queue. A delivery that becomes claimable
-- (inserted, retried, released) or one that finishes (its repository's next may now run) notifies
-- at commit; a claim (queued -> running) does not, or idle workers would wake each other forever.
CREATE FUNCTION deploy_bot_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('deploy_bot_queue', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER deliveries_inserted AFTER INSERT ON deliveries
  FOR EACH ROW EXECUTE FUNCTION deploy_bot_queue_changed();
CREATE TRIGGER deliveries_state_changed AFTER UPDATE OF state ON deliveries
  FOR EACH ROW WHEN (NEW.state <> 'running') EXECUTE FUNCTION deploy_bot_queue_changed();
)sql"},
    {2, "ordering the queue by when each delivery is due", R"sql(
-- claim_next takes the delivery due earliest (as SQLite's migration 5): after a rate-limit park the
-- installation's whole backlog is not yet due, and a claim must not walk past it.
DROP INDEX IF EXISTS deliveries_by_state;
CREATE INDEX deliveries_by_state ON deliveries (state, next_attempt_at, received_at, id);
)sql"},
};

constexpr int kLatestVersion = kMigrations[std::size(kMigrations) - 1].version;

const SystemClock kSystemClock;

}  // namespace

PgDatabase::PgDatabase(Options opts)
    : options_(std::move(opts)),
      clock_(options_.clock != nullptr ? *options_.clock : kSystemClock),
      server_(postgres::redact(options_.postgres_url)) {
  if (!postgres::is_url(options_.postgres_url)) {
    throw std::invalid_argument("store: '" + server_ + "' is not a PostgreSQL URL (postgres://user@host:port/db)");
  }
  if (options_.pool_size < 1) throw std::invalid_argument("store: the PostgreSQL pool size must be at least 1");
  if (options_.read_only) {
    Lease check(*this);  // fails now, with the server's message, rather than at the first read
    return;
  }
  migrate();
}

PgDatabase::~PgDatabase() {
  {
    std::lock_guard lock(listen_mutex_);
    stopping_ = true;
  }
  listen_cv_.notify_all();
  if (listener_.joinable()) listener_.join();
}

int PgDatabase::schema_version() { return kLatestVersion; }

std::unique_ptr<postgres::Connection> PgDatabase::open() {
  auto connection = std::make_unique<postgres::Connection>(options_.postgres_url);
  // UTC and ISO output whatever the server's defaults; the offline commands only ever read.
  connection->exec("SET TIME ZONE 'UTC'", "setting the session time zone");
  if (options_.read_only) {
    connection->exec("SET default_transaction_read_only = on", "making a read-only connection");
  }
  return connection;
}

void PgDatabase::migrate() {
  auto connection = open();
  connection->run("SELECT pg_advisory_lock($1)", postgres::Params().add(kMigrationLock),
                  "waiting for the migration lock");
  struct Unlock {
    postgres::Connection& c;
    ~Unlock() {
      if (!c.ok()) return;  // a broken connection's session locks went with it
      try {
        c.run("SELECT pg_advisory_unlock($1)", postgres::Params().add(kMigrationLock), "releasing the migration lock");
      } catch (const postgres::Error&) {  // closing the connection releases it anyway
      }
    }
  } unlock{*connection};

  connection->exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
      "creating the schema_version table");
  const auto current =
      connection->exec("SELECT coalesce(max(version), 0) FROM schema_version", "reading the schema version")
          .int64(0, 0);
  if (current > kLatestVersion) {
    throw std::runtime_error("store: " + server_ + " has schema version " + std::to_string(current) +
                             ", newer than this deploy-bot knows (" + std::to_string(kLatestVersion) +
                             "); run the newer deploy-bot on every replica");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= current) continue;
    postgres::Transaction tx(*connection);
    connection->exec(migration.sql, std::string("migrating to schema version ") + std::to_string(migration.version) +
                                        " (" + migration.purpose + ")");
    connection->run("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                    postgres::Params().add(migration.version).add(to_ms(clock_.now())), "recording the schema version");
    tx.commit();
  }
}

// --- the pool ------------------------------------------------------------------------------------

std::unique_ptr<postgres::Connection> PgDatabase::acquire(bool& reused) {
  std::unique_lock lock(pool_mutex_);
  pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.pool_size; });
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    reused = true;
    return connection;
  }
  ++open_;
  lock.unlock();
  try {
    reused = false;
    return open();
  } catch (...) {
    lock.lock();
    --open_;
    pool_cv_.notify_one();
    throw;
  }
}

void PgDatabase::release(std::unique_ptr<postgres::Connection> connection) {
  {
    std::lock_guard lock(pool_mutex_);
    // A broken connection, or one left inside a transaction (an exception mid-way), is closed:
    // the next caller opens a clean one.
    if (connection && connection->ok() && !connection->in_transaction()) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
    }
  }
  pool_cv_.notify_one();
}

void PgDatabase::drop_idle() {
  std::vector<std::unique_ptr<postgres::Connection>> dropped;
  {
    std::lock_guard lock(pool_mutex_);
    open_ -= static_cast<int>(idle_.size());
    dropped.swap(idle_);
  }
  pool_cv_.notify_all();
  // Closed here, outside the lock: closing may wait on the network.
}

PgDatabase::Lease::Lease(PgDatabase& database) : db(database) { connection = db.acquire(reused); }
PgDatabase::Lease::~Lease() { db.release(std::move(connection)); }

postgres::Connection* PgDatabase::transaction_connection() {
  std::lock_guard lock(pool_mutex_);
  const auto found = transactions_.find(std::this_thread::get_id());
  return found == transactions_.end() ? nullptr : found->second;
}

bool PgDatabase::owns_transaction() { return transaction_connection() != nullptr; }

// --- transactions --------------------------------------------------------------------------------

PgDatabase::Transaction::Transaction(PgDatabase& database) : db_(database) {
  if (db_.owns_transaction()) throw std::logic_error("store: transaction() inside a transaction() on the same thread");
  bool reused = false;
  connection_ = db_.acquire(reused);
  try {
    try {
      connection_->exec("BEGIN", "beginning a transaction");
    } catch (const postgres::Error& e) {
      if (!e.connection_lost() || !reused) throw;
      db_.release(std::move(connection_));  // broken while idle: once more on a new connection
      connection_ = db_.acquire(reused);
      connection_->exec("BEGIN", "beginning a transaction");
    }
  } catch (...) {
    db_.release(std::move(connection_));
    throw;
  }
  std::lock_guard lock(db_.pool_mutex_);
  db_.transactions_[std::this_thread::get_id()] = connection_.get();
  open_ = true;
}

PgDatabase::Transaction::~Transaction() {
  if (!open_) return;
  {
    std::lock_guard lock(db_.pool_mutex_);
    db_.transactions_.erase(std::this_thread::get_id());
  }
  if (connection_->ok() && connection_->in_transaction()) {
    try {
      connection_->exec("ROLLBACK", "rolling back a transaction");
    } catch (const postgres::Error&) {  // the connection broke: the server rolls back; release() drops it
    }
  }
  db_.release(std::move(connection_));
}

void PgDatabase::Transaction::commit() {
  if (!open_) throw std::logic_error("store: commit() on a finished transaction");
  // COMMIT of a transaction a statement already failed in answers "ROLLBACK", not an error.
  if (connection_->in_failed_transaction()) {
    throw postgres::Error("committing a transaction", "a statement in it failed, so it is rolled back", "25P02",
                          connection_->server());
  }
  connection_->exec("COMMIT", "committing a transaction");  // on failure the destructor cleans up
  open_ = false;
  {
    std::lock_guard lock(db_.pool_mutex_);
    db_.transactions_.erase(std::this_thread::get_id());
  }
  db_.release(std::move(connection_));
}

// --- stats ---------------------------------------------------------------------------------------

void PgDatabase::count_ingest_commit(std::size_t carried) {
  std::lock_guard lock(stats_mutex_);
  ++stats_.ingest_commits;
  stats_.ingested += carried;
  stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, carried);
}

Stats PgDatabase::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

// --- LISTEN --------------------------------------------------------------------------------------

void PgDatabase::watch(std::function<void()> wake) {
  if (listener_.joinable()) throw std::logic_error("store: watch() called twice");
  listener_ = std::thread([this, wake = std::move(wake)] { listen_loop(wake); });
}

void PgDatabase::listen_loop(const std::function<void()>& wake) {
  auto stopping = [&] {
    std::lock_guard lock(listen_mutex_);
    return stopping_;
  };
  auto pause = [&](std::chrono::milliseconds how_long) {
    std::unique_lock lock(listen_mutex_);
    listen_cv_.wait_for(lock, how_long, [&] { return stopping_; });
  };
  while (!stopping()) {
    try {
      postgres::Connection connection(options_.postgres_url);
      connection.exec("LISTEN deploy_bot_queue", "listening for queued deliveries");
      // Whatever was queued while there was no listener is claimable now.
      wake();
      while (!stopping()) {
        // Short waits, so that stopping is noticed without a signal on the socket.
        if (!connection.wait_notifications(std::chrono::milliseconds(250)).empty()) wake();
        if (!connection.ok()) break;
      }
    } catch (const postgres::Error&) {
      // The server went away: workers fall back on their poll interval until it returns.
      pause(std::chrono::seconds(1));
    }
  }
}

}  // namespace deploy::store
