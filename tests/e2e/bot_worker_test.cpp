// The worker over a real store (a temporary SQLite file) with a scripted handler: what each kind of
// outcome does to the delivery (done, ignored, retried later, failed for good with the error), and
// that notify() wakes it without waiting for the poll interval.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "bot/metrics.hpp"
#include "bot/worker.hpp"
#include "core/github/error.hpp"
#include "core/store/store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_store.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace store = deploy::store;
namespace bot = deploy::bot;

namespace {

// A store of the test's own in a TempDir (or a PostgreSQL database: DEPLOY_TEST_STORE); closed
// before the directory or the database goes.
class TempStore {
 public:
  TempStore() { store_ = std::make_unique<store::Store>(place_.options()); }
  store::Store& operator*() { return *store_; }

 private:
  deploy::test::TempDir dir_;
  deploy::test::TestStore place_{dir_.db()};
  std::unique_ptr<store::Store> store_;  // declared last: destroyed first
};

// Runs the behaviour registered for the delivery's event; counts calls per delivery.
class ScriptedHandler final : public bot::Handler {
 public:
  std::map<std::string, std::function<bot::HandleResult(int call)>> by_event;
  bot::HandleResult handle(const store::Delivery& delivery) override {
    int call = 0;
    {
      std::lock_guard lock(mutex_);
      call = ++calls_[delivery.delivery_id];
    }
    return by_event.at(delivery.event)(call);
  }
  int calls(const std::string& id) {
    std::lock_guard lock(mutex_);
    return calls_[id];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> calls_;
};

void ingest(store::Store& db, const std::string& id, const std::string& event) {
  store::IncomingDelivery d;
  d.delivery_id = id;
  d.event = event;
  d.installation_id = 42;
  d.repository = "acme/app";
  d.received_at = std::chrono::system_clock::now();
  d.body = "{}";
  db.queue().ingest(d);
}

bool wait_state(store::Store& db, const std::string& id, store::DeliveryState state,
                std::chrono::seconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto d = db.queue().delivery(id);
    if (d && d->state == state) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

deploy::github::GitHubError github_error(int status, const std::string& code) {
  deploy::github::ErrorDetails details;
  details.status = status;
  details.code = code;
  details.message = "scripted";
  return deploy::github::GitHubError(details);
}

}  // namespace

TEST_CASE("the worker records done, ignored, retries transient failures and fails permanent ones") {
  TempStore db;
  ScriptedHandler handler;
  handler.by_event["ok"] = [](int) { return bot::HandleResult::done; };
  handler.by_event["nothing"] = [](int) { return bot::HandleResult::ignored; };
  handler.by_event["flaky"] = [](int call) {
    if (call < 3) throw github_error(502, "github_server_error");
    return bot::HandleResult::done;
  };
  handler.by_event["bad"] = [](int) -> bot::HandleResult { throw bot::PermanentError("no repository object"); };
  handler.by_event["refused"] = [](int) -> bot::HandleResult { throw github_error(422, "github_validation_failed"); };
  handler.by_event["hopeless"] = [](int) -> bot::HandleResult { throw bot::TransientError("callback refused"); };

  bot::Metrics metrics;
  deploy::SystemClock clock;
  bot::WorkerOptions options;
  options.threads = 2;
  options.poll_interval = 20ms;
  options.retry.base = 10ms;
  options.retry.max = 40ms;
  options.retry.max_attempts = 4;
  bot::Worker worker(*db, handler, metrics, clock, options);
  worker.start();
  for (const char* event : {"ok", "nothing", "flaky", "bad", "refused", "hopeless"})
    ingest(*db, std::string("d-") + event, event);
  worker.notify();

  CHECK(wait_state(*db, "d-ok", store::DeliveryState::done));
  CHECK(wait_state(*db, "d-nothing", store::DeliveryState::ignored));
  CHECK(wait_state(*db, "d-flaky", store::DeliveryState::done));
  CHECK(handler.calls("d-flaky") == 3);
  CHECK(wait_state(*db, "d-bad", store::DeliveryState::failed));
  CHECK((*db).queue().delivery("d-bad")->last_error == "no repository object");
  CHECK(handler.calls("d-bad") == 1);
  CHECK(wait_state(*db, "d-refused", store::DeliveryState::failed));
  CHECK(handler.calls("d-refused") == 1);
  CHECK(wait_state(*db, "d-hopeless", store::DeliveryState::failed));
  CHECK(handler.calls("d-hopeless") == 4);  // max_attempts, then it gives up
  CHECK((*db).queue().delivery("d-hopeless")->last_error == "callback refused");
  worker.stop();

  const std::string text = metrics.render(0);
  CHECK(text.find("deploy_bot_jobs_total{result=\"done\"} 2\n") != std::string::npos);
  CHECK(text.find("deploy_bot_jobs_total{result=\"ignored\"} 1\n") != std::string::npos);
  CHECK(text.find("deploy_bot_jobs_total{result=\"retry\"} 5\n") != std::string::npos);
  CHECK(text.find("deploy_bot_jobs_total{result=\"failed\"} 3\n") != std::string::npos);
  CHECK(text.find("deploy_bot_handle_seconds_count 11\n") != std::string::npos);
}

TEST_CASE("notify wakes an idle worker long before the poll interval; stop leaves queued work queued") {
  TempStore db;
  ScriptedHandler handler;
  handler.by_event["ok"] = [](int) { return bot::HandleResult::done; };
  bot::Metrics metrics;
  deploy::SystemClock clock;
  bot::WorkerOptions options;
  options.threads = 1;
  options.poll_interval = 60s;  // a missed wake-up would time the check out
  bot::Worker worker(*db, handler, metrics, clock, options);
  worker.start();
  ingest(*db, "d-1", "ok");
  worker.notify();
  CHECK(wait_state(*db, "d-1", store::DeliveryState::done, 10s));
  worker.stop();
  ingest(*db, "d-2", "ok");
  CHECK((*db).queue().delivery("d-2")->state == store::DeliveryState::queued);
  CHECK(handler.calls("d-2") == 0);
}

TEST_CASE("the worker threads handle jobs at a lower priority than the threads that answer GitHub") {
  TempStore db;
  ScriptedHandler handler;
  std::atomic<int> seen{-100};
  handler.by_event["ok"] = [&](int) {
    errno = 0;
    seen = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));  // this thread's nice value
    return bot::HandleResult::done;
  };
  bot::Metrics metrics;
  deploy::SystemClock clock;
  bot::WorkerOptions options;
  options.threads = 1;
  options.poll_interval = 20ms;
  const int process_nice = ::getpriority(PRIO_PROCESS, 0);
  bot::Worker worker(*db, handler, metrics, clock, options);
  worker.start();
  ingest(*db, "d-1", "ok");
  worker.notify();
  CHECK(wait_state(*db, "d-1", store::DeliveryState::done));
  worker.stop();
  CHECK(options.nice > 0);
  CHECK(seen.load() == std::min(process_nice + options.nice, 19));  // 19: Linux's lowest priority
  CHECK(::getpriority(PRIO_PROCESS, 0) == process_nice);            // the caller's thread is untouched
}

// SQLite only: there one process holds the store, so whatever runs at start is a dead process's.
// PostgreSQL's replicas wait for the lease instead (e2e.store_replicas.postgres).
TEST_CASE("a delivery left running by a dead process is run again at start" *
          doctest::skip(deploy::test::postgres_selected())) {
  TempStore db;
  ingest(*db, "d-crashed", "ok");
  REQUIRE((*db).queue().claim_next("dead-worker", std::chrono::system_clock::now(), 4).has_value());
  ScriptedHandler handler;
  handler.by_event["ok"] = [](int) { return bot::HandleResult::done; };
  bot::Metrics metrics;
  deploy::SystemClock clock;
  bot::Worker worker(*db, handler, metrics, clock, bot::WorkerOptions{});
  worker.start();
  CHECK(wait_state(*db, "d-crashed", store::DeliveryState::done));
  CHECK(handler.calls("d-crashed") == 1);
}

TEST_CASE(
    "the worker prunes the bodies of old handled deliveries by its clock, keeping newer ones and the audit trail") {
  TempStore db;
  const auto real_now = std::chrono::system_clock::now();
  const auto day = std::chrono::hours(24);
  deploy::ManualClock clock(real_now + 40 * day);  // not advanced while the worker runs
  auto add = [&](const std::string& id, std::chrono::system_clock::time_point at) {
    store::IncomingDelivery d;
    d.delivery_id = id;
    d.event = "ok";
    d.installation_id = 42;
    d.repository = "acme/app";
    d.received_at = at;
    d.body = R"({"action":"created"})";
    (*db).queue().ingest(d);
  };
  add("d-old", real_now);             // 40 days old by the worker's clock
  add("d-new", real_now + 39 * day);  // 1 day old
  {
    auto tx = (*db).transaction();
    (*db).audit().append(0, R"({"seq":0})", "h0");
    tx.commit();
  }
  ScriptedHandler handler;
  handler.by_event["ok"] = [](int) { return bot::HandleResult::done; };
  bot::Metrics metrics;
  bot::WorkerOptions options;
  options.threads = 1;
  options.poll_interval = 20ms;
  options.prune_interval = 20ms;
  options.delivery_body_retention = 30 * day;
  bot::Worker worker(*db, handler, metrics, clock, options);
  worker.start();
  CHECK(wait_state(*db, "d-old", store::DeliveryState::done));
  CHECK(wait_state(*db, "d-new", store::DeliveryState::done));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(*db).queue().delivery("d-old")->body.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  worker.stop();
  CHECK((*db).queue().delivery("d-old")->body.empty());
  CHECK((*db).queue().delivery("d-old")->state == store::DeliveryState::done);  // the row stays, for de-duplication
  CHECK((*db).queue().delivery("d-new")->body == R"({"action":"created"})");
  CHECK((*db).audit().records(0, 10).size() == 1);
}

namespace {

// A clock the test moves by hand, safe to read from the worker's threads.
class SharedManualClock final : public deploy::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::milliseconds{ms_.load()}};
  }
  void sleep_for(std::chrono::milliseconds duration) override { ms_ += duration.count(); }
  void advance(std::chrono::milliseconds duration) { ms_ += duration.count(); }

 private:
  std::atomic<std::int64_t> ms_{
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count()};
};

}  // namespace

// Issue 13, finding 5: an hour-long primary-limit exhaustion used to burn the retry schedule
// (10 tries over ~13 minutes) and fail the delivery for good.
TEST_CASE("a used-up primary rate limit parks the installation's jobs until the reset, without counting an attempt") {
  TempStore db;
  SharedManualClock clock;
  ScriptedHandler handler;
  handler.by_event["limited"] = [&clock](int call) {
    if (call == 1) {
      deploy::github::ErrorDetails details;
      details.status = 403;
      details.code = "github_rate_limited";
      details.message = "API rate limit exceeded for installation ID 42.";
      details.retry_at = clock.now() + 1h;
      details.primary_rate_limit = true;
      throw deploy::github::GitHubError(details);
    }
    return bot::HandleResult::done;
  };
  handler.by_event["ok"] = [](int) { return bot::HandleResult::done; };
  bot::Metrics metrics;
  bot::WorkerOptions options;
  options.threads = 1;
  options.poll_interval = 10ms;
  options.retry.max_attempts = 1;  // any counted failure would fail the delivery for good
  ingest(*db, "d-limited", "limited");
  ingest(*db, "d-later", "ok");  // same installation, queued behind it
  bot::Worker worker(*db, handler, metrics, clock, options);
  worker.start();

  const auto parked = [&] {
    auto d = (*db).queue().delivery("d-limited");
    // The metrics are counted after the store records the park.
    return handler.calls("d-limited") == 1 && d && d->state == store::DeliveryState::queued &&
           metrics.render(2).find("deploy_bot_jobs_total{result=\"parked\"} 1\n") != std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!parked() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  REQUIRE(parked());
  const auto limited = *(*db).queue().delivery("d-limited");
  CHECK(limited.attempts == 0);  // waiting out the limit did not use up a try
  CHECK(limited.next_attempt_at >= clock.now() + 1h);
  // The installation's other queued job waits for the reset too instead of hitting the limit.
  CHECK((*db).queue().delivery("d-later")->next_attempt_at >= clock.now() + 1h);
  CHECK(handler.calls("d-later") == 0);
  std::string text = metrics.render(2);
  CHECK(text.find("deploy_bot_jobs_total{result=\"parked\"} 1\n") != std::string::npos);
  CHECK(text.find("deploy_bot_rate_limit_parked_installations 1\n") != std::string::npos);
  CHECK(text.find("deploy_bot_rate_limit_parked_seconds_total 3600") != std::string::npos);

  clock.advance(1h + 2s);  // the limit has reset
  worker.notify();
  CHECK(wait_state(*db, "d-limited", store::DeliveryState::done));
  CHECK(wait_state(*db, "d-later", store::DeliveryState::done));
  worker.stop();
  CHECK((*db).queue().delivery("d-limited")->attempts == 1);
  text = metrics.render(0);
  CHECK(text.find("deploy_bot_rate_limit_parked_installations 0\n") != std::string::npos);
  CHECK(text.find("deploy_bot_jobs_total{result=\"failed\"} 0\n") != std::string::npos);
}
