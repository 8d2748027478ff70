#include "bot/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace deploy::bot {
namespace {

// GitHub's webhook event names (docs.github.com "Webhook events and payloads"), sorted for lookup.
constexpr std::array<std::string_view, 58> kEvents = {"branch_protection_configuration",
                                                      "branch_protection_rule",
                                                      "check_run",
                                                      "check_suite",
                                                      "code_scanning_alert",
                                                      "commit_comment",
                                                      "create",
                                                      "custom_property",
                                                      "custom_property_values",
                                                      "delete",
                                                      "dependabot_alert",
                                                      "deploy_key",
                                                      "deployment",
                                                      "deployment_protection_rule",
                                                      "deployment_review",
                                                      "deployment_status",
                                                      "discussion",
                                                      "discussion_comment",
                                                      "fork",
                                                      "github_app_authorization",
                                                      "gollum",
                                                      "installation",
                                                      "installation_repositories",
                                                      "installation_target",
                                                      "issue_comment",
                                                      "issues",
                                                      "label",
                                                      "marketplace_purchase",
                                                      "member",
                                                      "membership",
                                                      "merge_group",
                                                      "meta",
                                                      "milestone",
                                                      "org_block",
                                                      "organization",
                                                      "package",
                                                      "page_build",
                                                      "ping",
                                                      "project",
                                                      "project_card",
                                                      "project_column",
                                                      "projects_v2",
                                                      "projects_v2_item",
                                                      "public",
                                                      "pull_request",
                                                      "pull_request_review",
                                                      "pull_request_review_comment",
                                                      "pull_request_review_thread",
                                                      "push",
                                                      "registry_package",
                                                      "release",
                                                      "repository",
                                                      "repository_dispatch",
                                                      "security_advisory",
                                                      "star",
                                                      "status",
                                                      "workflow_dispatch",
                                                      "workflow_run"};
static_assert(std::is_sorted(kEvents.begin(), kEvents.end()), "kEvents must stay sorted and full");
constexpr std::size_t kEventSlots = kEvents.size() + 1;  // + "other"

constexpr std::array<std::string_view, 5> kPathNames = {"/webhook", "/healthz", "/readyz", "/metrics", "other"};
constexpr std::array<unsigned, 14> kStatusCodes = {200, 202, 400, 401, 404, 405, 408, 411, 413, 415, 431, 500, 503, 0};
constexpr std::array<double, 14> kBucketBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                  0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};

constexpr std::array<std::string_view, 8> kOutcomeNames = {"queued",    "duplicate",   "requeued",    "bad_signature",
                                                           "too_large", "bad_request", "store_error", "acknowledged"};

constexpr std::array<std::string_view, 8> kRefusalNames = {
    "connection_limit", "body_bytes_in_flight", "header_timeout",  "body_timeout",
    "header_too_large", "body_too_large",       "length_required", "malformed"};
constexpr std::array<std::string_view, 2> kIdleCloseNames = {"connection_limit", "out_of_descriptors"};

constexpr std::array<std::string_view, 5> kJobResultNames = {"done", "ignored", "retry", "failed", "parked"};
constexpr std::array<double, 12> kJobBucketBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,  0.5,   1.0,  2.5,   5.0,  10.0};
// 0 = no response; the last slot is "other".
constexpr std::array<unsigned, 19> kGithubStatusCodes = {200, 201, 202, 204, 301, 304, 400, 401, 403, 404,
                                                         409, 422, 429, 500, 502, 503, 504, 0,   1};

std::string format_double(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

}  // namespace

std::string_view to_string(JobResult result) { return kJobResultNames.at(static_cast<std::size_t>(result)); }

std::string_view to_string(ServerRefusal refusal) { return kRefusalNames.at(static_cast<std::size_t>(refusal)); }

std::string_view to_string(IdleClose reason) { return kIdleCloseNames.at(static_cast<std::size_t>(reason)); }

std::string_view to_string(DeliveryOutcome outcome) { return kOutcomeNames.at(static_cast<std::size_t>(outcome)); }

Metrics::Metrics() : deliveries_(new std::atomic<std::uint64_t>[kEventSlots * kOutcomes]) {
  static_assert(kStatusCodes.size() == kStatuses && kPathNames.size() == kPaths && kBucketBounds.size() == kBuckets &&
                kOutcomeNames.size() == kOutcomes);
  static_assert(kJobResultNames.size() == kJobResults && kJobBucketBounds.size() == kJobBuckets &&
                kGithubStatusCodes.size() == kGithubStatuses);
  static_assert(kRefusalNames.size() == static_cast<std::size_t>(ServerRefusal::count_) &&
                kIdleCloseNames.size() == static_cast<std::size_t>(IdleClose::count_));
  for (std::size_t i = 0; i < kEventSlots * kOutcomes; ++i) deliveries_[i].store(0, std::memory_order_relaxed);
}

std::size_t Metrics::event_index(std::string_view event) const {
  const auto it = std::lower_bound(kEvents.begin(), kEvents.end(), event);
  if (it != kEvents.end() && *it == event) return static_cast<std::size_t>(it - kEvents.begin());
  return kEvents.size();
}

void Metrics::delivery(std::string_view event, DeliveryOutcome outcome) {
  deliveries_[event_index(event) * kOutcomes + static_cast<std::size_t>(outcome)].fetch_add(1,
                                                                                            std::memory_order_relaxed);
}

void Metrics::http_request(std::string_view path, unsigned status) {
  std::size_t p =
      static_cast<std::size_t>(std::find(kPathNames.begin(), kPathNames.end() - 1, path) - kPathNames.begin());
  std::size_t s =
      static_cast<std::size_t>(std::find(kStatusCodes.begin(), kStatusCodes.end() - 1, status) - kStatusCodes.begin());
  requests_[p * kStatuses + s].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::ingest_latency(std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  const auto it = std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), seconds);
  if (it != kBucketBounds.end()) {
    buckets_[static_cast<std::size_t>(it - kBucketBounds.begin())].fetch_add(1, std::memory_order_relaxed);
  }
  ingest_count_.fetch_add(1, std::memory_order_relaxed);
  ingest_sum_ns_.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
}

void Metrics::job(JobResult result, std::chrono::nanoseconds duration) {
  jobs_[static_cast<std::size_t>(result)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(duration).count();
  const auto it = std::lower_bound(kJobBucketBounds.begin(), kJobBucketBounds.end(), seconds);
  if (it != kJobBucketBounds.end()) {
    job_buckets_[static_cast<std::size_t>(it - kJobBucketBounds.begin())].fetch_add(1, std::memory_order_relaxed);
  }
  job_count_.fetch_add(1, std::memory_order_relaxed);
  job_sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count())),
                        std::memory_order_relaxed);
}

void Metrics::github_call(unsigned status) {
  const auto it = std::find(kGithubStatusCodes.begin(), kGithubStatusCodes.end() - 1, status);
  github_calls_[static_cast<std::size_t>(it - kGithubStatusCodes.begin())].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::refusal(ServerRefusal refusal) {
  refusals_[static_cast<std::size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::idle_closed(IdleClose reason) {
  idle_closed_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::accept_failed() { accept_failures_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::connections(std::int64_t delta) { connections_.fetch_add(delta, std::memory_order_relaxed); }

void Metrics::body_bytes_in_flight(std::int64_t delta) {
  body_bytes_in_flight_.fetch_add(delta, std::memory_order_relaxed);
}

void Metrics::rate_limit_parked(std::int64_t installation, std::chrono::milliseconds wait) {
  parked_ms_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, wait.count())), std::memory_order_relaxed);
  std::lock_guard lock(parked_mutex_);
  parked_installations_.insert(installation);
}

void Metrics::rate_limit_cleared(std::int64_t installation) {
  std::lock_guard lock(parked_mutex_);
  parked_installations_.erase(installation);
}

std::string Metrics::render(std::int64_t queue_depth) const {
  std::string out;
  out.reserve(8192);
  out += "# HELP deploy_bot_deliveries_total Webhook deliveries received, by event and outcome.\n";
  out += "# TYPE deploy_bot_deliveries_total counter\n";
  for (std::size_t e = 0; e < kEventSlots; ++e) {
    for (std::size_t o = 0; o < kOutcomes; ++o) {
      const auto n = deliveries_[e * kOutcomes + o].load(std::memory_order_relaxed);
      if (n == 0) continue;  // series appear once they have happened
      out += "deploy_bot_deliveries_total{event=\"";
      out += e < kEvents.size() ? kEvents[e] : std::string_view("other");
      out += "\",outcome=\"";
      out += kOutcomeNames[o];
      out += "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP deploy_bot_queue_depth Deliveries queued for the worker.\n";
  out += "# TYPE deploy_bot_queue_depth gauge\n";
  out += "deploy_bot_queue_depth " + std::to_string(queue_depth) + "\n";
  out += "# HELP deploy_bot_http_requests_total HTTP requests answered, by path and status.\n";
  out += "# TYPE deploy_bot_http_requests_total counter\n";
  for (std::size_t p = 0; p < kPaths; ++p) {
    for (std::size_t s = 0; s < kStatuses; ++s) {
      const auto n = requests_[p * kStatuses + s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "deploy_bot_http_requests_total{path=\"";
      out += kPathNames[p];
      out += "\",status=\"";
      out += s + 1 < kStatuses ? std::to_string(kStatusCodes[s]) : std::string("other");
      out += "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP deploy_bot_ingest_seconds Time to verify, parse and durably store one delivery.\n";
  out += "# TYPE deploy_bot_ingest_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    out += "deploy_bot_ingest_seconds_bucket{le=\"" + format_double(kBucketBounds[b]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  const auto count = ingest_count_.load(std::memory_order_relaxed);
  out += "deploy_bot_ingest_seconds_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  out += "deploy_bot_ingest_seconds_sum " +
         format_double(static_cast<double>(ingest_sum_ns_.load(std::memory_order_relaxed)) / 1e9) + "\n";
  out += "deploy_bot_ingest_seconds_count " + std::to_string(count) + "\n";

  out += "# HELP deploy_bot_jobs_total Deliveries handled by the worker, by result.\n";
  out += "# TYPE deploy_bot_jobs_total counter\n";
  for (std::size_t r = 0; r < kJobResults; ++r) {
    out += "deploy_bot_jobs_total{result=\"";
    out += kJobResultNames[r];
    out += "\"} " + std::to_string(jobs_[r].load(std::memory_order_relaxed)) + "\n";
  }
  out += "# HELP deploy_bot_handle_seconds Time to handle one delivery, GitHub calls included.\n";
  out += "# TYPE deploy_bot_handle_seconds histogram\n";
  cumulative = 0;
  for (std::size_t b = 0; b < kJobBuckets; ++b) {
    cumulative += job_buckets_[b].load(std::memory_order_relaxed);
    out += "deploy_bot_handle_seconds_bucket{le=\"" + format_double(kJobBucketBounds[b]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  const auto jobs = job_count_.load(std::memory_order_relaxed);
  out += "deploy_bot_handle_seconds_bucket{le=\"+Inf\"} " + std::to_string(jobs) + "\n";
  out += "deploy_bot_handle_seconds_sum " +
         format_double(static_cast<double>(job_sum_ns_.load(std::memory_order_relaxed)) / 1e9) + "\n";
  out += "deploy_bot_handle_seconds_count " + std::to_string(jobs) + "\n";
  out += "# HELP deploy_bot_github_calls_total HTTP exchanges with GitHub, by status (0 = no response).\n";
  out += "# TYPE deploy_bot_github_calls_total counter\n";
  for (std::size_t s = 0; s < kGithubStatuses; ++s) {
    const auto n = github_calls_[s].load(std::memory_order_relaxed);
    if (n == 0) continue;
    out += "deploy_bot_github_calls_total{status=\"";
    out += s + 1 < kGithubStatuses ? std::to_string(kGithubStatusCodes[s]) : std::string("other");
    out += "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP deploy_bot_server_refusals_total Requests and connections the server refused by itself, by reason.\n";
  out += "# TYPE deploy_bot_server_refusals_total counter\n";
  for (std::size_t r = 0; r < kRefusalNames.size(); ++r) {
    out += "deploy_bot_server_refusals_total{reason=\"";
    out += kRefusalNames[r];
    out += "\"} " + std::to_string(refusals_[r].load(std::memory_order_relaxed)) + "\n";
  }
  out += "# HELP deploy_bot_idle_connections_closed_total Idle connections closed to make room, by reason.\n";
  out += "# TYPE deploy_bot_idle_connections_closed_total counter\n";
  for (std::size_t r = 0; r < kIdleCloseNames.size(); ++r) {
    out += "deploy_bot_idle_connections_closed_total{reason=\"";
    out += kIdleCloseNames[r];
    out += "\"} " + std::to_string(idle_closed_[r].load(std::memory_order_relaxed)) + "\n";
  }
  out += "# HELP deploy_bot_accept_failures_total Failed accepts (out of file descriptors or memory).\n";
  out += "# TYPE deploy_bot_accept_failures_total counter\n";
  out += "deploy_bot_accept_failures_total " + std::to_string(accept_failures_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP deploy_bot_open_connections Open HTTP connections.\n";
  out += "# TYPE deploy_bot_open_connections gauge\n";
  out += "deploy_bot_open_connections " + std::to_string(connections_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP deploy_bot_body_bytes_in_flight Request body bytes set aside for requests being read.\n";
  out += "# TYPE deploy_bot_body_bytes_in_flight gauge\n";
  out +=
      "deploy_bot_body_bytes_in_flight " + std::to_string(body_bytes_in_flight_.load(std::memory_order_relaxed)) + "\n";
  out +=
      "# HELP deploy_bot_rate_limit_parked_seconds_total Time jobs were put aside until GitHub's primary rate limit "
      "reset, "
      "summed over parked jobs.\n";
  out += "# TYPE deploy_bot_rate_limit_parked_seconds_total counter\n";
  out += "deploy_bot_rate_limit_parked_seconds_total " +
         format_double(static_cast<double>(parked_ms_.load(std::memory_order_relaxed)) / 1e3) + "\n";
  std::size_t parked = 0;
  {
    std::lock_guard lock(parked_mutex_);
    parked = parked_installations_.size();
  }
  out +=
      "# HELP deploy_bot_rate_limit_parked_installations Installations whose jobs wait for GitHub's primary rate limit "
      "to reset.\n";
  out += "# TYPE deploy_bot_rate_limit_parked_installations gauge\n";
  out += "deploy_bot_rate_limit_parked_installations " + std::to_string(parked) + "\n";
  std::function<std::string()> more;
  {
    std::lock_guard lock(renderer_mutex_);
    more = renderer_;
  }
  if (more) out += more();
  return out;
}

void Metrics::add_renderer(std::function<std::string()> renderer) {
  std::lock_guard lock(renderer_mutex_);
  if (!renderer_) {
    renderer_ = std::move(renderer);
    return;
  }
  renderer_ = [first = std::move(renderer_), second = std::move(renderer)] { return first() + second(); };
}

}  // namespace deploy::bot
