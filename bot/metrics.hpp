// The bot's Prometheus metrics. Every label set is fixed at compile time (unknown events map to
// "other", unknown paths to "other"), so the counters are plain relaxed atomics: no lock on the
// request path and a bounded number of series whatever senders put in their headers.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace deploy::bot {

enum class DeliveryOutcome {
  queued,
  duplicate,
  requeued,
  bad_signature,
  too_large,
  bad_request,
  store_error,
  count_  // number of outcomes, not an outcome
};
std::string_view to_string(DeliveryOutcome outcome);

class Metrics {
 public:
  Metrics();

  // `event` is the X-GitHub-Event header (untrusted: anything unknown counts as "other").
  void delivery(std::string_view event, DeliveryOutcome outcome);
  // `path` is the request target without the query.
  void http_request(std::string_view path, unsigned status);
  void ingest_latency(std::chrono::nanoseconds duration);

  // The Prometheus text exposition (format 0.0.4) of every series, plus the queue depth gauge.
  std::string render(std::int64_t queue_depth) const;

 private:
  static constexpr std::size_t kPaths = 5;     // /webhook /healthz /readyz /metrics other
  static constexpr std::size_t kStatuses = 11; // see kStatusCodes in metrics.cpp
  static constexpr std::size_t kBuckets = 14;  // see kBucketBounds in metrics.cpp; +Inf is count_
  static constexpr std::size_t kOutcomes = static_cast<std::size_t>(DeliveryOutcome::count_);

  std::size_t event_index(std::string_view event) const;

  std::unique_ptr<std::atomic<std::uint64_t>[]> deliveries_;  // events x outcomes
  std::array<std::atomic<std::uint64_t>, kPaths * kStatuses> requests_{};
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> ingest_count_{0};
  std::atomic<std::uint64_t> ingest_sum_ns_{0};
};

}  // namespace deploy::bot
