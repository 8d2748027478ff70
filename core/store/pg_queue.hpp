// The PostgreSQL queue: Queue over the store's PgDatabase (pg_database.hpp), shared by replicas.
//
// - Ingest: INSERT ... ON CONFLICT (delivery_id) DO NOTHING, so the same delivery sent to two
//   replicas is stored once (the second waits for the first's commit and reports duplicate). Each
//   ingest commits on its own (PostgreSQL batches concurrent commits' WAL flushes itself); several
//   at once commit together.
// - Claims: FOR UPDATE SKIP LOCKED, so replicas' workers never wait for each other nor take the
//   same delivery; the lease expires when a replica dies and release_expired_leases() (any
//   replica's sweep) queues the delivery again.
// - Order: one repository's deliveries are handled one at a time, in arrival order, across
//   replicas: a delivery is claimable only while none of its repository runs and none older of its
//   repository is due. One waiting for a retry (or parked until a rate limit resets) lets the later
//   ones pass, as on SQLite, rather than hold its repository up. Deliveries without a repository
//   are not ordered. The per-installation limit is counted from
//   what is running when the claim reads it, so replicas claiming at the same instant may exceed
//   it by the number of replicas minus one.
// - requeue_running() releases only expired leases: with replicas, a running delivery at start
//   may be another live replica's.
#pragma once

#include "core/store/queue.hpp"

namespace deploy::store {

class PgDatabase;

class PgQueue final : public Queue {
 public:
  explicit PgQueue(PgDatabase& database) : db_(database) {}

  IngestResult ingest(const IncomingDelivery& delivery) override;
  std::vector<IngestResult> ingest(std::span<const IncomingDelivery> deliveries) override;
  std::optional<Delivery> delivery(std::string_view delivery_id) override;
  void list(std::optional<DeliveryState> state, const std::function<void(const Delivery&)>& visit) override;
  std::optional<Claim> claim_next(std::string_view worker_id, TimePoint now, int installation_limit) override;
  bool complete(const Lease& lease) override;
  bool fail(const Lease& lease, std::string_view error, std::optional<TimePoint> retry_at) override;
  bool ignore(const Lease& lease) override;
  std::int64_t park(const Lease& lease, std::int64_t installation_id, TimePoint until, std::string_view why) override;
  std::int64_t release_expired_leases(TimePoint now) override;
  std::int64_t requeue_running() override;
  std::int64_t depth() override;
  Counts counts() override;
  std::int64_t prune(TimePoint before) override;
  std::int64_t prune_bodies(TimePoint before) override;

 private:
  PgDatabase& db_;
};

}  // namespace deploy::store
