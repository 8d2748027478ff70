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
  const std::string_view path = path_of(request.target());
  Response response;
  std::string_view metric_path = "other";
  if (path == "/webhook") {
    metric_path = "/webhook";
    response = request.method() == http::verb::post
                   ? webhook(request)
                   : error(request, http::status::method_not_allowed, "method_not_allowed", "use POST for /webhook");
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

Response Routes::webhook(const Request& request) {
  const auto started = std::chrono::steady_clock::now();
  if (auto refused = check_delivery_headers(request)) return std::move(*refused);
  const auto summary = summarize_payload(request.body());
  if (!summary) return bad_request(request, summary.error().code, summary.error().message);
  store::IncomingDelivery incoming;
  incoming.delivery_id = header(request, "X-GitHub-Delivery");
  incoming.event = header(request, "X-GitHub-Event");
  incoming.action = summary->action;
  incoming.installation_id = summary->installation_id;
  incoming.repository = summary->repository;
  incoming.received_at = std::chrono::system_clock::now();
  incoming.body = request.body();
  return ingest(request, incoming, started);
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

// Stores the delivery (once: a redelivery of a known id is a duplicate) and wakes the worker.
Response Routes::ingest(const Request& request, const store::IncomingDelivery& incoming,
                        std::chrono::steady_clock::time_point started) {
  store::IngestResult result;
  try {
    result = store_.queue().ingest(incoming);
  } catch (const std::exception& e) {
    // GitHub does not retry by itself, but the sender sees the failure on its delivery page and
    // can redeliver; 503 says "try again", which is the truth.
    spdlog::error("{}", log_json::event("ingest_failed", {{"delivery", incoming.delivery_id}, {"error", e.what()}}));
    metrics_.delivery(incoming.event, DeliveryOutcome::store_error);
    return error(request, http::status::service_unavailable, "store_unavailable",
                 "the delivery could not be stored; redeliver it later");
  }
  metrics_.ingest_latency(std::chrono::steady_clock::now() - started);

  const bool duplicate = result == store::IngestResult::duplicate;
  if (!duplicate && on_queued_) on_queued_();
  metrics_.delivery(incoming.event, duplicate                                 ? DeliveryOutcome::duplicate
                                    : result == store::IngestResult::requeued ? DeliveryOutcome::requeued
                                                                              : DeliveryOutcome::queued);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{}", log_json::event("webhook_ingested", {{"delivery", incoming.delivery_id},
                                                             {"github_event", incoming.event},
                                                             {"result", store::to_string(result)}}));
  }
  const nlohmann::json answer = {{"delivery", incoming.delivery_id}, {"status", duplicate ? "duplicate" : "queued"}};
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
