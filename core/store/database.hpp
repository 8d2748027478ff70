// The SQLite back end's one database, shared by every concern of the store (store_queue,
// store_effects, store_approvals, store_config_cache, store_state, store_audit): the process lock,
// the writer connection, the pool of read connections, the background checkpointer, the schema and
// its migrations, and the transaction a thread may hold across several concerns. The concerns run
// their SQL through write() and read(); none of them opens a connection of its own.
//
// Durability. WAL journal. Durability::normal (synchronous=NORMAL, the default) makes a commit a
// write() into the WAL with no fsync: it survives the bot being killed (SIGKILL, OOM, crash) since
// the kernel has the bytes, but a power loss or kernel panic may lose the last commits (never
// corrupting the file). Durability::full (synchronous=FULL) also fsyncs the WAL at every commit,
// so an acknowledged delivery survives power loss too, at one fsync per commit (batch).
//
// Checkpoints (copying the WAL back into the database, with fsyncs) run on a background thread,
// never inside a write. SQLite restarts the WAL only after a checkpoint copied all of it before the
// next commit, which under steady writes never happens; so when the WAL reaches wal_limit_pages, the
// checkpointer copies the last few pages with writes held off (writers wait a few ms).
//
// Threading. One Database is shared by all threads. Writes go through one writer connection behind
// a mutex (SQLite has one writer at a time anyway); reads use a small pool of read connections,
// which in WAL mode never wait for the writer. A Transaction lends the writer to the calling thread
// for several operations that must commit together: every write() and read() that thread makes
// meanwhile joins it (reads too, so they see its writes); other threads' writes wait.
//
// Read-only (Options::read_only): an existing file opened for reading alone, with no lock file, no
// migrations and no checkpointer, so it can be opened while another process (deploy-bot serve)
// holds the store; write() throws std::logic_error. The offline admin commands use it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/sqlite/sqlite.hpp"

struct sqlite3;

namespace deploy::store {

using TimePoint = std::chrono::system_clock::time_point;

enum class Durability {
  normal,  // synchronous=NORMAL: durable against process crashes; power loss may lose the last commits
  full,    // synchronous=FULL: durable against power loss too; one fsync per commit batch
};

struct Options {
  std::filesystem::path path;  // the database file; its directory must exist
  Durability durability = Durability::normal;
  std::chrono::milliseconds busy_timeout{5'000};  // waiting for a lock held by another process
  std::chrono::seconds lease{300};                // how long a claimed delivery stays running
  int read_connections = 4;                       // at most this many concurrent readers
  // Checkpoints (see above): a background pass runs each time the WAL has grown by checkpoint_pages
  // pages (4 KiB each). The WAL starts over only when a pass has copied all of it before the next
  // commit, which under steady writes is never, so once it reaches wal_limit_pages the checkpointer
  // copies the last bit with writes held off (ingest() waits that long: a few fsyncs). The WAL file
  // stays near that size on disk (beyond it only while writes outrun the disk); reopening after a
  // crash reads it once.
  int checkpoint_pages = 16'384;  // 64 MiB
  int wal_limit_pages = 262'144;  // 1 GiB
  const Clock* clock = nullptr;   // bookkeeping timestamps (finished_at, created_at...);
                                  // nullptr = the system clock. Must outlive the Store.
  bool read_only = false;         // see "Read-only" above
  // The back end: empty for SQLite at `path` (the default); a postgres:// or postgresql:// URL for
  // a PostgreSQL server shared by replicas (pg_database.hpp), when `path` is not used.
  std::string postgres_url;
  int pool_size = 4;  // PostgreSQL: connections a Store holds at most (its LISTEN connection aside)
};

struct Stats {
  std::uint64_t ingest_commits = 0;  // group-commit transactions
  std::uint64_t ingested = 0;        // ingest() calls they carried
  std::uint64_t largest_batch = 0;
  std::uint64_t checkpoints = 0;                     // background checkpoints run
  std::uint64_t blocking_checkpoints = 0;            // of which finished with writes held off (wal_limit_pages)
  std::chrono::microseconds longest_write_pause{0};  // the longest such hold
  std::uint64_t checkpoint_failures = 0;
  std::string last_checkpoint_error;  // empty when none
};

// Times are stored as integer milliseconds since the Unix epoch (UTC).
inline std::int64_t to_ms(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}
inline TimePoint from_ms(std::int64_t ms) { return TimePoint{std::chrono::milliseconds{ms}}; }
inline std::optional<TimePoint> optional_time(const sqlite::Statement& st, int column) {
  auto ms = st.column_optional_int64(column);
  if (!ms) return std::nullopt;
  return from_ms(*ms);
}

class LockFile;

class Database {
 public:
  // Opens (creating if needed) the database, applies forward migrations, starts the checkpointer.
  // Takes an exclusive lock file (<path>.lock): one process per store, so that requeue_running()
  // at start can safely assume every running delivery belonged to a dead process. Read-only: none
  // of that (see above).
  explicit Database(Options options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  static int schema_version();  // the latest migration this build knows

  const Options& options() const { return options_; }
  const Clock& clock() const { return clock_; }

  // The calling thread holds a Transaction: it already owns the writer.
  bool owns_transaction() const { return tx_owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

  template <class F>
  decltype(auto) write(F&& body) {
    sqlite::Connection& db = writable();
    if (owns_transaction()) return body(db);
    std::lock_guard lock(write_mutex_);
    return body(db);
  }

  template <class F>
  decltype(auto) read(F&& body) {
    if (owns_transaction()) return body(*writer_);  // sees this thread's uncommitted writes
    ReaderLease lease(*this);
    return body(*lease.connection);
  }

  // For a writer that batches callers itself (the queue's group commit): the writer, to be used
  // only while holding write_mutex(), outside any Transaction.
  std::mutex& write_mutex() { return write_mutex_; }
  sqlite::Connection& writer() { return writable(); }

  void count_ingest_commit(std::size_t carried);
  Stats stats() const;

  // BEGIN IMMEDIATE on the writer; every write() and read() this thread makes until commit() or
  // destruction runs inside it. Other threads' writes wait. Rolls back when destroyed without
  // commit(). Use it on the thread that created it; one at a time per thread (nesting throws
  // std::logic_error).
  class Transaction {
   public:
    explicit Transaction(Database& database);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    Database& db_;
    bool open_ = false;
  };

 private:
  struct ReaderLease {
    explicit ReaderLease(Database& database);
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    Database& db;
    std::unique_ptr<sqlite::Connection> connection;
  };

  sqlite::Connection& writable();
  std::unique_ptr<sqlite::Connection> open_reader();
  void migrate();

  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int pages);
  void checkpoint_loop();
  void checkpoint();
  void sync_database_file();

  Options options_;
  const Clock& clock_;
  std::unique_ptr<LockFile> lock_file_;         // none when read-only
  std::unique_ptr<sqlite::Connection> writer_;  // likewise
  std::mutex write_mutex_;
  std::atomic<std::thread::id> tx_owner_{};

  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_readers_;
  int open_readers_ = 0;

  mutable std::mutex stats_mutex_;
  Stats stats_;

  std::unique_ptr<sqlite::Connection> checkpointer_;  // none when read-only
  int wal_pages_seen_ = 0;                            // the wal hook's, guarded by write_mutex_
  int next_checkpoint_at_ = 0;                        // likewise
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool stopping_ = false;
  std::thread checkpoint_thread_;
};

}  // namespace deploy::store
