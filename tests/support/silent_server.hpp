// SilentServer: a TCP server on 127.0.0.1:0 that accepts every connection and never answers, as a
// hung webhook receiver does. Connections stay open until it is destroyed; destruction does not
// wait for clients.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace deploy::test {

class SilentServer {
 public:
  SilentServer() {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~SilentServer() {
    stopping_ = true;
    // A blocking accept only returns for a connection: make one.
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(ioc_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  // Connections accepted so far.
  std::size_t connections() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }

 private:
  void serve() {
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      std::lock_guard lock(mutex_);
      held_.push_back(std::move(socket));  // open and unanswered until the server goes
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<boost::asio::ip::tcp::socket> held_;
  std::thread thread_;
};

}  // namespace deploy::test
