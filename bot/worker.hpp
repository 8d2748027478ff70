// The worker side of the bot: N threads that claim stored deliveries from the store's job queue,
// hand each to the Handler, and record the result (done, ignored, retry later, failed for good).
//
// - At start every delivery still marked running belongs to a dead process (the store's lock file
//   guarantees one process per store): requeue_running() puts them back. Expired leases (a worker
//   stuck past the lease) are released periodically.
// - Wakes at once when the ingest path signals new work (notify()), else polls every poll_interval:
//   retries fall due without anyone notifying, and a lost wake-up then costs at most one interval.
// - At most installation_limit deliveries of one installation run at once (GitHub's secondary
//   rate limits are per installation).
// - Retention: one thread at a time empties the bodies of old finished deliveries (at start, then
//   every prune_interval), so the store does not grow with every payload ever received.
// - Failures: a GitHubError that is transient (5xx, rate limit, network), a TransientError or a
//   store error is retried with retry_delay(); a PermanentError, a JSON error in the payload or a
//   GitHub 4xx fails the delivery for good with the error recorded (a GitHub "redeliver" queues it
//   again). Anything else is retried up to max_attempts too: a bug should not lose a delivery.
// - stop(): each thread finishes the delivery it is handling (or leaves it queued if it had not
//   claimed one yet) and exits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/job_retry.hpp"
#include "bot/metrics.hpp"
#include "core/clock.hpp"
#include "core/store/store.hpp"

namespace deploy::bot {

enum class HandleResult { done, ignored };

// What processes one delivery. Thread-safe: called concurrently by every worker thread.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual HandleResult handle(const store::Delivery& delivery) = 0;
};

struct WorkerOptions {
  unsigned threads = 2;
  int installation_limit = 4;
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds lease_sweep_interval{10'000};
  // Bodies of finished deliveries received more than delivery_body_retention ago are emptied
  // (store::Queue::prune_bodies) at start and every prune_interval; 0 = never.
  std::chrono::seconds delivery_body_retention{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds prune_interval{3'600'000};
  RetrySchedule retry;
  std::string id_prefix = "worker";  // worker ids are "<prefix>-<pid>-<n>"
  // The worker threads' nice value (Linux: per thread), added to the process's. Answering GitHub
  // comes first: a delivery is durable before its 202, and GitHub gives a receiver 10 s before it
  // records a failure, while a queued job only waits. Under a burst the ingest threads get the
  // CPU and the backlog drains after it; with CPU to spare (100 events/s) the worker runs at once
  // whatever its nice value. 0 = the process's own priority.
  int nice = 10;
};

class Worker {
 public:
  // All must outlive the Worker.
  Worker(store::Store& store, Handler& handler, Metrics& metrics, const Clock& clock, WorkerOptions options);
  ~Worker();  // stop()
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();   // requeue_running(), then the threads
  void notify();  // new work was queued
  void stop();    // finish current jobs, join; idempotent

 private:
  void run(const std::string& worker_id);
  void process(const store::Claim& claim);
  bool wait_for_work(std::uint64_t seen_generation);

  store::Store& store_;
  Handler& handler_;
  Metrics& metrics_;
  const Clock& clock_;
  WorkerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t generation_ = 0;  // bumped by notify() and by every finished job
  bool stopping_ = false;
  std::chrono::steady_clock::time_point next_sweep_;
  std::chrono::steady_clock::time_point next_prune_;
  std::vector<std::thread> threads_;
};

}  // namespace deploy::bot
