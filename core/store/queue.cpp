#include "core/store/queue.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>

#include "core/sqlite/sqlite.hpp"
#include "core/store/database.hpp"

namespace deploy::store {

namespace {

// body last, as in the table, so a query that leaves it out selects the same leading columns.
constexpr const char* kDeliveryColumns =
    "delivery_id, event, action, installation_id, repository, received_at, state, attempts, next_attempt_at, "
    "last_error, finished_at, lease_until, worker_id, redeliveries, body";
constexpr int kBodyColumn = 14;

Delivery read_delivery(const sqlite::Statement& st, bool with_body = true) {
  Delivery d;
  d.delivery_id = st.column_string(0);
  d.event = st.column_string(1);
  d.action = st.column_string(2);
  d.installation_id = st.column_int64(3);
  d.repository = st.column_string(4);
  d.received_at = from_ms(st.column_int64(5));
  d.state = stored_delivery_state(st.column_text(6));
  d.attempts = st.column_int64(7);
  d.next_attempt_at = from_ms(st.column_int64(8));
  d.last_error = st.column_optional_string(9);
  d.finished_at = optional_time(st, 10);
  d.lease_until = optional_time(st, 11);
  d.worker_id = st.column_optional_string(12);
  d.redeliveries = st.column_int64(13);
  if (with_body) d.body = std::string(st.column_blob(kBodyColumn));
  return d;
}

const std::string kSelectDelivery =
    std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE delivery_id = ?1";

// Every column but the body: listing never reads a body (nor its overflow pages).
constexpr const char* kListDeliveries = R"sql(
SELECT delivery_id, event, action, installation_id, repository, received_at, state, attempts, next_attempt_at,
       last_error, finished_at, lease_until, worker_id, redeliveries
FROM deliveries WHERE (?1 IS NULL OR state = ?1) ORDER BY received_at, delivery_id)sql";

constexpr const char* kInsertDelivery = R"sql(
INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, received_at, next_attempt_at, body,
                        state, finished_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, CASE WHEN ?8 = 'queued' THEN NULL ELSE ?6 END)
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
  ORDER BY d.next_attempt_at, d.received_at, d.rowid
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

bool finish_lease(sqlite::Connection& db, const char* sql, const char* purpose, const Lease& lease, TimePoint time,
                  std::optional<std::string_view> error) {
  sqlite::Statement& st = db.cached(sql, purpose);
  sqlite::Reset reset(st);
  st.bind(1, lease.delivery_id).bind(2, lease.attempt).bind(3, to_ms(time));
  if (error) st.bind(4, *error);
  st.run();
  return db.changes() == 1;
}

// Runs `sql` (one parameter, the cutoff) in small transactions until it changes nothing, so
// ingest() never waits long behind a big delete or update. Returns the rows changed.
std::int64_t in_small_batches(Database& database, const char* sql, const char* purpose, TimePoint before) {
  std::int64_t total = 0;
  for (;;) {
    std::int64_t changed = database.write([&](sqlite::Connection& db) {
      sqlite::Statement& st = db.cached(sql, purpose);
      sqlite::Reset reset(st);
      st.bind(1, to_ms(before));
      st.run();
      return db.changes();
    });
    total += changed;
    if (changed == 0) return total;
  }
}

}  // namespace

std::string_view to_string(DeliveryState state) {
  switch (state) {
    case DeliveryState::queued:
      return "queued";
    case DeliveryState::running:
      return "running";
    case DeliveryState::done:
      return "done";
    case DeliveryState::failed:
      return "failed";
    case DeliveryState::ignored:
      return "ignored";
  }
  return "unknown";
}

DeliveryState stored_delivery_state(std::string_view text) {
  if (auto state = parse_delivery_state(text)) return *state;
  throw std::runtime_error("store: unknown delivery state '" + std::string(text) + "' in the database");
}

std::int64_t& count_of(Counts& counts, DeliveryState state) {
  switch (state) {
    case DeliveryState::queued:
      return counts.queued;
    case DeliveryState::running:
      return counts.running;
    case DeliveryState::done:
      return counts.done;
    case DeliveryState::failed:
      return counts.failed;
    case DeliveryState::ignored:
      return counts.ignored;
  }
  throw std::logic_error("store: a delivery state without a count");
}

std::optional<DeliveryState> parse_delivery_state(std::string_view text) {
  for (DeliveryState state : {DeliveryState::queued, DeliveryState::running, DeliveryState::done, DeliveryState::failed,
                              DeliveryState::ignored}) {
    if (text == to_string(state)) return state;
  }
  return std::nullopt;
}

std::string_view to_string(IngestResult result) {
  switch (result) {
    case IngestResult::inserted:
      return "inserted";
    case IngestResult::duplicate:
      return "duplicate";
    case IngestResult::requeued:
      return "requeued";
  }
  return "unknown";
}

// --- group commit --------------------------------------------------------------------------------
// Leader/follower: a caller queues its delivery; if no commit is in progress it becomes the leader,
// takes everything queued, commits it in one transaction and wakes the others with their results.
// Callers arriving during a commit queue up and form the next batch. A lone caller commits at once:
// there is no timer and no waiting for company, and no other thread is involved.

struct SqliteQueue::GroupCommit {
  struct Pending {
    explicit Pending(const IncomingDelivery& d) : delivery(&d) {}
    const IncomingDelivery* delivery;
    IngestResult result = IngestResult::duplicate;
    std::exception_ptr error;
    bool done = false;
  };

  explicit GroupCommit(Database& database) : db(database) {}

  void check(const IncomingDelivery& delivery) const;
  void ingest(Pending* items, std::size_t count);
  void commit_batch(std::vector<Pending*>& items) noexcept;
  IngestResult insert(sqlite::Connection& writer, const IncomingDelivery& delivery);

  Database& db;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Pending*> waiting;  // guarded by mutex
  std::vector<Pending*> batch;    // the leader's; only touched while committing
  bool committing = false;
};

void SqliteQueue::GroupCommit::check(const IncomingDelivery& delivery) const {
  if (delivery.delivery_id.empty())
    throw std::invalid_argument("store: ingest needs a delivery id (X-GitHub-Delivery)");
  if (delivery.state != DeliveryState::queued && delivery.state != DeliveryState::done &&
      delivery.state != DeliveryState::ignored) {
    throw std::invalid_argument("store: a delivery is ingested queued, done or ignored, not " +
                                std::string(to_string(delivery.state)));
  }
  if (db.owns_transaction()) {
    throw std::logic_error(
        "store: ingest() inside transaction() would not be durable when it returns; call it outside");
  }
}

// `items` are queued together, so they land in the same batch and are done together.
void SqliteQueue::GroupCommit::ingest(Pending* items, std::size_t count) {
  std::unique_lock lock(mutex);
  for (std::size_t i = 0; i < count; ++i) waiting.push_back(&items[i]);
  while (!items[0].done) {
    if (committing) {
      cv.wait(lock);
      continue;
    }
    committing = true;
    batch.clear();
    batch.swap(waiting);  // both keep their capacity: no allocation per batch in the steady state
    lock.unlock();
    commit_batch(batch);
    lock.lock();
    for (Pending* pending : batch) pending->done = true;
    committing = false;
    cv.notify_all();
  }
}

IngestResult SqliteQueue::GroupCommit::insert(sqlite::Connection& writer, const IncomingDelivery& d) {
  {
    sqlite::Statement& st = writer.cached(kInsertDelivery, "inserting a delivery");
    sqlite::Reset reset(st);
    st.bind(1, d.delivery_id).bind(2, d.event).bind(3, d.action).bind(4, d.installation_id).bind(5, d.repository);
    st.bind(6, to_ms(d.received_at)).bind_blob(7, d.body).bind(8, to_string(d.state));
    st.run();
    if (writer.changes() == 1) return IngestResult::inserted;
  }
  sqlite::Statement& st = writer.cached(kRequeueFailed, "requeueing a redelivered failed delivery");
  sqlite::Reset reset(st);
  st.bind(1, d.delivery_id).bind(2, to_ms(d.received_at)).bind_blob(3, d.body);
  st.run();
  return writer.changes() == 1 ? IngestResult::requeued : IngestResult::duplicate;
}

void SqliteQueue::GroupCommit::commit_batch(std::vector<Pending*>& items) noexcept {
  try {
    std::lock_guard lock(db.write_mutex());
    sqlite::Connection& writer = db.writer();
    sqlite::Transaction tx(writer);
    for (Pending* pending : items) pending->result = insert(writer, *pending->delivery);
    tx.commit();
    db.count_ingest_commit(items.size());
    return;
  } catch (...) {
    if (items.size() == 1) {
      items.front()->error = std::current_exception();
      return;
    }
  }
  // One delivery (or the commit) failed, so nothing in the batch was committed. Retry each one in
  // its own transaction, so every caller gets its own result or its own error.
  for (Pending* pending : items) {
    try {
      std::lock_guard lock(db.write_mutex());
      sqlite::Connection& writer = db.writer();
      sqlite::Transaction tx(writer);
      pending->result = insert(writer, *pending->delivery);
      tx.commit();
      db.count_ingest_commit(1);
    } catch (...) {
      pending->error = std::current_exception();
    }
  }
}

// --- SqliteQueue ---------------------------------------------------------------------------------

SqliteQueue::SqliteQueue(Database& database) : db_(database), group_(std::make_unique<GroupCommit>(database)) {}
SqliteQueue::~SqliteQueue() = default;

IngestResult SqliteQueue::ingest(const IncomingDelivery& delivery) {
  group_->check(delivery);
  GroupCommit::Pending mine(delivery);
  group_->ingest(&mine, 1);
  if (mine.error) std::rethrow_exception(mine.error);
  return mine.result;
}

std::vector<IngestResult> SqliteQueue::ingest(std::span<const IncomingDelivery> deliveries) {
  if (deliveries.empty()) return {};
  for (const IncomingDelivery& delivery : deliveries) group_->check(delivery);
  std::vector<GroupCommit::Pending> items(deliveries.begin(), deliveries.end());
  group_->ingest(items.data(), items.size());
  std::vector<IngestResult> results;
  results.reserve(items.size());
  for (const GroupCommit::Pending& item : items) {
    if (item.error) std::rethrow_exception(item.error);
    results.push_back(item.result);
  }
  return results;
}

std::optional<Delivery> SqliteQueue::delivery(std::string_view delivery_id) {
  return db_.read([&](sqlite::Connection& db) -> std::optional<Delivery> {
    sqlite::Statement& st = db.cached(kSelectDelivery, "reading a delivery");
    sqlite::Reset reset(st);
    st.bind(1, delivery_id);
    if (!st.step()) return std::nullopt;
    return read_delivery(st);
  });
}

void SqliteQueue::list(std::optional<DeliveryState> state, const std::function<void(const Delivery&)>& visit) {
  db_.read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kListDeliveries, "listing deliveries");
    sqlite::Reset reset(st);
    if (state)
      st.bind(1, to_string(*state));
    else
      st.bind_null(1);
    while (st.step()) visit(read_delivery(st, false));
  });
}

std::optional<Claim> SqliteQueue::claim_next(std::string_view worker_id, TimePoint now, int installation_limit) {
  if (installation_limit < 1)
    throw std::invalid_argument("store: claim_next needs an installation_limit of at least 1");
  return db_.write([&](sqlite::Connection& db) -> std::optional<Claim> {
    sqlite::Statement& st = db.cached(kClaim, "claiming the next delivery");
    sqlite::Reset reset(st);
    st.bind(1, to_ms(now)).bind(2, installation_limit).bind(3, to_ms(now + db_.options().lease)).bind(4, worker_id);
    if (!st.step()) return std::nullopt;
    Claim claim{read_delivery(st), {}};
    claim.lease = Lease{claim.delivery.delivery_id, claim.delivery.attempts};
    st.run();
    return claim;
  });
}

bool SqliteQueue::complete(const Lease& lease) {
  return db_.write([&](sqlite::Connection& db) {
    return finish_lease(db, kComplete, "completing a delivery", lease, db_.clock().now(), std::nullopt);
  });
}

bool SqliteQueue::fail(const Lease& lease, std::string_view error, std::optional<TimePoint> retry_at) {
  return db_.write([&](sqlite::Connection& db) {
    if (retry_at) return finish_lease(db, kRetry, "scheduling a delivery's retry", lease, *retry_at, error);
    return finish_lease(db, kFailPermanently, "failing a delivery", lease, db_.clock().now(), error);
  });
}

std::int64_t SqliteQueue::park(const Lease& lease, std::int64_t installation_id, TimePoint until,
                               std::string_view why) {
  return db_.write([&](sqlite::Connection& db) -> std::int64_t {
    if (!finish_lease(db, kPark, "parking a delivery until a rate limit resets", lease, until, why)) return -1;
    if (installation_id == 0) return 0;
    sqlite::Statement& st =
        db.cached(kHoldInstallation, "holding an installation's deliveries until a rate limit resets");
    sqlite::Reset reset(st);
    st.bind(1, installation_id).bind(2, to_ms(until));
    st.run();
    return db.changes();
  });
}

bool SqliteQueue::ignore(const Lease& lease) {
  return db_.write([&](sqlite::Connection& db) {
    return finish_lease(db, kIgnore, "ignoring a delivery", lease, db_.clock().now(), std::nullopt);
  });
}

std::int64_t SqliteQueue::release_expired_leases(TimePoint now) {
  return db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kReleaseExpired, "releasing expired leases");
    sqlite::Reset reset(st);
    st.bind(1, to_ms(now));
    st.run();
    return db.changes();
  });
}

std::int64_t SqliteQueue::requeue_running() {
  return db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kRequeueRunning, "requeueing running deliveries");
    sqlite::Reset reset(st);
    st.run();
    return db.changes();
  });
}

std::int64_t SqliteQueue::depth() {
  return db_.read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached("SELECT count(*) FROM deliveries WHERE state = 'queued'", "counting the queue");
    sqlite::Reset reset(st);
    return st.step() ? st.column_int64(0) : 0;
  });
}

Counts SqliteQueue::counts() {
  return db_.read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached("SELECT state, count(*) FROM deliveries GROUP BY state", "counting deliveries");
    sqlite::Reset reset(st);
    Counts counts;
    while (st.step()) {
      std::int64_t n = st.column_int64(1);
      count_of(counts, stored_delivery_state(st.column_text(0))) = n;
    }
    return counts;
  });
}

std::int64_t SqliteQueue::prune(TimePoint before) {
  return in_small_batches(db_, kPruneDeliveries, "pruning finished deliveries", before);
}

std::int64_t SqliteQueue::prune_bodies(TimePoint before) {
  return in_small_batches(db_, kPruneBodies, "pruning the bodies of finished deliveries", before);
}

}  // namespace deploy::store
