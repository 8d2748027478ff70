// HTTP/1.1 client over Boost.Beast with TLS (OpenSSL). The narrow interface the rest of the code
// depends on is `Transport`: GitHub's client, notifications and analysis checks take a Transport&,
// so unit tests can pass a recording fake and end-to-end tests the real Client.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deploy::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";  // "GET", "POST", "PATCH", "PUT", "DELETE"
  std::string url;             // absolute: https://host[:port]/path?query
  Headers headers;             // Host, Content-Length and Connection are set by the client
  std::string body;
  // A limit on this one request as a whole: connect, send and the entire response, a resend on a
  // fresh connection included. The client's connect_timeout and read_timeout still bound their
  // steps: whichever ends first ends the request (TransportError::Kind::timeout). nullopt = the
  // client's limits only. Lets a caller with a deadline of its own (a check's timeout, the time
  // left for notifications) keep it on a shared client. (= std::nullopt so that the aggregate
  // initializations that leave it out do not trip -Wmissing-field-initializers.)
  std::optional<std::chrono::milliseconds> timeout = std::nullopt;
};

struct Response {
  int status = 0;
  Headers headers;  // names lowercased, in the order received
  std::string body;

  // First header with this name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

// A request that got no HTTP response: could not connect, TLS refused, timed out, or the
// connection closed mid-exchange. `kind` lets callers decide whether to retry. refused_by_policy
// means nothing was sent and resending cannot help: plain http:// to a non-loopback host, a
// malformed URL, method or header, or a proxy that refused the CONNECT with a 4xx status.
// Messages name the method and the URL without its query; they never contain header values.
class TransportError : public std::runtime_error {
 public:
  enum class Kind { resolve, connect, tls, timeout, closed, protocol, refused_by_policy };
  TransportError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request and returns the response, whatever its status. Throws TransportError.
  virtual Response send(const Request& request) = 0;
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};  // for the whole response after the request is sent
  std::string user_agent = "deploy-action";
  // PEM bundle to trust instead of the system store; empty = $SSL_CERT_FILE if set, else the system store.
  std::string ca_file;
  // Proxy for https:// URLs (CONNECT tunnel), e.g. "http://user:pass@proxy:3128" (credentials
  // percent-encoded, sent as Proxy-Authorization: Basic; no port = 80); nullopt = $HTTPS_PROXY /
  // $https_proxy, "" = no proxy. Hosts matching no_proxy (comma-separated, ".suffix" or exact, "*",
  // see no_proxy_matches in core/url.hpp) go direct; nullopt = $NO_PROXY / $no_proxy. Loopback
  // hosts always go direct. The environment is read once, by the constructor.
  std::optional<std::string> https_proxy;
  std::optional<std::string> no_proxy;
  std::size_t max_response_body = 64 * 1024 * 1024;
};

// Thread-safe. Keeps idle keep-alive connections per (scheme, host, port, proxy) and reuses them.
// If a reused connection closes before any byte of a response, an idempotent request (GET, HEAD,
// PUT, DELETE, OPTIONS) is sent once more on a fresh connection (the only retry: a request that
// got part of a response is never sent again). Any other method (POST, PATCH) is never resent: it
// is sent only on an idle connection that still looks open (else a fresh one), and if that
// connection closes anyway before any response byte, send throws Kind::closed, since the server
// may have acted on it. A proxy answering CONNECT with 4xx (e.g. 407, bad credentials in
// HTTPS_PROXY) is Kind::refused_by_policy, not worth retrying; 5xx is Kind::connect.
// Plain http:// is refused (TransportError::Kind::refused_by_policy) unless the host is loopback
// (127.0.0.0/8, ::1, localhost), and then only to addresses that resolve to loopback.
// Timeouts: connect_timeout bounds resolve + TCP connect + proxy CONNECT + TLS handshake together;
// read_timeout bounds sending the request, and then the whole response; Request::timeout, when set,
// bounds all of it, and the first limit reached ends the request.
class Client final : public Transport {
 public:
  // Throws std::runtime_error if the CA bundle cannot be loaded or the proxy setting is malformed.
  explicit Client(ClientOptions options = {});
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Response send(const Request& request) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deploy::http
