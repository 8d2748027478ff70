// The HTTP(S) transport: a listening socket and one thread per connection, reading requests with
// Boost.Beast (keep-alive supported) and answering with whatever the handler returns. A test tool:
// simple and synchronous. stop() wakes the accept loop and every connection by shutting their
// sockets down, then waits for the connection threads to finish.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "http_types.hpp"

namespace deploy::sim {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
};

class Server {
 public:
  using Handler = std::function<Response(Request&)>;

  // Binds and listens; throws std::runtime_error saying what could not be done.
  Server(const ServerOptions& options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  unsigned short port() const;
  bool tls() const;
  void run();   // the accept loop; returns after stop()
  void stop();  // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deploy::sim
