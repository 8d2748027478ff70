// Load on deploy-bot's ingest path: starts the real deploy-bot (temporary store, loopback port 0),
// then sends signed issue_comment deliveries of --body-bytes (12,902 = 12.6 KiB, a typical
// comment event) over --connections keep-alive connections, closed loop (each connection sends its
// next request when the previous answer arrives), for --seconds. Prints req/s, latency p50/p99/max
// and the bot's peak RSS (VmHWM from /proc/PID/status) as one JSON object on stdout.
//
// With --store postgres://... the bot uses a new database on that server (made for the run, dropped
// after it); with --replicas N, N bots share that store, each on its own port, and every connection
// sends its requests to them in turn (round-robin per request, as a load balancer without
// stickiness would). See usage() and docs/PERFORMANCE.md.
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

#include "bench/bench_store.hpp"
#include "bench/bot_replicas.hpp"
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
  std::string store;  // empty: SQLite in dir; else a PostgreSQL server's URL
  int replicas = 1;
};

const char* kUsage = R"(usage: bench_bot_ingest [--bot PATH] [--connections 32] [--seconds 15] [--bot-threads 2]
                        [--body-bytes 12902] [--example FILE] [--dir DIR]
                        [--store postgres://USER@HOST:PORT/DB] [--replicas 1]

Starts deploy-bot serve (no workers: the ingest path alone) and posts signed issue_comment
deliveries to it over keep-alive connections, closed loop, for --seconds (at most 20). Prints one
JSON object: req/s, p50/p99/max ms of the 202s, errors, the bot's peak RSS (the largest replica's).

  --store URL     a PostgreSQL server whose user may CREATE DATABASE: the bench makes a new database
                  on it for the run and drops it afterwards (default: a SQLite file in --dir), e.g.
                  scripts/with-postgres sh -c 'bench_bot_ingest --store "$DEPLOY_TEST_POSTGRES_URL"'
  --replicas N    N deploy-bot processes on that store, each on its own port; each connection sends
                  its requests to them in turn (PostgreSQL only: SQLite admits one process)
)";

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

// One client connection to each replica; the client's requests alternate over them.
struct Connection {
  Connection(asio::io_context& io, std::size_t replicas) : buffers(replicas), per_replica(replicas, 0) {
    for (std::size_t r = 0; r < replicas; ++r) streams.push_back(std::make_unique<beast::tcp_stream>(io));
  }
  std::vector<std::unique_ptr<beast::tcp_stream>> streams;
  std::vector<beast::flat_buffer> buffers;
  std::vector<std::uint64_t> per_replica;  // 202s from each replica
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
  Load(asio::io_context& io, const std::vector<tcp::endpoint>& endpoints, const std::string& payload, int connections,
       Clock::time_point deadline)
      : deadline_(deadline) {
    const std::string signature = deploy::webhook::sign(kSecret, payload);
    for (int i = 0; i < connections; ++i) {
      auto c = std::make_unique<Connection>(io, endpoints.size());
      c->id = i;
      for (std::size_t r = 0; r < endpoints.size(); ++r) {
        c->streams[r]->socket().connect(endpoints[r]);
        c->streams[r]->socket().set_option(tcp::no_delay(true));
      }
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
    // Replica by request, starting at a different one per connection so all are busy from the start.
    const std::size_t r = (static_cast<std::size_t>(c.id) + c.sequence) % c.streams.size();
    c.request.set("X-GitHub-Delivery", "bench-" + std::to_string(c.id) + "-" + std::to_string(c.sequence++));
    c.sent = Clock::now();
    bhttp::async_write(*c.streams[r], c.request, [this, &c, r](beast::error_code ec, std::size_t) {
      if (ec) return fail(c, ec);
      c.response.emplace();
      bhttp::async_read(*c.streams[r], c.buffers[r], *c.response, [this, &c, r](beast::error_code ec2, std::size_t) {
        if (ec2) return fail(c, ec2);
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.sent).count();
        if (c.response->result_int() == 202) {
          c.latencies_us.push_back(static_cast<std::uint32_t>(us));
          ++c.per_replica[r];
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
  // Removed however the run ends (a bot that did not start, a bad --store): after the store and
  // the replicas, which are declared after it.
  struct RemoveDir {
    fs::path path;
    ~RemoveDir() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } remove_dir{dir};
  const std::string payload = make_payload(options);
  const deploy::bench::BenchStore store(options.store, dir);
  if (options.replicas > 1 && !store.postgres())
    throw std::invalid_argument("--replicas " + std::to_string(options.replicas) +
                                " needs --store postgres://...: a SQLite store admits one deploy-bot");

  deploy::bench::ReplicaSpec spec;
  spec.bot = options.bot;
  spec.store = store.location();
  spec.count = options.replicas;
  // The ingest path alone: no worker handling the deliveries (it would call GitHub, which is not
  // there); bench_bot_event_to_effect measures the handling.
  spec.env = {{"WEBHOOK_SECRET", kSecret},
              {"DEPLOY_BOT_THREADS", std::to_string(options.bot_threads)},
              {"DEPLOY_BOT_WORKERS", "0"}};
  std::mutex mutex;
  spec.on_line = [&](int index, const std::string& line) {
    if (line.find("\"level\":\"info\"") != std::string::npos) return;
    std::lock_guard lock(mutex);
    std::cerr << (options.replicas > 1 ? "bot " + std::to_string(index + 1) + ": " : std::string("bot: ")) << line
              << "\n";
  };
  deploy::bench::BotReplicas bots(spec);

  std::vector<tcp::endpoint> endpoints;
  for (const auto& replica : bots.replicas())
    endpoints.emplace_back(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(replica.port));
  asio::io_context io(1);
  const auto started = Clock::now();
  Load load(io, endpoints, payload, options.connections, started + std::chrono::seconds(options.seconds));
  load.start();
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  std::uint64_t rss_kib = 0;
  for (const auto& replica : bots.replicas()) rss_kib = std::max(rss_kib, peak_rss_kib(replica.pid));

  const auto results = bots.stop();
  bool exited_cleanly = true;
  std::string exits;
  for (const auto& result : results) {
    exited_cleanly = exited_cleanly && result.succeeded();
    exits += (exits.empty() ? "" : ", ") + result.describe();
  }

  std::vector<std::uint32_t> all;
  std::uint64_t errors = 0;
  std::vector<std::uint64_t> per_replica(endpoints.size(), 0);
  for (const auto& c : load.connections()) {
    all.insert(all.end(), c->latencies_us.begin(), c->latencies_us.end());
    errors += c->errors;
    for (std::size_t r = 0; r < per_replica.size(); ++r) per_replica[r] += c->per_replica[r];
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
      {"bot_exit", exits},
  };
  // Only with the new options, so the default run prints exactly what it always did.
  if (store.postgres() || options.replicas > 1) {
    out["store"] = store.kind();
    out["replicas"] = options.replicas;
    out["requests_per_replica"] = per_replica;
  }
  std::cout << out.dump() << std::endl;
  return errors == 0 && exited_cleanly ? 0 : 1;
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
    else if (arg == "--store")
      options.store = next();
    else if (arg == "--replicas")
      options.replicas = std::stoi(next());
    else if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "unknown argument " << arg << "\n" << kUsage;
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
