// Analysis checks against a real endpoint and a real process: a check's `timeout` ends an http or
// Prometheus check whose endpoint answers late, and a command that runs too long, each long before
// the endpoint (or the command) would have finished. Times are asserted loosely: well below the
// endpoint's delay, never close to the timeout itself.
#include <doctest/doctest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/checks/checks.hpp"
#include "core/clock.hpp"
#include "core/http/client.hpp"

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A Prometheus answer with one sample, which an http check (status 200) accepts too.
constexpr const char* kAnswer =
    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}})";

// Answers every request with kAnswer after `delay`, one connection at a time, on 127.0.0.1:0.
// Destruction does not wait for the delay: it wakes the server and joins it.
class SlowServer {
 public:
  explicit SlowServer(std::chrono::milliseconds delay) : delay_(delay) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~SlowServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    // A blocking accept only returns for a connection: make one.
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  SlowServer(const SlowServer&) = delete;
  SlowServer& operator=(const SlowServer&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  void serve() {
    for (;;) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopped()) return;
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> request;
      bhttp::read(socket, buffer, request, ec);
      if (ec) continue;
      {
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, delay_, [this] { return stopping_; })) return;
      }
      bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
      response.set(bhttp::field::content_type, "application/json");
      response.keep_alive(false);
      response.body() = kAnswer;
      response.prepare_payload();
      bhttp::write(socket, response, ec);  // the client may have given up and closed: nothing to do
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  bool stopped() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  std::chrono::milliseconds delay_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// The client's own limits are far longer than the checks' timeouts, as in the action (30 s read).
deploy::http::Client make_client() {
  deploy::http::ClientOptions options;
  options.https_proxy = "";
  options.no_proxy = "";
  return deploy::http::Client(options);
}

deploy::config::Check check_of(std::string name, std::chrono::milliseconds timeout,
                               decltype(deploy::config::Check::probe) probe) {
  deploy::config::Check check;
  check.name = std::move(name);
  check.timeout = timeout;
  check.probe = std::move(probe);
  return check;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct Timed {
  deploy::analysis::Sample sample;
  std::chrono::steady_clock::duration took;
};

Timed run_timed(const deploy::config::Check& check, deploy::http::Transport& transport) {
  deploy::SystemClock clock;
  deploy::checks::Probes probes{transport, clock, {}, nullptr};
  const auto started = std::chrono::steady_clock::now();
  auto sample = deploy::checks::run_check(check, probes);
  return {std::move(sample), std::chrono::steady_clock::now() - started};
}

constexpr auto kServerDelay = 8s;

}  // namespace

TEST_CASE("an http check whose endpoint answers after its timeout fails with the timeout, without waiting") {
  SlowServer server(kServerDelay);
  auto client = make_client();
  deploy::config::HttpCheck http;
  http.url = server.url("/healthz");
  const auto timed = run_timed(check_of("slow-http", 1s, http), client);
  INFO(timed.sample.message);
  CHECK_FALSE(timed.sample.ok);
  CHECK(timed.sample.message ==
        "check 'slow-http': GET " + server.url("/healthz") + " timed out after 1s (the check's timeout)");
  CHECK(timed.took < kServerDelay / 2);
}

TEST_CASE("a Prometheus check whose server answers after its timeout fails with the timeout, without waiting") {
  SlowServer server(kServerDelay);
  auto client = make_client();
  deploy::config::PrometheusCheck prometheus;
  prometheus.url = server.url("");
  prometheus.query = "up";
  prometheus.thresholds.min = 1;
  const auto timed = run_timed(check_of("slow-prometheus", 1s, prometheus), client);
  INFO(timed.sample.message);
  CHECK_FALSE(timed.sample.ok);
  CHECK(contains(timed.sample.message, "check 'slow-prometheus': Prometheus at "));
  CHECK(contains(timed.sample.message, " timed out after 1s (the check's timeout)"));
  CHECK(timed.took < kServerDelay / 2);
}

TEST_CASE("a command check that runs past its timeout is stopped and fails with the timeout") {
  auto client = make_client();
  deploy::config::CommandCheck command;
  command.run = "echo measuring; sleep 8";
  const auto timed = run_timed(check_of("slow-command", 1s, command), client);
  INFO(timed.sample.message);
  CHECK_FALSE(timed.sample.ok);
  CHECK(timed.sample.message == "check 'slow-command': command timed out after 1s: measuring");
  CHECK(timed.took < kServerDelay / 2);
}

TEST_CASE("checks answered within their timeout pass: the timeout does not cut a prompt answer") {
  SlowServer server(0ms);
  auto client = make_client();
  deploy::config::HttpCheck http;
  http.url = server.url("/healthz");
  CHECK(run_timed(check_of("http", 5s, http), client).sample.ok);
  deploy::config::PrometheusCheck prometheus;
  prometheus.url = server.url("");
  prometheus.query = "up";
  prometheus.thresholds.min = 1;
  const auto timed = run_timed(check_of("prometheus", 5s, prometheus), client);
  CHECK(timed.sample.ok);
  CHECK(timed.sample.value == 1.0);
}
