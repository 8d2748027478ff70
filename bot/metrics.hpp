// The bot's Prometheus metrics. Every label set is fixed at compile time (unknown events map to
// "other", unknown paths to "other"), so the counters are plain relaxed atomics: no lock on the
// request path and a bounded number of series whatever senders put in their headers.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
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
  acknowledged,  // stored without a job: no handler has anything to do (bot/handlers/registry.hpp)
  count_         // number of outcomes, not an outcome
};
std::string_view to_string(DeliveryOutcome outcome);

// Why the server refused a request (or a connection) by itself, because of a limit or of HTTP
// itself, before or instead of a route: docs/OPERATIONS.md "Limits" lists each with its answer.
enum class ServerRefusal {
  connection_limit,      // 503: every connection slot is busy with a request
  body_bytes_in_flight,  // 503: the body would not fit in the bytes left for bodies being read
  header_timeout,        // 408: the header did not arrive in time
  body_timeout,          // 408: the body did not arrive in time
  header_too_large,      // 431: header over 16 KiB
  body_too_large,        // 413: body over 25 MiB
  length_required,       // 411: a webhook without Content-Length (chunked)
  malformed,             // 400: not HTTP/1.x that Beast can parse
  count_
};
std::string_view to_string(ServerRefusal refusal);

// Why an idle connection (nothing of a request received) was closed to make room.
enum class IdleClose { connection_limit, out_of_descriptors, count_ };
std::string_view to_string(IdleClose reason);

// What the worker did with one claimed delivery.
// parked: put aside until the installation's GitHub rate limit resets (not an attempt).
enum class JobResult { done, ignored, retry, failed, parked, count_ };
std::string_view to_string(JobResult result);

class Metrics {
 public:
  Metrics();

  // `event` is the X-GitHub-Event header (untrusted: anything unknown counts as "other").
  void delivery(std::string_view event, DeliveryOutcome outcome);
  // `path` is the request target without the query.
  void http_request(std::string_view path, unsigned status);
  void ingest_latency(std::chrono::nanoseconds duration);
  // The worker: one claimed delivery handled (latency includes every GitHub call it made).
  void job(JobResult result, std::chrono::nanoseconds duration);
  // One HTTP exchange with GitHub (each retry counts); status 0 = no response (network error).
  void github_call(unsigned status);

  // The server: refusals, idle connections closed to make room, failed accepts, and the two gauges
  // its limits are about (open connections, body bytes reserved for requests being read).
  void refusal(ServerRefusal refusal);
  void idle_closed(IdleClose reason);
  void accept_failed();
  void connections(std::int64_t delta);
  void body_bytes_in_flight(std::int64_t delta);

  // A job of `installation` was parked for `wait` until its primary rate limit resets; and one of
  // its jobs ran again without hitting it (the installation is no longer parked).
  void rate_limit_parked(std::int64_t installation, std::chrono::milliseconds wait);
  void rate_limit_cleared(std::int64_t installation);

  // The Prometheus text exposition (format 0.0.4) of every series, plus the queue depth gauge,
  // then what the renderers added give (series kept elsewhere: bot/github_metrics.hpp).
  std::string render(std::int64_t queue_depth) const;
  void add_renderer(std::function<std::string()> renderer);

 private:
  static constexpr std::size_t kPaths = 5;      // /webhook /healthz /readyz /metrics other
  static constexpr std::size_t kStatuses = 14;  // see kStatusCodes in metrics.cpp
  static constexpr std::size_t kBuckets = 14;   // see kBucketBounds in metrics.cpp; +Inf is count_
  static constexpr std::size_t kOutcomes = static_cast<std::size_t>(DeliveryOutcome::count_);

  std::size_t event_index(std::string_view event) const;

  std::unique_ptr<std::atomic<std::uint64_t>[]> deliveries_;  // events x outcomes
  std::array<std::atomic<std::uint64_t>, kPaths * kStatuses> requests_{};
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> ingest_count_{0};
  std::atomic<std::uint64_t> ingest_sum_ns_{0};

  static constexpr std::size_t kJobResults = static_cast<std::size_t>(JobResult::count_);
  static constexpr std::size_t kJobBuckets = 12;      // see kJobBucketBounds in metrics.cpp
  static constexpr std::size_t kGithubStatuses = 19;  // see kGithubStatusCodes in metrics.cpp; last = other
  std::array<std::atomic<std::uint64_t>, kJobResults> jobs_{};
  std::array<std::atomic<std::uint64_t>, kJobBuckets> job_buckets_{};
  std::atomic<std::uint64_t> job_count_{0};
  std::atomic<std::uint64_t> job_sum_ns_{0};
  std::array<std::atomic<std::uint64_t>, kGithubStatuses> github_calls_{};

  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(ServerRefusal::count_)> refusals_{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(IdleClose::count_)> idle_closed_{};
  std::atomic<std::uint64_t> accept_failures_{0};
  std::atomic<std::int64_t> connections_{0};
  std::atomic<std::int64_t> body_bytes_in_flight_{0};
  std::atomic<std::uint64_t> parked_ms_{0};
  mutable std::mutex parked_mutex_;
  std::set<std::int64_t> parked_installations_;
  mutable std::mutex renderer_mutex_;
  std::function<std::string()> renderer_;
};

}  // namespace deploy::bot
