#include "bot/routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>

#include "bot/payload.hpp"
#include "bot/request_checks.hpp"
#include "core/log_json/log_json.hpp"
#include "core/webhook/signature.hpp"

namespace deploy::bot {
namespace http = boost::beast::http;
namespace {

std::string_view path_of(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

Response make(unsigned version, bool keep_alive, http::status status, std::string_view content_type, std::string body) {
  Response response{status, version};
  response.set(http::field::server, "deploy-bot");
  response.set(http::field::content_type, content_type);
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// {"error":"CODE","message":"..."}: the reason code is stable, for scripts and for GitHub's
// "Recent deliveries" page, where people look first.
Response make(const Request& request, http::status status, std::string_view content_type, std::string body) {
  return make(request.version(), request.keep_alive(), status, content_type, std::move(body));
}

Response error(unsigned version, bool keep_alive, http::status status, std::string_view code,
               std::string_view message) {
  nlohmann::json body = {{"error", code}, {"message", message}};
  return make(version, keep_alive, status, "application/json",
              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Response error(const Request& request, http::status status, std::string_view code, std::string_view message) {
  return error(request.version(), request.keep_alive(), status, code, message);
}

std::string_view header(const RequestHeader& request, std::string_view name) {
  const auto it = request.find(name);
  return it == request.end() ? std::string_view() : std::string_view(it->value());
}

// Anyone can send requests the bot refuses, as fast as they like: one line per reason a second.
// `bytes`: the body's size, when the body is what was refused.
void log_rejected(LogThrottle& throttle, std::string_view reason, std::optional<std::size_t> bytes = std::nullopt) {
  if (const auto n = throttle.note(reason, std::chrono::steady_clock::now())) {
    spdlog::warn("{}", bytes
                           ? log_json::event("webhook_rejected", {{"reason", reason}, {"count", n}, {"bytes", *bytes}})
                           : log_json::event("webhook_rejected", {{"reason", reason}, {"count", n}}));
  }
}

DeliveryOutcome outcome_of(unsigned status) {
  switch (status) {
    case 401:
      return DeliveryOutcome::bad_signature;
    case 413:
      return DeliveryOutcome::too_large;
    default:
      return DeliveryOutcome::bad_request;
  }
}

}  // namespace

Routes::Routes(store::Store& store, Metrics& metrics, std::string secret)
    : store_(store), metrics_(metrics), secret_(std::move(secret)) {}

Response Routes::handle(const Request& request) {
  auto step = begin(request);
  if (auto* response = std::get_if<Response>(&step)) return std::move(*response);
  const Request* requests[] = {&request};
  return std::move(finish(requests, std::span<const Begun>(&std::get<Begun>(step), 1)).front());
}

std::variant<Response, Routes::Begun> Routes::begin(const Request& request) {
  if (request.method() == http::verb::post && path_of(request.target()) == "/webhook") {
    auto step = webhook(request);
    if (auto* response = std::get_if<Response>(&step)) metrics_.http_request("/webhook", response->result_int());
    return step;
  }
  return other(request);
}

Response Routes::other(const Request& request) {
  const std::string_view path = path_of(request.target());
  Response response;
  std::string_view metric_path = "other";
  if (path == "/webhook") {
    metric_path = "/webhook";
    response = error(request, http::status::method_not_allowed, "method_not_allowed", "use POST for /webhook");
  } else if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    metric_path = path;
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response =
          error(request, http::status::method_not_allowed, "method_not_allowed", "use GET for " + std::string(path));
    } else if (path == "/healthz") {
      response = healthz(request);
    } else if (path == "/readyz") {
      response = readyz(request);
    } else {
      response = metrics(request);
    }
  } else {
    response = error(request, http::status::not_found, "not_found",
                     "deploy-bot serves POST /webhook, GET /healthz, GET /readyz and GET /metrics");
  }
  if (response.result() == http::status::method_not_allowed) {
    response.set(http::field::allow, metric_path == "/webhook" ? "POST" : "GET, HEAD");
  }
  metrics_.http_request(metric_path, response.result_int());
  return response;
}

std::optional<Response> Routes::check_header(const RequestHeader& header_only) {
  if (path_of(header_only.target()) != "/webhook" || header_only.method() != http::verb::post) return std::nullopt;
  const auto refusal = check_webhook_header(header_only, kMaxWebhookBody);
  if (!refusal) return std::nullopt;
  log_rejected(throttle_, refusal->code);
  metrics_.delivery(header(header_only, "X-GitHub-Event"), outcome_of(refusal->status));
  if (refusal->status == 413) metrics_.refusal(ServerRefusal::body_too_large);
  if (refusal->status == 411) metrics_.refusal(ServerRefusal::length_required);
  metrics_.http_request("/webhook", refusal->status);
  // The body is not read, so the connection cannot carry another request.
  return error(header_only.version(), false, static_cast<http::status>(refusal->status), refusal->code,
               refusal->message);
}

Response Routes::refuse(ServerRefusal why, const RequestHeader* header_only) {
  struct Answer {
    http::status status;
    std::string_view message;
  };
  const Answer answer = [&]() -> Answer {
    switch (why) {
      case ServerRefusal::connection_limit:
        return {http::status::service_unavailable, "too many connections are busy; retry later"};
      case ServerRefusal::body_bytes_in_flight:
        return {http::status::service_unavailable, "too many request bodies are being received; retry later"};
      case ServerRefusal::header_timeout:
        return {http::status::request_timeout, "the request header did not arrive in time"};
      case ServerRefusal::body_timeout:
        return {http::status::request_timeout, "the request body did not arrive in time"};
      case ServerRefusal::header_too_large:
        return {http::status::request_header_fields_too_large, "the request header is over 16 KiB"};
      case ServerRefusal::body_too_large:
        return {http::status::payload_too_large, "request bodies are limited to 25 MiB (GitHub's cap) on /webhook"};
      case ServerRefusal::length_required:
        return {http::status::length_required, "send the body with a Content-Length header, not chunked"};
      case ServerRefusal::malformed:
      case ServerRefusal::count_:
        break;
    }
    return {http::status::bad_request, "the request is not HTTP/1.1 that deploy-bot can parse"};
  }();
  const std::string_view code = to_string(why);
  const std::string_view path = header_only ? path_of(header_only->target()) : std::string_view();
  const std::string_view metric_path =
      path == "/webhook" || path == "/healthz" || path == "/readyz" || path == "/metrics" ? path : "other";
  if (const auto n = throttle_.note(code, std::chrono::steady_clock::now())) {
    spdlog::warn("{}",
                 log_json::event("request_refused",
                                 {{"reason", code}, {"status", static_cast<unsigned>(answer.status)}, {"count", n}}));
  }
  metrics_.refusal(why);
  if (metric_path == "/webhook" && header_only && header_only->method() == http::verb::post) {
    metrics_.delivery(header(*header_only, "X-GitHub-Event"),
                      why == ServerRefusal::body_too_large ? DeliveryOutcome::too_large : DeliveryOutcome::bad_request);
  }
  metrics_.http_request(metric_path, static_cast<unsigned>(answer.status));
  auto response = error(header_only ? header_only->version() : 11, false, answer.status, code, answer.message);
  if (answer.status == http::status::service_unavailable) response.set(http::field::retry_after, "1");
  return response;
}

std::variant<Response, Routes::Begun> Routes::webhook(const Request& request) {
  Begun begun;
  begun.started = std::chrono::steady_clock::now();
  if (auto refused = check_delivery_headers(request)) return std::move(*refused);
  auto summary = summarize_payload(request.body(), header(request, "X-GitHub-Event"));
  if (!summary) return bad_request(request, summary.error().code, summary.error().message);
  begun.summary = std::move(summary).value();
  begun.received_at = std::chrono::system_clock::now();
  if (triage_) begun.state = triage_(header(request, "X-GitHub-Event"), begun.summary);
  return begun;
}

// The signature first: nothing else of an unsigned delivery is read, logged in full or stored.
std::optional<Response> Routes::check_delivery_headers(const Request& request) {
  const std::string_view event = header(request, "X-GitHub-Event");
  const std::string_view delivery_id = header(request, "X-GitHub-Delivery");
  const std::string_view body = request.body();
  const auto signature = webhook::check_signature(secret_, body, header(request, webhook::kSignatureHeader));
  if (signature != webhook::SignatureStatus::ok) {
    const auto outcome = webhook::signature_outcome(signature);
    log_rejected(throttle_, outcome.reason, body.size());
    metrics_.delivery(event, DeliveryOutcome::bad_signature);
    return error(request, http::status::unauthorized, outcome.reason,
                 signature == webhook::SignatureStatus::missing
                     ? "the X-Hub-Signature-256 header is missing"
                     : "the X-Hub-Signature-256 header does not match the body");
  }
  if (event.empty()) return bad_request(request, "event_header_missing", "the X-GitHub-Event header is missing");
  if (delivery_id.empty() || delivery_id.size() > 128) {
    return bad_request(request, "delivery_header_invalid",
                       "the X-GitHub-Delivery header is missing or longer than 128 bytes");
  }
  return std::nullopt;
}

Response Routes::bad_request(const Request& request, std::string_view code, std::string_view message) {
  log_rejected(throttle_, code);
  metrics_.delivery(header(request, "X-GitHub-Event"), DeliveryOutcome::bad_request);
  return error(request, http::status::bad_request, code, message);
}

// Stores the deliveries in one call (one commit; each once: a redelivery of a known id is a
// duplicate), wakes the worker when one needs it, and answers each.
std::vector<Response> Routes::finish(std::span<const Request* const> requests, std::span<const Begun> begun) {
  std::vector<store::IncomingDelivery> incoming(begun.size());
  for (std::size_t i = 0; i < begun.size(); ++i) {
    const Request& request = *requests[i];
    const Begun& b = begun[i];
    auto& d = incoming[i];
    d.delivery_id = header(request, "X-GitHub-Delivery");
    d.event = header(request, "X-GitHub-Event");
    d.action = b.summary.action;
    d.installation_id = b.summary.installation_id;
    d.repository = b.summary.repository;
    d.received_at = b.received_at;
    // What the handler reads, not the whole payload: a few hundred bytes instead of 12 KiB to
    // write now and to read back and parse in the worker.
    d.body = b.summary.record ? std::string_view(*b.summary.record) : std::string_view(request.body());
    d.state = b.state;
    // Nothing will read the payload of an event no handler takes: the row alone de-duplicates.
    if (d.state != store::DeliveryState::queued && !b.summary.record) d.body = {};
  }
  std::vector<Response> answers;
  answers.reserve(begun.size());
  std::vector<store::IngestResult> results;
  try {
    results = store_.queue().ingest(incoming);
  } catch (const std::exception& e) {
    // GitHub does not retry by itself, but the sender sees the failure on its delivery page and
    // can redeliver; 503 says "try again", which is the truth. Some of the batch may be stored:
    // their redelivery is then a duplicate.
    for (std::size_t i = 0; i < begun.size(); ++i) {
      spdlog::error("{}",
                    log_json::event("ingest_failed", {{"delivery", incoming[i].delivery_id}, {"error", e.what()}}));
      metrics_.delivery(incoming[i].event, DeliveryOutcome::store_error);
      answers.push_back(error(*requests[i], http::status::service_unavailable, "store_unavailable",
                              "the delivery could not be stored; redeliver it later"));
      metrics_.http_request("/webhook", answers.back().result_int());
    }
    return answers;
  }
  const auto stored = std::chrono::steady_clock::now();
  bool wake = false;
  for (std::size_t i = 0; i < begun.size(); ++i) {
    metrics_.ingest_latency(stored - begun[i].started);
    answers.push_back(ingested(*requests[i], incoming[i], results[i], wake));
    metrics_.http_request("/webhook", answers.back().result_int());
  }
  if (wake && on_queued_) on_queued_();
  return answers;
}

Response Routes::ingested(const Request& request, const store::IncomingDelivery& incoming, store::IngestResult result,
                          bool& wake) {
  const bool duplicate = result == store::IngestResult::duplicate;
  const bool job = incoming.state == store::DeliveryState::queued || result == store::IngestResult::requeued;
  if (!duplicate && job) wake = true;
  metrics_.delivery(incoming.event, duplicate                                 ? DeliveryOutcome::duplicate
                                    : result == store::IngestResult::requeued ? DeliveryOutcome::requeued
                                    : job                                     ? DeliveryOutcome::queued
                                                                              : DeliveryOutcome::acknowledged);
  if (!duplicate && !job) {
    // The line the worker writes for each delivery it handles, so that every delivery still has
    // one: this one was settled here, without a job.
    spdlog::info("{}", log_json::event("delivery_handled", {{"delivery", incoming.delivery_id},
                                                            {"github_event", incoming.event},
                                                            {"action", incoming.action},
                                                            {"result", store::to_string(incoming.state)},
                                                            {"at", "ingest"}}));
  }
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{}", log_json::event("webhook_ingested", {{"delivery", incoming.delivery_id},
                                                             {"github_event", incoming.event},
                                                             {"result", store::to_string(result)}}));
  }
  const nlohmann::json answer = {{"delivery", incoming.delivery_id},
                                 {"status", duplicate ? "duplicate"
                                            : job     ? "queued"
                                                      : "acknowledged"}};
  return make(request, http::status::accepted, "application/json",
              answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Response Routes::healthz(const Request& request) {
  return make(request, http::status::ok, "application/json", "{\"status\":\"ok\"}\n");
}

Response Routes::readyz(const Request& request) {
  try {
    store_.ping();
  } catch (const std::exception& e) {
    spdlog::warn("{}", log_json::event("not_ready", {{"error", e.what()}}));
    return error(request, http::status::service_unavailable, "store_unavailable", "the store cannot be read");
  }
  return make(request, http::status::ok, "application/json", "{\"status\":\"ready\"}\n");
}

Response Routes::metrics(const Request& request) {
  std::int64_t depth = -1;
  try {
    depth = store_.queue().depth();
  } catch (const std::exception& e) {
    spdlog::warn("{}", log_json::event("queue_depth_failed", {{"error", e.what()}}));
  }
  return make(request, http::status::ok, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(depth));
}

}  // namespace deploy::bot
