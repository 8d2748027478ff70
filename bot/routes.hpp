// What the bot answers to each request: POST /webhook (verify, validate, ingest, 202), the health
// endpoints and /metrics. No sockets here: the server hands over a complete request.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bot/log_throttle.hpp"
#include "bot/metrics.hpp"
#include "core/store/store.hpp"

namespace deploy::bot {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using RequestHeader = boost::beast::http::request_header<>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// GitHub's cap on webhook payloads; larger bodies are refused while being read (413).
inline constexpr std::size_t kMaxWebhookBody = 25 * 1024 * 1024;

class Routes {
 public:
  // Both must outlive the Routes. `secret` must not be empty (settings refuse to start without).
  Routes(store::Store& store, Metrics& metrics, std::string secret);

  // Called after a delivery was stored as new work (inserted or requeued), e.g. to wake the
  // worker. Set before the server starts; must be cheap and must not throw.
  void on_queued(std::function<void()> callback) { on_queued_ = std::move(callback); }

  // Thread-safe: called concurrently by every server thread. The answer keeps the request's
  // HTTP version and keep-alive.
  Response handle(const Request& request);

  // The checks a request's header alone allows (bot/request_checks.hpp), made before its body is
  // read: the answer when they refuse it (counted and logged like any refused delivery), nullopt
  // when the body should be read. The answer closes the connection (the body stays unread).
  std::optional<Response> check_header(const RequestHeader& header_only);

  // The answer to a request the server refuses by itself (a limit, a timeout, a request it cannot
  // parse): counted by reason and logged at most once a second per reason. `header_only` is the
  // request as far as it was parsed, or nullptr when not even its header is known. 503s carry
  // Retry-After. The answer closes the connection.
  Response refuse(ServerRefusal why, const RequestHeader* header_only);

  // The server's log lines about its connections, throttled with the same rule, and its metrics.
  LogThrottle& log_throttle() { return throttle_; }
  Metrics& counters() { return metrics_; }

 private:
  // POST /webhook: the signature and delivery headers, the payload's summary, then the ingest.
  Response webhook(const Request& request);
  std::optional<Response> check_delivery_headers(const Request& request);
  Response bad_request(const Request& request, std::string_view code, std::string_view message);
  Response ingest(const Request& request, const store::IncomingDelivery& incoming,
                  std::chrono::steady_clock::time_point started);
  Response healthz(const Request& request);
  Response readyz(const Request& request);
  Response metrics(const Request& request);

  store::Store& store_;
  Metrics& metrics_;
  std::string secret_;
  std::function<void()> on_queued_;
  LogThrottle throttle_;
};

}  // namespace deploy::bot
