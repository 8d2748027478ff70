#include "bot/worker.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/github/error.hpp"
#include "core/log_json/log_json.hpp"
#include "core/sqlite/sqlite.hpp"

namespace deploy::bot {
namespace {

struct Failure {
  bool transient = false;
  std::string message;
  // GitHub's primary rate limit is used up until then: park, do not count an attempt.
  std::optional<std::chrono::system_clock::time_point> parked_until;
  // A rate limit said when to come back (retry-after): retry no earlier.
  std::optional<std::chrono::system_clock::time_point> not_before;
};

// Must be called from inside a catch block.
Failure classify_current_exception() {
  try {
    throw;
  } catch (const github::GitHubError& e) {
    Failure failure{github_error_is_transient(e.code(), e.status()), e.what(), std::nullopt, std::nullopt};
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
  JobResult result = JobResult::done;
  std::string error;
  Failure failure;
  try {
    const HandleResult handled = handler_.handle(d);
    result = handled == HandleResult::done ? JobResult::done : JobResult::ignored;
  } catch (...) {
    failure = classify_current_exception();
    error = failure.message;
    result = failure.parked_until                                                    ? JobResult::parked
             : failure.transient && retry_delay(claim.lease.attempt, options_.retry) ? JobResult::retry
                                                                                     : JobResult::failed;
  }
  if (result != JobResult::parked) metrics_.rate_limit_cleared(d.installation_id);
  try {
    switch (result) {
      case JobResult::done:
        store_.queue().complete(claim.lease);
        break;
      case JobResult::ignored:
        store_.queue().ignore(claim.lease);
        break;
      case JobResult::parked: {
        // Waiting out an hourly limit is not a failure: the attempt is not counted, and the
        // installation's other queued jobs wait too instead of each hitting the limit again.
        const auto now = clock_.now();
        const auto until = std::max(*failure.parked_until, now);
        const auto held = store_.queue().park(claim.lease, d.installation_id, until, error);
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
        metrics_.rate_limit_parked(d.installation_id, wait);
        spdlog::warn("{}", log_json::event("delivery_parked",
                                           {{"delivery", d.delivery_id},
                                            {"github_event", d.event},
                                            {"installation", d.installation_id},
                                            {"parked_ms", wait.count()},
                                            {"others_held", std::max<std::int64_t>(0, held)},
                                            {"why", "GitHub's primary rate limit is used up until it resets"}}));
        break;
      }
      case JobResult::retry: {
        auto delay = *retry_delay(claim.lease.attempt, options_.retry);
        // A secondary limit's retry-after is the earliest a retry can work.
        if (failure.not_before) {
          delay = std::max(delay, std::chrono::ceil<std::chrono::milliseconds>(*failure.not_before - clock_.now()));
        }
        store_.queue().fail(claim.lease, error, clock_.now() + delay);
        spdlog::warn("{}", log_json::event("delivery_retry", {{"delivery", d.delivery_id},
                                                              {"github_event", d.event},
                                                              {"attempt", claim.lease.attempt},
                                                              {"retry_in_ms", delay.count()},
                                                              {"error", error}}));
        break;
      }
      case JobResult::failed:
      case JobResult::count_:
        store_.queue().fail(claim.lease, error, std::nullopt);
        spdlog::error("{}", log_json::event("delivery_failed", {{"delivery", d.delivery_id},
                                                                {"github_event", d.event},
                                                                {"attempt", claim.lease.attempt},
                                                                {"error", error}}));
        break;
    }
  } catch (const std::exception& e) {
    // The lease expires and the delivery runs again: effects are keyed, so that is safe.
    spdlog::error("{}", log_json::event("record_result_failed", {{"delivery", d.delivery_id}, {"error", e.what()}}));
  }
  metrics_.job(result, std::chrono::steady_clock::now() - started);
  spdlog::info("{}", log_json::event("delivery_handled", {{"delivery", d.delivery_id},
                                                          {"github_event", d.event},
                                                          {"action", d.action},
                                                          {"result", to_string(result)}}));
}

}  // namespace deploy::bot
