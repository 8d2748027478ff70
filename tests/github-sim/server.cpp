#include "server.hpp"

#include <sys/socket.h>

#include <atomic>
#include <iostream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace deploy::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Server::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::unique_ptr<asio::ssl::context> tls;
  Handler handler;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
  std::set<int> open_sockets;
  int active = 0;

  template <class Stream>
  void serve(Stream& stream, const std::string& scheme);
  void connection(tcp::socket& socket);
  void finished();
};

namespace {

Request to_request(http::request<http::string_body>& message, const std::string& scheme, unsigned short port) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  split_target(request.target, request.path, request.query);
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  std::string host = request.header("host");
  request.origin = scheme + "://" + (host.empty() ? "127.0.0.1:" + std::to_string(port) : host);
  return request;
}

http::response<http::string_body> to_message(const Response& response, unsigned version, bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.body() = response.body;
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

}  // namespace

template <class Stream>
void Server::Impl::serve(Stream& stream, const std::string& scheme) {
  beast::flat_buffer buffer;
  unsigned short port = acceptor.local_endpoint().port();
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.header_limit(64 * 1024);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) return;  // closed, reset, or stopped: nothing to answer
    auto message = parser.release();
    bool keep_alive = message.keep_alive();
    Request request = to_request(message, scheme, port);
    Response response = handler(request);
    if (response.drop || stopping) return;
    auto reply = to_message(response, message.version(), keep_alive);
    http::write(stream, reply, ec);
    if (ec || !keep_alive) return;
  }
}

void Server::Impl::connection(tcp::socket& socket) {
  int fd = socket.native_handle();
  try {
    if (tls) {
      beast::ssl_stream<tcp::socket&> stream(socket, *tls);
      beast::error_code ec;
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) {
        serve(stream, "https");
        stream.shutdown(ec);
      }
    } else {
      serve(socket, "http");
    }
  } catch (const std::exception& error) {
    std::cerr << "github-sim: connection error: " << error.what() << "\n";
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  {
    // Forgotten before closing, so stop() never shuts down a descriptor number reused elsewhere.
    std::lock_guard lock(mutex);
    open_sockets.erase(fd);
  }
  socket.close(ignored);
}

void Server::Impl::finished() {
  std::lock_guard lock(mutex);
  if (--active == 0) idle.notify_all();
}

Server::Server(const ServerOptions& options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      throw std::runtime_error("TLS needs both --tls-cert and --tls-key");
    }
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    try {
      impl_->tls->use_certificate_chain_file(options.tls_cert_file);
      impl_->tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem);
    } catch (const boost::system::system_error& error) {
      throw std::runtime_error("cannot load TLS certificate " + options.tls_cert_file + " / key " +
                               options.tls_key_file + ": " + error.what());
    }
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw std::runtime_error("--listen host " + options.host + " is not an IP address");
  tcp::endpoint endpoint(address, options.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                             ec.message());
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() {
  stop();
  std::unique_lock lock(impl_->mutex);
  impl_->idle.wait(lock, [this] { return impl_->active == 0; });
}

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }
bool Server::tls() const { return impl_->tls != nullptr; }

void Server::run() {
  while (!impl_->stopping) {
    tcp::socket socket(impl_->io);
    beast::error_code ec;
    impl_->acceptor.accept(socket, ec);
    if (ec) {
      if (impl_->stopping) break;
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) break;
    impl_->open_sockets.insert(socket.native_handle());
    ++impl_->active;
    auto owned = std::make_unique<tcp::socket>(std::move(socket));
    std::thread([impl = impl_.get(), owned = std::move(owned)]() mutable {
      {
        // The socket is destroyed before the server may be: it belongs to the server's io_context.
        std::unique_ptr<tcp::socket> s = std::move(owned);
        impl->connection(*s);
      }
      impl->finished();
    }).detach();
  }
  // Wait for the connections stop() shut down.
  std::unique_lock lock(impl_->mutex);
  impl_->idle.wait(lock, [this] { return impl_->active == 0; });
}

void Server::stop() {
  if (impl_->stopping.exchange(true)) return;
  // shutdown() wakes a thread blocked in accept() or read() on the same socket; close() would not.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  std::lock_guard lock(impl_->mutex);
  for (int fd : impl_->open_sockets) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace deploy::sim
