#include "core/store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/sqlite.hpp"

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
};

constexpr int kLatestVersion = kMigrations[std::size(kMigrations) - 1].version;

std::int64_t to_ms(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

TimePoint from_ms(std::int64_t ms) { return TimePoint{std::chrono::milliseconds{ms}}; }

std::optional<TimePoint> optional_time(const sqlite::Statement& st, int column) {
  auto ms = st.column_optional_int64(column);
  if (!ms) return std::nullopt;
  return from_ms(*ms);
}

DeliveryState parse_state(std::string_view text) {
  if (text == "queued") return DeliveryState::queued;
  if (text == "running") return DeliveryState::running;
  if (text == "done") return DeliveryState::done;
  if (text == "failed") return DeliveryState::failed;
  if (text == "ignored") return DeliveryState::ignored;
  // The schema's CHECK constraint makes this unreachable unless the file was edited by hand.
  throw std::runtime_error("store: unknown delivery state '" + std::string(text) + "' in the database");
}

ApprovalSource parse_source(std::string_view text) {
  if (text == "comment") return ApprovalSource::comment;
  if (text == "review") return ApprovalSource::review;
  throw std::runtime_error("store: unknown approval source '" + std::string(text) + "' in the database");
}

// --- statements ----------------------------------------------------------------------------------

constexpr const char* kDeliveryColumns =
    "delivery_id, event, action, installation_id, repository, received_at, state, attempts, next_attempt_at, "
    "last_error, finished_at, lease_until, worker_id, redeliveries, body";

Delivery read_delivery(const sqlite::Statement& st) {
  Delivery d;
  d.delivery_id = st.column_string(0);
  d.event = st.column_string(1);
  d.action = st.column_string(2);
  d.installation_id = st.column_int64(3);
  d.repository = st.column_string(4);
  d.received_at = from_ms(st.column_int64(5));
  d.state = parse_state(st.column_text(6));
  d.attempts = st.column_int64(7);
  d.next_attempt_at = from_ms(st.column_int64(8));
  d.last_error = st.column_optional_string(9);
  d.finished_at = optional_time(st, 10);
  d.lease_until = optional_time(st, 11);
  d.worker_id = st.column_optional_string(12);
  d.redeliveries = st.column_int64(13);
  d.body = std::string(st.column_blob(14));
  return d;
}

const std::string kSelectDelivery = std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE delivery_id = ?1";

constexpr const char* kInsertDelivery = R"sql(
INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, received_at, next_attempt_at, body)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
ON CONFLICT (delivery_id) DO NOTHING)sql";

// A failed delivery is the only kind a redelivery brings back: GitHub's "redeliver" reuses the
// X-GitHub-Delivery id, and a human presses it because the first attempt did not work.
constexpr const char* kRequeueFailed = R"sql(
-- The body is taken again: the stored one may have been pruned (prune_delivery_bodies).
UPDATE deliveries
SET state = 'queued', next_attempt_at = ?2, last_error = NULL, finished_at = NULL, lease_until = NULL,
    redeliveries = redeliveries + 1, body = ?3
WHERE delivery_id = ?1 AND state = 'failed')sql";

const std::string kClaim = std::string(R"sql(
UPDATE deliveries
SET state = 'running', attempts = attempts + 1, lease_until = ?3, worker_id = ?4
WHERE rowid = (
  SELECT d.rowid FROM deliveries AS d
  WHERE d.state = 'queued' AND d.next_attempt_at <= ?1
    AND (SELECT count(*) FROM deliveries AS r
         WHERE r.state = 'running' AND r.installation_id = d.installation_id) < ?2
  ORDER BY d.received_at, d.rowid
  LIMIT 1)
RETURNING )sql") + kDeliveryColumns;

constexpr const char* kComplete = R"sql(
UPDATE deliveries SET state = 'done', finished_at = ?3, lease_until = NULL
WHERE delivery_id = ?1 AND state = 'running' AND attempts = ?2)sql";

constexpr const char* kRetry = R"sql(
UPDATE deliveries SET state = 'queued', next_attempt_at = ?3, last_error = ?4, lease_until = NULL
WHERE delivery_id = ?1 AND state = 'running' AND attempts = ?2)sql";

// A rate-limit park: the claim did not count as an attempt (the lease's attempt is the one before).
constexpr const char* kPark = R"sql(
UPDATE deliveries SET state = 'queued', attempts = attempts - 1, next_attempt_at = ?3, last_error = ?4, lease_until = NULL
WHERE delivery_id = ?1 AND state = 'running' AND attempts = ?2)sql";

constexpr const char* kHoldInstallation = R"sql(
UPDATE deliveries SET next_attempt_at = ?2
WHERE state = 'queued' AND installation_id = ?1 AND next_attempt_at < ?2)sql";

constexpr const char* kFailPermanently = R"sql(
UPDATE deliveries SET state = 'failed', finished_at = ?3, last_error = ?4, lease_until = NULL
WHERE delivery_id = ?1 AND state = 'running' AND attempts = ?2)sql";

constexpr const char* kIgnore = R"sql(
UPDATE deliveries SET state = 'ignored', finished_at = ?3, lease_until = NULL
WHERE delivery_id = ?1 AND state = 'running' AND attempts = ?2)sql";

constexpr const char* kReleaseExpired = R"sql(
UPDATE deliveries SET state = 'queued', lease_until = NULL WHERE state = 'running' AND lease_until <= ?1)sql";

constexpr const char* kRequeueRunning = R"sql(
UPDATE deliveries SET state = 'queued', lease_until = NULL WHERE state = 'running')sql";

constexpr const char* kPruneDeliveries = R"sql(
DELETE FROM deliveries WHERE rowid IN (
  SELECT rowid FROM deliveries
  WHERE state IN ('done', 'failed', 'ignored') AND received_at < ?1
  LIMIT 500))sql";

// Only the body goes (a zero-length blob): the row keeps the delivery id, so a redelivery is still
// recognised, and what `deliveries list` shows. length() of a blob reads no overflow page.
constexpr const char* kPruneBodies = R"sql(
UPDATE deliveries SET body = X'' WHERE rowid IN (
  SELECT rowid FROM deliveries
  WHERE state IN ('done', 'failed', 'ignored') AND received_at < ?1 AND length(body) > 0
  LIMIT 500))sql";

constexpr const char* kPruneEffects = R"sql(
DELETE FROM effects WHERE effect_key IN (
  SELECT effect_key FROM effects WHERE state = 'done' AND created_at < ?1 LIMIT 500))sql";

// The state before this call (NULL for a new key) is read first; both run under the writer lock.
constexpr const char* kEffectState = R"sql(
SELECT state, result, attempts FROM effects WHERE effect_key = ?1)sql";

// A failed effect is being sent again: it is 'started' (outcome unknown until it finishes) again.
constexpr const char* kBeginEffect = R"sql(
INSERT INTO effects (effect_key, state, attempts, created_at) VALUES (?1, 'started', 1, ?2)
ON CONFLICT (effect_key) DO UPDATE SET attempts = attempts + 1,
  state = CASE WHEN state = 'failed' THEN 'started' ELSE state END)sql";

constexpr const char* kFailEffect = R"sql(
UPDATE effects SET state = 'failed', last_error = ?2 WHERE effect_key = ?1 AND state = 'started')sql";

constexpr const char* kFinishEffect = R"sql(
UPDATE effects SET state = 'done', result = ?2, finished_at = ?3 WHERE effect_key = ?1)sql";

constexpr const char* kApprovalColumns =
    "repository, subject, sha, login, source, event_id, permission, is_bot, cancel, edited, created_at";

const std::string kInsertApproval = std::string("INSERT INTO approvals (") + kApprovalColumns +
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                                    " ON CONFLICT (repository, source, event_id) DO NOTHING";

constexpr const char* kMarkApprovalEdited = R"sql(
UPDATE approvals SET edited = 1 WHERE repository = ?1 AND source = ?2 AND event_id = ?3)sql";

const std::string kSelectApprovals = std::string("SELECT ") + kApprovalColumns +
                                     " FROM approvals WHERE repository = ?1 AND subject = ?2 AND sha = ?3"
                                     " ORDER BY created_at, id";

constexpr const char* kDeploymentColumns =
    "repository, environment, version, sha, deployment_id, state, created_at, updated_at";

const std::string kUpsertDeployment = std::string("INSERT INTO deployments (") + kDeploymentColumns + R"sql()
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (repository, deployment_id) DO UPDATE
  SET environment = excluded.environment, version = excluded.version, sha = excluded.sha,
      state = excluded.state, updated_at = excluded.updated_at
  WHERE excluded.updated_at >= deployments.updated_at)sql";

const std::string kLastSuccessfulDeployment = std::string("SELECT ") + kDeploymentColumns + R"sql(
FROM deployments WHERE repository = ?1 AND environment = ?2 AND state IN ('success', 'inactive')
ORDER BY created_at DESC, deployment_id DESC LIMIT 1)sql";

const std::string kDeploymentHistory = std::string("SELECT ") + kDeploymentColumns + R"sql(
FROM deployments WHERE repository = ?1 AND environment = ?2
ORDER BY created_at DESC, deployment_id DESC LIMIT ?3)sql";

constexpr const char* kPutState = R"sql(
INSERT INTO bot_state (key, value, updated_at) VALUES (?1, ?2, ?3)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at)sql";

constexpr const char* kGetState = "SELECT value FROM bot_state WHERE key = ?1";

constexpr const char* kPutConfig = R"sql(
INSERT INTO config_cache (repository, blob_sha, text, fetched_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (repository) DO UPDATE
  SET blob_sha = excluded.blob_sha, text = excluded.text, fetched_at = excluded.fetched_at)sql";

constexpr const char* kGetConfig =
    "SELECT repository, blob_sha, text, fetched_at FROM config_cache WHERE repository = ?1";

// Appends only the next seq: the insert happens only when ?1 follows the last row.
constexpr const char* kAppendAudit = R"sql(
INSERT INTO audit (seq, record, hash, appended_at)
SELECT ?1, ?2, ?3, ?4 WHERE ?1 = (SELECT coalesce(max(seq) + 1, 0) FROM audit))sql";

constexpr const char* kAuditRecords =
    "SELECT seq, record, hash FROM audit WHERE seq >= ?1 ORDER BY seq LIMIT ?2";

constexpr const char* kLastAudit = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";

DeploymentSeen read_deployment(const sqlite::Statement& st) {
  DeploymentSeen d;
  d.repository = st.column_string(0);
  d.environment = st.column_string(1);
  d.version = st.column_string(2);
  d.sha = st.column_string(3);
  d.deployment_id = st.column_int64(4);
  d.state = st.column_string(5);
  d.created_at = from_ms(st.column_int64(6));
  d.updated_at = from_ms(st.column_int64(7));
  return d;
}

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

void configure(sqlite::Connection& connection, const Options& options) {
  connection.set_busy_timeout(options.busy_timeout);
  connection.exec(options.durability == Durability::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                  "setting synchronous");
  connection.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
}

const SystemClock kSystemClock;

}  // namespace

std::string_view to_string(DeliveryState state) {
  switch (state) {
    case DeliveryState::queued: return "queued";
    case DeliveryState::running: return "running";
    case DeliveryState::done: return "done";
    case DeliveryState::failed: return "failed";
    case DeliveryState::ignored: return "ignored";
  }
  return "unknown";
}

std::string_view to_string(IngestResult result) {
  switch (result) {
    case IngestResult::inserted: return "inserted";
    case IngestResult::duplicate: return "duplicate";
    case IngestResult::requeued: return "requeued";
  }
  return "unknown";
}

std::string_view to_string(EffectStart start) {
  switch (start) {
    case EffectStart::new_effect: return "new_effect";
    case EffectStart::retry_after_failure: return "retry_after_failure";
    case EffectStart::outcome_unknown: return "outcome_unknown";
    case EffectStart::already_done: return "already_done";
  }
  return "unknown";
}

std::string_view to_string(ApprovalSource source) {
  switch (source) {
    case ApprovalSource::comment: return "comment";
    case ApprovalSource::review: return "review";
  }
  return "unknown";
}

// --- Impl ----------------------------------------------------------------------------------------

struct Store::Impl {
  explicit Impl(Options opts);
  ~Impl();

  // The calling thread holds a Store::Transaction: it already owns the writer.
  bool owns_transaction() const { return tx_owner.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

  template <class F>
  decltype(auto) write(F&& body) {
    if (owns_transaction()) return body(*writer);
    std::lock_guard lock(write_mutex);
    return body(*writer);
  }

  template <class F>
  decltype(auto) read(F&& body) {
    if (owns_transaction()) return body(*writer);  // sees this thread's uncommitted writes
    ReaderLease lease(*this);
    return body(*lease.connection);
  }

  // --- read connections ---
  struct ReaderLease {
    explicit ReaderLease(Impl& impl);
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    Impl& impl;
    std::unique_ptr<sqlite::Connection> connection;
  };
  std::unique_ptr<sqlite::Connection> open_reader();

  // --- group commit ---
  struct PendingIngest {
    explicit PendingIngest(const IncomingDelivery& d) : delivery(&d) {}
    const IncomingDelivery* delivery;
    IngestResult result = IngestResult::duplicate;
    std::exception_ptr error;
    bool done = false;
  };
  void check_ingest(const IncomingDelivery& delivery) const;
  void ingest(PendingIngest* items, std::size_t count);
  void commit_batch(std::vector<PendingIngest*>& batch) noexcept;
  IngestResult insert_delivery(const IncomingDelivery& delivery);

  // --- checkpoints ---
  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int pages);
  void checkpoint_loop();
  void checkpoint();
  void sync_database_file();

  void migrate();

  Options options;
  const Clock& clock;
  LockFile lock_file;
  std::unique_ptr<sqlite::Connection> writer;
  std::mutex write_mutex;
  std::atomic<std::thread::id> tx_owner{};

  std::mutex readers_mutex;
  std::condition_variable readers_cv;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_readers;
  int open_readers = 0;

  std::mutex group_mutex;
  std::condition_variable group_cv;
  std::vector<PendingIngest*> waiting;  // guarded by group_mutex
  std::vector<PendingIngest*> batch;    // the leader's; only touched while committing
  bool committing = false;

  mutable std::mutex stats_mutex;
  Stats stats;

  std::unique_ptr<sqlite::Connection> checkpointer;
  int wal_pages_seen = 0;      // the wal hook's, guarded by write_mutex
  int next_checkpoint_at = 0;  // likewise
  std::mutex checkpoint_mutex;
  std::condition_variable checkpoint_cv;
  bool checkpoint_wanted = false;
  bool stopping = false;
  std::thread checkpoint_thread;
};

Store::Impl::Impl(Options opts)
    : options(std::move(opts)),
      clock(options.clock != nullptr ? *options.clock : kSystemClock),
      lock_file(options.path) {
  if (options.read_connections < 1) throw std::invalid_argument("store: read_connections must be at least 1");
  if (options.checkpoint_pages < 1 || options.wal_limit_pages < options.checkpoint_pages) {
    throw std::invalid_argument("store: checkpoint_pages must be at least 1 and wal_limit_pages at least checkpoint_pages");
  }

  writer = std::make_unique<sqlite::Connection>(options.path, sqlite::OpenMode::read_write_create);
  {
    sqlite::Statement mode(*writer, "PRAGMA journal_mode = WAL", "switching to WAL journal mode");
    std::string result = mode.step() ? mode.column_string(0) : "";
    if (result != "wal") {
      throw sqlite::Error(SQLITE_ERROR, "switching to WAL journal mode",
                          "the journal mode stayed '" + result + "' (WAL needs a local file system)", writer->path());
    }
  }
  configure(*writer, options);
  // When the WAL starts over, a file that grew past the limit is cut back. Not below it: under
  // sustained load the WAL cycles up to wal_limit_pages, and reusing the file's pages is much
  // cheaper for the kernel than truncating and growing it again.
  writer->exec("PRAGMA journal_size_limit = " + std::to_string(std::int64_t{options.wal_limit_pages} * 4096),
               "setting journal_size_limit");
  migrate();

  checkpointer = std::make_unique<sqlite::Connection>(options.path, sqlite::OpenMode::read_write_create);
  configure(*checkpointer, options);
  next_checkpoint_at = options.checkpoint_pages;
  // Replaces SQLite's automatic checkpoint, which would run inside a committing ingest() call.
  sqlite3_wal_hook(writer->handle(), &Impl::on_wal_commit, this);
  checkpoint_thread = std::thread([this] { checkpoint_loop(); });
}

Store::Impl::~Impl() {
  {
    std::lock_guard lock(checkpoint_mutex);
    stopping = true;
  }
  checkpoint_cv.notify_one();
  if (checkpoint_thread.joinable()) checkpoint_thread.join();
  sqlite3_wal_hook(writer->handle(), nullptr, nullptr);
  // Readers and the checkpointer close first; the writer, closing last, checkpoints the WAL into
  // the database and removes it.
  idle_readers.clear();
  checkpointer.reset();
}

void Store::Impl::migrate() {
  sqlite::Transaction tx(*writer);
  writer->exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
               "creating the schema_version table");
  std::int64_t current = 0;
  {
    sqlite::Statement st(*writer, "SELECT coalesce(max(version), 0) FROM schema_version", "reading the schema version");
    if (st.step()) current = st.column_int64(0);
  }
  if (current > kLatestVersion) {
    throw std::runtime_error("store: " + options.path.string() + " has schema version " + std::to_string(current) +
                             ", newer than this deploy-bot knows (" + std::to_string(kLatestVersion) +
                             "); run the newer deploy-bot, or restore a backup made for this version");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= current) continue;
    writer->exec(migration.sql, std::string("migrating to schema version ") + std::to_string(migration.version) +
                                    " (" + migration.purpose + ")");
    sqlite::Statement record(*writer, "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                             "recording the schema version");
    record.bind(1, migration.version).bind(2, to_ms(clock.now()));
    record.run();
  }
  tx.commit();
}

// --- read connections ----------------------------------------------------------------------------

std::unique_ptr<sqlite::Connection> Store::Impl::open_reader() {
  auto connection = std::make_unique<sqlite::Connection>(options.path, sqlite::OpenMode::read_write_create);
  configure(*connection, options);
  connection->exec("PRAGMA query_only = ON", "making a read connection read-only");
  return connection;
}

Store::Impl::ReaderLease::ReaderLease(Impl& owner) : impl(owner) {
  std::unique_lock lock(impl.readers_mutex);
  impl.readers_cv.wait(lock, [&] { return !impl.idle_readers.empty() || impl.open_readers < impl.options.read_connections; });
  if (!impl.idle_readers.empty()) {
    connection = std::move(impl.idle_readers.back());
    impl.idle_readers.pop_back();
    return;
  }
  ++impl.open_readers;
  lock.unlock();
  try {
    connection = impl.open_reader();
  } catch (...) {
    lock.lock();
    --impl.open_readers;
    impl.readers_cv.notify_one();
    throw;
  }
}

Store::Impl::ReaderLease::~ReaderLease() {
  {
    std::lock_guard lock(impl.readers_mutex);
    impl.idle_readers.push_back(std::move(connection));
  }
  impl.readers_cv.notify_one();
}

// --- group commit --------------------------------------------------------------------------------
// Leader/follower: a caller queues its delivery; if no commit is in progress it becomes the leader,
// takes everything queued, commits it in one transaction and wakes the others with their results.
// Callers arriving during a commit queue up and form the next batch. A lone caller commits at once:
// there is no timer and no waiting for company, and no other thread is involved.

void Store::Impl::check_ingest(const IncomingDelivery& delivery) const {
  if (delivery.delivery_id.empty()) throw std::invalid_argument("store: ingest needs a delivery id (X-GitHub-Delivery)");
  if (owns_transaction()) {
    throw std::logic_error("store: ingest() inside transaction() would not be durable when it returns; call it outside");
  }
}

// `items` are queued together, so they land in the same batch and are done together.
void Store::Impl::ingest(PendingIngest* items, std::size_t count) {
  std::unique_lock lock(group_mutex);
  for (std::size_t i = 0; i < count; ++i) waiting.push_back(&items[i]);
  while (!items[0].done) {
    if (committing) {
      group_cv.wait(lock);
      continue;
    }
    committing = true;
    batch.clear();
    batch.swap(waiting);  // both keep their capacity: no allocation per batch in the steady state
    lock.unlock();
    commit_batch(batch);
    lock.lock();
    for (PendingIngest* pending : batch) pending->done = true;
    committing = false;
    group_cv.notify_all();
  }
}

IngestResult Store::Impl::insert_delivery(const IncomingDelivery& d) {
  {
    sqlite::Statement& st = writer->cached(kInsertDelivery, "inserting a delivery");
    sqlite::Reset reset(st);
    st.bind(1, d.delivery_id).bind(2, d.event).bind(3, d.action).bind(4, d.installation_id).bind(5, d.repository);
    st.bind(6, to_ms(d.received_at)).bind_blob(7, d.body);
    st.run();
    if (writer->changes() == 1) return IngestResult::inserted;
  }
  sqlite::Statement& st = writer->cached(kRequeueFailed, "requeueing a redelivered failed delivery");
  sqlite::Reset reset(st);
  st.bind(1, d.delivery_id).bind(2, to_ms(d.received_at)).bind_blob(3, d.body);
  st.run();
  return writer->changes() == 1 ? IngestResult::requeued : IngestResult::duplicate;
}

void Store::Impl::commit_batch(std::vector<PendingIngest*>& items) noexcept {
  try {
    std::lock_guard lock(write_mutex);
    sqlite::Transaction tx(*writer);
    for (PendingIngest* pending : items) pending->result = insert_delivery(*pending->delivery);
    tx.commit();
    std::lock_guard stats_lock(stats_mutex);
    ++stats.ingest_commits;
    stats.ingested += items.size();
    stats.largest_batch = std::max<std::uint64_t>(stats.largest_batch, items.size());
    return;
  } catch (...) {
    if (items.size() == 1) {
      items.front()->error = std::current_exception();
      return;
    }
  }
  // One delivery (or the commit) failed, so nothing in the batch was committed. Retry each one in
  // its own transaction, so every caller gets its own result or its own error.
  for (PendingIngest* pending : items) {
    try {
      std::lock_guard lock(write_mutex);
      sqlite::Transaction tx(*writer);
      pending->result = insert_delivery(*pending->delivery);
      tx.commit();
      std::lock_guard stats_lock(stats_mutex);
      ++stats.ingest_commits;
      ++stats.ingested;
    } catch (...) {
      pending->error = std::current_exception();
    }
  }
}

// --- checkpoints ---------------------------------------------------------------------------------

// Runs on the writer after each commit (so under write_mutex): `pages` is the WAL's length. A pass
// is asked for each time the WAL has grown by checkpoint_pages since the last request, not after
// every commit: a pass costs fsyncs, and most commits land while one is running anyway.
int Store::Impl::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  auto* impl = static_cast<Impl*>(self);
  if (pages < impl->wal_pages_seen) impl->next_checkpoint_at = impl->options.checkpoint_pages;  // WAL restarted
  impl->wal_pages_seen = pages;
  if (pages >= impl->next_checkpoint_at) {
    impl->next_checkpoint_at = pages + impl->options.checkpoint_pages;
    {
      std::lock_guard lock(impl->checkpoint_mutex);
      impl->checkpoint_wanted = true;
    }
    impl->checkpoint_cv.notify_one();
  }
  return SQLITE_OK;
}

void Store::Impl::checkpoint_loop() {
  std::unique_lock lock(checkpoint_mutex);
  for (;;) {
    checkpoint_cv.wait(lock, [&] { return checkpoint_wanted || stopping; });
    if (stopping) return;
    checkpoint_wanted = false;
    lock.unlock();
    checkpoint();
    lock.lock();
  }
}

void Store::Impl::sync_database_file() {
  // Through SQLite's own file handle: opening and closing another descriptor of the database file
  // would drop SQLite's POSIX locks on it.
  sqlite3_file* file = nullptr;
  int rc = sqlite3_file_control(checkpointer->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file);
  if (rc == SQLITE_OK && (file == nullptr || file->pMethods == nullptr)) rc = SQLITE_MISUSE;
  if (rc == SQLITE_OK) rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) throw sqlite::Error(rc, "flushing the database file before a checkpoint", "", checkpointer->path());
}

void Store::Impl::checkpoint() {
  // PASSIVE copies the WAL into the database without blocking the writer or readers (with fsyncs of
  // both files, except under synchronous=OFF, which this store never uses). Once a pass has copied
  // the whole WAL, the next write transaction starts the WAL over from its beginning.
  int wal_pages = 0;
  int copied = 0;
  std::chrono::microseconds held{0};
  // false: SQLITE_BUSY, another connection was checkpointing or restarting the WAL at that instant;
  // nothing is wrong, and the WAL's next growth asks again.
  auto passive = [&] {
    int rc = sqlite3_wal_checkpoint_v2(checkpointer->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
    if (rc == SQLITE_BUSY) return false;
    if (rc != SQLITE_OK) {
      throw sqlite::Error(rc, "checkpointing the WAL", sqlite3_errmsg(checkpointer->handle()), checkpointer->path());
    }
    return true;
  };
  try {
    if (!passive()) return;
    bool blocking = wal_pages >= options.wal_limit_pages;
    if (blocking) {
      // Under sustained writes a pass never catches up with the writer, so the WAL would never start
      // over and would grow without bound. Catch up in the background until a pass finds little new,
      // then copy that little with writes held off: ingest() waits for the remainder's copy and fsyncs.
      //
      // SQLite fsyncs the database only when a pass reaches the end of the WAL, so that final pass
      // would also flush every page copied since the WAL last started over (hundreds of MB, most
      // of a second here). Flushing them beforehand, without the lock, leaves it only the remainder.
      const int little = std::max(options.checkpoint_pages / 16, 64);
      for (int pass = 0; pass < 3; ++pass) {
        sync_database_file();
        int before = copied;
        passive();
        if (copied - before < little) break;
      }
      sync_database_file();
      std::lock_guard write_lock(write_mutex);
      auto start = std::chrono::steady_clock::now();
      passive();
      held = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    }
    std::lock_guard stats_lock(stats_mutex);
    ++stats.checkpoints;
    if (blocking) {
      ++stats.blocking_checkpoints;
      stats.longest_write_pause = std::max(stats.longest_write_pause, held);
    }
  } catch (const sqlite::Error& error) {
    // Nobody to throw to on this thread: counted and kept for stats() (/metrics); the next commit
    // past the threshold asks for another checkpoint.
    std::lock_guard stats_lock(stats_mutex);
    ++stats.checkpoint_failures;
    stats.last_checkpoint_error = error.what();
  }
}

// --- Store ---------------------------------------------------------------------------------------

Store::Store(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Store::~Store() = default;

int Store::schema_version() { return kLatestVersion; }

IngestResult Store::ingest(const IncomingDelivery& delivery) {
  impl_->check_ingest(delivery);
  Impl::PendingIngest mine(delivery);
  impl_->ingest(&mine, 1);
  if (mine.error) std::rethrow_exception(mine.error);
  return mine.result;
}

std::vector<IngestResult> Store::ingest(std::span<const IncomingDelivery> deliveries) {
  if (deliveries.empty()) return {};
  for (const IncomingDelivery& delivery : deliveries) impl_->check_ingest(delivery);
  std::vector<Impl::PendingIngest> items(deliveries.begin(), deliveries.end());
  impl_->ingest(items.data(), items.size());
  std::vector<IngestResult> results;
  results.reserve(items.size());
  for (const Impl::PendingIngest& item : items) {
    if (item.error) std::rethrow_exception(item.error);
    results.push_back(item.result);
  }
  return results;
}

std::optional<Delivery> Store::delivery(std::string_view delivery_id) {
  return impl_->read([&](sqlite::Connection& db) -> std::optional<Delivery> {
    sqlite::Statement& st = db.cached(kSelectDelivery, "reading a delivery");
    sqlite::Reset reset(st);
    st.bind(1, delivery_id);
    if (!st.step()) return std::nullopt;
    return read_delivery(st);
  });
}

std::optional<Claim> Store::claim_next(std::string_view worker_id, TimePoint now, int installation_limit) {
  if (installation_limit < 1) throw std::invalid_argument("store: claim_next needs an installation_limit of at least 1");
  return impl_->write([&](sqlite::Connection& db) -> std::optional<Claim> {
    sqlite::Statement& st = db.cached(kClaim, "claiming the next delivery");
    sqlite::Reset reset(st);
    st.bind(1, to_ms(now)).bind(2, installation_limit).bind(3, to_ms(now + impl_->options.lease)).bind(4, worker_id);
    if (!st.step()) return std::nullopt;
    Claim claim{read_delivery(st), {}};
    claim.lease = Lease{claim.delivery.delivery_id, claim.delivery.attempts};
    st.run();
    return claim;
  });
}

namespace {

bool finish_lease(sqlite::Connection& db, const char* sql, const char* purpose, const Lease& lease, TimePoint time,
                  std::optional<std::string_view> error) {
  sqlite::Statement& st = db.cached(sql, purpose);
  sqlite::Reset reset(st);
  st.bind(1, lease.delivery_id).bind(2, lease.attempt).bind(3, to_ms(time));
  if (error) st.bind(4, *error);
  st.run();
  return db.changes() == 1;
}

}  // namespace

bool Store::complete(const Lease& lease) {
  return impl_->write([&](sqlite::Connection& db) {
    return finish_lease(db, kComplete, "completing a delivery", lease, impl_->clock.now(), std::nullopt);
  });
}

bool Store::fail(const Lease& lease, std::string_view error, std::optional<TimePoint> retry_at) {
  return impl_->write([&](sqlite::Connection& db) {
    if (retry_at) return finish_lease(db, kRetry, "scheduling a delivery's retry", lease, *retry_at, error);
    return finish_lease(db, kFailPermanently, "failing a delivery", lease, impl_->clock.now(), error);
  });
}

std::int64_t Store::park(const Lease& lease, std::int64_t installation_id, TimePoint until, std::string_view why) {
  return impl_->write([&](sqlite::Connection& db) -> std::int64_t {
    if (!finish_lease(db, kPark, "parking a delivery until a rate limit resets", lease, until, why)) return -1;
    if (installation_id == 0) return 0;
    sqlite::Statement& st = db.cached(kHoldInstallation, "holding an installation's deliveries until a rate limit resets");
    sqlite::Reset reset(st);
    st.bind(1, installation_id).bind(2, to_ms(until));
    st.run();
    return db.changes();
  });
}

bool Store::ignore(const Lease& lease) {
  return impl_->write([&](sqlite::Connection& db) {
    return finish_lease(db, kIgnore, "ignoring a delivery", lease, impl_->clock.now(), std::nullopt);
  });
}

std::int64_t Store::release_expired_leases(TimePoint now) {
  return impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kReleaseExpired, "releasing expired leases");
    sqlite::Reset reset(st);
    st.bind(1, to_ms(now));
    st.run();
    return db.changes();
  });
}

std::int64_t Store::requeue_running() {
  return impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kRequeueRunning, "requeueing running deliveries");
    sqlite::Reset reset(st);
    st.run();
    return db.changes();
  });
}

std::int64_t Store::queue_depth() {
  return impl_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached("SELECT count(*) FROM deliveries WHERE state = 'queued'", "counting the queue");
    sqlite::Reset reset(st);
    return st.step() ? st.column_int64(0) : 0;
  });
}

std::int64_t Store::prune(TimePoint before) {
  // Small transactions, so ingest() never waits long behind a big delete.
  auto prune_some = [&](const char* sql, const char* purpose) {
    std::int64_t total = 0;
    for (;;) {
      std::int64_t deleted = impl_->write([&](sqlite::Connection& db) {
        sqlite::Statement& st = db.cached(sql, purpose);
        sqlite::Reset reset(st);
        st.bind(1, to_ms(before));
        st.run();
        return db.changes();
      });
      total += deleted;
      if (deleted == 0) return total;
    }
  };
  std::int64_t deliveries = prune_some(kPruneDeliveries, "pruning finished deliveries");
  prune_some(kPruneEffects, "pruning done effects");
  return deliveries;
}

std::int64_t Store::prune_delivery_bodies(TimePoint before) {
  std::int64_t total = 0;
  for (;;) {
    // Small transactions, so ingest() never waits long behind a big update.
    std::int64_t pruned = impl_->write([&](sqlite::Connection& db) {
      sqlite::Statement& st = db.cached(kPruneBodies, "pruning the bodies of finished deliveries");
      sqlite::Reset reset(st);
      st.bind(1, to_ms(before));
      st.run();
      return db.changes();
    });
    total += pruned;
    if (pruned == 0) return total;
  }
}

// --- effects -------------------------------------------------------------------------------------

EffectBegin Store::begin_effect(std::string_view effect_key) {
  if (effect_key.empty()) throw std::invalid_argument("store: begin_effect needs a non-empty effect key");
  return impl_->write([&](sqlite::Connection& db) {
    EffectBegin begin;
    std::string previous;  // "" for a key never begun
    {
      sqlite::Statement& st = db.cached(kEffectState, "reading an effect's state");
      sqlite::Reset reset(st);
      st.bind(1, effect_key);
      if (st.step()) {
        previous = st.column_text(0);
        begin.result = st.column_optional_string(1).value_or("");
        begin.attempts = st.column_int64(2);
      }
    }
    sqlite::Statement& st = db.cached(kBeginEffect, "beginning an effect");
    sqlite::Reset reset(st);
    st.bind(1, effect_key).bind(2, to_ms(impl_->clock.now()));
    st.run();
    begin.attempts += 1;
    if (previous != "done") begin.result.clear();
    if (previous == "done") begin.status = EffectStart::already_done;
    else if (previous.empty()) begin.status = EffectStart::new_effect;
    else if (previous == "failed") begin.status = EffectStart::retry_after_failure;
    else begin.status = EffectStart::outcome_unknown;
    return begin;
  });
}

void Store::fail_effect(std::string_view effect_key, std::string_view error) {
  impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kFailEffect, "recording a failed effect");
    sqlite::Reset reset(st);
    st.bind(1, effect_key).bind(2, error);
    st.run();
    if (db.changes() != 1) {
      throw std::logic_error("store: fail_effect('" + std::string(effect_key) + "') on an effect not in progress");
    }
  });
}

void Store::finish_effect(std::string_view effect_key, std::string_view result_json) {
  impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kFinishEffect, "finishing an effect");
    sqlite::Reset reset(st);
    st.bind(1, effect_key).bind(2, result_json).bind(3, to_ms(impl_->clock.now()));
    st.run();
    if (db.changes() != 1) {
      throw std::logic_error("store: finish_effect('" + std::string(effect_key) + "') without begin_effect()");
    }
  });
}

// --- approvals -----------------------------------------------------------------------------------

bool Store::record_approval(const ApprovalRecord& a) {
  return impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kInsertApproval, "recording an approval");
    sqlite::Reset reset(st);
    st.bind(1, a.repository).bind(2, a.subject).bind(3, a.sha).bind(4, a.login).bind(5, to_string(a.source));
    st.bind(6, a.event_id).bind(7, a.permission).bind(8, a.is_bot).bind(9, a.cancel).bind(10, a.edited);
    st.bind(11, to_ms(a.created_at));
    st.run();
    return db.changes() == 1;
  });
}

bool Store::mark_approval_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id) {
  return impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kMarkApprovalEdited, "marking an approval edited");
    sqlite::Reset reset(st);
    st.bind(1, repository).bind(2, to_string(source)).bind(3, event_id);
    st.run();
    return db.changes() == 1;
  });
}

std::vector<ApprovalRecord> Store::approvals(std::string_view repository, std::int64_t subject, std::string_view sha) {
  return impl_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kSelectApprovals, "reading approvals");
    sqlite::Reset reset(st);
    st.bind(1, repository).bind(2, subject).bind(3, sha);
    std::vector<ApprovalRecord> result;
    while (st.step()) {
      ApprovalRecord a;
      a.repository = st.column_string(0);
      a.subject = st.column_int64(1);
      a.sha = st.column_string(2);
      a.login = st.column_string(3);
      a.source = parse_source(st.column_text(4));
      a.event_id = st.column_int64(5);
      a.permission = st.column_string(6);
      a.is_bot = st.column_int64(7) != 0;
      a.cancel = st.column_int64(8) != 0;
      a.edited = st.column_int64(9) != 0;
      a.created_at = from_ms(st.column_int64(10));
      result.push_back(std::move(a));
    }
    return result;
  });
}

// --- deployments ---------------------------------------------------------------------------------

void Store::record_deployment(const DeploymentSeen& d) {
  impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kUpsertDeployment, "recording a deployment");
    sqlite::Reset reset(st);
    st.bind(1, d.repository).bind(2, d.environment).bind(3, d.version).bind(4, d.sha).bind(5, d.deployment_id);
    st.bind(6, d.state).bind(7, to_ms(d.created_at)).bind(8, to_ms(d.updated_at));
    st.run();
  });
}

std::optional<DeploymentSeen> Store::last_successful_deployment(std::string_view repository,
                                                                std::string_view environment) {
  return impl_->read([&](sqlite::Connection& db) -> std::optional<DeploymentSeen> {
    sqlite::Statement& st = db.cached(kLastSuccessfulDeployment, "reading the last successful deployment");
    sqlite::Reset reset(st);
    st.bind(1, repository).bind(2, environment);
    if (!st.step()) return std::nullopt;
    return read_deployment(st);
  });
}

std::vector<DeploymentSeen> Store::deployment_history(std::string_view repository, std::string_view environment,
                                                      int limit) {
  return impl_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kDeploymentHistory, "reading deployment history");
    sqlite::Reset reset(st);
    st.bind(1, repository).bind(2, environment).bind(3, limit);
    std::vector<DeploymentSeen> result;
    while (st.step()) result.push_back(read_deployment(st));
    return result;
  });
}

// --- config cache --------------------------------------------------------------------------------

void Store::put_config(const CachedConfig& c) {
  impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kPutConfig, "caching a config");
    sqlite::Reset reset(st);
    st.bind(1, c.repository).bind(2, c.blob_sha).bind(3, c.text).bind(4, to_ms(c.fetched_at));
    st.run();
  });
}

std::optional<CachedConfig> Store::config(std::string_view repository) {
  return impl_->read([&](sqlite::Connection& db) -> std::optional<CachedConfig> {
    sqlite::Statement& st = db.cached(kGetConfig, "reading a cached config");
    sqlite::Reset reset(st);
    st.bind(1, repository);
    if (!st.step()) return std::nullopt;
    return CachedConfig{st.column_string(0), st.column_string(1), st.column_string(2), from_ms(st.column_int64(3))};
  });
}

// --- bot state -----------------------------------------------------------------------------------

void Store::put_state(std::string_view key, std::string_view value_json) {
  if (key.empty()) throw std::logic_error("store: put_state needs a key");
  impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kPutState, "remembering bot state");
    sqlite::Reset reset(st);
    st.bind(1, key).bind(2, value_json).bind(3, to_ms(impl_->clock.now()));
    st.run();
  });
}

std::optional<std::string> Store::state(std::string_view key) {
  return impl_->read([&](sqlite::Connection& db) -> std::optional<std::string> {
    sqlite::Statement& st = db.cached(kGetState, "reading bot state");
    sqlite::Reset reset(st);
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return st.column_string(0);
  });
}

// --- audit ---------------------------------------------------------------------------------------

void Store::append_audit(std::int64_t seq, std::string_view sealed_json, std::string_view hash) {
  impl_->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kAppendAudit, "appending an audit record");
    sqlite::Reset reset(st);
    st.bind(1, seq).bind(2, sealed_json).bind(3, hash).bind(4, to_ms(impl_->clock.now()));
    st.run();
    if (db.changes() != 1) {
      throw std::logic_error("store: audit record seq " + std::to_string(seq) +
                             " is not the next in the trail; read last_audit() and append in one transaction()");
    }
  });
}

std::vector<AuditEntry> Store::audit_records(std::int64_t from_seq, int limit) {
  return impl_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kAuditRecords, "reading audit records");
    sqlite::Reset reset(st);
    st.bind(1, from_seq).bind(2, limit);
    std::vector<AuditEntry> result;
    while (st.step()) result.push_back({st.column_int64(0), st.column_string(1), st.column_string(2)});
    return result;
  });
}

std::optional<AuditHead> Store::last_audit() {
  return impl_->read([&](sqlite::Connection& db) -> std::optional<AuditHead> {
    sqlite::Statement& st = db.cached(kLastAudit, "reading the last audit record");
    sqlite::Reset reset(st);
    if (!st.step()) return std::nullopt;
    return AuditHead{st.column_int64(0), st.column_string(1)};
  });
}

// --- transactions --------------------------------------------------------------------------------

Store::Transaction::Transaction(Store& store) : store_(store) {
  Impl& impl = *store_.impl_;
  if (impl.owns_transaction()) throw std::logic_error("store: transaction() inside a transaction() on the same thread");
  impl.write_mutex.lock();
  try {
    sqlite::Statement& begin = impl.writer->cached("BEGIN IMMEDIATE", "beginning a transaction");
    sqlite::Reset reset(begin);
    begin.run();
  } catch (...) {
    impl.write_mutex.unlock();
    throw;
  }
  impl.tx_owner.store(std::this_thread::get_id(), std::memory_order_relaxed);
  open_ = true;
}

Store::Transaction::~Transaction() {
  if (!open_) return;
  Impl& impl = *store_.impl_;
  // A failed statement may already have rolled back (I/O error, disk full); then there is none left.
  if (impl.writer->in_transaction()) {
    // Cannot throw here; should ROLLBACK itself fail, the writer stays in a transaction and the
    // next BEGIN fails loudly.
    sqlite3_exec(impl.writer->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  impl.tx_owner.store(std::thread::id{}, std::memory_order_relaxed);
  impl.write_mutex.unlock();
}

void Store::Transaction::commit() {
  if (!open_) throw std::logic_error("store: commit() on a finished transaction");
  Impl& impl = *store_.impl_;
  {
    sqlite::Statement& commit = impl.writer->cached("COMMIT", "committing a transaction");
    sqlite::Reset reset(commit);
    commit.run();  // on failure the destructor rolls back and releases the writer
  }
  open_ = false;
  impl.tx_owner.store(std::thread::id{}, std::memory_order_relaxed);
  impl.write_mutex.unlock();
}

Store::Transaction Store::transaction() { return Transaction(*this); }

// --- health --------------------------------------------------------------------------------------

void Store::ping() {
  impl_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached("SELECT max(version) FROM schema_version", "checking the database (ping)");
    sqlite::Reset reset(st);
    st.run();
  });
}

Counts Store::counts() {
  return impl_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached("SELECT state, count(*) FROM deliveries GROUP BY state", "counting deliveries");
    sqlite::Reset reset(st);
    Counts counts;
    while (st.step()) {
      std::int64_t n = st.column_int64(1);
      switch (parse_state(st.column_text(0))) {
        case DeliveryState::queued: counts.queued = n; break;
        case DeliveryState::running: counts.running = n; break;
        case DeliveryState::done: counts.done = n; break;
        case DeliveryState::failed: counts.failed = n; break;
        case DeliveryState::ignored: counts.ignored = n; break;
      }
    }
    return counts;
  });
}

Stats Store::stats() const {
  std::lock_guard lock(impl_->stats_mutex);
  return impl_->stats;
}

}  // namespace deploy::store
