// Notifications over real sockets: a small HTTP receiver on 127.0.0.1 (Beast, synchronous, one
// thread) records what arrives and answers with scripted statuses; send_all posts to it through
// the real http::Client. notify::Queue is run against a receiver that never answers.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/notify/notify.hpp"
#include "core/notify/queue.hpp"
#include "tests/support/silent_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using deploy::config::Event;
using deploy::config::Notifications;
using deploy::config::NotificationTarget;

struct Received {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
};

// Answers each request with the next scripted status (200 once the script is used up) and closes
// the connection after each answer, so one thread serves the client's connections in turn.
class Receiver {
 public:
  explicit Receiver(std::vector<int> statuses = {}) : statuses_(statuses.begin(), statuses.end()) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~Receiver() {
    stopping_ = true;
    // Wake the blocking accept with a connection of our own; serve() sees stopping_ and returns.
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> request;
      bhttp::read(socket, buffer, request, ec);
      if (ec) continue;
      int status = 200;
      {
        std::lock_guard lock(mutex_);
        received_.push_back({std::string(request.method_string()), std::string(request.target()),
                             std::string(request[bhttp::field::content_type]), request.body()});
        if (!statuses_.empty()) {
          status = statuses_.front();
          statuses_.pop_front();
        }
      }
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
      response.set(bhttp::field::content_type, "text/plain");
      response.keep_alive(false);
      response.body() = status == 200 ? "ok" : "receiver error for " + std::string(request.target());
      response.prepare_payload();
      bhttp::write(socket, response, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::deque<int> statuses_;
  std::vector<Received> received_;
  std::thread thread_;
};

NotificationTarget target(std::string url_env, std::vector<Event> on, std::vector<std::string> environments = {}) {
  NotificationTarget t;
  t.url_env = std::move(url_env);
  t.on = std::move(on);
  t.environments = std::move(environments);
  return t;
}

const std::vector<Event> kAll = {Event::started, Event::succeeded, Event::failed, Event::rolled_back};

deploy::notify::Event event_of(Event kind, std::string environment = "production") {
  deploy::notify::Event e;
  e.kind = kind;
  e.environment = std::move(environment);
  e.version = "1.2.0";
  e.sha = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";
  e.previous_version = "1.1.0";
  e.status = "failure";
  e.message = "stage deploy failed: exit 1";
  e.repository = "acme/app";
  e.actor = "alice";
  return e;
}

deploy::notify::Lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Short timeouts: a broken test fails in seconds, not minutes.
deploy::http::Client make_client() {
  auto options = deploy::notify::client_options();
  options.connect_timeout = std::chrono::seconds{5};
  options.read_timeout = std::chrono::seconds{5};
  options.https_proxy = "";
  options.no_proxy = "";
  return deploy::http::Client(options);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the delivered webhook body is webhook_payload, posted as JSON; Slack gets slack_payload") {
  Receiver receiver;
  Notifications n;
  n.slack = target("SLACK_WEBHOOK_URL", kAll);
  n.webhooks = {target("DEPLOY_HOOK", kAll)};
  const auto env = env_of({{"SLACK_WEBHOOK_URL", receiver.url("/services/T0/B0/secret")},
                           {"DEPLOY_HOOK", receiver.url("/hooks/deploy?token=abc")}});
  auto client = make_client();
  const auto event = event_of(Event::failed);

  const auto deliveries = deploy::notify::send_all(n, event, client, env);
  REQUIRE(deliveries.size() == 2);
  CHECK(deliveries[0].ok);
  CHECK(deliveries[1].ok);
  CHECK(deliveries[0].error == "");

  const auto got = receiver.received();
  REQUIRE(got.size() == 2);
  CHECK(got[0].method == "POST");
  CHECK(got[0].target == "/services/T0/B0/secret");
  CHECK(got[0].content_type == "application/json");
  CHECK(nlohmann::json::parse(got[0].body) == deploy::notify::slack_payload(event));
  CHECK(got[1].method == "POST");
  CHECK(got[1].target == "/hooks/deploy?token=abc");
  CHECK(got[1].content_type == "application/json");
  CHECK(nlohmann::json::parse(got[1].body) == deploy::notify::webhook_payload(event));
}

TEST_CASE("the on and environments filters decide who is told") {
  Receiver receiver;
  Notifications n;
  n.webhooks = {target("ALL", kAll), target("FAILURES", {Event::failed, Event::rolled_back}),
                target("STAGING", kAll, {"staging"})};
  const auto env = env_of(
      {{"ALL", receiver.url("/all")}, {"FAILURES", receiver.url("/failures")}, {"STAGING", receiver.url("/staging")}});
  auto client = make_client();

  struct Case {
    Event kind;
    std::string environment;
    std::vector<std::string> targets;  // paths that receive it, in order
  };
  const std::vector<Case> cases = {
      {Event::started, "production", {"/all"}},
      {Event::failed, "production", {"/all", "/failures"}},
      {Event::succeeded, "staging", {"/all", "/staging"}},
      {Event::rolled_back, "staging", {"/all", "/failures", "/staging"}},
  };
  std::size_t seen = 0;
  for (const auto& c : cases) {
    CAPTURE(deploy::config::to_string(c.kind));
    CAPTURE(c.environment);
    const auto deliveries = deploy::notify::send_all(n, event_of(c.kind, c.environment), client, env);
    CHECK(deliveries.size() == c.targets.size());
    for (const auto& d : deliveries) CHECK(d.ok);
    const auto got = receiver.received();
    REQUIRE(got.size() == seen + c.targets.size());
    for (std::size_t i = 0; i < c.targets.size(); ++i) {
      CHECK(got[seen + i].target == c.targets[i]);
      CHECK(nlohmann::json::parse(got[seen + i].body)["event"] == deploy::config::to_string(c.kind));
    }
    seen = got.size();
  }
}

TEST_CASE("a 500 answer is retried once and then delivered") {
  Receiver receiver({500});
  Notifications n;
  n.webhooks = {target("HOOK", kAll)};
  auto client = make_client();
  const auto deliveries =
      deploy::notify::send_all(n, event_of(Event::succeeded), client, env_of({{"HOOK", receiver.url("/h")}}));
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0].ok);
  CHECK(deliveries[0].attempts == 2);
  const auto got = receiver.received();
  REQUIRE(got.size() == 2);
  CHECK(got[0].body == got[1].body);
}

TEST_CASE("two 500 answers fail the delivery without showing the URL, even when the receiver echoes it") {
  Receiver receiver({500, 502});
  Notifications n;
  n.webhooks = {target("HOOK", kAll)};
  auto client = make_client();
  const std::string path = "/services/T0/B0/xoxb-secret-path";
  const auto deliveries =
      deploy::notify::send_all(n, event_of(Event::failed), client, env_of({{"HOOK", receiver.url(path)}}));
  REQUIRE(deliveries.size() == 1);
  CHECK_FALSE(deliveries[0].ok);
  CHECK(deliveries[0].attempts == 2);
  CHECK(deliveries[0].error ==
        "webhook[0]: the URL in HOOK answered HTTP 502: receiver error for *** (after 2 attempts)");
  CHECK(receiver.received().size() == 2);
}

TEST_CASE("a receiver that is down fails the delivery after one retry; the error names the variable, not the URL") {
  // A port that was just free: nothing listens on it.
  std::string url;
  {
    Receiver gone;
    url = gone.url("/services/T0/B0/secret-token-123");
  }
  Notifications n;
  n.slack = target("SLACK_WEBHOOK_URL", kAll);
  auto client = make_client();
  const auto deliveries =
      deploy::notify::send_all(n, event_of(Event::failed), client, env_of({{"SLACK_WEBHOOK_URL", url}}));
  REQUIRE(deliveries.size() == 1);
  CHECK_FALSE(deliveries[0].ok);
  CHECK(deliveries[0].attempts == 2);
  CHECK(deliveries[0].error ==
        "slack: sending to the URL in SLACK_WEBHOOK_URL failed: the connection was refused or could not be made "
        "(after 2 attempts)");
  for (const std::string& secret : {url, std::string("secret-token-123"), std::string("127.0.0.1")}) {
    CHECK(deliveries[0].error.find(secret) == std::string::npos);
  }
}

TEST_CASE("a missing variable fails only its target, and nothing is sent for it") {
  Receiver receiver;
  Notifications n;
  n.slack = target("SLACK_WEBHOOK_URL", kAll);
  n.webhooks = {target("HOOK", kAll)};
  auto client = make_client();
  const auto deliveries =
      deploy::notify::send_all(n, event_of(Event::started), client, env_of({{"HOOK", receiver.url("/h")}}));
  REQUIRE(deliveries.size() == 2);
  CHECK_FALSE(deliveries[0].ok);
  CHECK(deliveries[0].attempts == 0);
  CHECK(deliveries[0].error ==
        "slack: SLACK_WEBHOOK_URL is not set: store the webhook URL as a repository secret and pass it to the deploy "
        "step, e.g. `env: SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}`");
  CHECK(deliveries[1].ok);
  const auto got = receiver.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0].target == "/h");
}

TEST_CASE("a queue in front of a receiver that never answers: post returns at once, finish keeps its budget") {
  deploy::test::SilentServer silent;
  Receiver receiver;
  Notifications n;
  n.slack = target("SLACK_WEBHOOK_URL", kAll);
  n.webhooks = {target("HOOK", kAll)};
  const auto env =
      env_of({{"SLACK_WEBHOOK_URL", silent.url("/services/T0/B0/secret-token-123")}, {"HOOK", receiver.url("/h")}});
  // The client's own limits (10 s to connect, 10 s for the answer) are what the queue must not wait
  // for: each attempt is bounded by the queue, through the request's own timeout.
  auto options = deploy::notify::client_options();
  options.https_proxy = "";
  options.no_proxy = "";
  deploy::notify::Queue queue(std::make_unique<deploy::http::Client>(options),
                              deploy::notify::QueueOptions{std::chrono::seconds{1}});

  const auto posting = std::chrono::steady_clock::now();
  queue.post(n, event_of(Event::started), env);
  CHECK(std::chrono::steady_clock::now() - posting < std::chrono::seconds{1});

  const auto finishing = std::chrono::steady_clock::now();
  const auto deliveries = queue.finish(std::chrono::seconds{2});
  CHECK(std::chrono::steady_clock::now() - finishing < std::chrono::seconds{8});

  REQUIRE(deliveries.size() == 2);
  CHECK(deliveries[0].target == "slack");
  CHECK_FALSE(deliveries[0].ok);
  CHECK(contains(deliveries[0].error,
                 "slack: sending to the URL in SLACK_WEBHOOK_URL failed: it did not answer in time"));
  CHECK(deliveries[1].target == "webhook[0]");
  CHECK_FALSE(deliveries[1].ok);
  CHECK(contains(deliveries[1].error, "webhook[0]: "));
  CHECK(contains(deliveries[1].error, "not sent"));
  for (const auto& d : deliveries) {
    CHECK_FALSE(contains(d.error, "secret-token-123"));
    CHECK_FALSE(contains(d.error, "127.0.0.1"));
  }
  CHECK(silent.connections() >= 1);
  CHECK(receiver.received().empty());
}
