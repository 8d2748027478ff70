// The HTTP server: Boost.Beast, asynchronous, one io_context per thread. One acceptor hands each
// new connection to the next thread's io_context in turn; from then on the connection lives on
// that thread alone, and each request is handled inline there (no hop to another thread: the store
// batches concurrent commits from all threads into one transaction).
//
// It holds against anyone who can connect (docs/OPERATIONS.md, "Limits"): at most max_connections
// open (beyond, the oldest idle one is closed, else the newcomer gets 503 + Retry-After); request
// bodies are read only after the header passed the cheap checks, and only while the bytes set
// aside for bodies stay under max_body_bytes_in_flight (else 503 + Retry-After); deadlines for the
// idle wait, the header, the body and the answer; 408 / 411 / 413 / 431 / 400 where HTTP allows;
// out of descriptors, idle connections are closed to make room.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bot/routes.hpp"
#include "bot/settings.hpp"

namespace deploy::bot {

struct ServerOptions {
  ListenAddress listen;
  unsigned threads = 1;
  std::chrono::milliseconds header_timeout{10'000};  // also how long an idle keep-alive connection stays
  std::chrono::milliseconds body_timeout{30'000};    // reading the body, and writing the response
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests get this long to finish
  unsigned max_connections = 1024;
  std::uint64_t max_body_bytes_in_flight = 64ull << 20;
};

class Server {
 public:
  // Binds and listens. Throws std::system_error (with the address) when it cannot.
  Server(ServerOptions options, Routes& routes);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The address actually bound (the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint endpoint() const;

  // Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish (up to
  // shutdown_grace), closes idle connections and returns.
  void run();

  struct Shared;  // what sessions see of the server

 private:
  void accept();
  void accept_failed(const boost::system::error_code& ec);
  void admit(boost::asio::ip::tcp::socket socket);

  ServerOptions options_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<boost::asio::steady_timer> accept_retry_;  // backs off after a failed accept
  std::uint64_t accept_failures_ = 0;                        // in a row, since the last accepted connection
  std::uint64_t unlogged_accept_failures_ = 0;               // since the last accept_failed log line
  std::chrono::steady_clock::time_point last_accept_log_{};
  std::size_t next_context_ = 0;
};

}  // namespace deploy::bot
