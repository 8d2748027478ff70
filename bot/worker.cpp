#include "bot/worker.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/github/error.hpp"
#include "core/log_json/log_json.hpp"
#include "core/sqlite/sqlite.hpp"

namespace deploy::bot {
namespace {

// Must be called from inside a catch block.
JobFailure classify_current_exception() {
  try {
    throw;
  } catch (const github::GitHubError& e) {
    JobFailure failure{github_error_is_transient(e.code(), e.status()), e.what(), std::nullopt, std::nullopt};
    if (e.details().primary_rate_limit)
      failure.parked_until = e.details().retry_at;
    else
      failure.not_before = e.details().retry_at;
    return failure;
  } catch (const PermanentError& e) {
    return {false, e.what(), std::nullopt, std::nullopt};
  } catch (const TransientError& e) {
    return {true, e.what(), std::nullopt, std::nullopt};
  } catch (const nlohmann::json::exception& e) {
    return {false, std::string("the payload is not what this event should carry: ") + e.what(), std::nullopt,
            std::nullopt};
  } catch (const sqlite::Error& e) {
    return {true, std::string("store: ") + e.what(), std::nullopt, std::nullopt};
  } catch (const std::exception& e) {
    return {true, e.what(), std::nullopt, std::nullopt};
  }
}

// Writes what was decided to the store, with its log line (and, for a park, its metric).
void record(store::Store& store, Metrics& metrics, const store::Claim& claim, const FailureOutcome& outcome,
            const std::string& error) {
  const auto& d = claim.delivery;
  switch (outcome.result) {
    case JobResult::done:
      store.queue().complete(claim.lease);
      break;
    case JobResult::ignored:
      store.queue().ignore(claim.lease);
      break;
    case JobResult::parked: {
      // Waiting out an hourly limit is not a failure: the attempt is not counted, and the
      // installation's other queued jobs wait too instead of each hitting the limit again.
      const auto held = store.queue().park(claim.lease, d.installation_id, outcome.at, error);
      metrics.rate_limit_parked(d.installation_id, outcome.wait);
      spdlog::warn("{}", log_json::event("delivery_parked",
                                         {{"delivery", d.delivery_id},
                                          {"github_event", d.event},
                                          {"installation", d.installation_id},
                                          {"parked_ms", outcome.wait.count()},
                                          {"others_held", std::max<std::int64_t>(0, held)},
                                          {"why", "GitHub's primary rate limit is used up until it resets"}}));
      break;
    }
    case JobResult::retry:
      store.queue().fail(claim.lease, error, outcome.at);
      spdlog::warn("{}", log_json::event("delivery_retry", {{"delivery", d.delivery_id},
                                                            {"github_event", d.event},
                                                            {"attempt", claim.lease.attempt},
                                                            {"retry_in_ms", outcome.wait.count()},
                                                            {"error", error}}));
      break;
    case JobResult::failed:
    case JobResult::count_:
      store.queue().fail(claim.lease, error, std::nullopt);
      spdlog::error("{}", log_json::event("delivery_failed", {{"delivery", d.delivery_id},
                                                              {"github_event", d.event},
                                                              {"attempt", claim.lease.attempt},
                                                              {"error", error}}));
      break;
  }
}

}  // namespace

Worker::Worker(store::Store& store, Handler& handler, Metrics& metrics, const Clock& clock, WorkerOptions options)
    : store_(store), handler_(handler), metrics_(metrics), clock_(clock), options_(std::move(options)) {}

Worker::~Worker() { stop(); }

void Worker::start() {
  const auto requeued = store_.queue().requeue_running();
  if (requeued > 0) spdlog::info("{}", log_json::event("requeued_running", {{"count", requeued}}));
  next_sweep_ = std::chrono::steady_clock::now() + options_.lease_sweep_interval;
  next_prune_ = std::chrono::steady_clock::now();
  const unsigned n = options_.threads == 0 ? 1 : options_.threads;
  for (unsigned i = 0; i < n; ++i) {
    std::string id = options_.id_prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    threads_.emplace_back([this, id] { run(id); });
  }
}

void Worker::notify() {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
  }
  wake_.notify_all();
}

void Worker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

// Waits until notified after `seen_generation`, the poll interval passes, or stop. False on stop.
bool Worker::wait_for_work(std::uint64_t seen_generation) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_ || generation_ != seen_generation; });
  return !stopping_;
}

void Worker::run(const std::string& worker_id) {
  if (options_.nice > 0 &&
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), ::getpriority(PRIO_PROCESS, 0) + options_.nice) != 0) {
    // Not fatal: the worker only competes with the ingest for the CPU as an equal.
    spdlog::warn("{}", log_json::event("worker_priority_unchanged", {{"worker", worker_id}, {"errno", errno}}));
  }
  for (;;) {
    std::uint64_t generation = 0;
    bool sweep = false;
    bool prune = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      generation = generation_;
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_sweep_) {
        next_sweep_ = now + options_.lease_sweep_interval;
        sweep = true;
      }
      if (options_.delivery_body_retention.count() > 0 && now >= next_prune_) {
        next_prune_ = now + options_.prune_interval;
        prune = true;
      }
    }
    std::optional<store::Claim> claim;
    try {
      if (sweep) {
        const auto released = store_.queue().release_expired_leases(clock_.now());
        if (released > 0) spdlog::warn("{}", log_json::event("leases_expired", {{"count", released}}));
      }
      if (prune) {
        const auto pruned = store_.queue().prune_bodies(clock_.now() - options_.delivery_body_retention);
        if (pruned > 0) spdlog::info("{}", log_json::event("delivery_bodies_pruned", {{"count", pruned}}));
      }
      claim = store_.queue().claim_next(worker_id, clock_.now(), options_.installation_limit);
    } catch (const std::exception& e) {
      spdlog::error("{}", log_json::event("claim_failed", {{"worker", worker_id}, {"error", e.what()}}));
    }
    if (!claim) {
      if (!wait_for_work(generation)) return;
      continue;
    }
    process(*claim);
    notify();  // a slot of this installation is free again, and there may be more queued
  }
}

void Worker::process(const store::Claim& claim) {
  const auto& d = claim.delivery;
  const auto started = std::chrono::steady_clock::now();
  JobFailure failure;
  FailureOutcome outcome{JobResult::done, {}, {}};
  try {
    outcome.result = handler_.handle(d) == HandleResult::done ? JobResult::done : JobResult::ignored;
  } catch (...) {
    failure = classify_current_exception();
    outcome = decide_failure(failure, claim.lease.attempt, options_.retry, clock_.now());
  }
  if (outcome.result != JobResult::parked) metrics_.rate_limit_cleared(d.installation_id);
  try {
    record(store_, metrics_, claim, outcome, failure.message);
  } catch (const std::exception& e) {
    // The lease expires and the delivery runs again: effects are keyed, so that is safe.
    spdlog::error("{}", log_json::event("record_result_failed", {{"delivery", d.delivery_id}, {"error", e.what()}}));
  }
  metrics_.job(outcome.result, std::chrono::steady_clock::now() - started);
  spdlog::info("{}", log_json::event("delivery_handled", {{"delivery", d.delivery_id},
                                                          {"github_event", d.event},
                                                          {"action", d.action},
                                                          {"result", to_string(outcome.result)}}));
}

}  // namespace deploy::bot
