#include "bot/routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>

#include "bot/payload.hpp"
#include "core/webhook.hpp"

namespace deploy::bot {
namespace http = boost::beast::http;
namespace {

std::string_view path_of(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

Response make(const Request& request, http::status status, std::string_view content_type, std::string body) {
  Response response{status, request.version()};
  response.set(http::field::server, "deploy-bot");
  response.set(http::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// {"error":"CODE","message":"..."}: the reason code is stable, for scripts and for GitHub's
// "Recent deliveries" page, where people look first.
Response error(const Request& request, http::status status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", code}, {"message", message}};
  return make(request, status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

// A JSON string literal for a log line; invalid UTF-8 from a sender is replaced, never thrown on.
std::string quoted(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view header(const Request& request, std::string_view name) {
  const auto it = request.find(name);
  return it == request.end() ? std::string_view() : std::string_view(it->value());
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
    response = request.method() == http::verb::post ? webhook(request)
                                                     : error(request, http::status::method_not_allowed,
                                                             "method_not_allowed", "use POST for /webhook");
  } else if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    metric_path = path;
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response = error(request, http::status::method_not_allowed, "method_not_allowed",
                       "use GET for " + std::string(path));
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

Response Routes::too_large(const Request& header_only) {
  const std::string_view event = header(header_only, "X-GitHub-Event");
  spdlog::warn(R"({{"event":"webhook_rejected","reason":"body_too_large","github_event":{},"delivery":{}}})",
               quoted(event.substr(0, 64)),
               quoted(header(header_only, "X-GitHub-Delivery").substr(0, 64)));
  metrics_.delivery(event, DeliveryOutcome::too_large);
  metrics_.http_request("/webhook", 413);
  auto response = error(header_only, http::status::payload_too_large, "body_too_large",
                        "webhook bodies are limited to 25 MiB (GitHub's cap)");
  response.keep_alive(false);  // the rest of the body is not read
  return response;
}

Response Routes::webhook(const Request& request) {
  const auto started = std::chrono::steady_clock::now();
  const std::string_view event = header(request, "X-GitHub-Event");
  const std::string_view delivery_id = header(request, "X-GitHub-Delivery");
  const std::string_view& body = request.body();

  // The signature first: nothing else of an unsigned delivery is read, logged in full or stored.
  const auto signature = webhook::check_signature(secret_, body, header(request, webhook::kSignatureHeader));
  if (signature != webhook::SignatureStatus::ok) {
    const auto outcome = webhook::signature_outcome(signature);
    spdlog::warn(R"({{"event":"webhook_rejected","reason":"{}","bytes":{}}})", outcome.reason, body.size());
    metrics_.delivery(event, DeliveryOutcome::bad_signature);
    return error(request, http::status::unauthorized, outcome.reason,
                 signature == webhook::SignatureStatus::missing ? "the X-Hub-Signature-256 header is missing"
                                                                : "the X-Hub-Signature-256 header does not match the body");
  }

  auto bad_request = [&](std::string_view code, std::string_view message) {
    spdlog::warn(R"({{"event":"webhook_rejected","reason":"{}"}})", code);
    metrics_.delivery(event, DeliveryOutcome::bad_request);
    return error(request, http::status::bad_request, code, message);
  };
  if (event.empty()) return bad_request("event_header_missing", "the X-GitHub-Event header is missing");
  if (delivery_id.empty() || delivery_id.size() > 128) {
    return bad_request("delivery_header_invalid", "the X-GitHub-Delivery header is missing or longer than 128 bytes");
  }
  auto summary = summarize_payload(body);
  if (!summary) return bad_request(summary.error().code, summary.error().message);

  store::IncomingDelivery incoming;
  incoming.delivery_id = delivery_id;
  incoming.event = event;
  incoming.action = summary->action;
  incoming.installation_id = summary->installation_id;
  incoming.repository = summary->repository;
  incoming.received_at = std::chrono::system_clock::now();
  incoming.body = body;
  store::IngestResult result;
  try {
    result = store_.ingest(incoming);
  } catch (const std::exception& e) {
    // GitHub does not retry by itself, but the sender sees the failure on its delivery page and
    // can redeliver; 503 says "try again", which is the truth.
    spdlog::error(R"({{"event":"ingest_failed","delivery":{},"error":{}}})", quoted(delivery_id),
                  quoted(e.what()));
    metrics_.delivery(event, DeliveryOutcome::store_error);
    return error(request, http::status::service_unavailable, "store_unavailable",
                 "the delivery could not be stored; redeliver it later");
  }
  metrics_.ingest_latency(std::chrono::steady_clock::now() - started);

  const bool duplicate = result == store::IngestResult::duplicate;
  if (!duplicate && on_queued_) on_queued_();
  metrics_.delivery(event, duplicate ? DeliveryOutcome::duplicate
                                     : result == store::IngestResult::requeued ? DeliveryOutcome::requeued
                                                                               : DeliveryOutcome::queued);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug(R"({{"event":"webhook_ingested","delivery":{},"github_event":{},"result":"{}"}})",
                  quoted(delivery_id), quoted(event),
                  store::to_string(result));
  }
  const nlohmann::json answer = {{"delivery", delivery_id}, {"status", duplicate ? "duplicate" : "queued"}};
  return make(request, http::status::accepted, "application/json", answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Response Routes::healthz(const Request& request) {
  return make(request, http::status::ok, "application/json", "{\"status\":\"ok\"}\n");
}

Response Routes::readyz(const Request& request) {
  try {
    store_.ping();
  } catch (const std::exception& e) {
    spdlog::warn(R"({{"event":"not_ready","error":{}}})", quoted(e.what()));
    return error(request, http::status::service_unavailable, "store_unavailable", "the store cannot be read");
  }
  return make(request, http::status::ok, "application/json", "{\"status\":\"ready\"}\n");
}

Response Routes::metrics(const Request& request) {
  std::int64_t depth = -1;
  try {
    depth = store_.queue_depth();
  } catch (const std::exception& e) {
    spdlog::warn(R"({{"event":"queue_depth_failed","error":{}}})", quoted(e.what()));
  }
  return make(request, http::status::ok, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(depth));
}

}  // namespace deploy::bot
