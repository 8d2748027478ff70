// deploy-bot's ingest side end to end: the real binary as a child process on a loopback port 0,
// real signed requests over HTTP, and the store read back with core/store once the bot is gone.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bot/handlers/registry.hpp"
#include "bot/payload.hpp"
#include "core/http/client.hpp"
#include "core/process/process.hpp"
#include "core/store/store.hpp"
#include "core/webhook/signature.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_store.hpp"
#include "tests/support/text.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace http = deploy::http;
namespace proc = deploy::process;
namespace store = deploy::store;
using deploy::test::count_of;
using deploy::test::eventually;
using deploy::test::read_file;
using deploy::test::TempDir;

namespace {

const std::string kSecret = "e2e-webhook-secret";

// The ingest side alone (no workers: deliveries stay queued), with the webhook secret unless the
// test gives another environment; max_files > 0 runs it out of file descriptors.
class Bot : public deploy::test::BotProcess {
 public:
  explicit Bot(const fs::path& store, std::map<std::string, std::string> env = {{"WEBHOOK_SECRET", kSecret}},
               int max_files = 0)
      : BotProcess({.store = store, .env = std::move(env), .workers = 0, .max_files = max_files}) {}
};

http::Request webhook_request(const Bot& bot, const std::string& event, const std::string& delivery,
                              const std::string& body, std::optional<std::string> signature = std::nullopt) {
  http::Request request;
  request.method = "POST";
  request.url = bot.url("/webhook");
  request.headers = {{"Content-Type", "application/json"}};
  if (!event.empty()) request.headers.emplace_back("X-GitHub-Event", event);
  if (!delivery.empty()) request.headers.emplace_back("X-GitHub-Delivery", delivery);
  const std::string sig = signature ? *signature : deploy::webhook::sign(kSecret, body);
  if (!sig.empty()) request.headers.emplace_back("X-Hub-Signature-256", sig);
  request.body = body;
  return request;
}

http::Response get(http::Client& client, const Bot& bot, const std::string& path, const std::string& method = "GET") {
  http::Request request;
  request.method = method;
  request.url = bot.url(path);
  return client.send(request);
}

void stop(Bot& bot) {
  bot.signal(SIGTERM);
  const auto result = bot.wait_exit();
  INFO(bot.output());
  CHECK(result.end == proc::Result::End::exited);
  CHECK(result.exit_code == 0);
}

std::string accepted(const std::string& delivery, const std::string& status) {
  return nlohmann::json{{"delivery", delivery}, {"status", status}}.dump() + "\n";
}

const std::string kPing = R"({"zen":"Keep it logically awesome.","hook_id":1,"repository":{"full_name":"octo/app"}})";

}  // namespace

TEST_CASE("without WEBHOOK_SECRET the bot refuses to start and names the variable") {
  TempDir dir;
  // Unset, empty, and blank (issue 13: a secret of one space was accepted).
  for (const auto& env : std::vector<std::map<std::string, std::string>>{
           {}, {{"WEBHOOK_SECRET", ""}}, {{"WEBHOOK_SECRET", " "}}, {{"WEBHOOK_SECRET", "\n"}}}) {
    CAPTURE(env.size());
    Bot bot(dir.db(), env);
    CHECK_FALSE(bot.wait_listening());
    const auto result = bot.wait_exit();
    CHECK(result.end == proc::Result::End::exited);
    CHECK(result.exit_code == 78);
    CHECK(bot.output().find("WEBHOOK_SECRET is not set, empty or only blanks") != std::string::npos);
    CHECK(bot.output().find("webhook_secret_missing") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir.db()));
}

TEST_CASE("invalid settings refuse to start with the reason code") {
  TempDir dir;
  struct Case {
    std::map<std::string, std::string> env;
    std::string code;
  };
  const std::vector<Case> cases = {
      {{{"DEPLOY_BOT_THREADS", "0"}}, "invalid_threads"},
      {{{"DEPLOY_BOT_THREADS", "two"}}, "invalid_threads"},
      {{{"GITHUB_TOKEN", "t"}, {"GITHUB_APP_ID", "1"}, {"GITHUB_APP_PRIVATE_KEY_PATH", "/k.pem"}},
       "github_credentials_conflict"},
      {{{"GITHUB_APP_ID", "1"}}, "github_app_incomplete"},
      {{{"GITHUB_APP_ID", "1"}, {"GITHUB_APP_PRIVATE_KEY_PATH", "/nonexistent/key.pem"}}, "invalid_private_key"},
      {{{"GITHUB_API_URL", "ftp://example.com"}}, "invalid_github_api_url"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.code);
    auto env = c.env;
    env["WEBHOOK_SECRET"] = kSecret;
    Bot bot(dir.db(), env);
    CHECK_FALSE(bot.wait_listening());
    const auto result = bot.wait_exit();
    CHECK(result.exit_code == 78);
    CHECK(bot.output().find("[" + c.code + "]") != std::string::npos);
  }
}

TEST_CASE("--help names every command, flag and variable; --version prints the version") {
  std::string out;
  proc::Spec spec;
  spec.argv = {DEPLOY_BOT_BINARY, "--help"};
  const auto result = proc::run(spec, [&](const std::string& line) { out += line + "\n"; });
  CHECK(result.succeeded());
  for (const char* word :
       {"serve", "--listen", "--store", "--version", "WEBHOOK_SECRET", "DEPLOY_BOT_LISTEN", "DEPLOY_BOT_STORE",
        "DEPLOY_BOT_THREADS", "DEPLOY_BOT_MAX_CONNECTIONS", "DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT",
        "DEPLOY_BOT_HEADER_TIMEOUT_SECONDS", "DEPLOY_BOT_BODY_TIMEOUT_SECONDS", "GITHUB_API_URL", "GITHUB_TOKEN",
        "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_PATH"}) {
    CAPTURE(word);
    CHECK(out.find(word) != std::string::npos);
  }
  std::string version;
  spec.argv = {DEPLOY_BOT_BINARY, "--version"};
  CHECK(proc::run(spec, [&](const std::string& line) { version += line; }).succeeded());
  CHECK(version.rfind("deploy-bot ", 0) == 0);
}

// What the bot stores for a payload and in which state: the compact record of what its handler
// reads (bot/payload.hpp), and queued unless no handler has anything to do with it.
struct Expected {
  std::string body;
  store::DeliveryState state;
};
Expected expected_for(const std::string& event, const std::string& body) {
  const auto summary = deploy::bot::summarize_payload(body, event);
  REQUIRE(summary);
  const auto state = deploy::bot::handlers::state_at_ingest(event, summary->action, summary->comment_body);
  if (state != store::DeliveryState::queued && !summary->record) return {"", state};
  return {summary->record.value_or(body), state};
}

TEST_CASE("every webhook example, signed, is accepted with 202 and stored once") {
  TempDir dir;
  deploy::test::TestStore place{dir.db()};  // SQLite in dir, or PostgreSQL (DEPLOY_TEST_STORE)
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(DEPLOY_WEBHOOK_EXAMPLES_DIR)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  REQUIRE(files.size() >= 10);

  Bot bot(place.location());
  REQUIRE(bot.wait_listening());
  http::Client client;
  std::int64_t jobs = 0;
  std::int64_t acknowledged = 0;
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    const std::string name = file.filename().string();
    const std::string event = name.substr(0, name.find('.'));
    const auto response = client.send(webhook_request(bot, event, "example-" + name, read_file(file)));
    CHECK(response.status == 202);
    const bool job = expected_for(event, read_file(file)).state == store::DeliveryState::queued;
    (job ? jobs : acknowledged) += 1;
    CHECK(response.body == accepted("example-" + name, job ? "queued" : "acknowledged"));
  }
  // The examples include comments without a command and events no handler wants.
  CHECK(acknowledged > 0);
  stop(bot);
  CHECK(bot.output().find(kSecret) == std::string::npos);  // the secret is never logged

  store::Store db(place.options());
  CHECK(db.queue().counts().queued == jobs);
  CHECK(db.queue().counts().ignored == acknowledged);
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    const std::string name = file.filename().string();
    const auto stored = db.queue().delivery("example-" + name);
    REQUIRE(stored.has_value());
    const std::string body = read_file(file);
    CHECK(stored->event == name.substr(0, name.find('.')));
    const auto expected = expected_for(stored->event, body);
    CHECK(stored->body == expected.body);
    CHECK(stored->state == expected.state);
    CHECK(stored->finished_at.has_value() == (expected.state != store::DeliveryState::queued));
    // The fields the worker's queue groups by are extracted exactly.
    const auto json = nlohmann::json::parse(body);
    CHECK(stored->action ==
          (json.contains("action") && json["action"].is_string() ? json["action"].get<std::string>() : ""));
    CHECK(stored->repository == (json.contains("repository") && json["repository"].contains("full_name")
                                     ? json["repository"]["full_name"].get<std::string>()
                                     : ""));
    CHECK(stored->installation_id == (json.contains("installation") && json["installation"].contains("id")
                                          ? json["installation"]["id"].get<std::int64_t>()
                                          : 0));
  }
}

TEST_CASE("refused deliveries get the right status and reason, and nothing is stored") {
  TempDir dir;
  deploy::test::TestStore place{dir.db()};  // SQLite in dir, or PostgreSQL (DEPLOY_TEST_STORE)
  Bot bot(place.location());
  REQUIRE(bot.wait_listening());
  http::Client client;

  struct Case {
    std::string name;
    http::Request request;
    int status;
    std::string reason;
  };
  const std::string other_secret_signature = deploy::webhook::sign("not-the-secret", kPing);
  std::vector<Case> cases = {
      {"missing signature", webhook_request(bot, "ping", "r1", kPing, ""), 401, "signature_missing"},
      {"wrong secret", webhook_request(bot, "ping", "r2", kPing, other_secret_signature), 401, "signature_mismatch"},
      {"signature of another body", webhook_request(bot, "ping", "r3", kPing, deploy::webhook::sign(kSecret, "{}")),
       401, "signature_mismatch"},
      {"malformed signature", webhook_request(bot, "ping", "r4", kPing, "sha1=abc"), 401, "signature_malformed"},
      {"bad JSON", webhook_request(bot, "ping", "r5", "{\"zen\":"), 400, "invalid_json"},
      {"JSON that is not an object", webhook_request(bot, "ping", "r6", "[1,2]"), 400, "payload_not_object"},
      {"missing X-GitHub-Event", webhook_request(bot, "", "r7", kPing), 400, "event_header_missing"},
      {"missing X-GitHub-Delivery", webhook_request(bot, "ping", "", kPing), 400, "delivery_header_invalid"},
      {"oversize body (25 MiB + 1)", webhook_request(bot, "ping", "r9", std::string(25 * 1024 * 1024 + 1, ' ')), 413,
       "body_too_large"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto response = client.send(c.request);
    CHECK(response.status == c.status);
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    REQUIRE(json.is_object());
    CHECK(json.value("error", "") == c.reason);
  }
  // Still serving after all of that.
  CHECK(get(client, bot, "/healthz").status == 200);
  stop(bot);

  store::Store db(place.options());
  const auto counts = db.queue().counts();
  CHECK(counts.queued + counts.running + counts.done + counts.failed + counts.ignored == 0);
  for (const char* id : {"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r9"})
    CHECK_FALSE(db.queue().delivery(id).has_value());
}

TEST_CASE("the same delivery ID twice: the second is a duplicate and there is one row") {
  TempDir dir;
  deploy::test::TestStore place{dir.db()};  // SQLite in dir, or PostgreSQL (DEPLOY_TEST_STORE)
  Bot bot(place.location());
  REQUIRE(bot.wait_listening());
  http::Client client;
  auto first = client.send(webhook_request(bot, "ping", "dup-1", kPing));
  CHECK(first.status == 202);
  CHECK(first.body == accepted("dup-1", "queued"));
  auto second = client.send(webhook_request(bot, "ping", "dup-1", kPing));
  CHECK(second.status == 202);
  CHECK(second.body == accepted("dup-1", "duplicate"));
  stop(bot);

  store::Store db(place.options());
  CHECK(db.queue().counts().queued == 1);
  CHECK(db.queue().delivery("dup-1").has_value());
}

TEST_CASE("a comment without a command is acknowledged without a job, and its redelivery is a duplicate") {
  TempDir dir;
  Bot bot(dir.db());
  REQUIRE(bot.wait_listening());
  http::Client client;
  auto comment = [](const std::string& text) {
    return nlohmann::json{
        {"action", "created"},
        {"comment", {{"id", 7}, {"body", text}, {"user", {{"login", "alice"}, {"type", "User"}}}}},
        {"issue", {{"number", 1}, {"pull_request", {{"url", "x"}}}, {"body", std::string(4000, 'd')}}},
        {"installation", {{"id", 42}}},
        {"repository", {{"full_name", "acme/app"}, {"name", "app"}, {"owner", {{"login", "acme"}}}}}}
        .dump();
  };
  const auto thanks = client.send(webhook_request(bot, "issue_comment", "c-thanks", comment("thanks, looks good")));
  CHECK(thanks.status == 202);
  CHECK(thanks.body == accepted("c-thanks", "acknowledged"));
  const auto again = client.send(webhook_request(bot, "issue_comment", "c-thanks", comment("thanks, looks good")));
  CHECK(again.body == accepted("c-thanks", "duplicate"));
  const auto approve = client.send(webhook_request(bot, "issue_comment", "c-approve", comment("/approve")));
  CHECK(approve.body == accepted("c-approve", "queued"));
  // An edit must reach its handler (an edited /approve stops counting), command or not.
  const auto edited = client.send(webhook_request(bot, "issue_comment", "c-edited", [&] {
    auto j = nlohmann::json::parse(comment("thanks"));
    j["action"] = "edited";
    return j.dump();
  }()));
  CHECK(edited.body == accepted("c-edited", "queued"));
  stop(bot);

  store::Store db(store::options_for(dir.db().string()));
  const auto counts = db.queue().counts();
  CHECK(counts.queued == 2);
  CHECK(counts.ignored == 1);
  const auto stored = db.queue().delivery("c-thanks");
  REQUIRE(stored.has_value());
  CHECK(stored->state == store::DeliveryState::ignored);
  CHECK(stored->attempts == 0);
  CHECK(stored->finished_at == stored->received_at);
  // The record of a pull request's comment leaves out the pull request's description.
  const auto queued = db.queue().delivery("c-approve");
  REQUIRE(queued.has_value());
  CHECK(queued->body.size() < 400);
  CHECK(nlohmann::json::parse(queued->body)["comment"]["body"] == "/approve");
}

TEST_CASE("healthz, readyz, metrics, unknown paths and wrong methods") {
  TempDir dir;
  deploy::test::TestStore place{dir.db()};  // SQLite in dir, or PostgreSQL (DEPLOY_TEST_STORE)
  Bot bot(place.location());
  REQUIRE(bot.wait_listening());
  http::Client client;

  REQUIRE(client.send(webhook_request(bot, "ping", "m-1", kPing)).status == 202);
  REQUIRE(client.send(webhook_request(bot, "ping", "m-1", kPing)).status == 202);
  REQUIRE(client.send(webhook_request(bot, "no_such_event", "m-2", kPing)).status == 202);  // no job
  REQUIRE(client.send(webhook_request(bot, "ping", "m-3", kPing, "")).status == 401);

  const auto health = get(client, bot, "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "{\"status\":\"ok\"}\n");
  const auto ready = get(client, bot, "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == "{\"status\":\"ready\"}\n");
  CHECK(get(client, bot, "/nope").status == 404);
  const auto wrong_method = get(client, bot, "/webhook", "GET");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.header("allow") == std::optional<std::string>("POST"));
  CHECK(get(client, bot, "/metrics", "POST").status == 405);

  const auto metrics = get(client, bot, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type").value_or("").rfind("text/plain; version=0.0.4", 0) == 0);
  INFO(metrics.body);
  for (const char* line : {
           "deploy_bot_deliveries_total{event=\"ping\",outcome=\"queued\"} 1\n",
           "deploy_bot_deliveries_total{event=\"ping\",outcome=\"duplicate\"} 1\n",
           "deploy_bot_deliveries_total{event=\"other\",outcome=\"acknowledged\"} 1\n",
           "deploy_bot_deliveries_total{event=\"ping\",outcome=\"bad_signature\"} 1\n",
           "deploy_bot_queue_depth 1\n",
           "deploy_bot_http_requests_total{path=\"/webhook\",status=\"202\"} 3\n",
           "deploy_bot_http_requests_total{path=\"/webhook\",status=\"401\"} 1\n",
           "deploy_bot_http_requests_total{path=\"/webhook\",status=\"405\"} 1\n",
           "deploy_bot_http_requests_total{path=\"/healthz\",status=\"200\"} 1\n",
           "deploy_bot_http_requests_total{path=\"/readyz\",status=\"200\"} 1\n",
           "deploy_bot_http_requests_total{path=\"/metrics\",status=\"405\"} 1\n",
           "deploy_bot_http_requests_total{path=\"other\",status=\"404\"} 1\n",
           "# TYPE deploy_bot_ingest_seconds histogram\n",
           "deploy_bot_ingest_seconds_bucket{le=\"+Inf\"} 3\n",
           "deploy_bot_ingest_seconds_count 3\n",
       }) {
    CAPTURE(line);
    CHECK(metrics.body.find(line) != std::string::npos);
  }
  stop(bot);
}

TEST_CASE("SIGKILL while deliveries are being sent loses no acknowledged delivery") {
  TempDir dir;
  deploy::test::TestStore place{dir.db()};  // SQLite in dir, or PostgreSQL (DEPLOY_TEST_STORE)
  std::vector<std::string> acknowledged;
  {
    Bot bot(place.location());
    REQUIRE(bot.wait_listening());
    std::mutex mutex;
    std::condition_variable enough;
    std::atomic<bool> done{false};
    // Several senders, so kills land while commits from several connections are in flight.
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t) {
      senders.emplace_back([&, t] {
        http::Client client;
        for (int i = 0;; ++i) {
          const std::string id = "kill-" + std::to_string(t) + "-" + std::to_string(i);
          try {
            const auto response = client.send(webhook_request(bot, "issue_comment", id, kPing));
            if (response.status != 202) break;
          } catch (const http::TransportError&) {
            break;  // the bot is gone; this delivery may or may not be stored, and was not acknowledged
          }
          std::lock_guard lock(mutex);
          acknowledged.push_back(id);
          if (acknowledged.size() >= 400) enough.notify_all();
        }
        done = true;
        enough.notify_all();
      });
    }
    {
      std::unique_lock lock(mutex);
      enough.wait_until(lock, std::chrono::steady_clock::now() + 60s,
                        [&] { return acknowledged.size() >= 400 || done; });
    }
    bot.signal(SIGKILL);
    for (auto& sender : senders) sender.join();
    const auto result = bot.wait_exit();
    CHECK(result.end == proc::Result::End::signalled);
    CHECK(result.signal == SIGKILL);
  }
  REQUIRE(acknowledged.size() >= 400);

  // The bot starts again on the crashed store and serves.
  Bot again(place.location());
  REQUIRE(again.wait_listening());
  http::Client client;
  CHECK(get(client, again, "/readyz").status == 200);
  stop(again);

  store::Store db(place.options());
  std::size_t missing = 0;
  for (const auto& id : acknowledged) missing += db.queue().delivery(id).has_value() ? 0 : 1;
  CHECK(missing == 0);
  // kPing as an issue_comment has no action no handler wants: acknowledged without a job.
  const auto counts = db.queue().counts();
  CHECK(counts.queued + counts.ignored >= static_cast<std::int64_t>(acknowledged.size()));
}

// A plain TCP connection to the bot that sends nothing: an idle client holding a descriptor.
namespace {

int idle_connection(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST_CASE("out of file descriptors, accept backs off instead of spinning, and the bot recovers (issue 13)") {
  TempDir dir;
  deploy::test::TestStore place{dir.db()};  // SQLite in dir, or PostgreSQL (DEPLOY_TEST_STORE)
  Bot bot(place.location(), {{"WEBHOOK_SECRET", kSecret}}, 64);
  REQUIRE(bot.wait_listening());
  const int port = std::stoi(bot.url("").substr(std::string("http://127.0.0.1:").size()));
  // More idle connections than the bot has descriptors: the kernel completes them in the listen
  // backlog, and every accept past the limit fails with EMFILE.
  std::vector<int> connections;
  for (int i = 0; i < 120; ++i) {
    const int fd = idle_connection(port);
    if (fd >= 0) connections.push_back(fd);
  }
  CHECK(connections.size() > 64);
  std::this_thread::sleep_for(3s);
  const std::string during = bot.output();
  // Before: hundreds of thousands of accept_failed lines in these seconds. Now: about one a second.
  CHECK(count_of(during, "accept_failed") >= 1);
  CHECK(count_of(during, "accept_failed") <= 10);
  CHECK(during.find("\"failures\":") != std::string::npos);
  for (int fd : connections) ::close(fd);
  // Descriptors free again: the bot answers without a restart.
  http::Client client;
  CHECK(eventually(
      [&] {
        try {
          return get(client, bot, "/healthz").status == 200;
        } catch (const http::TransportError&) {
          return false;
        }
      },
      15s));
  stop(bot);
}
