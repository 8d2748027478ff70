// What the bot answers to each request: POST /webhook (verify, validate, ingest, 202), the health
// endpoints and /metrics. No sockets here: the server hands over a complete request.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <string>

#include "bot/metrics.hpp"
#include "core/store.hpp"

namespace deploy::bot {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
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

  // The 413 for a body over kMaxWebhookBody, answered before the body is read (so before the
  // signature could be checked: nothing of it is kept).
  Response too_large(const Request& header_only);

 private:
  Response webhook(const Request& request);
  Response healthz(const Request& request);
  Response readyz(const Request& request);
  Response metrics(const Request& request);

  store::Store& store_;
  Metrics& metrics_;
  std::string secret_;
  std::function<void()> on_queued_;
};

}  // namespace deploy::bot
