#include "core/store/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace deploy::store {

namespace {

// --- schema --------------------------------------------------------------------------------------

struct Migration {
  int version;
  const char* purpose;
  const char* sql;
};

// Forward only: a released migration is never edited; a change is a new entry at the end.
// Times are integer milliseconds since the Unix epoch (UTC).
constexpr Migration kMigrations[] = {
    {1, "creating the initial schema", R"sql(
-- body is the last column so every other column stays on the row's b-tree page and the 12 KiB body
-- goes to overflow pages: queue scans and state changes do not read it.
CREATE TABLE deliveries (
  delivery_id     TEXT PRIMARY KEY NOT NULL CHECK (delivery_id <> ''),
  event           TEXT NOT NULL,
  action          TEXT NOT NULL,
  installation_id INTEGER NOT NULL,
  repository      TEXT NOT NULL,
  received_at     INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed', 'ignored')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  finished_at     INTEGER,
  lease_until     INTEGER,
  worker_id       TEXT,
  redeliveries    INTEGER NOT NULL DEFAULT 0,
  body            BLOB NOT NULL
);
-- The queue in arrival order, and counts by state, from the index alone.
CREATE INDEX deliveries_by_state ON deliveries (state, received_at);
-- Running deliveries per installation, for the concurrency limit; holds only running rows.
CREATE INDEX deliveries_running ON deliveries (installation_id) WHERE state = 'running';

CREATE TABLE effects (
  effect_key  TEXT PRIMARY KEY NOT NULL CHECK (effect_key <> ''),
  state       TEXT NOT NULL CHECK (state IN ('started', 'done')),
  result      TEXT,
  attempts    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
) WITHOUT ROWID;

CREATE TABLE approvals (
  id          INTEGER PRIMARY KEY,
  repository  TEXT NOT NULL,
  subject     INTEGER NOT NULL,
  sha         TEXT NOT NULL,
  login       TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('comment', 'review')),
  event_id    INTEGER NOT NULL,
  permission  TEXT NOT NULL,
  is_bot      INTEGER NOT NULL CHECK (is_bot IN (0, 1)),
  cancel      INTEGER NOT NULL CHECK (cancel IN (0, 1)),
  edited      INTEGER NOT NULL CHECK (edited IN (0, 1)),
  created_at  INTEGER NOT NULL,
  UNIQUE (repository, source, event_id)
);
CREATE INDEX approvals_by_subject ON approvals (repository, subject, sha);

CREATE TABLE deployments (
  repository    TEXT NOT NULL,
  deployment_id INTEGER NOT NULL,
  environment   TEXT NOT NULL,
  version       TEXT NOT NULL,
  sha           TEXT NOT NULL,
  state         TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (repository, deployment_id)
);
CREATE INDEX deployments_by_environment ON deployments (repository, environment, created_at);

CREATE TABLE config_cache (
  repository TEXT PRIMARY KEY NOT NULL,
  blob_sha   TEXT NOT NULL,
  text       TEXT NOT NULL,
  fetched_at INTEGER NOT NULL
);

CREATE TABLE audit (
  seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
  record      TEXT NOT NULL,
  hash        TEXT NOT NULL,
  appended_at INTEGER NOT NULL
);
)sql"},
    {2, "adding the bot's state table", R"sql(
-- What handlers remember between deliveries, by key: a deploy waiting on the protection rule, a
-- workflow run the bot dispatched. Values are JSON text.
CREATE TABLE bot_state (
  key        TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql"},
    {3, "recording effects that failed with an answer", R"sql(
-- 'failed': GitHub answered the effect's request with an error, so it did not happen and may be
-- sent again. 'started' alone now means the outcome is unknown (a crash or a lost answer).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE effects_v3 (
  effect_key  TEXT PRIMARY KEY NOT NULL CHECK (effect_key <> ''),
  state       TEXT NOT NULL CHECK (state IN ('started', 'failed', 'done')),
  result      TEXT,
  attempts    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER,
  last_error  TEXT
) WITHOUT ROWID;
INSERT INTO effects_v3 (effect_key, state, result, attempts, created_at, finished_at)
  SELECT effect_key, state, result, attempts, created_at, finished_at FROM effects;
DROP TABLE effects;
ALTER TABLE effects_v3 RENAME TO effects;
)sql"},
    {4, "dropping the deployments table, which nothing read", R"sql(
-- The bot recorded the deployments it listed from GitHub here but never read them back: GitHub is
-- the record of deployments (core/github_facts reads it each time).
DROP INDEX IF EXISTS deployments_by_environment;
DROP TABLE IF EXISTS deployments;
)sql"},
    {5, "ordering the queue by when each delivery is due", R"sql(
-- claim_next takes the delivery due earliest. Ordered by arrival alone, a claim walked past every
-- delivery held until a rate limit resets (all of an installation's, after a park) to find one that
-- is due: with a backlog, each claim read the whole backlog while holding the write lock. The queue
-- counts by state still come from this index alone.
DROP INDEX IF EXISTS deliveries_by_state;
CREATE INDEX deliveries_by_state ON deliveries (state, next_attempt_at, received_at);
)sql"},
};

constexpr int kLatestVersion = kMigrations[std::size(kMigrations) - 1].version;

void configure(sqlite::Connection& connection, const Options& options) {
  connection.set_busy_timeout(options.busy_timeout);
  connection.exec(options.durability == Durability::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                  "setting synchronous");
  connection.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
}

const SystemClock kSystemClock;

}  // namespace

// --- the process lock ----------------------------------------------------------------------------

class LockFile {
 public:
  explicit LockFile(const std::filesystem::path& database) : path_(database.string() + ".lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      throw std::runtime_error("store: cannot create the lock file " + path_ + ": " + std::strerror(errno) +
                               " (check the directory exists and is writable)");
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      int error = errno;
      ::close(fd_);
      throw std::runtime_error("store: " + database.string() + " is in use by another process (" + path_ +
                               " is locked: " + std::strerror(error) + "); run one deploy-bot per store");
    }
  }
  ~LockFile() { ::close(fd_); }  // closing releases the lock; the file stays (harmless, reused)
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

// --- opening and closing -------------------------------------------------------------------------

Database::Database(Options opts)
    : options_(std::move(opts)), clock_(options_.clock != nullptr ? *options_.clock : kSystemClock) {
  if (options_.read_connections < 1) throw std::invalid_argument("store: read_connections must be at least 1");
  if (options_.read_only) return;  // readers open on first use; nothing else to set up
  if (options_.checkpoint_pages < 1 || options_.wal_limit_pages < options_.checkpoint_pages) {
    throw std::invalid_argument(
        "store: checkpoint_pages must be at least 1 and wal_limit_pages at least checkpoint_pages");
  }
  lock_file_ = std::make_unique<LockFile>(options_.path);

  writer_ = std::make_unique<sqlite::Connection>(options_.path, sqlite::OpenMode::read_write_create);
  {
    sqlite::Statement mode(*writer_, "PRAGMA journal_mode = WAL", "switching to WAL journal mode");
    std::string result = mode.step() ? mode.column_string(0) : "";
    if (result != "wal") {
      throw sqlite::Error(SQLITE_ERROR, "switching to WAL journal mode",
                          "the journal mode stayed '" + result + "' (WAL needs a local file system)", writer_->path());
    }
  }
  configure(*writer_, options_);
  // When the WAL starts over, a file that grew past the limit is cut back. Not below it: under
  // sustained load the WAL cycles up to wal_limit_pages, and reusing the file's pages is much
  // cheaper for the kernel than truncating and growing it again.
  writer_->exec("PRAGMA journal_size_limit = " + std::to_string(std::int64_t{options_.wal_limit_pages} * 4096),
                "setting journal_size_limit");
  migrate();

  checkpointer_ = std::make_unique<sqlite::Connection>(options_.path, sqlite::OpenMode::read_write_create);
  configure(*checkpointer_, options_);
  next_checkpoint_at_ = options_.checkpoint_pages;
  // Replaces SQLite's automatic checkpoint, which would run inside a committing write.
  sqlite3_wal_hook(writer_->handle(), &Database::on_wal_commit, this);
  checkpoint_thread_ = std::thread([this] { checkpoint_loop(); });
}

Database::~Database() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_one();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  if (writer_) sqlite3_wal_hook(writer_->handle(), nullptr, nullptr);
  // Readers and the checkpointer close first; the writer, closing last, checkpoints the WAL into
  // the database and removes it.
  idle_readers_.clear();
  checkpointer_.reset();
  writer_.reset();
}

int Database::schema_version() { return kLatestVersion; }

void Database::migrate() {
  sqlite::Transaction tx(*writer_);
  writer_->exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                "creating the schema_version table");
  std::int64_t current = 0;
  {
    sqlite::Statement st(*writer_, "SELECT coalesce(max(version), 0) FROM schema_version",
                         "reading the schema version");
    if (st.step()) current = st.column_int64(0);
  }
  if (current > kLatestVersion) {
    throw std::runtime_error("store: " + options_.path.string() + " has schema version " + std::to_string(current) +
                             ", newer than this deploy-bot knows (" + std::to_string(kLatestVersion) +
                             "); run the newer deploy-bot, or restore a backup made for this version");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= current) continue;
    writer_->exec(migration.sql, std::string("migrating to schema version ") + std::to_string(migration.version) +
                                     " (" + migration.purpose + ")");
    sqlite::Statement record(*writer_, "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                             "recording the schema version");
    record.bind(1, migration.version).bind(2, to_ms(clock_.now()));
    record.run();
  }
  tx.commit();
}

sqlite::Connection& Database::writable() {
  if (!writer_) {
    throw std::logic_error("store: " + options_.path.string() + " was opened read-only; this needs it writable");
  }
  return *writer_;
}

// --- read connections ----------------------------------------------------------------------------

std::unique_ptr<sqlite::Connection> Database::open_reader() {
  if (options_.read_only) {
    auto connection = std::make_unique<sqlite::Connection>(options_.path, sqlite::OpenMode::read_only);
    connection->set_busy_timeout(options_.busy_timeout);
    return connection;
  }
  auto connection = std::make_unique<sqlite::Connection>(options_.path, sqlite::OpenMode::read_write_create);
  configure(*connection, options_);
  connection->exec("PRAGMA query_only = ON", "making a read connection read-only");
  return connection;
}

Database::ReaderLease::ReaderLease(Database& owner) : db(owner) {
  std::unique_lock lock(db.readers_mutex_);
  db.readers_cv_.wait(lock,
                      [&] { return !db.idle_readers_.empty() || db.open_readers_ < db.options_.read_connections; });
  if (!db.idle_readers_.empty()) {
    connection = std::move(db.idle_readers_.back());
    db.idle_readers_.pop_back();
    return;
  }
  ++db.open_readers_;
  lock.unlock();
  try {
    connection = db.open_reader();
  } catch (...) {
    lock.lock();
    --db.open_readers_;
    db.readers_cv_.notify_one();
    throw;
  }
}

Database::ReaderLease::~ReaderLease() {
  {
    std::lock_guard lock(db.readers_mutex_);
    db.idle_readers_.push_back(std::move(connection));
  }
  db.readers_cv_.notify_one();
}

// --- transactions --------------------------------------------------------------------------------

Database::Transaction::Transaction(Database& database) : db_(database) {
  if (db_.owns_transaction()) throw std::logic_error("store: transaction() inside a transaction() on the same thread");
  sqlite::Connection& writer = db_.writable();
  db_.write_mutex_.lock();
  try {
    sqlite::Statement& begin = writer.cached("BEGIN IMMEDIATE", "beginning a transaction");
    sqlite::Reset reset(begin);
    begin.run();
  } catch (...) {
    db_.write_mutex_.unlock();
    throw;
  }
  db_.tx_owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  open_ = true;
}

Database::Transaction::~Transaction() {
  if (!open_) return;
  // A failed statement may already have rolled back (I/O error, disk full); then there is none left.
  if (db_.writer_->in_transaction()) {
    // Cannot throw here; should ROLLBACK itself fail, the writer stays in a transaction and the
    // next BEGIN fails loudly.
    sqlite3_exec(db_.writer_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  db_.tx_owner_.store(std::thread::id{}, std::memory_order_relaxed);
  db_.write_mutex_.unlock();
}

void Database::Transaction::commit() {
  if (!open_) throw std::logic_error("store: commit() on a finished transaction");
  {
    sqlite::Statement& commit = db_.writer_->cached("COMMIT", "committing a transaction");
    sqlite::Reset reset(commit);
    commit.run();  // on failure the destructor rolls back and releases the writer
  }
  open_ = false;
  db_.tx_owner_.store(std::thread::id{}, std::memory_order_relaxed);
  db_.write_mutex_.unlock();
}

// --- stats ---------------------------------------------------------------------------------------

void Database::count_ingest_commit(std::size_t carried) {
  std::lock_guard lock(stats_mutex_);
  ++stats_.ingest_commits;
  stats_.ingested += carried;
  stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, carried);
}

Stats Database::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

// --- checkpoints ---------------------------------------------------------------------------------

// Runs on the writer after each commit (so under write_mutex_): `pages` is the WAL's length. A pass
// is asked for each time the WAL has grown by checkpoint_pages since the last request, not after
// every commit: a pass costs fsyncs, and most commits land while one is running anyway.
int Database::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  auto* impl = static_cast<Database*>(self);
  if (pages < impl->wal_pages_seen_) impl->next_checkpoint_at_ = impl->options_.checkpoint_pages;  // WAL restarted
  impl->wal_pages_seen_ = pages;
  if (pages >= impl->next_checkpoint_at_) {
    impl->next_checkpoint_at_ = pages + impl->options_.checkpoint_pages;
    {
      std::lock_guard lock(impl->checkpoint_mutex_);
      impl->checkpoint_wanted_ = true;
    }
    impl->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void Database::checkpoint_loop() {
  std::unique_lock lock(checkpoint_mutex_);
  for (;;) {
    checkpoint_cv_.wait(lock, [&] { return checkpoint_wanted_ || stopping_; });
    if (stopping_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    checkpoint();
    lock.lock();
  }
}

void Database::sync_database_file() {
  // Through SQLite's own file handle: opening and closing another descriptor of the database file
  // would drop SQLite's POSIX locks on it.
  sqlite3_file* file = nullptr;
  int rc = sqlite3_file_control(checkpointer_->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file);
  if (rc == SQLITE_OK && (file == nullptr || file->pMethods == nullptr)) rc = SQLITE_MISUSE;
  if (rc == SQLITE_OK) rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK)
    throw sqlite::Error(rc, "flushing the database file before a checkpoint", "", checkpointer_->path());
}

void Database::checkpoint() {
  // PASSIVE copies the WAL into the database without blocking the writer or readers (with fsyncs of
  // both files, except under synchronous=OFF, which this store never uses). Once a pass has copied
  // the whole WAL, the next write transaction starts the WAL over from its beginning.
  int wal_pages = 0;
  int copied = 0;
  std::chrono::microseconds held{0};
  // false: SQLITE_BUSY, another connection was checkpointing or restarting the WAL at that instant;
  // nothing is wrong, and the WAL's next growth asks again.
  auto passive = [&] {
    int rc =
        sqlite3_wal_checkpoint_v2(checkpointer_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
    if (rc == SQLITE_BUSY) return false;
    if (rc != SQLITE_OK) {
      throw sqlite::Error(rc, "checkpointing the WAL", sqlite3_errmsg(checkpointer_->handle()), checkpointer_->path());
    }
    return true;
  };
  try {
    if (!passive()) return;
    bool blocking = wal_pages >= options_.wal_limit_pages;
    if (blocking) {
      // Under sustained writes a pass never catches up with the writer, so the WAL would never start
      // over and would grow without bound. Catch up in the background until a pass finds little new,
      // then copy that little with writes held off: ingest() waits for the remainder's copy and fsyncs.
      //
      // SQLite fsyncs the database only when a pass reaches the end of the WAL, so that final pass
      // would also flush every page copied since the WAL last started over (hundreds of MB, most
      // of a second here). Flushing them beforehand, without the lock, leaves it only the remainder.
      const int little = std::max(options_.checkpoint_pages / 16, 64);
      for (int pass = 0; pass < 3; ++pass) {
        sync_database_file();
        int before = copied;
        passive();
        if (copied - before < little) break;
      }
      sync_database_file();
      std::lock_guard write_lock(write_mutex_);
      auto start = std::chrono::steady_clock::now();
      passive();
      held = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    }
    std::lock_guard stats_lock(stats_mutex_);
    ++stats_.checkpoints;
    if (blocking) {
      ++stats_.blocking_checkpoints;
      stats_.longest_write_pause = std::max(stats_.longest_write_pause, held);
    }
  } catch (const sqlite::Error& error) {
    // Nobody to throw to on this thread: counted and kept for stats() (/metrics); the next commit
    // past the threshold asks for another checkpoint.
    std::lock_guard stats_lock(stats_mutex_);
    ++stats_.checkpoint_failures;
    stats_.last_checkpoint_error = error.what();
  }
}

}  // namespace deploy::store
