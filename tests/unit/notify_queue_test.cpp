// notify::Queue with a fake Transport that can answer at once, answer late, or never answer (it
// then fails when the request's own timeout runs out, as http::Client does): post never waits,
// order is kept, every delivery is reported, and finish keeps its budget. Times are asserted
// loosely: far from the limits the queue must respect, never close to the budget itself.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/notify/queue.hpp"

namespace {

using namespace std::chrono_literals;
using deploy::config::Event;
using deploy::config::Notifications;
using deploy::config::NotificationTarget;
using deploy::http::TransportError;
using deploy::notify::Delivery;
using deploy::notify::Queue;
using steady = std::chrono::steady_clock;

struct Sent {
  std::string url;
  std::string body;
  std::optional<std::chrono::milliseconds> timeout;
};

// What the fake saw; shared with the test, since the queue owns the transport.
struct Log {
  std::mutex mutex;
  std::vector<Sent> sent;

  std::vector<Sent> snapshot() {
    std::lock_guard lock(mutex);
    return sent;
  }
};

// URLs with "/silent" never answer: the request fails with Kind::timeout once its own timeout has
// passed (after a minute without one, which fails the test). URLs with "/late" answer 200 after
// one second. Everything else answers 200 at once.
class FakeTransport final : public deploy::http::Transport {
 public:
  explicit FakeTransport(std::shared_ptr<Log> log) : log_(std::move(log)) {}

  deploy::http::Response send(const deploy::http::Request& request) override {
    {
      std::lock_guard lock(log_->mutex);
      log_->sent.push_back({request.url, request.body, request.timeout});
    }
    if (request.url.find("/silent") != std::string::npos) {
      std::this_thread::sleep_for(request.timeout.value_or(std::chrono::minutes{1}));
      throw TransportError(TransportError::Kind::timeout, "POST " + request.url + ": no answer");
    }
    if (request.url.find("/late") != std::string::npos) std::this_thread::sleep_for(1s);
    deploy::http::Response response;
    response.status = 200;
    return response;
  }

 private:
  std::shared_ptr<Log> log_;
};

NotificationTarget target(std::string url_env, std::vector<Event> on = {Event::started, Event::succeeded, Event::failed,
                                                                        Event::rolled_back}) {
  NotificationTarget t;
  t.url_env = std::move(url_env);
  t.on = std::move(on);
  return t;
}

deploy::notify::Event event_of(Event kind) {
  deploy::notify::Event e;
  e.kind = kind;
  e.environment = "production";
  e.version = "1.2.0";
  e.repository = "acme/app";
  return e;
}

deploy::notify::Lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<std::string> targets_of(const std::vector<Delivery>& deliveries) {
  std::vector<std::string> targets;
  for (const auto& d : deliveries) targets.push_back(d.target);
  return targets;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kSlackUrl = "https://hooks.slack.com/services/T0/B0/SECRETtoken123";
const std::string kSilentSlackUrl = "https://hooks.slack.com/silent/T0/B0/SECRETtoken123";

}  // namespace

TEST_CASE("every post is delivered in the order posted, and finish reports each target's result") {
  auto log = std::make_shared<Log>();
  Notifications n;
  n.slack = target("SLACK");
  n.webhooks = {target("HOOK_A"), target("HOOK_B", {Event::failed}), target("HOOK_UNSET")};
  const auto env = env_of(
      {{"SLACK", kSlackUrl}, {"HOOK_A", "https://hooks.example.com/a"}, {"HOOK_B", "https://hooks.example.com/b"}});
  Queue queue(std::make_unique<FakeTransport>(log));
  queue.post(n, event_of(Event::started), env);
  queue.post(n, event_of(Event::failed), env);
  const auto deliveries = queue.finish(10s);

  CHECK(targets_of(deliveries) == std::vector<std::string>{"slack", "webhook[0]", "webhook[2]", "slack", "webhook[0]",
                                                           "webhook[1]", "webhook[2]"});
  for (std::size_t i : {0, 1, 3, 4, 5}) {
    CAPTURE(i);
    CHECK(deliveries[i].ok);
    CHECK(deliveries[i].attempts == 1);
  }
  // A variable that is not set fails its target when posted; nothing is sent for it.
  for (std::size_t i : {2, 6}) {
    CHECK_FALSE(deliveries[i].ok);
    CHECK(deliveries[i].attempts == 0);
    CHECK(contains(deliveries[i].error, "webhook[2]: HOOK_UNSET is not set"));
  }

  const auto sent = log->snapshot();
  REQUIRE(sent.size() == 5);
  const std::vector<std::string> urls = {kSlackUrl, "https://hooks.example.com/a", kSlackUrl,
                                         "https://hooks.example.com/a", "https://hooks.example.com/b"};
  const std::vector<std::string> events = {"started", "started", "failed", "failed", "failed"};
  for (std::size_t i = 0; i < sent.size(); ++i) {
    CAPTURE(i);
    CHECK(sent[i].url == urls[i]);
    // Every request carries its own timeout, at most the attempt timeout.
    REQUIRE(sent[i].timeout.has_value());
    CHECK(*sent[i].timeout <= deploy::notify::QueueOptions{}.attempt_timeout);
  }
  CHECK(nlohmann::json::parse(sent[0].body) == deploy::notify::slack_payload(event_of(Event::started)));
  CHECK(nlohmann::json::parse(sent[1].body)["event"] == events[1]);
  CHECK(nlohmann::json::parse(sent[2].body) == deploy::notify::slack_payload(event_of(Event::failed)));
  CHECK(nlohmann::json::parse(sent[4].body) == deploy::notify::webhook_payload(event_of(Event::failed)));
}

TEST_CASE("a receiver that never answers: post returns at once; finish abandons what it had no time for") {
  auto log = std::make_shared<Log>();
  Notifications n;
  n.slack = target("SLACK");
  n.webhooks = {target("HOOK")};
  const auto env = env_of({{"SLACK", kSilentSlackUrl}, {"HOOK", "https://hooks.example.com/h"}});
  Queue queue(std::make_unique<FakeTransport>(log), deploy::notify::QueueOptions{2s});

  const auto posting = steady::now();
  queue.post(n, event_of(Event::started), env);
  queue.post(n, event_of(Event::succeeded), env);
  CHECK(steady::now() - posting < 1s);  // the silent receiver holds the worker, not the caller
  while (log->snapshot().empty()) std::this_thread::sleep_for(1ms);

  // The attempt in flight started before finish with its full 2 s; finish lets it end, starts no
  // retry, and sends nothing else.
  const auto finishing = steady::now();
  const auto deliveries = queue.finish(500ms);
  CHECK(steady::now() - finishing < 10s);

  REQUIRE(deliveries.size() == 4);
  CHECK(targets_of(deliveries) == std::vector<std::string>{"slack", "webhook[0]", "slack", "webhook[0]"});
  CHECK(deliveries[0].error ==
        "slack: sending to the URL in SLACK failed: it did not answer in time (no time was left to retry)");
  CHECK(
      deliveries[1].error ==
      "webhook[0]: the started notification was abandoned: not sent within the 500ms the run waits for notifications");
  CHECK(deliveries[2].error ==
        "slack: the succeeded notification was abandoned: not sent within the 500ms the run waits for notifications");
  for (const auto& d : deliveries) {
    CHECK_FALSE(d.ok);
    CHECK_FALSE(contains(d.error, "SECRETtoken123"));
    CHECK_FALSE(contains(d.error, "hooks."));
  }
  const auto sent = log->snapshot();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].url == kSilentSlackUrl);
}

TEST_CASE("an attempt that starts after finish is cut at finish's deadline, not at the attempt timeout") {
  auto log = std::make_shared<Log>();
  Notifications n;
  n.webhooks = {target("LATE"), target("SILENT")};
  const auto env = env_of({{"LATE", "https://hooks.example.com/late"}, {"SILENT", "https://hooks.example.com/silent"}});
  // An attempt timeout that finish must not wait for.
  Queue queue(std::make_unique<FakeTransport>(log), deploy::notify::QueueOptions{std::chrono::minutes{1}});
  queue.post(n, event_of(Event::failed), env);

  // The late receiver holds the worker for a second, so the silent one starts after finish began.
  const auto finishing = steady::now();
  const auto deliveries = queue.finish(3s);
  CHECK(steady::now() - finishing < 20s);

  REQUIRE(deliveries.size() == 2);
  CHECK(deliveries[0].ok);
  CHECK_FALSE(deliveries[1].ok);
  CHECK(deliveries[1].error ==
        "webhook[1]: sending to the URL in SILENT failed: it did not answer in time (no time was left to retry)");
  const auto sent = log->snapshot();
  REQUIRE(sent.size() == 2);  // no retry past the deadline
  REQUIRE(sent[1].timeout.has_value());
  CHECK(*sent[1].timeout <= 3s);
}

TEST_CASE("destroying a queue without finish abandons what is queued and starts no retry") {
  auto log = std::make_shared<Log>();
  Notifications n;
  n.slack = target("SLACK");
  n.webhooks = {target("HOOK")};
  const auto env = env_of({{"SLACK", kSilentSlackUrl}, {"HOOK", "https://hooks.example.com/h"}});
  const auto started = steady::now();
  {
    Queue queue(std::make_unique<FakeTransport>(log), deploy::notify::QueueOptions{500ms});
    queue.post(n, event_of(Event::started), env);
    // Let the worker start the silent attempt before the queue goes away.
    while (log->snapshot().empty()) std::this_thread::sleep_for(1ms);
  }
  CHECK(steady::now() - started < 10s);
  const auto sent = log->snapshot();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].url == kSilentSlackUrl);
}

TEST_CASE("post after finish is refused: the notification would never be sent") {
  Notifications n;
  n.slack = target("SLACK");
  Queue queue(std::make_unique<FakeTransport>(std::make_shared<Log>()));
  CHECK(queue.finish(1s).empty());
  CHECK_THROWS_AS(queue.post(n, event_of(Event::started), env_of({{"SLACK", kSlackUrl}})), std::logic_error);
}
