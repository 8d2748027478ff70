// The HTTP client against real sockets on loopback: a small Beast server (plain or TLS) and a
// CONNECT proxy, each on its own thread, bound to port 0.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/http/client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_tls.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using deploy::http::Client;
using deploy::http::ClientOptions;
using deploy::http::Request;
using deploy::http::Response;
using deploy::http::TransportError;
using deploy::test::CertFiles;
using deploy::test::TempDir;
using Kind = TransportError::Kind;

// Sets (or unsets, with nullopt) an environment variable for the scope of a test.
class EnvVar {
 public:
  EnvVar(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value)
      setenv(name_.c_str(), value->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  ~EnvVar() {
    if (old_)
      setenv(name_.c_str(), old_->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// What the test server does with one request.
struct Reply {
  bhttp::response<bhttp::string_body> response;
  bool answer = true;              // false: never answer; wait for the client to give up
  bool close_after = false;        // close the socket right after writing (without saying so)
  std::optional<std::string> raw;  // bytes to write instead of `response`

  static Reply ok(std::string body, int status = 200) {
    Reply reply;
    reply.response.result(static_cast<unsigned>(status));
    reply.response.version(11);
    reply.response.keep_alive(true);
    reply.response.body() = std::move(body);
    return reply;
  }
};

struct Seen {
  int connection = 0;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (beast::iequals(key, name)) return value;
    }
    return "<absent>";
  }
};

// An HTTP/1.1 server on 127.0.0.1:0, TLS when given a certificate. `accept_only` accepts TCP and
// then never speaks (to time out a client's TLS handshake).
class TestServer {
 public:
  using Handler = std::function<Reply(const bhttp::request<bhttp::string_body>&)>;

  explicit TestServer(Handler handler, std::optional<CertFiles> tls = std::nullopt, bool accept_only = false)
      : handler_(std::move(handler)), accept_only_(accept_only) {
    if (tls) {
      tls_context_.emplace(asio::ssl::context::tls_server);
      tls_context_->use_certificate_chain_file(tls->cert.string());
      tls_context_->use_private_key_file(tls->key.string(), asio::ssl::context::pem);
    }
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestServer() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& host, const std::string& path) const {
    return std::string(tls_context_ ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
  }
  int connections() const { return connections_.load(); }
  // Connections this server closed itself (Reply::close_after).
  int closed() const { return closed_.load(); }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const int id = ++connections_;
      if (accept_only_) {
        asio::co_spawn(ioc_, swallow(std::move(socket)), asio::detached);
      } else if (tls_context_) {
        asio::co_spawn(ioc_, serve_tls(std::move(socket), id), asio::detached);
      } else {
        asio::co_spawn(ioc_, serve_plain(std::move(socket), id), asio::detached);
      }
    }
  }

  static asio::awaitable<void> swallow(tcp::socket socket) {
    std::array<char, 4096> data{};
    error_code ec;
    while (!ec) co_await socket.async_read_some(asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> serve_plain(tcp::socket socket, int id) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, id);
  }

  asio::awaitable<void> serve_tls(tcp::socket socket, int id) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_context_);
    error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // the client refused our certificate
    co_await serve(stream, id);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, int id) {
    beast::flat_buffer buffer;
    for (;;) {
      error_code ec;
      bhttp::request<bhttp::string_body> request;
      co_await bhttp::async_read(stream, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      record(request, id);
      Reply reply = handler_(request);
      if (!reply.answer) continue;  // the next read ends when the client closes
      if (reply.raw) {
        co_await asio::async_write(stream, asio::buffer(*reply.raw), asio::redirect_error(asio::use_awaitable, ec));
      } else {
        if (!reply.response.chunked()) reply.response.prepare_payload();
        co_await bhttp::async_write(stream, reply.response, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) co_return;
      if (reply.close_after) {
        beast::get_lowest_layer(stream).close();
        ++closed_;
        co_return;
      }
    }
  }

  void record(const bhttp::request<bhttp::string_body>& request, int id) {
    Seen seen{id, std::string(request.method_string()), std::string(request.target()), {}, request.body()};
    for (const auto& field : request) seen.headers.emplace_back(field.name_string(), field.value());
    std::lock_guard lock(mutex_);
    seen_.push_back(std::move(seen));
  }

  Handler handler_;
  bool accept_only_;
  std::optional<asio::ssl::context> tls_context_;  // outlives the io_context and the sessions it holds
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> closed_{0};
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

// A CONNECT proxy on 127.0.0.1:0. Whatever host the client names, it tunnels to 127.0.0.1 at the
// requested port, so tests can use names that do not resolve. `status` other than 200 refuses.
class TestProxy {
 public:
  explicit TestProxy(unsigned status = 200) : status_(status) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestProxy() {
    ioc_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> connect_lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<std::string> authorizations() const {
    std::lock_guard lock(mutex_);
    return authorizations_;
  }

 private:
  struct Tunnel {
    explicit Tunnel(tcp::socket c) : client(std::move(c)), upstream(client.get_executor()) {}
    tcp::socket client;
    tcp::socket upstream;
    void close() {
      error_code ignored;
      client.close(ignored);
      upstream.close(ignored);
    }
  };

  asio::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(ioc_, session(std::make_shared<Tunnel>(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> session(std::shared_ptr<Tunnel> tunnel) {
    error_code ec;
    beast::flat_buffer buffer;
    bhttp::request_parser<bhttp::empty_body> parser;
    co_await bhttp::async_read(tunnel->client, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const auto& request = parser.get();
    const std::string target(request.target());
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::string(request.method_string()) + " " + target);
      auto auth = request.find(bhttp::field::proxy_authorization);
      authorizations_.push_back(auth == request.end() ? "<absent>" : std::string(auth->value()));
    }
    if (status_ != 200) {
      const std::string refusal = "HTTP/1.1 " + std::to_string(status_) + " Refused\r\nContent-Length: 0\r\n\r\n";
      co_await asio::async_write(tunnel->client, asio::buffer(refusal), asio::redirect_error(asio::use_awaitable, ec));
      tunnel->close();
      co_return;
    }
    const auto port = static_cast<std::uint16_t>(std::stoi(target.substr(target.rfind(':') + 1)));
    co_await tunnel->upstream.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                            asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      tunnel->close();
      co_return;
    }
    const std::string established = "HTTP/1.1 200 Connection established\r\n\r\n";
    co_await asio::async_write(tunnel->client, asio::buffer(established),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      tunnel->close();
      co_return;
    }
    if (buffer.size() != 0) {  // bytes the client sent right behind the CONNECT header
      co_await asio::async_write(tunnel->upstream, buffer.data(), asio::redirect_error(asio::use_awaitable, ec));
    }
    asio::co_spawn(ioc_, pump(tunnel, true), asio::detached);
    asio::co_spawn(ioc_, pump(tunnel, false), asio::detached);
  }

  static asio::awaitable<void> pump(std::shared_ptr<Tunnel> tunnel, bool client_to_upstream) {
    tcp::socket& from = client_to_upstream ? tunnel->client : tunnel->upstream;
    tcp::socket& to = client_to_upstream ? tunnel->upstream : tunnel->client;
    std::array<char, 16 * 1024> data{};
    for (;;) {
      error_code ec;
      const std::size_t n =
          co_await from.async_read_some(asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      co_await asio::async_write(to, asio::buffer(data, n), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    tunnel->close();
  }

  unsigned status_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::vector<std::string> authorizations_;
  std::thread thread_;
};

// Options that ignore whatever proxy the machine running the tests has configured.
ClientOptions no_proxy_options() {
  ClientOptions options;
  options.https_proxy = "";
  options.no_proxy = "";
  return options;
}

ClientOptions tls_options(const deploy::test::TestPki& pki) {
  ClientOptions options = no_proxy_options();
  options.ca_file = pki.trusted_ca().string();
  return options;
}

Reply echo(const bhttp::request<bhttp::string_body>& request) {
  return Reply::ok(std::string(request.method_string()) + " " + std::string(request.target()) + " " + request.body());
}

// Runs `send` and returns the TransportError it must throw.
TransportError expect_error(Client& client, const Request& request) {
  try {
    client.send(request);
  } catch (const TransportError& error) {
    return error;
  }
  FAIL("expected a TransportError for " << request.method << " " << request.url);
  return TransportError(Kind::protocol, "unreachable");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// What constructing a Client with these options throws, or "<no error>".
std::string construction_error(const ClientOptions& options) {
  try {
    Client client(options);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("plain http round trip: method, target, headers and body both ways") {
  TestServer server([](const bhttp::request<bhttp::string_body>& request) {
    Reply reply = Reply::ok("created: " + request.body(), 201);
    reply.response.set("X-Request-Id", "abc-123");
    reply.response.set("Content-Type", "text/plain");
    return reply;
  });
  Client client(no_proxy_options());
  Request request{
      "POST", server.url("127.0.0.1", "/echo?x=1"), {{"X-Custom", "v"}, {"Accept", "application/json"}}, "{\"a\":1}"};
  const Response response = client.send(request);

  CHECK(response.status == 201);
  CHECK(response.body == "created: {\"a\":1}");
  CHECK(response.header("x-request-id") == "abc-123");
  CHECK(response.header("X-REQUEST-ID") == "abc-123");
  CHECK(response.header("content-length") == "16");
  CHECK_FALSE(response.header("x-missing").has_value());
  std::vector<std::string> names;
  for (const auto& header : response.headers) names.push_back(header.first);
  CHECK(names == std::vector<std::string>{"x-request-id", "content-type", "content-length"});

  const auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/echo?x=1");
  CHECK(seen[0].body == "{\"a\":1}");
  CHECK(seen[0].header("X-Custom") == "v");
  CHECK(seen[0].header("Accept") == "application/json");
  CHECK(seen[0].header("Host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(seen[0].header("User-Agent") == "deploy-action");
  CHECK(seen[0].header("Content-Length") == "7");
  CHECK(seen[0].header("Accept-Encoding") == "<absent>");
  CHECK(seen[0].header("Connection") == "<absent>");  // HTTP/1.1 keep-alive by default
}

TEST_CASE("the client owns framing headers; a given User-Agent is kept; empty POST has Content-Length: 0") {
  TestServer server(echo);
  Client client(no_proxy_options());
  Request request{
      "POST",
      server.url("localhost", "/x"),
      {{"Host", "evil.example"}, {"Content-Length", "999"}, {"Connection", "close"}, {"User-Agent", "mine/1"}},
      ""};
  CHECK(client.send(request).status == 200);
  CHECK(client.send({"GET", server.url("localhost", "/y"), {}, ""}).status == 200);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].header("Host") == "localhost:" + std::to_string(server.port()));
  CHECK(seen[0].header("Content-Length") == "0");
  CHECK(seen[0].header("Connection") == "<absent>");
  CHECK(seen[0].header("User-Agent") == "mine/1");
  CHECK(seen[1].header("Content-Length") == "<absent>");
  CHECK(server.connections() == 1);  // the caller's "Connection: close" was not sent
}

TEST_CASE("chunked responses are reassembled") {
  TestServer server([](const bhttp::request<bhttp::string_body>&) {
    Reply reply;
    reply.raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    return reply;
  });
  Client client(no_proxy_options());
  const Response response = client.send({"GET", server.url("127.0.0.1", "/"), {}, ""});
  CHECK(response.status == 200);
  CHECK(response.body == "hello world");
  CHECK(response.header("transfer-encoding") == "chunked");
}

TEST_CASE("keep-alive: consecutive requests share one connection, plain and TLS") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  for (const bool tls : {false, true}) {
    CAPTURE(tls);
    TestServer server(echo, tls ? std::optional<CertFiles>(pki.localhost) : std::nullopt);
    Client client(tls_options(pki));
    for (int i = 0; i < 3; ++i) {
      const Response response = client.send({"GET", server.url("localhost", "/n/" + std::to_string(i)), {}, ""});
      CHECK(response.body == "GET /n/" + std::to_string(i) + " ");
    }
    CHECK(server.connections() == 1);
    const auto seen = server.seen();
    REQUIRE(seen.size() == 3);
    for (const auto& request : seen) CHECK(request.connection == 1);
  }
}

TEST_CASE("keep-alive: an idle connection the server closed is replaced, the request is sent once") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  for (const bool tls : {false, true}) {
    CAPTURE(tls);
    // Keep-alive promised, then the server closes right after each response (an idle timeout).
    TestServer server(
        [](const bhttp::request<bhttp::string_body>& request) {
          Reply reply = echo(request);
          reply.close_after = true;
          return reply;
        },
        tls ? std::optional<CertFiles>(pki.localhost) : std::nullopt);
    Client client(tls_options(pki));
    CHECK(client.send({"POST", server.url("localhost", "/first"), {}, "1"}).body == "POST /first 1");
    // The client checks an idle connection before sending a POST on it; that check can only see
    // a close that has happened, so wait for the server's close before the second request.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server.closed() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    REQUIRE(server.closed() == 1);
    CHECK(client.send({"POST", server.url("localhost", "/second"), {}, "2"}).body == "POST /second 2");
    CHECK(server.connections() == 2);
    const auto seen = server.seen();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].target == "/first");
    CHECK(seen[1].target == "/second");
    CHECK(seen[1].connection == 2);
  }
}

TEST_CASE("keep-alive: Connection: close from the server is respected") {
  // The server says close but keeps the socket open: a client that ignored it would send the
  // second request on the first connection.
  TestServer server([](const bhttp::request<bhttp::string_body>& request) {
    Reply reply = echo(request);
    reply.response.keep_alive(false);
    return reply;
  });
  Client client(no_proxy_options());
  CHECK(client.send({"GET", server.url("127.0.0.1", "/a"), {}, ""}).header("connection") == "close");
  CHECK(client.send({"GET", server.url("127.0.0.1", "/b"), {}, ""}).status == 200);
  CHECK(server.connections() == 2);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].connection == 1);
  CHECK(seen[1].connection == 2);
}

TEST_CASE("a response cut off after its first bytes is an error and the request is not sent again") {
  std::atomic<int> calls{0};
  TestServer server([&calls](const bhttp::request<bhttp::string_body>& request) {
    if (++calls == 1) return echo(request);  // the first request leaves an idle connection
    Reply reply;
    reply.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial";
    reply.close_after = true;
    return reply;
  });
  Client client(no_proxy_options());
  CHECK(client.send({"POST", server.url("127.0.0.1", "/one"), {}, "x"}).status == 200);
  const auto error = expect_error(client, {"POST", server.url("127.0.0.1", "/two?token=s3cret"), {}, "y"});
  CHECK(error.kind() == Kind::closed);
  CHECK(contains(error.what(), "POST http://127.0.0.1:" + std::to_string(server.port()) + "/two: "));
  CHECK_FALSE(contains(error.what(), "s3cret"));
  CHECK(server.seen().size() == 2);
  CHECK(server.connections() == 1);
}

TEST_CASE("keep-alive: a reused connection closed after a full POST is an error; the POST is not resent") {
  // The server reads the whole second POST (and may have acted on it), then drops the connection
  // without a byte of response: resending would duplicate the POST.
  std::atomic<int> calls{0};
  TestServer server([&calls](const bhttp::request<bhttp::string_body>& request) {
    if (++calls == 1) return echo(request);  // the first request leaves an idle connection
    Reply reply;
    reply.raw = "";
    reply.close_after = true;
    return reply;
  });
  Client client(no_proxy_options());
  CHECK(client.send({"POST", server.url("127.0.0.1", "/one"), {}, "x"}).status == 200);
  const auto error = expect_error(client, {"POST", server.url("127.0.0.1", "/two?token=s3cret"), {}, "y"});
  CHECK(error.kind() == Kind::closed);
  CHECK(contains(error.what(), "POST http://127.0.0.1:" + std::to_string(server.port()) +
                                   "/two: the server closed the reused connection before any response; not resent"));
  CHECK_FALSE(contains(error.what(), "s3cret"));
  CHECK(server.connections() == 1);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].method == "POST");
  CHECK(seen[1].target == "/two?token=s3cret");
  CHECK(seen[1].body == "y");
}

TEST_CASE("keep-alive: a reused connection closed after a full GET: the GET is resent once on a fresh one") {
  std::atomic<int> calls{0};
  TestServer server([&calls](const bhttp::request<bhttp::string_body>& request) {
    if (++calls != 2) return echo(request);
    Reply reply;  // the second request: read, then dropped without an answer
    reply.raw = "";
    reply.close_after = true;
    return reply;
  });
  Client client(no_proxy_options());
  CHECK(client.send({"GET", server.url("127.0.0.1", "/one"), {}, ""}).status == 200);
  CHECK(client.send({"GET", server.url("127.0.0.1", "/two"), {}, ""}).body == "GET /two ");
  CHECK(server.connections() == 2);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].target == "/two");
  CHECK(seen[1].connection == 1);
  CHECK(seen[2].target == "/two");
  CHECK(seen[2].connection == 2);
}

TEST_CASE("a fresh connection closed before any response byte is an error, not retried") {
  TestServer server([](const bhttp::request<bhttp::string_body>&) {
    Reply reply;
    reply.raw = "";
    reply.close_after = true;
    return reply;
  });
  Client client(no_proxy_options());
  const auto error = expect_error(client, {"POST", server.url("127.0.0.1", "/"), {}, "x"});
  CHECK(error.kind() == Kind::closed);
  CHECK(contains(error.what(), "closed the connection"));
  CHECK(server.seen().size() == 1);
}

TEST_CASE("read timeout: a server that never answers") {
  TestServer server([](const bhttp::request<bhttp::string_body>&) {
    Reply reply;
    reply.answer = false;
    return reply;
  });
  ClientOptions options = no_proxy_options();
  options.read_timeout = std::chrono::milliseconds(300);
  Client client(options);
  const auto error = expect_error(client, {"GET", server.url("127.0.0.1", "/slow?token=s3cret"), {}, ""});
  CHECK(error.kind() == Kind::timeout);
  CHECK(contains(error.what(), "GET http://127.0.0.1:" + std::to_string(server.port()) + "/slow: "));
  CHECK(contains(error.what(), "read timeout (300 ms)"));
  CHECK_FALSE(contains(error.what(), "s3cret"));
  CHECK(server.seen().size() == 1);
}

TEST_CASE("connect timeout: a TLS server that accepts but never completes the handshake") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  TestServer server(echo, pki.localhost, /*accept_only=*/true);
  ClientOptions options = tls_options(pki);
  options.connect_timeout = std::chrono::milliseconds(300);
  Client client(options);
  const auto error = expect_error(client, {"GET", server.url("localhost", "/"), {}, ""});
  CHECK(error.kind() == Kind::timeout);
  CHECK(contains(error.what(), "TLS handshake with localhost took longer than the connect timeout (300 ms)"));
}

// Request::timeout: a deadline of the request's own on a client whose limits are much longer. The
// times asserted are loose: far below the client's limits, far above the request's timeout.
TEST_CASE("a request's own timeout ends a request the server never answers, long before the read timeout") {
  TestServer server([](const bhttp::request<bhttp::string_body>&) {
    Reply reply;
    reply.answer = false;
    return reply;
  });
  ClientOptions options = no_proxy_options();
  options.read_timeout = std::chrono::seconds(30);
  Client client(options);
  Request request{"GET", server.url("127.0.0.1", "/slow?token=s3cret"), {}, ""};
  request.timeout = std::chrono::milliseconds(500);
  const auto started = std::chrono::steady_clock::now();
  const auto error = expect_error(client, request);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(error.kind() == Kind::timeout);
  CHECK(contains(error.what(), "no complete response within the request's timeout (500 ms)"));
  CHECK_FALSE(contains(error.what(), "s3cret"));
  CHECK(took < std::chrono::seconds(15));
}

TEST_CASE("a request's own timeout also bounds the connection: a TLS handshake that never completes") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  TestServer server(echo, pki.localhost, /*accept_only=*/true);
  ClientOptions options = tls_options(pki);
  options.connect_timeout = std::chrono::seconds(30);
  Client client(options);
  Request request{"GET", server.url("localhost", "/"), {}, ""};
  request.timeout = std::chrono::milliseconds(500);
  const auto started = std::chrono::steady_clock::now();
  const auto error = expect_error(client, request);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
  CHECK(error.kind() == Kind::timeout);
  CHECK(contains(error.what(), "TLS handshake with localhost took longer than the request's timeout (500 ms)"));
}

TEST_CASE("the first limit reached ends the request: a read timeout shorter than the request's timeout wins") {
  TestServer server([](const bhttp::request<bhttp::string_body>&) {
    Reply reply;
    reply.answer = false;
    return reply;
  });
  ClientOptions options = no_proxy_options();
  options.read_timeout = std::chrono::milliseconds(300);
  Client client(options);
  Request request{"GET", server.url("127.0.0.1", "/slow"), {}, ""};
  request.timeout = std::chrono::seconds(60);
  const auto error = expect_error(client, request);
  CHECK(error.kind() == Kind::timeout);
  CHECK(contains(error.what(), "no complete response within the read timeout (300 ms)"));
}

TEST_CASE("a request answered within its timeout is returned, and its connection is reused by the next one") {
  TestServer server(echo);
  Client client(no_proxy_options());
  Request request{"GET", server.url("127.0.0.1", "/a"), {}, ""};
  request.timeout = std::chrono::seconds(5);
  CHECK(client.send(request).body == "GET /a ");
  // A request with a timeout leaves its connection in the pool like any other.
  CHECK(client.send({"GET", server.url("127.0.0.1", "/b"), {}, ""}).body == "GET /b ");
  CHECK(server.connections() == 1);
}

TEST_CASE("connection refused is a connect error") {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }  // closed again: nothing listens there now
  Client client(no_proxy_options());
  const auto error = expect_error(client, {"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""});
  CHECK(error.kind() == Kind::connect);
  CHECK(contains(error.what(), "cannot connect to 127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("TLS: a certificate from the trusted CA for the host name or address passes") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  TestServer server(echo, pki.localhost);
  Client client(tls_options(pki));
  CHECK(client.send({"GET", server.url("localhost", "/dns"), {}, ""}).body == "GET /dns ");
  CHECK(client.send({"GET", server.url("127.0.0.1", "/ip"), {}, ""}).body == "GET /ip ");
}

TEST_CASE("TLS: certificate verification failures are refused and say why") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  struct Case {
    std::string name;
    CertFiles server_cert;
    std::string host;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"certificate for another name", pki.other_name, "localhost", "hostname mismatch"},
      {"certificate for another name, by address", pki.other_name, "127.0.0.1", "IP address mismatch"},
      {"untrusted issuer", pki.untrusted_localhost, "localhost", "unable to get local issuer certificate"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    TestServer server(echo, c.server_cert);
    Client client(tls_options(pki));
    const auto error = expect_error(client, {"GET", server.url(c.host, "/"), {}, ""});
    CHECK(error.kind() == Kind::tls);
    CHECK(contains(error.what(), "TLS certificate verification failed for " + c.host + ": " + c.reason));
    CHECK(contains(error.what(), "set SSL_CERT_FILE to your CA bundle"));
    CHECK(server.seen().empty());
  }
}

TEST_CASE("TLS: SSL_CERT_FILE is the trust store when ca_file is not given") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  TestServer server(echo, pki.localhost);
  {
    EnvVar cert_file("SSL_CERT_FILE", pki.trusted_ca().string());
    Client client(no_proxy_options());
    CHECK(client.send({"GET", server.url("localhost", "/"), {}, ""}).status == 200);
  }
  {
    EnvVar cert_file("SSL_CERT_FILE", pki.untrusted.cert_file().string());
    Client client(no_proxy_options());
    CHECK(expect_error(client, {"GET", server.url("localhost", "/"), {}, ""}).kind() == Kind::tls);
  }
  {
    EnvVar cert_file("SSL_CERT_FILE", (dir.path() / "missing.pem").string());
    CHECK(contains(construction_error(no_proxy_options()),
                   "cannot load the CA bundle " + (dir.path() / "missing.pem").string() + " (from SSL_CERT_FILE)"));
  }
}

TEST_CASE("TLS: a plain-text server is a TLS error, not a hang") {
  TestServer server(echo);  // plain http
  Client client(no_proxy_options());
  const auto error = expect_error(client, {"GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/", {}, ""});
  CHECK(error.kind() == Kind::tls);
  CHECK(contains(error.what(), "TLS handshake with 127.0.0.1 failed"));
}

TEST_CASE("proxy: https goes through CONNECT with Basic credentials, then TLS end to end") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  // A name only the proxy can "resolve": a direct connection would fail.
  const std::string host = "api.deploy-test.invalid";
  TestServer server(echo, pki.trusted.issue("api", {host}, {}));
  TestProxy proxy;
  ClientOptions options = tls_options(pki);
  options.https_proxy = "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port());
  Client client(options);

  CHECK(client.send({"GET", server.url(host, "/via-proxy"), {}, ""}).body == "GET /via-proxy ");
  CHECK(client.send({"GET", server.url(host, "/again"), {}, ""}).body == "GET /again ");
  const std::string authority = host + ":" + std::to_string(server.port());
  CHECK(proxy.connect_lines() == std::vector<std::string>{"CONNECT " + authority});  // the tunnel was reused
  CHECK(proxy.authorizations() == std::vector<std::string>{"Basic dXNlcjpwQHNz"});
  const auto seen = server.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].header("Host") == authority);
}

TEST_CASE("proxy: taken from HTTPS_PROXY; NO_PROXY and loopback go direct") {
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  const std::string host = "api.deploy-test.invalid";
  TestServer server(echo, pki.trusted.issue("api", {host}, {}));
  TestServer loopback_server(echo, pki.localhost);
  TestProxy proxy;
  EnvVar https_proxy("HTTPS_PROXY", "127.0.0.1:" + std::to_string(proxy.port()));  // no scheme, as often set
  EnvVar lower_https_proxy("https_proxy", std::nullopt);

  ClientOptions options;
  options.ca_file = pki.trusted_ca().string();
  SUBCASE("no NO_PROXY: proxied") {
    EnvVar no_proxy("NO_PROXY", std::nullopt);
    EnvVar lower_no_proxy("no_proxy", std::nullopt);
    Client client(options);
    CHECK(client.send({"GET", server.url(host, "/"), {}, ""}).status == 200);
    CHECK(proxy.connect_lines().size() == 1);
    CHECK(proxy.authorizations() == std::vector<std::string>{"<absent>"});
  }
  SUBCASE("NO_PROXY matches: direct, so the unresolvable name fails to resolve") {
    EnvVar no_proxy("NO_PROXY", "localhost, .deploy-test.invalid");
    Client client(options);
    const auto error = expect_error(client, {"GET", server.url(host, "/"), {}, ""});
    CHECK(contains(error.what(), "resolv"));
    CHECK(contains(error.what(), host));
    CHECK(proxy.connect_lines().empty());
  }
  SUBCASE("loopback hosts never use the proxy") {
    EnvVar no_proxy("NO_PROXY", std::nullopt);
    EnvVar lower_no_proxy("no_proxy", std::nullopt);
    Client client(options);
    CHECK(client.send({"GET", loopback_server.url("localhost", "/"), {}, ""}).status == 200);
    CHECK(client.send({"GET", loopback_server.url("127.0.0.1", "/"), {}, ""}).status == 200);
    CHECK(proxy.connect_lines().empty());
  }
}

TEST_CASE("proxy: a refused CONNECT names the status; 4xx is not retryable, 5xx is a connect error") {
  struct Case {
    unsigned status;
    Kind kind;
    bool mentions_credentials;
  };
  const std::vector<Case> cases = {
      {407, Kind::refused_by_policy, true},
      {403, Kind::refused_by_policy, true},
      {502, Kind::connect, false},
  };
  TempDir dir;
  const auto pki = deploy::test::make_test_pki(dir.path());
  for (const auto& c : cases) {
    CAPTURE(c.status);
    TestProxy proxy(c.status);
    ClientOptions options = tls_options(pki);
    options.https_proxy = proxy.url();
    Client client(options);
    const auto error = expect_error(client, {"GET", "https://api.deploy-test.invalid/x?token=s3cret", {}, ""});
    CHECK(error.kind() == c.kind);
    CHECK(contains(error.what(),
                   "GET https://api.deploy-test.invalid/x: proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                       " refused CONNECT api.deploy-test.invalid:443: " + std::to_string(c.status)));
    CHECK(contains(error.what(), "check the proxy credentials and address in HTTPS_PROXY") == c.mentions_credentials);
    CHECK_FALSE(contains(error.what(), "s3cret"));
  }
}

TEST_CASE("a malformed proxy setting fails at construction") {
  ClientOptions options = no_proxy_options();
  options.https_proxy = "https://proxy.corp:3128";
  CHECK(contains(construction_error(options), "must look like http://"));
}

TEST_CASE("policy: refused before anything is sent") {
  Client client(no_proxy_options());
  struct Case {
    std::string name;
    Request request;
    std::string message;
  };
  const std::vector<Case> cases{
      {"plain http to a public host",
       {"GET", "http://example.com/x?token=s3cret", {}, ""},
       "GET http://example.com/x: plain http:// is allowed only to loopback hosts; use https://"},
      {"plain http to a private address", {"GET", "http://10.0.0.1:8080/", {}, ""}, "use https://"},
      {"not a URL", {"GET", "example.com/x", {}, ""}, "invalid URL"},
      {"unsupported scheme", {"GET", "ftp://example.com/x", {}, ""}, "unsupported URL scheme"},
      {"credentials in the URL", {"GET", "https://user:hunter2@example.com/", {}, ""}, "send an Authorization header"},
      {"header injection", {"GET", "https://example.com/", {{"X-A", "v\r\nX-Injected: 1"}}, ""}, "line break"},
      {"bad header name", {"GET", "https://example.com/", {{"X A", "v"}}, ""}, "invalid name"},
      {"bad method", {"GE T", "https://example.com/", {}, ""}, "not a valid HTTP method"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto error = expect_error(client, c.request);
    CHECK(error.kind() == Kind::refused_by_policy);
    CHECK(contains(error.what(), c.message));
    CHECK_FALSE(contains(error.what(), "s3cret"));
    CHECK_FALSE(contains(error.what(), "hunter2"));
  }
}

TEST_CASE("response body limit") {
  TestServer server([](const bhttp::request<bhttp::string_body>& request) {
    if (request.target() == "/chunked") {
      Reply reply;
      reply.raw =
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + std::string(1024, 'c') + "\r\n0\r\n\r\n";
      return reply;
    }
    return Reply::ok(std::string(request.target() == "/exact" ? 1000 : 1001, 'x'));
  });
  ClientOptions options = no_proxy_options();
  options.max_response_body = 1000;
  Client client(options);
  CHECK(client.send({"GET", server.url("127.0.0.1", "/exact"), {}, ""}).body.size() == 1000);
  for (const std::string path : {"/over", "/chunked"}) {
    CAPTURE(path);
    const auto error = expect_error(client, {"GET", server.url("127.0.0.1", path), {}, ""});
    CHECK(error.kind() == Kind::protocol);
    CHECK(contains(error.what(), "larger than the limit of 1000 bytes"));
  }
}

TEST_CASE("concurrent sends from several threads each get their own response") {
  TestServer server(echo);
  Client client(no_proxy_options());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<std::vector<std::string>> bodies(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        bodies[static_cast<std::size_t>(t)].push_back(client.send({"GET", server.url("127.0.0.1", path), {}, ""}).body);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      CHECK(bodies[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)] ==
            "GET /t" + std::to_string(t) + "/" + std::to_string(i) + " ");
    }
  }
  CHECK(server.seen().size() == kThreads * kPerThread);
  CHECK(server.connections() <= kThreads);
}
