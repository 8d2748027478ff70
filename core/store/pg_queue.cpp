#include "core/store/pg_queue.hpp"

#include <stdexcept>

#include "core/store/pg_database.hpp"

namespace deploy::store {

namespace {

// Every column but the body, in read_delivery's order; the body, when wanted, comes after them.
const std::string kDeliveryColumns =
    "delivery_id, event, action, installation_id, repository, received_at, state, attempts, next_attempt_at, "
    "last_error, finished_at, lease_until, worker_id, redeliveries";

Delivery read_delivery(const postgres::Result& r, int row, bool with_body) {
  Delivery d;
  d.delivery_id = r.string(row, 0);
  d.event = r.string(row, 1);
  d.action = r.string(row, 2);
  d.installation_id = r.int64(row, 3);
  d.repository = r.string(row, 4);
  d.received_at = from_ms(r.int64(row, 5));
  d.state = stored_delivery_state(r.text(row, 6));
  d.attempts = r.int64(row, 7);
  d.next_attempt_at = from_ms(r.int64(row, 8));
  d.last_error = r.optional_string(row, 9);
  if (auto ms = r.optional_int64(row, 10)) d.finished_at = from_ms(*ms);
  if (auto ms = r.optional_int64(row, 11)) d.lease_until = from_ms(*ms);
  d.worker_id = r.optional_string(row, 12);
  d.redeliveries = r.int64(row, 13);
  if (with_body) d.body = r.bytes(row, 14);
  return d;
}

const std::string kSelectDelivery = "SELECT " + kDeliveryColumns + ", body FROM deliveries WHERE delivery_id = $1";

const std::string kListDeliveries = "SELECT " + kDeliveryColumns +
                                    " FROM deliveries WHERE ($1::text IS NULL OR state = $1) "
                                    "ORDER BY received_at, delivery_id";

const std::string kInsertDelivery = R"sql(
INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, received_at, next_attempt_at, body,
                        state, finished_at)
VALUES ($1, $2, $3, $4, $5, $6::bigint, $6::bigint, $7, $8::text,
        CASE WHEN $8::text = 'queued' THEN NULL ELSE $6::bigint END)
ON CONFLICT (delivery_id) DO NOTHING)sql";

// A failed delivery is the only kind a redelivery brings back (see queue.hpp).
const std::string kRequeueFailed = R"sql(
UPDATE deliveries
SET state = 'queued', next_attempt_at = $2, last_error = NULL, finished_at = NULL, lease_until = NULL,
    redeliveries = redeliveries + 1, body = $3
WHERE delivery_id = $1 AND state = 'failed')sql";

// The claimable delivery due earliest (then the oldest; see queue.hpp): due, its installation under the limit, none of
// its repository running and none older of its repository due. Rows another replica is claiming are skipped (SKIP
// LOCKED); while that claim is uncommitted its row still looks queued and due here, so the
// repository's later deliveries stay out of reach too.
const std::string kClaim = R"sql(
WITH candidate AS (
  SELECT d.id FROM deliveries AS d
  WHERE d.state = 'queued' AND d.next_attempt_at <= $1
    AND (SELECT count(*) FROM deliveries AS r
         WHERE r.state = 'running' AND r.installation_id = d.installation_id) < $2
    AND (d.repository = '' OR NOT EXISTS (
      SELECT 1 FROM deliveries AS o
      WHERE o.repository = d.repository AND o.state IN ('queued', 'running')
        AND (o.state = 'running' OR (o.next_attempt_at <= $1 AND (o.received_at, o.id) < (d.received_at, d.id)))))
  ORDER BY d.next_attempt_at, d.received_at, d.id
  LIMIT 1
  FOR UPDATE SKIP LOCKED)
UPDATE deliveries AS t
SET state = 'running', attempts = t.attempts + 1, lease_until = $3, worker_id = $4
FROM candidate WHERE t.id = candidate.id AND t.state = 'queued'
RETURNING t.delivery_id, t.event, t.action, t.installation_id, t.repository, t.received_at, t.state, t.attempts,
          t.next_attempt_at, t.last_error, t.finished_at, t.lease_until, t.worker_id, t.redeliveries, t.body)sql";

const std::string kComplete = R"sql(
UPDATE deliveries SET state = 'done', finished_at = $3, lease_until = NULL
WHERE delivery_id = $1 AND state = 'running' AND attempts = $2)sql";

const std::string kRetry = R"sql(
UPDATE deliveries SET state = 'queued', next_attempt_at = $3, last_error = $4, lease_until = NULL
WHERE delivery_id = $1 AND state = 'running' AND attempts = $2)sql";

const std::string kPark = R"sql(
UPDATE deliveries SET state = 'queued', attempts = attempts - 1, next_attempt_at = $3, last_error = $4,
  lease_until = NULL
WHERE delivery_id = $1 AND state = 'running' AND attempts = $2)sql";

const std::string kHoldInstallation = R"sql(
UPDATE deliveries SET next_attempt_at = $2
WHERE state = 'queued' AND installation_id = $1 AND next_attempt_at < $2)sql";

const std::string kFailPermanently = R"sql(
UPDATE deliveries SET state = 'failed', finished_at = $3, last_error = $4, lease_until = NULL
WHERE delivery_id = $1 AND state = 'running' AND attempts = $2)sql";

const std::string kIgnore = R"sql(
UPDATE deliveries SET state = 'ignored', finished_at = $3, lease_until = NULL
WHERE delivery_id = $1 AND state = 'running' AND attempts = $2)sql";

const std::string kReleaseExpired =
    "UPDATE deliveries SET state = 'queued', lease_until = NULL WHERE state = 'running' AND lease_until <= $1";

const std::string kPruneDeliveries = R"sql(
DELETE FROM deliveries WHERE id IN (
  SELECT id FROM deliveries WHERE state IN ('done', 'failed', 'ignored') AND received_at < $1 LIMIT 500))sql";

const std::string kPruneBodies = R"sql(
UPDATE deliveries SET body = '\x'::bytea WHERE id IN (
  SELECT id FROM deliveries
  WHERE state IN ('done', 'failed', 'ignored') AND received_at < $1 AND octet_length(body) > 0 LIMIT 500))sql";

IngestResult insert(postgres::Connection& db, const IncomingDelivery& d) {
  postgres::Params params;
  params.add(d.delivery_id).add(d.event).add(d.action).add(d.installation_id).add(d.repository);
  params.add(to_ms(d.received_at)).add_bytes(d.body).add(std::string(to_string(d.state)));
  if (db.run(kInsertDelivery, params, "inserting a delivery").affected() == 1) return IngestResult::inserted;
  const auto requeued =
      db.run(kRequeueFailed, postgres::Params().add(d.delivery_id).add(to_ms(d.received_at)).add_bytes(d.body),
             "requeueing a redelivered failed delivery");
  return requeued.affected() == 1 ? IngestResult::requeued : IngestResult::duplicate;
}

void check(PgDatabase& db, const IncomingDelivery& delivery) {
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

bool finish_lease(PgDatabase& database, const std::string& sql, const char* purpose, const Lease& lease, TimePoint time,
                  std::optional<std::string_view> error) {
  return database.with([&](postgres::Connection& db) {
    postgres::Params params;
    params.add(lease.delivery_id).add(lease.attempt).add(to_ms(time));
    if (error) params.add(*error);
    return db.run(sql, params, purpose).affected() == 1;
  });
}

std::int64_t in_small_batches(PgDatabase& database, const std::string& sql, const char* purpose, TimePoint before) {
  std::int64_t total = 0;
  for (;;) {
    const auto changed = database.with([&](postgres::Connection& db) {
      return db.run(sql, postgres::Params().add(to_ms(before)), purpose).affected();
    });
    total += changed;
    if (changed == 0) return total;
  }
}

}  // namespace

IngestResult PgQueue::ingest(const IncomingDelivery& delivery) {
  check(db_, delivery);
  // Two statements, each idempotent: a repeat after a lost answer reports duplicate, never stores twice.
  const auto result = db_.with([&](postgres::Connection& db) { return insert(db, delivery); });
  db_.count_ingest_commit(1);
  return result;
}

std::vector<IngestResult> PgQueue::ingest(std::span<const IncomingDelivery> deliveries) {
  if (deliveries.empty()) return {};
  for (const IncomingDelivery& delivery : deliveries) check(db_, delivery);
  auto results = db_.atomically([&](postgres::Connection& db) {
    std::vector<IngestResult> out;
    out.reserve(deliveries.size());
    for (const IncomingDelivery& delivery : deliveries) out.push_back(insert(db, delivery));
    return out;
  });
  db_.count_ingest_commit(deliveries.size());
  return results;
}

std::optional<Delivery> PgQueue::delivery(std::string_view delivery_id) {
  return db_.with([&](postgres::Connection& db) -> std::optional<Delivery> {
    const auto row = db.run(kSelectDelivery, postgres::Params().add(delivery_id), "reading a delivery");
    if (row.rows() == 0) return std::nullopt;
    return read_delivery(row, 0, true);
  });
}

void PgQueue::list(std::optional<DeliveryState> state, const std::function<void(const Delivery&)>& visit) {
  const auto rows = db_.with([&](postgres::Connection& db) {
    postgres::Params params;
    if (state)
      params.add(to_string(*state));
    else
      params.add_null();
    return db.run(kListDeliveries, params, "listing deliveries");
  });
  for (int i = 0; i < rows.rows(); ++i) visit(read_delivery(rows, i, false));
}

std::optional<Claim> PgQueue::claim_next(std::string_view worker_id, TimePoint now, int installation_limit) {
  if (installation_limit < 1)
    throw std::invalid_argument("store: claim_next needs an installation_limit of at least 1");
  return db_.with([&](postgres::Connection& db) -> std::optional<Claim> {
    postgres::Params params;
    params.add(to_ms(now)).add(installation_limit).add(to_ms(now + db_.options().lease)).add(worker_id);
    const auto row = db.run(kClaim, params, "claiming the next delivery");
    if (row.rows() == 0) return std::nullopt;
    Claim claim{read_delivery(row, 0, true), {}};
    claim.lease = Lease{claim.delivery.delivery_id, claim.delivery.attempts};
    return claim;
  });
}

bool PgQueue::complete(const Lease& lease) {
  return finish_lease(db_, kComplete, "completing a delivery", lease, db_.clock().now(), std::nullopt);
}

bool PgQueue::fail(const Lease& lease, std::string_view error, std::optional<TimePoint> retry_at) {
  if (retry_at) return finish_lease(db_, kRetry, "scheduling a delivery's retry", lease, *retry_at, error);
  return finish_lease(db_, kFailPermanently, "failing a delivery", lease, db_.clock().now(), error);
}

bool PgQueue::ignore(const Lease& lease) {
  return finish_lease(db_, kIgnore, "ignoring a delivery", lease, db_.clock().now(), std::nullopt);
}

std::int64_t PgQueue::park(const Lease& lease, std::int64_t installation_id, TimePoint until, std::string_view why) {
  return db_.atomically([&](postgres::Connection& db) -> std::int64_t {
    postgres::Params params;
    params.add(lease.delivery_id).add(lease.attempt).add(to_ms(until)).add(why);
    if (db.run(kPark, params, "parking a delivery until a rate limit resets").affected() != 1) return -1;
    if (installation_id == 0) return 0;
    return db
        .run(kHoldInstallation, postgres::Params().add(installation_id).add(to_ms(until)),
             "holding an installation's deliveries until a rate limit resets")
        .affected();
  });
}

std::int64_t PgQueue::release_expired_leases(TimePoint now) {
  return db_.with([&](postgres::Connection& db) {
    return db.run(kReleaseExpired, postgres::Params().add(to_ms(now)), "releasing expired leases").affected();
  });
}

std::int64_t PgQueue::requeue_running() { return release_expired_leases(db_.clock().now()); }

std::int64_t PgQueue::depth() {
  return db_.with([&](postgres::Connection& db) {
    return db.run("SELECT count(*) FROM deliveries WHERE state = 'queued'", "counting the queue").int64(0, 0);
  });
}

Counts PgQueue::counts() {
  const auto rows = db_.with([&](postgres::Connection& db) {
    return db.run("SELECT state, count(*) FROM deliveries GROUP BY state", "counting deliveries");
  });
  Counts counts;
  for (int i = 0; i < rows.rows(); ++i) {
    const std::int64_t n = rows.int64(i, 1);
    count_of(counts, stored_delivery_state(rows.text(i, 0))) = n;
  }
  return counts;
}

std::int64_t PgQueue::prune(TimePoint before) {
  return in_small_batches(db_, kPruneDeliveries, "pruning finished deliveries", before);
}

std::int64_t PgQueue::prune_bodies(TimePoint before) {
  return in_small_batches(db_, kPruneBodies, "pruning the bodies of finished deliveries", before);
}

}  // namespace deploy::store
