// What the bot answers to each request: POST /webhook (verify, validate, ingest, 202), the health
// endpoints and /metrics. No sockets here: the server hands over a complete request.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bot/log_throttle.hpp"
#include "bot/metrics.hpp"
#include "bot/payload.hpp"
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

  // Decides at ingest whether a verified delivery needs the worker (queued) or is acknowledged
  // without a job (done or ignored: store::IncomingDelivery::state). Unset: every delivery is
  // queued. Set before the server starts; must be thread-safe and must not throw.
  using Triage = std::function<store::DeliveryState(std::string_view event, const PayloadSummary& summary)>;
  void triage(Triage decide) { triage_ = std::move(decide); }

  // Thread-safe: called concurrently by every server thread. The answer keeps the request's
  // HTTP version and keep-alive. begin() then finish() of this one request.
  Response handle(const Request& request);

  // POST /webhook in two steps, so that the server can store every delivery one event-loop turn
  // read with one Queue::ingest(span) call, one commit: begin() checks the signature and headers
  // and reads the payload (the answer when it refuses the request, or when the request is not a
  // webhook delivery), finish() stores the begun deliveries together and answers each, in order.
  // Both thread-safe.
  struct Begun {
    PayloadSummary summary;  // with the compact record that is stored instead of the body
    store::DeliveryState state = store::DeliveryState::queued;  // what triage decided
    std::chrono::steady_clock::time_point started;
    std::chrono::system_clock::time_point received_at;
  };
  std::variant<Response, Begun> begin(const Request& request);
  // `requests[i]` is the request `begun[i]` was made from; both stay valid until it returns.
  std::vector<Response> finish(std::span<const Request* const> requests, std::span<const Begun> begun);

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
  // POST /webhook: the signature and delivery headers, the payload's summary; finish() stores it.
  std::variant<Response, Begun> webhook(const Request& request);
  Response other(const Request& request);
  std::optional<Response> check_delivery_headers(const Request& request);
  Response bad_request(const Request& request, std::string_view code, std::string_view message);
  // The answer to one stored delivery; sets `wake` when the worker has a new job.
  Response ingested(const Request& request, const store::IncomingDelivery& incoming, store::IngestResult result,
                    bool& wake);
  Response healthz(const Request& request);
  Response readyz(const Request& request);
  Response metrics(const Request& request);

  store::Store& store_;
  Metrics& metrics_;
  std::string secret_;
  std::function<void()> on_queued_;
  Triage triage_;
  LogThrottle throttle_;
};

}  // namespace deploy::bot
