#include "core/http/client.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sys/socket.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>

#include "core/http/url.hpp"

namespace deploy::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Kind = TransportError::Kind;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxIdlePerKey = 8;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;  // GitHub's headers are a few KiB; 8 KiB (Beast's default) is tight

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && to_lower(a) == to_lower(b); }

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string{} : std::string(value);
}

// The first non-empty of the variables, in order.
std::string env_first(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = env(name); !value.empty()) return value;
  }
  return {};
}

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// A value with CR, LF or NUL would let a caller (or whatever fed it) inject headers.
bool is_safe_header_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// The connection was closed by the peer (or reset) rather than timed out or malformed.
bool is_closed_error(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == asio::error::not_connected || ec == asio::ssl::error::stream_truncated;
}

// Methods that RFC 9110 section 9.2.2 defines as idempotent: sending one twice has the effect of
// sending it once, so a request lost on a dead keep-alive connection may be resent.
bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

// One TCP connection, TLS on top for https, and the io_context that drives it. A Connection is
// used by one call at a time (it is taken out of the idle pool while in use), so it needs no lock.
// `ioc` is declared first so it outlives the streams that use it.
struct Connection {
  asio::io_context ioc{1};
  std::optional<beast::tcp_stream> plain;                   // until TLS starts, and for http://
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;  // https://, owns the tcp_stream
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Runs the operation just started to completion. Stream operations end by themselves: each
  // carries the tcp_stream's expiry.
  void run() {
    ioc.restart();
    ioc.run();
  }

  // Whether an idle connection can still carry a request. Any readable byte disqualifies it:
  // 0 bytes is the peer's FIN, and data on an idle connection is a TLS close_notify or an
  // unsolicited response. The peer can still close right after this check; callers must cope.
  bool looks_alive() {
    char byte = 0;
    const ssize_t n = ::recv(lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// When one step of a request must end, and how an error names that limit.
struct Limit {
  steady::time_point at;
  std::string text;  // "the connect timeout (10000 ms)", "the request's timeout (2000 ms)"
};

// The request's own deadline (Request::timeout), fixed when send starts, so that every step and a
// resend share it.
struct RequestDeadline {
  std::optional<steady::time_point> at;
  std::chrono::milliseconds timeout{0};

  // A step starting now ends at its own limit (`step_text`, e.g. "the read timeout"), or at the
  // request's deadline when that comes first.
  Limit for_step(std::chrono::milliseconds step_timeout, const std::string& step_text) const {
    const auto step_end = steady::now() + step_timeout;
    if (at && *at <= step_end) return {*at, "the request's timeout (" + millis(timeout) + ")"};
    return {step_end, step_text + " (" + millis(step_timeout) + ")"};
  }
};

struct ProxyConfig {
  std::optional<Url> url;     // http://host:port of the CONNECT proxy, if any
  std::string authorization;  // "Basic ..." from the proxy URL's userinfo, or empty
  std::string no_proxy;
};

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

struct Client::Impl {
  ClientOptions options;
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  ProxyConfig proxy;

  std::mutex idle_mutex;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;  // by pool_key

  explicit Impl(ClientOptions opts) : options(std::move(opts)) {
    configure_tls();
    configure_proxy();
  }

  void configure_tls() {
    SSL_CTX_set_min_proto_version(tls_context.native_handle(), TLS1_2_VERSION);
    tls_context.set_verify_mode(asio::ssl::verify_peer);
    std::string source = "ClientOptions::ca_file";
    std::string bundle = options.ca_file;
    if (bundle.empty()) {
      source = "SSL_CERT_FILE";
      bundle = env("SSL_CERT_FILE");
    }
    error_code ec;
    if (bundle.empty()) {
      tls_context.set_default_verify_paths(ec);
      if (ec)
        throw std::runtime_error("cannot load the system's trusted certificates: " + ec.message() +
                                 " (set SSL_CERT_FILE to a PEM CA bundle)");
      return;
    }
    tls_context.load_verify_file(bundle, ec);
    if (ec) {
      throw std::runtime_error("cannot load the CA bundle " + bundle + " (from " + source + "): " + ec.message() +
                               "; it must be a readable file of PEM certificates");
    }
  }

  void configure_proxy() {
    std::string text = options.https_proxy ? *options.https_proxy : env_first({"HTTPS_PROXY", "https_proxy"});
    proxy.no_proxy = options.no_proxy ? *options.no_proxy : env_first({"NO_PROXY", "no_proxy"});
    if (text.empty()) return;
    if (text.find("://") == std::string::npos) text = "http://" + text;  // "proxy:3128" as many set it
    auto parsed = parse_url(text);
    if (!parsed || parsed->scheme != "http") {
      throw std::runtime_error(
          "the https proxy setting (HTTPS_PROXY / ClientOptions::https_proxy) must look like "
          "http://[user:password@]host:port" +
          (parsed ? std::string{} : ": " + parsed.error().message));
    }
    if (!parsed->userinfo.empty()) {
      auto credentials = percent_decode(parsed->userinfo);
      if (!credentials) throw std::runtime_error("the https proxy's user:password: " + credentials.error().message);
      proxy.authorization = "Basic " + base64(*credentials);
    }
    proxy.url = std::move(parsed).value();
  }

  // Loopback is never proxied: a proxy's loopback is not ours.
  const Url* proxy_for(const Url& url) const {
    if (url.scheme != "https" || !proxy.url || is_loopback_host(url.host)) return nullptr;
    if (no_proxy_matches(proxy.no_proxy, url.host)) return nullptr;
    return &*proxy.url;
  }

  static std::string pool_key(const Url& url, const Url* via) {
    return url.scheme + "://" + url.authority_with_port() + (via ? " via " + via->authority_with_port() : "");
  }

  // An idle connection that looks alive, discarding the ones that do not; nullptr if none.
  std::unique_ptr<Connection> take_live_idle(const std::string& key) {
    while (auto connection = take_idle(key)) {
      if (connection->looks_alive()) return connection;
    }
    return nullptr;
  }

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    std::lock_guard lock(idle_mutex);
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto connection = std::move(it->second.back());
    it->second.pop_back();
    return connection;
  }

  void put_idle(const std::string& key, std::unique_ptr<Connection> connection) {
    std::lock_guard lock(idle_mutex);
    auto& list = idle[key];
    if (list.size() < kMaxIdlePerKey) list.push_back(std::move(connection));
  }

  Response send(const Request& request);
  bhttp::request<bhttp::string_body> build(const Request& request, const Url& url, const std::string& what) const;
  std::unique_ptr<Connection> connect(const Url& url, const Url* via, const std::string& what,
                                      const RequestDeadline& deadline);
  void connect_tunnel(Connection& c, const Url& url, const Url& via, const std::string& what, const Limit& limit);
  void handshake(Connection& c, const Url& url, const std::string& what, const Limit& limit);
  std::optional<Response> exchange(Connection& c, const bhttp::request<bhttp::string_body>& request, bool reused,
                                   const std::string& what, const RequestDeadline& deadline, bool& keep_alive);
  template <class Stream>
  std::optional<Response> exchange_on(Connection& c, Stream& stream, const bhttp::request<bhttp::string_body>& request,
                                      bool reused, const std::string& what, const RequestDeadline& deadline,
                                      bool& keep_alive);
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

Response Client::send(const Request& request) { return impl_->send(request); }

Response Client::Impl::send(const Request& request) {
  RequestDeadline deadline;
  if (request.timeout) deadline = {steady::now() + *request.timeout, *request.timeout};
  auto parsed = parse_url(request.url);
  if (!parsed) throw TransportError(Kind::refused_by_policy, request.method + ": " + parsed.error().message);
  const Url& url = *parsed;
  const std::string what = request.method + " " + url.redacted();

  if (!url.userinfo.empty()) {
    throw TransportError(Kind::refused_by_policy,
                         what + ": credentials in the URL are not supported; send an Authorization header instead");
  }
  if (url.scheme == "http" && !is_loopback_host(url.host)) {
    throw TransportError(Kind::refused_by_policy,
                         what + ": plain http:// is allowed only to loopback hosts; use https://");
  }
  const auto message = build(request, url, what);

  const Url* via = proxy_for(url);
  const std::string key = pool_key(url, via);
  bool keep_alive = false;
  const bool idempotent = is_idempotent(request.method);
  // A non-idempotent request is sent at most once, so it goes only on a connection that is still
  // open as far as we can tell; an idempotent one may take any idle connection and be resent.
  if (auto connection = idempotent ? take_idle(key) : take_live_idle(key)) {
    if (auto response = exchange(*connection, message, /*reused=*/true, what, deadline, keep_alive)) {
      if (keep_alive) put_idle(key, std::move(connection));
      return std::move(*response);
    }
    // The reused connection closed before any byte of a response. The server may have dropped it
    // while idle, or read the request, acted on it and then failed: only an idempotent request
    // is safe to send again.
    if (!idempotent) {
      throw TransportError(Kind::closed,
                           what + ": the server closed the reused connection before any response; not resent because " +
                               request.method + " is not idempotent and the server may have acted on it");
    }
  }
  auto connection = connect(url, via, what, deadline);
  auto response = exchange(*connection, message, /*reused=*/false, what, deadline, keep_alive);
  if (keep_alive) put_idle(key, std::move(connection));
  return std::move(*response);  // a fresh connection never yields nullopt: errors throw
}

bhttp::request<bhttp::string_body> Client::Impl::build(const Request& request, const Url& url,
                                                       const std::string& what) const {
  if (!is_token(request.method)) {
    throw TransportError(Kind::refused_by_policy, what + ": \"" + request.method + "\" is not a valid HTTP method");
  }
  bhttp::request<bhttp::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(url.target);
  message.set(bhttp::field::host, url.authority());
  bool has_user_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name) || !is_safe_header_value(value)) {
      throw TransportError(Kind::refused_by_policy,
                           what + ": header \"" + name + "\" has an invalid name or a line break in its value");
    }
    // The client owns framing and connection management.
    if (iequals(name, "host") || iequals(name, "content-length") || iequals(name, "connection") ||
        iequals(name, "transfer-encoding")) {
      continue;
    }
    if (iequals(name, "user-agent")) has_user_agent = true;
    message.insert(name, value);
  }
  if (!has_user_agent) message.set(bhttp::field::user_agent, options.user_agent);
  message.body() = request.body;
  // Some servers answer 411 to a body-less POST without Content-Length.
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    message.content_length(request.body.size());
  }
  message.keep_alive(true);
  return message;
}

std::unique_ptr<Connection> Client::Impl::connect(const Url& url, const Url* via, const std::string& what,
                                                  const RequestDeadline& deadline) {
  const Limit limit = deadline.for_step(options.connect_timeout, "the connect timeout");
  const Url& hop = via ? *via : url;
  const std::string hop_name = (via ? "proxy " : "") + hop.authority_with_port();
  auto c = std::make_unique<Connection>();

  // The resolver has no expiry of its own. A lookup already inside getaddrinfo cannot be
  // abandoned, so a hung DNS server is bounded by the system resolver's timeouts, not ours.
  tcp::resolver resolver(c->ioc);
  tcp::resolver::results_type endpoints;
  error_code ec;
  bool resolved = false;
  resolver.async_resolve(hop.host, std::to_string(hop.port),
                         [&](const error_code& e, tcp::resolver::results_type results) {
                           ec = e;
                           endpoints = std::move(results);
                           resolved = true;
                         });
  c->ioc.restart();
  c->ioc.run_until(limit.at);
  if (!resolved) {
    resolver.cancel();
    c->ioc.restart();
    c->ioc.run();
    throw TransportError(Kind::timeout, what + ": resolving " + hop.host + " took longer than " + limit.text);
  }
  if (ec) throw TransportError(Kind::resolve, what + ": cannot resolve " + hop.host + ": " + ec.message());

  std::vector<tcp::endpoint> targets;
  for (const auto& entry : endpoints) {
    // Plain http is allowed for loopback only; make sure "localhost" really is loopback here.
    if (url.scheme == "http" && !entry.endpoint().address().is_loopback()) continue;
    targets.push_back(entry.endpoint());
  }
  if (targets.empty()) {
    throw TransportError(Kind::refused_by_policy,
                         what + ": " + hop.host + " does not resolve to a loopback address; use https://");
  }

  c->plain.emplace(c->ioc);
  c->plain->expires_at(limit.at);
  c->plain->async_connect(targets, [&](const error_code& e, const tcp::endpoint&) { ec = e; });
  c->run();
  if (ec == beast::error::timeout) {
    throw TransportError(Kind::timeout, what + ": connecting to " + hop_name + " took longer than " + limit.text);
  }
  if (ec) throw TransportError(Kind::connect, what + ": cannot connect to " + hop_name + ": " + ec.message());
  c->plain->socket().set_option(tcp::no_delay(true), ec);  // a failure here only costs latency

  if (via) connect_tunnel(*c, url, *via, what, limit);
  if (url.scheme == "https") handshake(*c, url, what, limit);
  c->lowest().expires_never();
  return c;
}

void Client::Impl::connect_tunnel(Connection& c, const Url& url, const Url& via, const std::string& what,
                                  const Limit& limit) {
  const std::string proxy_name = "proxy " + via.authority_with_port();
  bhttp::request<bhttp::empty_body> connect_request{bhttp::verb::connect, url.authority_with_port(), 11};
  connect_request.set(bhttp::field::host, url.authority_with_port());
  connect_request.set(bhttp::field::user_agent, options.user_agent);
  if (!proxy.authorization.empty()) connect_request.set(bhttp::field::proxy_authorization, proxy.authorization);

  error_code ec;
  auto fail = [&](const std::string& step) {
    if (ec == beast::error::timeout) {
      throw TransportError(Kind::timeout, what + ": " + step + " " + proxy_name + " took longer than " + limit.text);
    }
    throw TransportError(Kind::connect, what + ": " + step + " " + proxy_name + " failed: " + ec.message());
  };

  c.plain->expires_at(limit.at);
  bhttp::async_write(*c.plain, connect_request, [&](const error_code& e, std::size_t) { ec = e; });
  c.run();
  if (ec) fail("sending CONNECT to");

  // A 2xx answer to CONNECT has no body; the bytes after its header belong to the tunnel.
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);
  bhttp::async_read(*c.plain, c.buffer, parser, [&](const error_code& e, std::size_t) { ec = e; });
  c.run();
  if (ec) fail("reading the CONNECT answer from");
  const auto& answer = parser.get();
  const int status = answer.result_int();
  if (status < 200 || status > 299) {
    const std::string refused = what + ": " + proxy_name + " refused CONNECT " + url.authority_with_port() + ": " +
                                std::to_string(status) + " " + std::string(answer.reason());
    // A 4xx (407 bad credentials, 403 destination not allowed) will be refused again: retrying
    // cannot help. A 5xx may be the proxy's or the upstream's passing trouble.
    if (status >= 400 && status <= 499) {
      throw TransportError(
          Kind::refused_by_policy,
          refused + " (proxy status " + std::to_string(status) +
              "; check the proxy credentials and address in HTTPS_PROXY / ClientOptions::https_proxy)");
    }
    throw TransportError(Kind::connect, refused);
  }
  if (c.buffer.size() != 0) {
    throw TransportError(Kind::protocol, what + ": " + proxy_name + " sent data before the TLS handshake");
  }
}

void Client::Impl::handshake(Connection& c, const Url& url, const std::string& what, const Limit& limit) {
  c.tls.emplace(std::move(*c.plain), tls_context);
  c.plain.reset();
  SSL* ssl = c.tls->native_handle();
  if (is_ip_address(url.host)) {
    // No SNI for addresses (RFC 6066); the certificate must name the address in an IP SAN.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str()) != 1) {
      throw TransportError(Kind::tls, what + ": cannot set up verification for address " + url.host);
    }
  } else {
    if (SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1 || SSL_set1_host(ssl, url.host.c_str()) != 1) {
      throw TransportError(Kind::tls, what + ": cannot set up TLS for host name " + url.host);
    }
  }

  error_code ec;
  c.lowest().expires_at(limit.at);
  c.tls->async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) { ec = e; });
  c.run();
  if (!ec) return;
  if (ec == beast::error::timeout) {
    throw TransportError(Kind::timeout,
                         what + ": the TLS handshake with " + url.host + " took longer than " + limit.text);
  }
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    throw TransportError(Kind::tls, what + ": TLS certificate verification failed for " + url.host + ": " +
                                        X509_verify_cert_error_string(verify) +
                                        " (set SSL_CERT_FILE to your CA bundle if your organisation intercepts TLS)");
  }
  throw TransportError(Kind::tls, what + ": TLS handshake with " + url.host + " failed: " + ec.message());
}

std::optional<Response> Client::Impl::exchange(Connection& c, const bhttp::request<bhttp::string_body>& request,
                                               bool reused, const std::string& what, const RequestDeadline& deadline,
                                               bool& keep_alive) {
  if (c.tls) return exchange_on(c, *c.tls, request, reused, what, deadline, keep_alive);
  return exchange_on(c, *c.plain, request, reused, what, deadline, keep_alive);
}

// Writes the request and reads the response. Returns nullopt only for a reused connection that
// the server closed before sending any byte of a response (the caller decides whether to resend).
// Every other failure throws.
template <class Stream>
std::optional<Response> Client::Impl::exchange_on(Connection& c, Stream& stream,
                                                  const bhttp::request<bhttp::string_body>& request, bool reused,
                                                  const std::string& what, const RequestDeadline& deadline,
                                                  bool& keep_alive) {
  keep_alive = false;
  error_code ec;
  const Limit send_limit = deadline.for_step(options.read_timeout, "the read timeout");
  c.lowest().expires_at(send_limit.at);
  bhttp::async_write(stream, request, [&](const error_code& e, std::size_t) { ec = e; });
  c.run();
  if (ec == beast::error::timeout) {
    throw TransportError(Kind::timeout, what + ": sending the request took longer than " + send_limit.text);
  }
  if (ec && reused) return std::nullopt;
  if (ec) throw TransportError(Kind::closed, what + ": sending the request failed: " + ec.message());

  const Limit read_limit = deadline.for_step(options.read_timeout, "the read timeout");
  c.lowest().expires_at(read_limit.at);
  bool got_any_byte = false;
  for (;;) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(options.max_response_body);
    if (request.method() == bhttp::verb::head) parser.skip(true);
    bhttp::async_read(stream, c.buffer, parser, [&](const error_code& e, std::size_t) { ec = e; });
    c.run();
    got_any_byte = got_any_byte || parser.got_some() || c.buffer.size() != 0;
    if (ec == beast::error::timeout) {
      throw TransportError(Kind::timeout, what + ": no complete response within " + read_limit.text);
    }
    if (ec && reused && !got_any_byte) return std::nullopt;
    if (ec == bhttp::error::body_limit) {
      throw TransportError(Kind::protocol, what + ": the response body is larger than the limit of " +
                                               std::to_string(options.max_response_body) +
                                               " bytes (ClientOptions::max_response_body)");
    }
    if (ec == bhttp::error::header_limit) {
      throw TransportError(Kind::protocol,
                           what + ": the response headers are larger than " + std::to_string(kHeaderLimit) + " bytes");
    }
    if (ec && is_closed_error(ec)) {
      throw TransportError(
          Kind::closed, what + ": the server closed the connection before a complete response (" + ec.message() + ")");
    }
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category()) {
      throw TransportError(Kind::protocol, what + ": malformed response: " + ec.message());
    }
    if (ec) throw TransportError(Kind::closed, what + ": reading the response failed: " + ec.message());

    const bool parser_keep_alive = parser.keep_alive();  // false when the body ran to EOF
    auto message = parser.release();
    const int status = message.result_int();
    if (status >= 100 && status < 200 && status != 101) continue;  // interim (e.g. 100 Continue)

    Response response;
    response.status = status;
    for (const auto& field : message) {
      response.headers.emplace_back(to_lower(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    // Anything left in the buffer would be an unsolicited second response: do not reuse.
    keep_alive = parser_keep_alive && c.buffer.size() == 0 && status != 101;
    c.lowest().expires_never();
    return response;
  }
}

}  // namespace deploy::http
