// Load on deploy-bot's ingest path: starts the real deploy-bot (temporary store, loopback port 0),
// then sends signed issue_comment deliveries of --body-bytes (12,902 = 12.6 KiB, a typical
// comment event) over --connections keep-alive connections, closed loop (each connection sends its
// next request when the previous answer arrives), for --seconds. Prints req/s, latency p50/p99/max
// and the bot's peak RSS (VmHWM from /proc/PID/status) as one JSON object on stdout.
//
//   bench_bot_ingest --bot PATH [--connections 32] [--seconds 15] [--bot-threads 2]
//                    [--body-bytes 12902] [--example FILE] [--dir DIR]
//
// The client is one thread on one io_context, so on a small machine it shares the CPUs with the
// bot: the numbers are for the pair, loopback only.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/process/process.hpp"
#include "core/webhook/signature.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSecret = "bench-webhook-secret";

struct Options {
  std::string bot;
  int connections = 32;
  int seconds = 15;
  int bot_threads = 2;
  std::size_t body_bytes = 12'902;
  std::string example = DEPLOY_BENCH_EXAMPLE;
  std::string dir;
};

// The example issue_comment payload with its comment body resized so the whole is body_bytes.
std::string make_payload(const Options& options) {
  std::ifstream in(options.example);
  if (!in) throw std::runtime_error("cannot read the example payload " + options.example);
  auto json = nlohmann::json::parse(in);
  json["comment"]["body"] = "";
  const std::size_t base = json.dump().size();
  if (base > options.body_bytes)
    throw std::runtime_error("--body-bytes is smaller than the example without its comment");
  json["comment"]["body"] = std::string(options.body_bytes - base, 'x');
  return json.dump();
}

struct Connection {
  explicit Connection(asio::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> request;
  std::optional<bhttp::response<bhttp::string_body>> response;
  Clock::time_point sent;
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t errors = 0;
  int id = 0;
  std::uint64_t sequence = 0;
};

class Load {
 public:
  Load(asio::io_context& io, const tcp::endpoint& endpoint, const std::string& payload, int connections,
       Clock::time_point deadline)
      : deadline_(deadline) {
    const std::string signature = deploy::webhook::sign(kSecret, payload);
    for (int i = 0; i < connections; ++i) {
      auto c = std::make_unique<Connection>(io);
      c->id = i;
      c->stream.socket().connect(endpoint);
      c->stream.socket().set_option(tcp::no_delay(true));
      c->request = {bhttp::verb::post, "/webhook", 11};
      c->request.set(bhttp::field::host, "127.0.0.1");
      c->request.set(bhttp::field::content_type, "application/json");
      c->request.set("X-GitHub-Event", "issue_comment");
      c->request.set("X-Hub-Signature-256", signature);
      c->request.body() = payload;
      c->request.prepare_payload();
      c->latencies_us.reserve(1 << 20);
      connections_.push_back(std::move(c));
    }
  }
  void start() {
    for (auto& c : connections_) send(*c);
  }
  const std::vector<std::unique_ptr<Connection>>& connections() const { return connections_; }

 private:
  void send(Connection& c) {
    if (Clock::now() >= deadline_) return;
    c.request.set("X-GitHub-Delivery", "bench-" + std::to_string(c.id) + "-" + std::to_string(c.sequence++));
    c.sent = Clock::now();
    bhttp::async_write(c.stream, c.request, [this, &c](beast::error_code ec, std::size_t) {
      if (ec) return fail(c, ec);
      c.response.emplace();
      bhttp::async_read(c.stream, c.buffer, *c.response, [this, &c](beast::error_code ec2, std::size_t) {
        if (ec2) return fail(c, ec2);
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.sent).count();
        if (c.response->result_int() == 202) {
          c.latencies_us.push_back(static_cast<std::uint32_t>(us));
        } else {
          ++c.errors;
        }
        send(c);
      });
    });
  }
  void fail(Connection& c, beast::error_code ec) {
    ++c.errors;
    std::cerr << "connection " << c.id << ": " << ec.message() << "\n";
  }

  Clock::time_point deadline_;
  std::vector<std::unique_ptr<Connection>> connections_;
};

// The decimal number right after `marker` in `line`, if any.
std::optional<int> number_after(const std::string& line, const std::string& marker) {
  const auto at = line.find(marker);
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + marker.size();
  int value = 0;
  bool any = false;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i, any = true) value = value * 10 + (line[i] - '0');
  return any ? std::optional<int>(value) : std::nullopt;
}

std::uint64_t peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

int run(const Options& options) {
  const fs::path dir = options.dir.empty() ? fs::temp_directory_path() / ("bench-bot-" + std::to_string(::getpid()))
                                           : fs::path(options.dir);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string payload = make_payload(options);

  deploy::process::Spec spec;
  spec.argv = {options.bot, "serve", "--listen", "127.0.0.1:0", "--store", (dir / "bot.sqlite3").string()};
  // The ingest path alone: no worker handling the deliveries (it would call GitHub, which is not
  // there); bench_bot_event_to_effect measures the handling.
  spec.env = {{"WEBHOOK_SECRET", kSecret},
              {"DEPLOY_BOT_THREADS", std::to_string(options.bot_threads)},
              {"DEPLOY_BOT_WORKERS", "0"}};
  std::mutex mutex;
  std::condition_variable changed;
  int port = 0;
  pid_t pid = 0;
  std::optional<deploy::process::Result> result;
  std::thread bot([&] {
    auto r = deploy::process::run(spec, [&](const std::string& line) {
      std::lock_guard lock(mutex);
      if (auto found = number_after(line, "deploy-bot listening on http://127.0.0.1:")) port = *found;
      if (auto found = number_after(line, "\"pid\":")) pid = *found;
      if (line.find("\"level\":\"info\"") == std::string::npos) std::cerr << "bot: " << line << "\n";
      changed.notify_all();
    });
    std::lock_guard lock(mutex);
    result = r;
    changed.notify_all();
  });
  {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, std::chrono::seconds(30), [&] { return (port != 0 && pid != 0) || result; });
    if (port == 0 || pid == 0) {
      std::cerr << "deploy-bot did not start\n";
      lock.unlock();
      if (pid != 0) ::kill(pid, SIGKILL);
      bot.join();
      return 1;
    }
  }

  asio::io_context io(1);
  const auto started = Clock::now();
  Load load(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)), payload,
            options.connections, started + std::chrono::seconds(options.seconds));
  load.start();
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  const std::uint64_t rss_kib = peak_rss_kib(pid);

  ::kill(pid, SIGTERM);
  bot.join();

  std::vector<std::uint32_t> all;
  std::uint64_t errors = 0;
  for (const auto& c : load.connections()) {
    all.insert(all.end(), c->latencies_us.begin(), c->latencies_us.end());
    errors += c->errors;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) -> double {
    if (all.empty()) return 0;
    return all[std::min(all.size() - 1, static_cast<std::size_t>(p * static_cast<double>(all.size())))] / 1000.0;
  };
  nlohmann::json out = {
      {"connections", options.connections},
      {"bot_threads", options.bot_threads},
      {"body_bytes", payload.size()},
      {"seconds", elapsed},
      {"requests", all.size()},
      {"errors", errors},
      {"req_per_s", static_cast<double>(all.size()) / elapsed},
      {"p50_ms", pct(0.50)},
      {"p99_ms", pct(0.99)},
      {"max_ms", all.empty() ? 0.0 : all.back() / 1000.0},
      {"bot_peak_rss_mib", static_cast<double>(rss_kib) / 1024.0},
      {"bot_exit", result ? result->describe() : "unknown"},
  };
  std::cout << out.dump() << std::endl;
  fs::remove_all(dir);
  return errors == 0 && result && result->succeeded() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--bot")
      options.bot = next();
    else if (arg == "--connections")
      options.connections = std::stoi(next());
    else if (arg == "--seconds")
      options.seconds = std::min(20, std::stoi(next()));
    else if (arg == "--bot-threads")
      options.bot_threads = std::stoi(next());
    else if (arg == "--body-bytes")
      options.body_bytes = std::stoul(next());
    else if (arg == "--example")
      options.example = next();
    else if (arg == "--dir")
      options.dir = next();
    else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (options.bot.empty()) options.bot = DEPLOY_BOT_BINARY;
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "bench_bot_ingest: " << e.what() << "\n";
    return 1;
  }
}
