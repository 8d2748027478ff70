// The bot's durable state, in one SQLite file: webhook deliveries and the job queue over them,
// exactly-once bookkeeping for effects on GitHub, approvals, deployments seen, the config cache and
// the audit trail. Measurements: docs/PERFORMANCE.md.
//
// Durability. WAL journal. Durability::normal (synchronous=NORMAL, the default) makes a commit a
// write() into the WAL with no fsync: it survives the bot being killed (SIGKILL, OOM, crash) since
// the kernel has the bytes, but a power loss or kernel panic may lose the last commits (never
// corrupting the file). Durability::full (synchronous=FULL) also fsyncs the WAL at every commit,
// so an acknowledged delivery survives power loss too, at one fsync per commit (batch).
//
// Checkpoints (copying the WAL back into the database, with fsyncs) run on a background thread,
// never inside ingest(). SQLite restarts the WAL only after a checkpoint copied all of it before the
// next commit, which under steady writes never happens; so when the WAL reaches wal_limit_pages, the
// checkpointer copies the last few pages with writes held off (ingest() waits a few ms).
//
// Threading. One Store is shared by all threads. Writes go through one writer connection behind a
// mutex (SQLite has one writer at a time anyway); reads use a small pool of read connections, which
// in WAL mode never wait for the writer. ingest() is group-committed without a thread hop: a caller
// that finds no commit in progress commits everything queued so far, its own delivery included,
// and wakes the callers it carried; callers that arrive meanwhile queue for the next commit; a lone
// caller commits at once (no timer). transaction() lends the writer to the calling thread for
// several operations that must commit together: every Store call that thread makes meanwhile joins
// it (reads too, so they see its writes); other threads' writes wait.
//
// Redelivery. GitHub's "redeliver" reuses the X-GitHub-Delivery id. A delivery seen before is a
// duplicate (no second row, no second processing) unless it failed permanently: then it is queued
// again (IngestResult::requeued), since someone pressed "redeliver" because it did not work. Its
// effects that did finish are not repeated (effects below).
//
// Effects, exactly once. A worker processes a delivery at least once (a crash or an expired lease
// means again), so each effect on GitHub is keyed, e.g. "comment:owner/repo#12:delivery:<id>:reply":
//   begin_effect(key) -> already_done: skip it, use the recorded result (e.g. the comment id).
//                     -> new_effect: do it, then finish_effect(key, result).
//                     -> retry_after_failure: GitHub answered the last try with an error
//                        (fail_effect): it did not happen, do it again like a new one.
//                     -> outcome_unknown: begun, and neither finished nor answered with an error
//                        (a crash, or the answer was lost): it may or may not have happened. Effects GitHub
//                        de-duplicates itself (a commit status, a deployment status for the same
//                        state) are simply done again. Effects it cannot (a new comment) carry the
//                        key in a hidden marker (<!-- deploy-bot effect=KEY -->) in their body: the
//                        bot searches the thread for the marker first and records what it finds
//                        instead of creating a second one.
//
// Errors. SQL failures throw sqlite::Error (the statement's purpose, SQLite's message, the path);
// misuse (finishing an effect never begun, an out-of-order audit seq) throws std::logic_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace deploy::store {

using TimePoint = std::chrono::system_clock::time_point;

enum class Durability {
  normal,  // synchronous=NORMAL: durable against process crashes; power loss may lose the last commits
  full,    // synchronous=FULL: durable against power loss too; one fsync per commit batch
};

struct Options {
  std::filesystem::path path;                 // the database file; its directory must exist
  Durability durability = Durability::normal;
  std::chrono::milliseconds busy_timeout{5'000};  // waiting for a lock held by another process
  std::chrono::seconds lease{300};            // how long a claimed delivery stays running
  int read_connections = 4;                   // at most this many concurrent readers
  // Checkpoints (see above): a background pass runs each time the WAL has grown by checkpoint_pages
  // pages (4 KiB each). The WAL starts over only when a pass has copied all of it before the next
  // commit, which under steady writes is never, so once it reaches wal_limit_pages the checkpointer
  // copies the last bit with writes held off (ingest() waits that long: a few fsyncs). The WAL file
  // stays near that size on disk (beyond it only while writes outrun the disk); reopening after a
  // crash reads it once.
  int checkpoint_pages = 16'384;              // 64 MiB
  int wal_limit_pages = 262'144;              // 1 GiB
  const Clock* clock = nullptr;               // bookkeeping timestamps (finished_at, created_at...);
                                              // nullptr = the system clock. Must outlive the Store.
};

// --- deliveries and the job queue ------------------------------------------------------------------

enum class DeliveryState { queued, running, done, failed, ignored };
std::string_view to_string(DeliveryState state);

// What the HTTP handler hands over. Views, not copies: they must stay valid until ingest() returns.
struct IncomingDelivery {
  std::string_view delivery_id;    // X-GitHub-Delivery; must not be empty
  std::string_view event;          // X-GitHub-Event
  std::string_view action;         // payload "action"; may be empty
  std::int64_t installation_id = 0;  // 0 = none (or not extracted); the concurrency limit groups by it
  std::string_view repository;     // "owner/name"; may be empty
  TimePoint received_at;
  std::string_view body;           // the exact bytes that were signed
};

enum class IngestResult {
  inserted,   // new: queued for processing
  duplicate,  // this X-GitHub-Delivery was seen before and is queued, running, done or ignored
  requeued,   // seen before and failed permanently: a GitHub "redeliver" retries it
};
std::string_view to_string(IngestResult result);

struct Delivery {
  std::string delivery_id;
  std::string event;
  std::string action;
  std::int64_t installation_id = 0;
  std::string repository;
  TimePoint received_at;
  std::string body;
  DeliveryState state = DeliveryState::queued;
  std::int64_t attempts = 0;        // claims so far, over the delivery's whole life (never reset)
  TimePoint next_attempt_at;
  std::optional<std::string> last_error;
  std::optional<TimePoint> finished_at;
  std::optional<TimePoint> lease_until;
  std::optional<std::string> worker_id;  // the last worker that claimed it
  std::int64_t redeliveries = 0;    // times a GitHub redelivery re-queued it after a permanent failure
};

// Proof of a claim. complete/fail/ignore apply only while the lease is current: if it expired and
// the delivery was claimed again, the old holder's calls change nothing and return false.
struct Lease {
  std::string delivery_id;
  std::int64_t attempt = 0;
};

struct Claim {
  Delivery delivery;
  Lease lease;
};

// --- effects (exactly-once bookkeeping) ------------------------------------------------------------

enum class EffectStart {
  new_effect,           // first time: do it, then finish_effect() (or fail_effect())
  retry_after_failure,  // GitHub refused the last try (fail_effect): nothing happened; do it again
  outcome_unknown,      // begun but neither finished nor refused (a crash, a lost answer): it may
                        // have happened; look for it (hidden marker, dispatch id) before redoing it
  already_done,         // done: use `result`, do not do it again
};
std::string_view to_string(EffectStart start);

struct EffectBegin {
  EffectStart status = EffectStart::new_effect;
  std::string result;        // already_done: what finish_effect() recorded (JSON)
  std::int64_t attempts = 0; // begin_effect() calls for this key, this one included
};

// --- approvals ---------------------------------------------------------------------------------

enum class ApprovalSource { comment, review };
std::string_view to_string(ApprovalSource source);

// One approval event as it happened: an `/approve`, an `/approve cancel` (cancel = true) or a
// review. The store keeps the events; policy decides what counts.
struct ApprovalRecord {
  std::string repository;       // owner/name
  std::int64_t subject = 0;     // pull request or tracking issue number
  std::string sha;              // the commit it was given for
  std::string login;
  ApprovalSource source = ApprovalSource::comment;
  std::int64_t event_id = 0;    // comment id or review id; unique per repository and source
  std::string permission;       // as resolved when recorded; policy re-checks at decision time
  bool is_bot = false;
  bool cancel = false;          // the event withdraws the person's approval
  bool edited = false;          // the comment was edited after posting
  TimePoint created_at;
};

// --- deployments, config cache, audit ------------------------------------------------------------

struct DeploymentSeen {
  std::string repository;
  std::string environment;
  std::string version;
  std::string sha;
  std::int64_t deployment_id = 0;  // GitHub's id; unique per repository
  std::string state;               // GitHub's latest status: success, failure, error, inactive, in_progress...
  TimePoint created_at;
  TimePoint updated_at;
};

struct CachedConfig {
  std::string repository;
  std::string blob_sha;  // git blob SHA of .github/deploy.yml the text came from
  std::string text;
  TimePoint fetched_at;
};

struct AuditEntry {
  std::int64_t seq = 0;
  std::string record;  // sealed JSON, as core/audit produced it
  std::string hash;
};

struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;
};

// --- observability -----------------------------------------------------------------------------

struct Counts {
  std::int64_t queued = 0;   // the queue depth (due now or waiting for a retry time)
  std::int64_t running = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t ignored = 0;
};

struct Stats {
  std::uint64_t ingest_commits = 0;      // group-commit transactions
  std::uint64_t ingested = 0;            // ingest() calls they carried
  std::uint64_t largest_batch = 0;
  std::uint64_t checkpoints = 0;         // background checkpoints run
  std::uint64_t blocking_checkpoints = 0;  // of which finished with writes held off (wal_limit_pages)
  std::chrono::microseconds longest_write_pause{0};  // the longest such hold
  std::uint64_t checkpoint_failures = 0;
  std::string last_checkpoint_error;     // empty when none
};

class Store {
 public:
  // Opens (creating if needed) the database, applies forward migrations, starts the checkpointer.
  // Takes an exclusive lock file (<path>.lock): one process per store, so that requeue_running()
  // at start can safely assume every running delivery belonged to a dead process.
  explicit Store(Options options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int schema_version();  // the latest migration this build knows

  // --- deliveries --------------------------------------------------------------------------------
  // Durable when it returns (see Durability). Concurrent callers share one commit. Must not be
  // called inside transaction() (it commits on its own; throws std::logic_error).
  IngestResult ingest(const IncomingDelivery& delivery);
  // Several at once (e.g. every request one event-loop turn read), committed in one transaction
  // together with whatever other threads are ingesting; results in the same order. On an exception
  // some of them may be stored: ingesting them again then reports duplicate.
  std::vector<IngestResult> ingest(std::span<const IncomingDelivery> deliveries);
  std::optional<Delivery> delivery(std::string_view delivery_id);

  // Atomically takes the oldest (by received_at) queued delivery with next_attempt_at <= now whose
  // installation has fewer than `installation_limit` running, and marks it running until
  // now + lease. nullopt when none qualifies.
  std::optional<Claim> claim_next(std::string_view worker_id, TimePoint now, int installation_limit);
  bool complete(const Lease& lease);
  // retry_at set: back to queued, due at retry_at. nullopt: failed permanently.
  bool fail(const Lease& lease, std::string_view error, std::optional<TimePoint> retry_at);
  bool ignore(const Lease& lease);  // nothing to do for this event
  // GitHub's primary rate limit is used up for this installation until `until`: the delivery goes
  // back to queued, due then, and the claim does not count as an attempt (attempts goes back down:
  // waiting out a limit must never use up the retries); every queued delivery of the installation
  // (when not 0) is held until then too, so none is claimed only to hit the limit. Returns how many
  // others were held, or -1 when the lease was no longer current (nothing changed).
  std::int64_t park(const Lease& lease, std::int64_t installation_id, TimePoint until, std::string_view why);
  // Running deliveries whose lease ended by `now` go back to queued (a stuck or dead worker).
  std::int64_t release_expired_leases(TimePoint now);
  // Every running delivery goes back to queued. Call once at start, before any worker runs.
  std::int64_t requeue_running();
  std::int64_t queue_depth();
  // Deletes finished (done, failed, ignored) deliveries received before `before`, and done effects
  // created before it, in small transactions. Keep `before` older than GitHub's redelivery window.
  std::int64_t prune(TimePoint before);
  // Empties the bodies of finished (done, failed, ignored) deliveries received before `before`,
  // keeping their rows: the delivery id still de-duplicates a redelivery, and a redelivery of a
  // failed one brings its body back. Returns how many bodies were emptied. Never touches queued or
  // running deliveries, effects, approvals, deployments or the audit trail.
  std::int64_t prune_delivery_bodies(TimePoint before);

  // --- effects -----------------------------------------------------------------------------------
  EffectBegin begin_effect(std::string_view effect_key);
  void finish_effect(std::string_view effect_key, std::string_view result_json);
  // GitHub answered the effect's request with an error: it did not happen, and the next
  // begin_effect() says retry_after_failure. `error` is kept for people reading the store.
  void fail_effect(std::string_view effect_key, std::string_view error);

  // --- approvals ---------------------------------------------------------------------------------
  bool record_approval(const ApprovalRecord& approval);  // false: this event was recorded before
  bool mark_approval_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id);
  // Oldest first (created_at, then the order they were recorded).
  std::vector<ApprovalRecord> approvals(std::string_view repository, std::int64_t subject, std::string_view sha);

  // --- deployments -------------------------------------------------------------------------------
  // Insert or update by (repository, deployment_id); an update older than the stored one is ignored.
  void record_deployment(const DeploymentSeen& deployment);
  // The newest (by created_at) deployment to the environment whose state is success or inactive
  // (GitHub marks a replaced successful deployment inactive).
  std::optional<DeploymentSeen> last_successful_deployment(std::string_view repository, std::string_view environment);
  // Newest first.
  std::vector<DeploymentSeen> deployment_history(std::string_view repository, std::string_view environment, int limit);

  // --- config cache ------------------------------------------------------------------------------
  void put_config(const CachedConfig& config);
  std::optional<CachedConfig> config(std::string_view repository);

  // --- what handlers remember between deliveries (JSON text by key; put replaces) ---
  void put_state(std::string_view key, std::string_view value_json);
  std::optional<std::string> state(std::string_view key);

  // --- audit trail -------------------------------------------------------------------------------
  // `seq` must be the next one (0 on an empty trail, else last_audit()->seq + 1), or it throws
  // std::logic_error. Read last_audit(), seal, append inside one transaction().
  void append_audit(std::int64_t seq, std::string_view sealed_json, std::string_view hash);
  std::vector<AuditEntry> audit_records(std::int64_t from_seq, int limit);  // ascending seq
  std::optional<AuditHead> last_audit();

  // --- transactions ------------------------------------------------------------------------------
  // BEGIN IMMEDIATE on the writer; every Store call this thread makes until commit() or destruction
  // runs inside it. Other threads' writes wait. Rolls back when destroyed without commit(). Use it
  // on the thread that created it; one at a time per thread (nesting throws std::logic_error).
  class Transaction {
   public:
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    friend class Store;
    explicit Transaction(Store& store);
    Store& store_;
    bool open_ = false;
  };
  [[nodiscard]] Transaction transaction();

  // --- health ------------------------------------------------------------------------------------
  void ping();  // a read through the pool; throws when the database cannot be read
  Counts counts();
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deploy::store
