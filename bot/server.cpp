#include "bot/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <functional>
#include <optional>
#include <system_error>

namespace deploy::bot {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Server::Shared {
  Routes& routes;
  ServerOptions options;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};  // requests whose header was read and whose answer is not yet sent
};

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kDrainLimit = 64 * 1024 * 1024;

// One connection: its socket, buffer and parser. Reads a request, answers it, and reads the next
// one while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Server::Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {}
  ~Session() { end_request(); }

  void start() { do_read(); }

 private:
  void do_read() {
    if (shared_->stopping.load(std::memory_order_relaxed)) return close();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kMaxWebhookBody);
    stream_.expires_after(shared_->options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {  // Beast checks Content-Length against the limit here
      begin_request();
      return reject_too_large();
    }
    if (ec) return close();  // closed by the client, idle or slow header (timeout), or malformed
    begin_request();
    const auto length = parser_->content_length();
    if (length && *length > kMaxWebhookBody) return reject_too_large();
    stream_.expires_after(shared_->options.body_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) return reject_too_large();  // chunked bodies find out here
    if (ec) return close();  // the client went away or was too slow sending the body
    response_ = shared_->routes.handle(parser_->get());
    if (shared_->stopping.load(std::memory_order_relaxed)) response_.keep_alive(false);
    write(false);
  }

  void reject_too_large() {
    response_ = shared_->routes.too_large(parser_->get());
    write(true);
  }

  void write(bool drain_after) {
    stream_.expires_after(shared_->options.body_timeout);
    http::async_write(stream_, response_, [self = shared_from_this(), drain_after](beast::error_code ec, std::size_t) {
      self->on_write(ec, drain_after);
    });
  }

  void on_write(beast::error_code ec, bool drain_after) {
    end_request();
    if (ec) return close();
    if (drain_after) return drain();
    if (!response_.keep_alive()) return close();
    do_read();
  }

  // After a 413 the client may still be sending the body it announced, and only reads our answer
  // once it is done: closing now would reset the connection and lose the answer. So say we are
  // done (FIN), then read and discard until it closes, bounded in time and size.
  void drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(shared_->options.body_timeout);
    read_discard();
  }

  void read_discard() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kDrainLimit) return self->close();
      self->read_discard();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  void begin_request() {
    if (!counted_) shared_->in_flight.fetch_add(1, std::memory_order_relaxed);
    counted_ = true;
  }
  void end_request() {
    if (counted_) shared_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    counted_ = false;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  std::shared_ptr<Server::Shared> shared_;
  bool counted_ = false;
  std::size_t drained_ = 0;
  std::array<char, 64 * 1024> scratch_{};
};

}  // namespace

Server::Server(ServerOptions options, Routes& routes)
    : options_(std::move(options)), shared_(new Shared{routes, options_, {}, {}}) {
  const unsigned threads = options_.threads == 0 ? 1 : options_.threads;
  for (unsigned i = 0; i < threads; ++i) contexts_.push_back(std::make_unique<asio::io_context>(1));

  const std::string where = options_.listen.host + ":" + std::to_string(options_.listen.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options_.listen.host, ec);
  if (ec) throw std::system_error(ec, "deploy-bot: listen host \"" + options_.listen.host + "\" is not an IP address");
  const tcp::endpoint endpoint{address, options_.listen.port};
  acceptor_ = std::make_unique<tcp::acceptor>(*contexts_[0]);
  accept_retry_ = std::make_unique<asio::steady_timer>(*contexts_[0]);
  auto check = [&](const char* step) {
    if (ec) throw std::system_error(ec, std::string("deploy-bot: cannot listen on ") + where + " (" + step + ")");
  };
  acceptor_->open(endpoint.protocol(), ec);
  check("open");
  acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  check("SO_REUSEADDR");
  acceptor_->bind(endpoint, ec);
  check("bind");
  acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  check("listen");
}

Server::~Server() {
  // Sessions still queued in an io_context are destroyed with it; they refer to shared_, which
  // they co-own, so the order does not matter beyond this.
  accept_retry_.reset();
  acceptor_.reset();
  contexts_.clear();
}

tcp::endpoint Server::endpoint() const { return acceptor_->local_endpoint(); }

void Server::accept() {
  auto& context = *contexts_[next_context_];
  next_context_ = (next_context_ + 1) % contexts_.size();
  acceptor_->async_accept(context, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec) {
      accept_failures_ = 0;
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), shared_)->start();
      accept();
      return;
    }
    accept_failed(ec);
  });
}

// Out of file descriptors (EMFILE, ENFILE) or memory, accept fails at once and again at once:
// retrying immediately spins a core and floods the log while nothing else gets served. Back off
// (10 ms doubling to 1 s, reset by the next accepted connection) and log once a second with how
// many failures that line stands for.
void Server::accept_failed(const beast::error_code& ec) {
  ++accept_failures_;
  ++unlogged_accept_failures_;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_log_ >= std::chrono::seconds{1}) {
    spdlog::warn(R"({{"event":"accept_failed","error":"{}","failures":{},"hint":"out of file descriptors? raise LimitNOFILE"}})",
                 ec.message(), unlogged_accept_failures_);
    last_accept_log_ = now;
    unlogged_accept_failures_ = 0;
  }
  const auto shift = std::min<std::uint64_t>(accept_failures_ - 1, 7);
  const auto delay = std::min(std::chrono::milliseconds{10} * (1u << shift), std::chrono::milliseconds{1000});
  accept_retry_->expires_after(delay);
  accept_retry_->async_wait([this](beast::error_code wait_error) {
    if (wait_error == asio::error::operation_aborted || !acceptor_->is_open()) return;
    accept();
  });
}

void Server::run() {
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& context : contexts_) guards.push_back(asio::make_work_guard(*context));
  accept();
  std::vector<std::thread> threads;
  for (auto& context : contexts_) {
    threads.emplace_back([&context] {
      for (;;) {
        try {
          context->run();
          return;
        } catch (const std::exception& e) {
          // A handler threw (a bug or the store failing in an unexpected way): log, keep serving.
          spdlog::error(R"({{"event":"handler_exception","error":"{}"}})", e.what());
        }
      }
    });
  }

  // The control loop: signals, then the bounded drain of in-flight requests.
  asio::io_context control;
  asio::signal_set signals(control, SIGTERM, SIGINT);
  asio::steady_timer timer(control);
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> wait_for_idle = [&] {
    const int busy = shared_->in_flight.load();
    if (busy == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (busy != 0) spdlog::warn(R"({{"event":"shutdown_grace_expired","in_flight":{}}})", busy);
      return;
    }
    timer.expires_after(std::chrono::milliseconds(10));
    timer.async_wait([&](beast::error_code) { wait_for_idle(); });
  };
  signals.async_wait([&](beast::error_code ec, int signal) {
    if (ec) return;
    spdlog::info(R"({{"event":"shutdown","signal":{}}})", signal);
    shared_->stopping.store(true);
    asio::post(*contexts_[0], [this] {
      beast::error_code ignored;
      accept_retry_->cancel();
      acceptor_->close(ignored);
    });
    deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
    wait_for_idle();
  });
  control.run();

  guards.clear();
  for (auto& context : contexts_) context->stop();  // idle keep-alive connections are dropped
  for (auto& thread : threads) thread.join();
}

}  // namespace deploy::bot
