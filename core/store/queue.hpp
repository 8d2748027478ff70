// The store's webhook deliveries and the job queue over them: ingest with de-duplication, claims
// under a lease, completion, retry, rate-limit parking, recovery of dead workers' claims, pruning.
//
// Redelivery. GitHub's "redeliver" reuses the X-GitHub-Delivery id. A delivery seen before is a
// duplicate (no second row, no second processing) unless it failed permanently: then it is queued
// again (IngestResult::requeued), since someone pressed "redeliver" because it did not work. Its
// effects that did finish are not repeated (store_effects.hpp).
//
// Queue is what a back end implements; SqliteQueue is the SQLite one, over the store's Database.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deploy::store {

using TimePoint = std::chrono::system_clock::time_point;

enum class DeliveryState { queued, running, done, failed, ignored };
std::string_view to_string(DeliveryState state);
std::optional<DeliveryState> parse_delivery_state(std::string_view text);  // nullopt: not a state's name

// What the HTTP handler hands over. Views, not copies: they must stay valid until ingest() returns.
struct IncomingDelivery {
  std::string_view delivery_id;      // X-GitHub-Delivery; must not be empty
  std::string_view event;            // X-GitHub-Event
  std::string_view action;           // payload "action"; may be empty
  std::int64_t installation_id = 0;  // 0 = none (or not extracted); the concurrency limit groups by it
  std::string_view repository;       // "owner/name"; may be empty
  TimePoint received_at;
  // What the worker will read, opaque to the store: the payload as it was signed, or the caller's
  // compact record of it (deploy-bot stores only the members its handlers read, bot/payload.hpp).
  // May be empty when state is not queued.
  std::string_view body;
  // queued: a job for the worker (the default). done or ignored: the caller already knows that no
  // handler has anything to do (a ping, an event no handler wants, a comment without a command):
  // the row is stored finished (finished_at = received_at, attempts 0), only so that a redelivery
  // is still a duplicate and people see it; no worker ever claims it. Any other state is refused
  // (std::invalid_argument).
  DeliveryState state = DeliveryState::queued;
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
  std::int64_t attempts = 0;  // claims so far, over the delivery's whole life (never reset)
  TimePoint next_attempt_at;
  std::optional<std::string> last_error;
  std::optional<TimePoint> finished_at;
  std::optional<TimePoint> lease_until;
  std::optional<std::string> worker_id;  // the last worker that claimed it
  std::int64_t redeliveries = 0;         // times a GitHub redelivery re-queued it after a permanent failure
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

struct Counts {
  std::int64_t queued = 0;  // the queue depth (due now or waiting for a retry time)
  std::int64_t running = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t ignored = 0;
};
// The member of `counts` that counts deliveries in `state` (both back ends fill Counts by state).
std::int64_t& count_of(Counts& counts, DeliveryState state);
// A state as a back end stored it: throws std::runtime_error when it names none (the schema's CHECK
// constraint makes that unreachable unless the database was edited by hand).
DeliveryState stored_delivery_state(std::string_view text);

class Queue {
 public:
  virtual ~Queue() = default;

  // Durable when it returns (see store_database.hpp, Durability). Concurrent callers share one
  // commit. Must not be called inside a transaction (it commits on its own; throws std::logic_error).
  virtual IngestResult ingest(const IncomingDelivery& delivery) = 0;
  // Several at once (e.g. every request one event-loop turn read), committed in one transaction
  // together with whatever other threads are ingesting; results in the same order. On an exception
  // some of them may be stored: ingesting them again then reports duplicate.
  virtual std::vector<IngestResult> ingest(std::span<const IncomingDelivery> deliveries) = 0;
  virtual std::optional<Delivery> delivery(std::string_view delivery_id) = 0;
  // Every delivery, oldest (by received_at, then id) first, in `state` when given; their bodies are
  // left empty (not read). For people looking at the store (`deploy-bot deliveries list`).
  virtual void list(std::optional<DeliveryState> state, const std::function<void(const Delivery&)>& visit) = 0;

  // Atomically takes the queued delivery due earliest (next_attempt_at <= now; by next_attempt_at,
  // then received_at: a new delivery is due when it was received, so new ones go in arrival order,
  // and a retry or a parked one takes its place in line when it falls due) whose installation has
  // fewer than `installation_limit` running, and marks it running until now + lease. nullopt when
  // none qualifies. A back end must find it without reading the deliveries that are not yet due
  // (after a rate-limit park, that is the whole backlog of the installation).
  virtual std::optional<Claim> claim_next(std::string_view worker_id, TimePoint now, int installation_limit) = 0;
  virtual bool complete(const Lease& lease) = 0;
  // retry_at set: back to queued, due at retry_at. nullopt: failed permanently.
  virtual bool fail(const Lease& lease, std::string_view error, std::optional<TimePoint> retry_at) = 0;
  virtual bool ignore(const Lease& lease) = 0;  // nothing to do for this event
  // GitHub's primary rate limit is used up for this installation until `until`: the delivery goes
  // back to queued, due then, and the claim does not count as an attempt (attempts goes back down:
  // waiting out a limit must never use up the retries); every queued delivery of the installation
  // (when not 0) is held until then too, so none is claimed only to hit the limit. Returns how many
  // others were held, or -1 when the lease was no longer current (nothing changed).
  virtual std::int64_t park(const Lease& lease, std::int64_t installation_id, TimePoint until,
                            std::string_view why) = 0;
  // Running deliveries whose lease ended by `now` go back to queued (a stuck or dead worker).
  virtual std::int64_t release_expired_leases(TimePoint now) = 0;
  // Every running delivery goes back to queued. Call once at start, before any worker runs.
  virtual std::int64_t requeue_running() = 0;

  virtual std::int64_t depth() = 0;  // queued deliveries
  virtual Counts counts() = 0;

  // Deletes finished (done, failed, ignored) deliveries received before `before`, in small
  // transactions. Keep `before` older than GitHub's redelivery window. Returns how many.
  virtual std::int64_t prune(TimePoint before) = 0;
  // Empties the bodies of finished (done, failed, ignored) deliveries received before `before`,
  // keeping their rows: the delivery id still de-duplicates a redelivery, and a redelivery of a
  // failed one brings its body back. Returns how many bodies were emptied. Never touches queued or
  // running deliveries, nor any other concern of the store.
  virtual std::int64_t prune_bodies(TimePoint before) = 0;
};

class Database;

// Ingest is group-committed without a thread hop: a caller that finds no commit in progress commits
// everything queued so far, its own delivery included, and wakes the callers it carried; callers
// that arrive meanwhile queue for the next commit; a lone caller commits at once (no timer).
class SqliteQueue final : public Queue {
 public:
  explicit SqliteQueue(Database& database);
  ~SqliteQueue() override;
  SqliteQueue(const SqliteQueue&) = delete;
  SqliteQueue& operator=(const SqliteQueue&) = delete;

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
  struct GroupCommit;
  Database& db_;
  std::unique_ptr<GroupCommit> group_;
};

}  // namespace deploy::store
