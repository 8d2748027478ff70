#include "bot/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "bot/growing_body.hpp"
#include "core/log_json/log_json.hpp"

namespace deploy::bot {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
class Session;
}  // namespace

struct Server::Shared {
  Shared(Routes& r, ServerOptions o) : routes(r), options(std::move(o)) {}
  Routes& routes;
  ServerOptions options;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};             // requests whose header was read and whose answer is not yet sent
  std::atomic<std::int64_t> connections{0};  // sessions serving requests (what max_connections bounds)
  std::atomic<int> refusing{0};              // connections being told 503 because of the connection limit
  std::atomic<std::uint64_t> body_bytes{0};  // set aside for bodies being read (max_body_bytes_in_flight)
  // Sessions waiting for a request with nothing of it received, oldest first: the ones to close
  // when room is needed. Guards every Session::idle_ and Session::shed_ too.
  std::mutex idle_mutex;
  std::list<std::weak_ptr<Session>> idle;
};

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
// Bodies of anything but POST /webhook (nothing else takes one; this only bounds what is read).
constexpr std::uint64_t kOtherBodyLimit = 64 * 1024;
// After a refusal the rest of the request is read and thrown away (see drain), this long at most.
constexpr std::size_t kDrainLimit = 32 * 1024 * 1024;
constexpr std::chrono::seconds kDrainTimeout{5};
// Connections being told 503 at once; beyond, a newcomer over the limit is closed without a word.
constexpr int kMaxRefusing = 256;

void log_throttled(Routes& routes, std::string_view event, std::string_view reason) {
  if (const auto n = routes.log_throttle().note(event, std::chrono::steady_clock::now())) {
    spdlog::warn("{}", log_json::event(event, {{"reason", reason}, {"count", n}}));
  }
}

// The answer for a read that failed, or nullopt when the connection just ends (the client went
// away, or closed it between requests).
std::optional<ServerRefusal> refusal_for(const beast::error_code& ec, bool timed_out, bool header) {
  if (timed_out) return header ? ServerRefusal::header_timeout : ServerRefusal::body_timeout;
  if (ec == http::error::header_limit) return ServerRefusal::header_too_large;
  if (ec == http::error::body_limit) return ServerRefusal::body_too_large;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::header_limit).category() ||
      ec == http::error::buffer_overflow) {
    return ServerRefusal::malformed;
  }
  return std::nullopt;  // reset, aborted, ...: nobody to answer
}

// One connection: its socket, one timer for whichever deadline applies, and (only while a request
// is being read or answered) a buffer, a parser and the answer. Waits for a request without any
// buffer, reads the header, checks it, sets aside room for the body, reads it, answers, and waits
// for the next one while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Server::Shared> shared, bool counted)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)), counted_(counted) {
    if (counted_) {
      shared_->connections.fetch_add(1, std::memory_order_relaxed);
      shared_->routes.counters().connections(1);
    } else {
      shared_->refusing.fetch_add(1, std::memory_order_relaxed);
    }
  }
  ~Session() {
    end_request();
    release_body();
    {
      std::lock_guard lock(shared_->idle_mutex);
      if (idle_) shared_->idle.erase(*idle_);
    }
    if (counted_) {
      shared_->connections.fetch_sub(1, std::memory_order_relaxed);
      shared_->routes.counters().connections(-1);
    } else {
      shared_->refusing.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void start() { wait_for_request(); }

  // The connection limit is reached and no connection is idle: say so, then close.
  void refuse_connection() { answer(shared_->routes.refuse(ServerRefusal::connection_limit, nullptr)); }

  // Called (under idle_mutex) by whoever closes this idle session to make room; the close itself
  // runs on the session's own thread.
  void mark_shed() {
    shed_ = true;
    idle_.reset();
  }
  void shed() {
    beast::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }
  tcp::socket::executor_type get_executor() { return socket_.get_executor(); }

 private:
  // Nothing of a request received yet: no buffer, no parser, only a wait for the socket to become
  // readable (this is what 2,000 idle connections cost).
  void wait_for_request() {
    if (shared_->stopping.load(std::memory_order_relaxed)) return close();
    if (buffer_.size() > 0) return read_header();  // the client sent its next request already
    buffer_.shrink_to_fit();
    {
      std::lock_guard lock(shared_->idle_mutex);
      idle_ = shared_->idle.insert(shared_->idle.end(), weak_from_this());
    }
    arm(shared_->options.header_timeout);
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); });
  }

  void on_readable(beast::error_code ec) {
    disarm();
    bool shed = false;
    {
      std::lock_guard lock(shared_->idle_mutex);
      if (idle_) shared_->idle.erase(*idle_);
      idle_.reset();
      shed = shed_;
    }
    // Idle past the deadline: close without an answer (no request was started, HTTP allows it).
    if (ec || shed || timed_out_) return close();
    read_header();
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kMaxWebhookBody);  // Beast checks Content-Length against it with the header
    arm(shared_->options.header_timeout);
    http::async_read_header(socket_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    disarm();
    if (ec) return read_failed(ec, true);
    begin_request();
    const auto& header = parser_->get().base();
    if (auto refused = shared_->routes.check_header(header)) return answer(std::move(*refused));

    // Room for the body, set aside before a byte of it is read. A webhook's length is known (the
    // checks refuse one without); anything else may send 64 KiB at most.
    std::uint64_t room = 0;
    const std::string_view target(header.target().data(), header.target().size());
    const bool webhook = header.method() == http::verb::post && target.substr(0, target.find('?')) == "/webhook";
    if (!webhook) {
      if (parser_->content_length().value_or(0) > kOtherBodyLimit) {
        return answer(shared_->routes.refuse(ServerRefusal::body_too_large, &header));
      }
      parser_->body_limit(kOtherBodyLimit);
      room = parser_->chunked() ? kOtherBodyLimit : parser_->content_length().value_or(0);
    } else {
      room = parser_->content_length().value_or(0);
    }
    if (!reserve_body(room)) return answer(shared_->routes.refuse(ServerRefusal::body_bytes_in_flight, &header));
    arm(shared_->options.body_timeout);
    http::async_read(socket_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    disarm();
    if (ec) return read_failed(ec, false);
    auto message = parser_->release();
    parser_.reset();
    request_.emplace(std::move(message.base()), std::move(message.body()));
    auto step = shared_->routes.begin(*request_);
    if (auto* response = std::get_if<Response>(&step)) return respond(std::move(*response));
    // A delivery to store: with every other one this event-loop turn reads (see TurnBatch).
    batch(std::move(std::get<Routes::Begun>(step)));
  }
  void batch(Routes::Begun begun);

 public:
  const Request& request() const { return *request_; }

  // The answer to the request read last; the request (and its body) is gone after it.
  void respond(Response response) {
    request_.reset();
    release_body();
    if (shared_->stopping.load(std::memory_order_relaxed)) response.keep_alive(false);
    answer(std::move(response));
  }

 private:
  void read_failed(const beast::error_code& ec, bool header) {
    const auto why = refusal_for(ec, timed_out_, header);
    if (!why) return close();
    // A client too slow to send its request gets its 408 and the connection closes: waiting for
    // the rest of what it announced is what it was refused for.
    drain_after_refusal_ = !timed_out_;
    begin_request();
    const RequestHeader* known = header && *why != ServerRefusal::body_too_large ? nullptr : &parser_->get().base();
    answer(shared_->routes.refuse(*why, known));
  }

  // Sends `response`; then the next request if it keeps the connection alive, else drain.
  void answer(Response response) {
    response_.emplace(std::move(response));
    arm(shared_->options.body_timeout, Phase::writing);
    http::async_write(socket_, *response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(beast::error_code ec) {
    disarm();
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    parser_.reset();
    release_body();
    end_request();
    if (ec || timed_out_) return close();
    if (!keep_alive) return drain_after_refusal_ ? drain() : close();
    wait_for_request();
  }

  // After a refusal the client may still be sending what it announced, and only reads our answer
  // once it is done: closing now would reset the connection and lose the answer. So say we are
  // done (FIN), then read and discard until it closes, bounded in time and size.
  void drain() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.consume(buffer_.size());
    arm(std::min<std::chrono::milliseconds>(kDrainTimeout, shared_->options.body_timeout), Phase::writing);
    read_discard();
  }

  void read_discard() {
    socket_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kDrainLimit) return self->close();
      self->read_discard();
    });
  }

  void close() {
    disarm();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // One deadline at a time. A deadline that passes while reading ends the read (the receive side
  // is shut, so the pending read and any read Beast starts after it see the end of the stream)
  // and leaves timed_out_ set, so that a 408 can still be sent: Beast's tcp_stream would close the
  // socket instead, and a bare cancel() is lost when it falls between two reads of one message.
  // Past a deadline for writing, nothing more can be said: close. The generation tells a stale
  // expiry from the current one.
  enum class Phase { reading, writing };
  void arm(std::chrono::milliseconds after, Phase phase = Phase::reading) {
    timed_out_ = false;
    const auto generation = ++deadline_;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(), generation, phase](beast::error_code ec) {
      if (ec || generation != self->deadline_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      if (phase == Phase::writing) {
        self->socket_.close(ignored);
      } else {
        self->socket_.shutdown(tcp::socket::shutdown_receive, ignored);
        self->socket_.cancel(ignored);
      }
    });
  }
  void disarm() {
    ++deadline_;
    timer_.cancel();
  }

  bool reserve_body(std::uint64_t bytes) {
    if (bytes == 0) return true;
    auto& total = shared_->body_bytes;
    std::uint64_t now = total.load(std::memory_order_relaxed);
    do {
      if (now + bytes > shared_->options.max_body_bytes_in_flight) return false;
    } while (!total.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
    reserved_ = bytes;
    shared_->routes.counters().body_bytes_in_flight(static_cast<std::int64_t>(bytes));
    return true;
  }
  void release_body() {
    if (reserved_ == 0) return;
    shared_->body_bytes.fetch_sub(reserved_, std::memory_order_relaxed);
    shared_->routes.counters().body_bytes_in_flight(-static_cast<std::int64_t>(reserved_));
    reserved_ = 0;
  }

  void begin_request() {
    if (!in_flight_) shared_->in_flight.fetch_add(1, std::memory_order_relaxed);
    in_flight_ = true;
  }
  void end_request() {
    if (in_flight_) shared_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    in_flight_ = false;
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<Server::Shared> shared_;
  const bool counted_;  // against max_connections (false: being refused)
  beast::flat_buffer buffer_{kHeaderLimit + 64 * 1024};
  std::optional<http::request_parser<GrowingStringBody>> parser_;
  std::optional<Request> request_;  // from the body read until its answer (a batch's views point into it)
  std::optional<Response> response_;
  std::optional<std::list<std::weak_ptr<Session>>::iterator> idle_;  // guarded by idle_mutex
  bool shed_ = false;                                                // guarded by idle_mutex
  bool in_flight_ = false;
  bool timed_out_ = false;
  bool drain_after_refusal_ = true;
  std::uint64_t deadline_ = 0;
  std::uint64_t reserved_ = 0;
  std::size_t drained_ = 0;
};

// The deliveries one event-loop turn has read, stored together: the first one posts a flush, which
// runs after every completion the turn already has queued (those of the other connections whose
// requests arrived together), so one Queue::ingest(span) call, one commit, stores them all. A
// lone request costs one post more than storing it at once. One per thread: each thread runs its
// own io_context, and a session stays on its thread.
class TurnBatch {
 public:
  void add(std::shared_ptr<Session> session, Routes::Begun begun, const std::shared_ptr<Server::Shared>& shared) {
    auto executor = session->get_executor();
    sessions_.push_back(std::move(session));
    begun_.push_back(std::move(begun));
    if (sessions_.size() == 1) asio::post(executor, [this, shared] { flush(*shared); });
  }

 private:
  void flush(Server::Shared& shared) {
    std::vector<std::shared_ptr<Session>> sessions;
    std::vector<Routes::Begun> begun;
    sessions.swap(sessions_);
    begun.swap(begun_);
    std::vector<const Request*> requests;
    requests.reserve(sessions.size());
    for (const auto& session : sessions) requests.push_back(&session->request());
    auto answers = shared.routes.finish(requests, begun);
    for (std::size_t i = 0; i < sessions.size(); ++i) sessions[i]->respond(std::move(answers[i]));
  }

  std::vector<std::shared_ptr<Session>> sessions_;
  std::vector<Routes::Begun> begun_;
};

thread_local TurnBatch turn_batch;

void Session::batch(Routes::Begun begun) { turn_batch.add(shared_from_this(), std::move(begun), shared_); }

// Closes the oldest idle connection to make room. False when none is idle.
bool shed_idle(Server::Shared& shared, IdleClose reason) {
  std::shared_ptr<Session> victim;
  {
    std::lock_guard lock(shared.idle_mutex);
    for (auto it = shared.idle.begin(); it != shared.idle.end(); ++it) {
      victim = it->lock();
      if (!victim) continue;  // being destroyed; its destructor removes it
      shared.idle.erase(it);
      victim->mark_shed();
      break;
    }
  }
  if (!victim) return false;
  shared.routes.counters().idle_closed(reason);
  log_throttled(shared.routes, "idle_connection_closed", to_string(reason));
  auto executor = victim->get_executor();
  asio::post(executor, [victim = std::move(victim)] { victim->shed(); });
  return true;
}

}  // namespace

Server::Server(ServerOptions options, Routes& routes)
    : options_(std::move(options)), shared_(std::make_shared<Shared>(routes, options_)) {
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
      admit(std::move(socket));
      accept();
      return;
    }
    accept_failed(ec);
  });
}

// At the connection limit the oldest idle connection makes room (a client holding a connection
// open without sending must not lock GitHub out); when every connection is busy with a request,
// the newcomer is told 503 with Retry-After, bounded too, so that telling costs nothing unbounded.
void Server::admit(tcp::socket socket) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  const auto open = shared_->connections.load(std::memory_order_relaxed);
  if (open >= static_cast<std::int64_t>(options_.max_connections) &&
      !shed_idle(*shared_, IdleClose::connection_limit)) {
    if (shared_->refusing.load(std::memory_order_relaxed) >= kMaxRefusing) {
      shared_->routes.counters().refusal(ServerRefusal::connection_limit);
      log_throttled(shared_->routes, "connection_closed_unanswered", "connection_limit");
      socket.close(ignored);
      return;
    }
    std::make_shared<Session>(std::move(socket), shared_, false)->refuse_connection();
    return;
  }
  std::make_shared<Session>(std::move(socket), shared_, true)->start();
}

// Out of file descriptors (EMFILE, ENFILE) or memory, accept fails at once and again at once:
// retrying immediately spins a core and floods the log while nothing else gets served. Back off
// (10 ms doubling to 1 s, reset by the next accepted connection) and log once a second with how
// many failures that line stands for.
//
// Out of descriptors, the oldest idle connections are closed to make room: idle clients must not
// keep GitHub out until they time out.
void Server::accept_failed(const beast::error_code& ec) {
  shared_->routes.counters().accept_failed();
  std::size_t shed = 0;
  if (ec == asio::error::no_descriptors ||
      (ec.category() == asio::error::get_system_category() && ec.value() == ENFILE)) {
    while (shed < 8 && shed_idle(*shared_, IdleClose::out_of_descriptors)) ++shed;
  }
  ++accept_failures_;
  ++unlogged_accept_failures_;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_log_ >= std::chrono::seconds{1}) {
    spdlog::warn("{}", log_json::event("accept_failed", {{"error", ec.message()},
                                                         {"failures", unlogged_accept_failures_},
                                                         {"hint", "out of file descriptors? raise LimitNOFILE"}}));
    last_accept_log_ = now;
    unlogged_accept_failures_ = 0;
  }
  const auto shift = std::min<std::uint64_t>(accept_failures_ - 1, 7);
  // Connections just closed free their descriptors as soon as their threads run: retry soon.
  const auto delay = shed > 0
                         ? std::chrono::milliseconds{10}
                         : std::min(std::chrono::milliseconds{10} * (1u << shift), std::chrono::milliseconds{1000});
  accept_retry_->expires_after(delay);
  accept_retry_->async_wait([this](beast::error_code wait_error) {
    if (wait_error == asio::error::operation_aborted || !acceptor_->is_open()) return;
    accept();
  });
}

void Server::run() {
  // The control loop's own descriptors (epoll, the signal pipe, a timer) are taken first: once
  // connections are accepted they may use up every descriptor, and a throw from here with the
  // threads running would end the process.
  asio::io_context control;
  asio::signal_set signals(control, SIGTERM, SIGINT);
  asio::steady_timer timer(control);

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& context : contexts_) guards.push_back(asio::make_work_guard(*context));
  std::vector<std::thread> threads;
  threads.reserve(contexts_.size());
  for (auto& context : contexts_) {
    threads.emplace_back([&context] {
      for (;;) {
        try {
          context->run();
          return;
        } catch (const std::exception& e) {
          // A handler threw (a bug or the store failing in an unexpected way): log, keep serving.
          spdlog::error("{}", log_json::event("handler_exception", {{"error", e.what()}}));
        }
      }
    });
  }
  asio::post(*contexts_[0], [this] { accept(); });

  // The control loop: signals, then the bounded drain of in-flight requests.
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> wait_for_idle = [&] {
    const int busy = shared_->in_flight.load();
    if (busy == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (busy != 0) spdlog::warn("{}", log_json::event("shutdown_grace_expired", {{"in_flight", busy}}));
      return;
    }
    timer.expires_after(std::chrono::milliseconds(10));
    timer.async_wait([&](beast::error_code) { wait_for_idle(); });
  };
  signals.async_wait([&](beast::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("{}", log_json::event("shutdown", {{"signal", signal}}));
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
