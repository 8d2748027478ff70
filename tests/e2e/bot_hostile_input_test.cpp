// deploy-bot against hostile clients, end to end (issue 13): the real binary on a loopback port,
// raw sockets sending what no honest client sends. Each attack is refused with the status HTTP
// has for it, the bot stays up and answers /healthz meanwhile, its memory stays bounded, and a
// valid signed delivery sent afterwards is stored (nothing lost).
#include <doctest/doctest.h>
// The cases name only the headers they change (designated initializers); the rest keep defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/process/process.hpp"
#include "core/store/store.hpp"
#include "core/webhook/signature.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace proc = deploy::process;
namespace store = deploy::store;
using deploy::test::count_of;
using deploy::test::TempDir;

namespace {

const std::string kSecret = "hostile-e2e-secret";
const std::string kPing = R"({"zen":"Keep it logically awesome.","hook_id":1,"repository":{"full_name":"octo/app"}})";

// The ingest side alone (no workers: deliveries stay queued) with the webhook secret; max_files > 0
// runs it out of file descriptors.
class Bot : public deploy::test::BotProcess {
 public:
  explicit Bot(const fs::path& store, std::map<std::string, std::string> env = {}, int max_files = 0)
      : BotProcess({.store = store, .env = with_secret(std::move(env)), .workers = 0, .max_files = max_files}) {}

 private:
  static std::map<std::string, std::string> with_secret(std::map<std::string, std::string> env) {
    env.emplace("WEBHOOK_SECRET", kSecret);
    return env;
  }
};

struct RawResponse {
  int status = 0;  // 0: the connection ended (or stalled) before a whole answer arrived
  std::string head;
  std::string body;
  std::string header(const std::string& name) const {
    std::string lower_head = head;
    std::transform(lower_head.begin(), lower_head.end(), lower_head.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string key = "\r\n" + name + ":";
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto at = lower_head.find(key);
    if (at == std::string::npos) return "";
    auto start = at + key.size();
    while (start < head.size() && head[start] == ' ') ++start;
    return head.substr(start, head.find("\r\n", start) - start);
  }
  std::string error() const {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    return json.is_object() ? json.value("error", "") : "";
  }
};

// A TCP connection that sends exactly the bytes it is given. Reads give up after 20 s (a hung
// bot fails the test instead of hanging it).
class Raw {
 public:
  explicit Raw(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    timeval send_timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Raw() {
    if (fd_ >= 0) ::close(fd_);
  }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  bool ok() const { return fd_ >= 0; }

  // False when the bot stopped reading (send timeout) or closed the connection.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  RawResponse read_response() {
    RawResponse response;
    // Bytes past the previous answer (two answers can arrive in one read) start this one.
    std::string data = std::move(pending_);
    pending_.clear();
    char chunk[4096];
    std::size_t end = std::string::npos;
    while ((end = data.find("\r\n\r\n")) == std::string::npos) {
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return response;
      data.append(chunk, static_cast<std::size_t>(n));
    }
    response.head = data.substr(0, end + 2);
    const std::size_t length = std::stoul("0" + response.header("content-length"));
    std::string body = data.substr(end + 4);
    while (body.size() < length) {
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return response;
      body.append(chunk, static_cast<std::size_t>(n));
    }
    response.body = body.substr(0, length);
    pending_ = body.substr(length);
    if (response.head.rfind("HTTP/1.1 ", 0) == 0) response.status = std::stoi(response.head.substr(9, 3));
    return response;
  }

 private:
  int fd_ = -1;
  std::string pending_;
};

struct Headers {
  std::string event = "ping";
  std::string delivery = "d-1";
  std::optional<std::string> signature;  // nullopt: the valid one for the body
  std::string content_type = "application/json";
  std::optional<std::string> content_length;  // nullopt: the body's size
  std::string extra;                          // more header lines, each ending in \r\n
};

// The header of a webhook POST for `body` (the body itself is not included).
std::string webhook_head(const std::string& body, const Headers& h = {}) {
  std::string head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!h.content_type.empty()) head += "Content-Type: " + h.content_type + "\r\n";
  if (!h.event.empty()) head += "X-GitHub-Event: " + h.event + "\r\n";
  if (!h.delivery.empty()) head += "X-GitHub-Delivery: " + h.delivery + "\r\n";
  const std::string signature = h.signature ? *h.signature : deploy::webhook::sign(kSecret, body);
  if (!signature.empty()) head += "X-Hub-Signature-256: " + signature + "\r\n";
  head += "Content-Length: " + (h.content_length ? *h.content_length : std::to_string(body.size())) + "\r\n";
  return head + h.extra + "\r\n";
}

RawResponse roundtrip(int port, const std::string& bytes) {
  Raw raw(port);
  if (!raw.ok() || !raw.send(bytes)) return {};
  return raw.read_response();
}

RawResponse get(int port, const std::string& path) {
  return roundtrip(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

// The value of one series in the bot's /metrics (-1 when absent).
long metric(int port, const std::string& series) {
  const auto response = get(port, "/metrics");
  const auto at = response.body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stol(response.body.substr(at + series.size() + 2));
}

// The end of every attack: a valid signed delivery is accepted, and stored once the bot stopped.
void valid_delivery_is_stored(Bot& bot, const fs::path& db, const std::string& id) {
  const auto response = roundtrip(bot.port(), webhook_head(kPing, {.delivery = id}) + kPing);
  CHECK(response.status == 202);
  const auto result = bot.stop();
  INFO(bot.output().substr(0, 4000));
  CHECK(result.end == proc::Result::End::exited);
  CHECK(result.exit_code == 0);
  store::Store store(store::options_for(db.string()));
  const auto stored = store.queue().delivery(id);
  REQUIRE(stored.has_value());
  CHECK(stored->body == kPing);
}

// Opens many sockets: the test's own descriptor limit must allow them.
void raise_own_file_limit(rlim_t wanted) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

TEST_CASE("webhook headers are checked before a byte of the body is read") {
  TempDir dir;
  Bot bot(dir.db());
  REQUIRE(bot.wait_listening());
  const std::string body(1000, ' ');  // announced, never sent: each answer must come without it
  struct Case {
    std::string name;
    Headers headers;
    int status;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"no signature", {.signature = ""}, 401, "signature_missing"},
      {"malformed signature", {.signature = "sha256=zz"}, 401, "signature_malformed"},
      {"not JSON", {.content_type = "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
      {"over 25 MiB", {.content_length = std::to_string(25 * 1024 * 1024 + 1)}, 413, "body_too_large"},
      {"a Content-Length with 40 digits", {.content_length = std::string(40, '9')}, 400, "malformed"},
      {"no event", {.event = ""}, 400, "event_header_missing"},
      {"shell metacharacters in the event", {.event = "push;$(id)`id`|sh"}, 400, "event_header_invalid"},
      {"invalid UTF-8 in the delivery id", {.delivery = "d-\xff\xfe"}, 400, "delivery_header_invalid"},
      {"no delivery id", {.delivery = ""}, 400, "delivery_header_invalid"},
      {"delivery id over 128 bytes", {.delivery = std::string(129, 'a')}, 400, "delivery_header_invalid"},
      {"NUL in the delivery id", {.delivery = std::string("d-\0-1", 5)}, 400, "malformed"},
      {"chunked", {.content_length = "", .extra = "Transfer-Encoding: chunked\r\n"}, 411, "length_required"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    std::string head = webhook_head(body, c.headers);
    if (c.headers.content_length && c.headers.content_length->empty()) {
      head.replace(head.find("Content-Length: \r\n"), 18, "");
    }
    const auto response = roundtrip(bot.port(), head);
    CHECK(response.status == c.status);
    CHECK(response.error() == c.error);
    CHECK(response.header("connection") == "close");
  }
  CHECK(get(bot.port(), "/healthz").status == 200);
  CHECK(metric(bot.port(), "deploy_bot_server_refusals_total{reason=\"length_required\"}") == 1);
  CHECK(metric(bot.port(), "deploy_bot_server_refusals_total{reason=\"body_too_large\"}") == 1);
  CHECK(metric(bot.port(), "deploy_bot_http_requests_total{path=\"/webhook\",status=\"415\"}") == 1);
  valid_delivery_is_stored(bot, dir.db(), "after-header-checks");
}

TEST_CASE("hostile payloads and lying lengths are refused with the right status, valid ones kept verbatim") {
  TempDir dir;
  Bot bot(dir.db(), {{"DEPLOY_BOT_BODY_TIMEOUT_SECONDS", "1"}});
  REQUIRE(bot.wait_listening());
  const int port = bot.port();
  const auto send_signed = [&](const std::string& id, const std::string& body) {
    return roundtrip(port, webhook_head(body, {.event = "issue_comment", .delivery = id}) + body);
  };

  // Malformed JSON, 100,000-deep nesting, invalid UTF-8 and a raw NUL: 400, nothing stored.
  CHECK(send_signed("bad-json", R"({"action":"created",)").error() == "invalid_json");
  const std::string deep = "{\"a\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
  CHECK(send_signed("deep", deep).error() == "invalid_json");
  CHECK(send_signed("utf8", "{\"comment\":{\"body\":\"\xc3\x28\"}}").error() == "invalid_json");
  CHECK(send_signed("nul", "{\"comment\":{\"body\":\"a" + std::string(1, '\0') + "b\"}}").error() == "invalid_json");

  // Shell metacharacters and escaped newlines in user-controlled fields are data: stored verbatim.
  const std::string comment =
      nlohmann::json{
          {"action", "created"},
          {"comment",
           {{"body", "/deploy production $(touch /tmp/pwned) `id` ; rm -rf / | sh && echo\n::set-output name=x::y"}}},
          {"issue", {{"number", 1}, {"pull_request", {{"url", "x"}}}}},
          {"repository", {{"full_name", "octo/app"}}},
          {"ref", "main\nDEPLOY_ENV=prod; $(reboot)"}}
          .dump();
  CHECK(send_signed("metachars", comment).status == 202);
  CHECK(!fs::exists("/tmp/pwned"));

  // A Content-Length shorter than what is sent: the body is the announced prefix (its signature
  // does not match, 401) and the rest is a request that is not HTTP (400).
  {
    Raw raw(port);
    REQUIRE(raw.send(webhook_head(kPing, {.delivery = "short", .content_length = "10"}) + kPing));
    const auto first = raw.read_response();
    CHECK(first.status == 401);
    CHECK(first.error() == "signature_mismatch");
    const auto second = raw.read_response();
    CHECK(second.status == 400);
    CHECK(second.error() == "malformed");
  }
  // Longer than what is sent, then silence: 408 once the body deadline passes.
  {
    Raw raw(port);
    REQUIRE(raw.send(webhook_head(kPing, {.delivery = "long", .content_length = "1000"}) + kPing));
    const auto response = raw.read_response();
    CHECK(response.status == 408);
    CHECK(response.error() == "body_timeout");
  }
  CHECK(metric(port, "deploy_bot_server_refusals_total{reason=\"body_timeout\"}") == 1);
  CHECK(metric(port, "deploy_bot_http_requests_total{path=\"/webhook\",status=\"408\"}") == 1);

  // Many refused deliveries make a few log lines, not one each.
  for (int i = 0; i < 200; ++i) CHECK(roundtrip(port, webhook_head(kPing, {.signature = ""}) + kPing).status == 401);
  CHECK(count_of(bot.output(), "\"signature_missing\"") < 20);

  valid_delivery_is_stored(bot, dir.db(), "after-payloads");
  store::Store db(store::options_for(dir.db().string()));
  for (const char* id : {"bad-json", "deep", "utf8", "nul", "short", "long"})
    CHECK_FALSE(db.queue().delivery(id).has_value());
  const auto stored = db.queue().delivery("metachars");
  REQUIRE(stored.has_value());
  // The compact record keeps the comment's bytes as they came (the `ref` no handler of
  // issue_comment reads is left out).
  const auto record = nlohmann::json::parse(stored->body);
  CHECK(record["comment"]["body"] == nlohmann::json::parse(comment)["comment"]["body"]);
  CHECK_FALSE(record.contains("ref"));
}

TEST_CASE("slow and oversized headers are answered 408, 431 and 400, counted, and logged once a second") {
  TempDir dir;
  Bot bot(dir.db(), {{"DEPLOY_BOT_HEADER_TIMEOUT_SECONDS", "1"}});
  REQUIRE(bot.wait_listening());
  const int port = bot.port();

  // Slow loris: part of a header, then nothing.
  std::vector<std::unique_ptr<Raw>> lorises;
  for (int i = 0; i < 20; ++i) {
    lorises.push_back(std::make_unique<Raw>(port));
    REQUIRE(lorises.back()->send("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: pi"));
  }
  // Thousands of headers.
  std::string many = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 5000; ++i) many += "X-Filler-" + std::to_string(i) + ": v\r\n";
  const auto too_many = roundtrip(port, many + "\r\n");
  CHECK(too_many.status == 431);
  CHECK(too_many.error() == "header_too_large");
  // Not HTTP at all, and a header with a bare newline injected.
  CHECK(roundtrip(port, "HELLO\r\n\r\n").status == 400);
  CHECK(roundtrip(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\nInjected: 1\r\n\r\n").status == 400);
  CHECK(get(port, "/healthz").status == 200);  // answered while the lorises hang on

  for (auto& loris : lorises) {
    const auto response = loris->read_response();
    CHECK(response.status == 408);
    CHECK(response.error() == "header_timeout");
  }
  CHECK(metric(port, "deploy_bot_server_refusals_total{reason=\"header_timeout\"}") == 20);
  CHECK(metric(port, "deploy_bot_server_refusals_total{reason=\"header_too_large\"}") == 1);
  CHECK(metric(port, "deploy_bot_server_refusals_total{reason=\"malformed\"}") == 2);
  // Twenty timeouts at about the same moment: far fewer lines than timeouts.
  CHECK(count_of(bot.output(), "\"header_timeout\"") < 10);
  valid_delivery_is_stored(bot, dir.db(), "after-slow-headers");
}

TEST_CASE("memory stays bounded while 24 unsigned connections announce 25 MiB each and stall") {
  TempDir dir;
  Bot bot(dir.db(), {{"DEPLOY_BOT_BODY_TIMEOUT_SECONDS", "2"}});
  REQUIRE(bot.wait_listening());
  const int port = bot.port();
  const long before = bot.rss_kib();

  // Each announces 25 MiB with a well-formed (wrong) signature, sends all but one byte of it, and
  // stalls. The bodies the bot takes in fit in DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT (64 MiB); the
  // others are told 503 before their bodies are read.
  const std::size_t announced = 25 * 1024 * 1024;
  const std::string chunk(1024 * 1024, 'x');
  std::vector<std::unique_ptr<Raw>> senders;
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int i = 0; i < 24; ++i) {
    senders.push_back(std::make_unique<Raw>(port));
    REQUIRE(senders.back()->ok());
  }
  for (int i = 0; i < 24; ++i) {
    threads.emplace_back([&, i] {
      Raw& raw = *senders[static_cast<std::size_t>(i)];
      const std::string head = webhook_head("", {.delivery = "big-" + std::to_string(i),
                                                 .signature = "sha256=" + std::string(64, 'a'),
                                                 .content_length = std::to_string(announced)});
      if (!raw.send(head)) return;
      for (std::size_t sent = 0; sent + chunk.size() < announced; sent += chunk.size()) {
        if (!raw.send(chunk)) break;  // the bot stopped reading: refused, or drained enough
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const long during = bot.rss_kib();
  CAPTURE(before);
  CAPTURE(during);
  CHECK(during > 0);
  // What the stalled bodies add, not the total: under ASan the bot starts at about 160 MB (shadow
  // memory, quarantine). Without the limits this grew by 615 MiB; the budget is 64 MiB in flight.
  CHECK(during - before < 190 * 1024);
  CHECK(get(port, "/healthz").status == 200);
  CHECK(metric(port, "deploy_bot_server_refusals_total{reason=\"body_bytes_in_flight\"}") >= 20);
  CHECK(metric(port, "deploy_bot_body_bytes_in_flight") <= 64 * 1024 * 1024);
  // A refused sender may see a reset instead of its 503 when the bot stopped draining its body
  // before it was all sent; the metric above counts every refusal.
  for (auto& sender : senders) {
    const auto response = sender->read_response();
    if (response.status == 503) {
      ++refused;
      CHECK(response.header("retry-after") == "1");
      CHECK(response.error() == "body_bytes_in_flight");
    }
  }
  CHECK(refused >= 1);
  senders.clear();
  valid_delivery_is_stored(bot, dir.db(), "after-big-bodies");
}

TEST_CASE("2,000 idle connections and slow lorises: the bot answers meanwhile, and 503 when all are busy") {
  raise_own_file_limit(8192);
  TempDir dir;
  Bot bot(dir.db(), {{"DEPLOY_BOT_MAX_CONNECTIONS", "1000"}, {"DEPLOY_BOT_HEADER_TIMEOUT_SECONDS", "3"}});
  REQUIRE(bot.wait_listening());
  const int port = bot.port();
  const long before = bot.rss_kib();

  // More idle connections than the limit: the oldest idle ones are closed to make room.
  std::vector<std::unique_ptr<Raw>> idle;
  for (int i = 0; i < 2000; ++i) {
    idle.push_back(std::make_unique<Raw>(port));
    CHECK(idle.back()->ok());
  }
  CHECK(get(port, "/healthz").status == 200);
  CHECK(metric(port, "deploy_bot_idle_connections_closed_total{reason=\"connection_limit\"}") >= 1000);
  // 1,000 idle connections cost no buffer each (19,000 once held 1.25 GiB): what they add, not the
  // total, which sanitizer builds inflate.
  CHECK(bot.rss_kib() - before < 190 * 1024);
  idle.clear();

  // Every slot busy with a slow request: a newcomer is told 503 with Retry-After.
  std::vector<std::unique_ptr<Raw>> lorises;
  for (int i = 0; i < 1000; ++i) {
    lorises.push_back(std::make_unique<Raw>(port));
    REQUIRE(lorises.back()->send("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  }
  // A loris whose bytes the bot has not seen yet counts as idle, and a newcomer closes it to make
  // room and is served: add a loris for each newcomer served, until every slot is busy.
  RawResponse busy;
  for (int attempt = 0; attempt < 200 && busy.status != 503; ++attempt) {
    busy = get(port, "/healthz");
    if (busy.status == 503) break;
    lorises.push_back(std::make_unique<Raw>(port));
    REQUIRE(lorises.back()->send("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    std::this_thread::sleep_for(20ms);
  }
  CHECK(busy.status == 503);
  CHECK(busy.header("retry-after") == "1");
  CHECK(busy.error() == "connection_limit");
  // The lorises run out of time (408), and the bot serves again.
  int timed_out = 0;
  for (auto& loris : lorises) timed_out += loris->read_response().status == 408 ? 1 : 0;
  CHECK(timed_out >= 900);
  lorises.clear();
  CHECK(get(port, "/healthz").status == 200);
  CHECK(metric(port, "deploy_bot_server_refusals_total{reason=\"connection_limit\"}") >= 1);
  valid_delivery_is_stored(bot, dir.db(), "after-idle-and-lorises");
}

TEST_CASE("out of file descriptors, idle connections are closed and /healthz is answered while they stay open") {
  TempDir dir;
  Bot bot(dir.db(), {}, 64);  // prlimit sets the hard limit too: the bot cannot raise it
  REQUIRE(bot.wait_listening());
  std::vector<std::unique_ptr<Raw>> idle;
  for (int i = 0; i < 120; ++i) idle.push_back(std::make_unique<Raw>(bot.port()));
  // Before: nothing was answered until the idle clients went away.
  CHECK(get(bot.port(), "/healthz").status == 200);
  CHECK(metric(bot.port(), "deploy_bot_idle_connections_closed_total{reason=\"out_of_descriptors\"}") >= 1);
  CHECK(metric(bot.port(), "deploy_bot_accept_failures_total") >= 1);
  idle.clear();
  valid_delivery_is_stored(bot, dir.db(), "after-emfile");
}
