// Ingest throughput and latency of core/store: N threads call Queue::ingest() back to back (as the
// bot's HTTP threads do after verifying a signature), each with a fresh delivery id and a body of
// --body-bytes. Bounded by --max-deliveries or --max-seconds, whichever comes first. Prints one
// JSON object per run on stdout (machine-readable); progress goes to stderr.
//
// With --rate, each thread sends at its share of that rate (open loop) and latency counts from the
// moment a delivery was due, so a stall is charged to every delivery it delayed.
//
// With --batch N, each call hands over N deliveries (the span overload), as a server that commits
// every request one event-loop turn read would.
//
//   bench_store_ingest [--threads 2,8] [--max-deliveries 200000] [--max-seconds 20] [--rate 0] [--batch 1]
//                      [--body-bytes 12902] [--durability normal|full] [--checkpoint-pages 16384]
//                      [--wal-limit-pages 65536] [--dir DIR]
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::vector<int> threads{2, 8};
  std::int64_t max_deliveries = 200'000;
  double rate = 0;  // deliveries per second over all threads; 0 = as fast as possible (closed loop)
  int batch = 1;    // deliveries per ingest() call (the span overload when > 1)
  double max_seconds = 20;
  std::size_t body_bytes = 12'902;  // 12.6 KiB, a typical pull_request / issue_comment payload
  deploy::store::Durability durability = deploy::store::Durability::normal;
  int checkpoint_pages = deploy::store::Options{}.checkpoint_pages;
  int wal_limit_pages = deploy::store::Options{}.wal_limit_pages;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr
      << "bench_store_ingest: " << problem << "\n"
      << "usage: bench_store_ingest [--threads 2,8] [--max-deliveries N] [--max-seconds S] [--rate N] [--batch N]\n"
      << "       [--body-bytes N] [--durability normal|full] [--checkpoint-pages N] [--wal-limit-pages N] [--dir "
         "DIR]\n";
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value for " + flag);
    std::string value = argv[++i];
    try {
      if (flag == "--threads") {
        args.threads.clear();
        std::stringstream list(value);
        for (std::string item; std::getline(list, item, ',');) args.threads.push_back(std::stoi(item));
      } else if (flag == "--max-deliveries") {
        args.max_deliveries = std::stoll(value);
      } else if (flag == "--batch") {
        args.batch = std::stoi(value);
        if (args.batch < 1) usage("--batch is at least 1");
      } else if (flag == "--rate") {
        args.rate = std::stod(value);
      } else if (flag == "--max-seconds") {
        args.max_seconds = std::stod(value);
      } else if (flag == "--body-bytes") {
        args.body_bytes = std::stoul(value);
      } else if (flag == "--durability") {
        if (value != "normal" && value != "full") usage("--durability is normal or full");
        args.durability = value == "full" ? deploy::store::Durability::full : deploy::store::Durability::normal;
      } else if (flag == "--checkpoint-pages") {
        args.checkpoint_pages = std::stoi(value);
      } else if (flag == "--wal-limit-pages") {
        args.wal_limit_pages = std::stoi(value);
      } else if (flag == "--dir") {
        args.dir = value;
      } else {
        usage("unknown flag " + flag);
      }
    } catch (const std::logic_error&) {
      usage("bad value '" + value + "' for " + flag);
    }
  }
  return args;
}

// A JSON-looking body of exactly `size` bytes (SQLite does not compress, so content barely matters).
std::string make_body(std::size_t size) {
  std::string body = R"({"action":"created","comment":{"body":")";
  std::mt19937_64 random(42);
  const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
  while (body.size() + 3 < size) body += alphabet[random() % (sizeof(alphabet) - 1)];
  body += "\"}}";
  body.resize(size, ' ');
  return body;
}

std::string uuid(std::mt19937_64& random) {
  char text[37];
  std::uint64_t a = random();
  std::uint64_t b = random();
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

long status_kb(const char* field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return -1;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile_us(const std::vector<std::int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted_ns.size() - 1) + 0.5);
  return static_cast<double>(sorted_ns[std::min(index, sorted_ns.size() - 1)]) / 1000.0;
}

void run(const Args& args, int threads, const std::string& body) {
  auto path = args.dir / ("bench-store-" + std::to_string(::getpid()) + "-" + std::to_string(threads) + ".db");
  std::error_code ignored;
  std::filesystem::remove(path, ignored);

  // Per thread: from when each delivery was due (includes waiting for the call to start), and the
  // call alone (service time). Closed loop, the two are the same.
  std::vector<std::vector<std::int64_t>> latencies(static_cast<std::size_t>(threads));
  std::vector<std::vector<std::int64_t>> service(static_cast<std::size_t>(threads));
  std::atomic<std::int64_t> issued{0};
  std::atomic<int> failures{0};
  deploy::store::Stats stats;
  double wall = 0;
  double cpu = 0;
  std::uintmax_t wal_bytes = 0;
  std::uintmax_t db_bytes = 0;
  {
    deploy::store::Options options;
    options.path = path;
    options.durability = args.durability;
    options.checkpoint_pages = args.checkpoint_pages;
    options.wal_limit_pages = args.wal_limit_pages;
    deploy::store::Store store(options);

    double cpu_before = cpu_seconds();
    auto start = Clock::now();
    auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.max_seconds));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::mt19937_64 random(static_cast<std::uint64_t>(t) * 7919 + 1);
        ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // wake on time: lateness counts as latency
        auto& mine = latencies[static_cast<std::size_t>(t)];
        auto& mine_service = service[static_cast<std::size_t>(t)];
        mine.reserve(static_cast<std::size_t>(args.max_deliveries / threads + 1));
        mine_service.reserve(static_cast<std::size_t>(args.max_deliveries / threads + 1));
        auto interval =
            args.rate > 0
                ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(threads / args.rate))
                : Clock::duration::zero();
        auto due = start + interval * t / threads;
        const auto batch = static_cast<std::int64_t>(args.batch);
        std::vector<std::string> ids(static_cast<std::size_t>(batch));
        std::vector<deploy::store::IncomingDelivery> deliveries;
        for (;;) {
          std::int64_t first = issued.fetch_add(batch, std::memory_order_relaxed);
          std::int64_t count = std::min(batch, args.max_deliveries - first);
          if (count <= 0) break;
          if (args.rate > 0) {
            std::this_thread::sleep_until(due);
          } else {
            due = Clock::now();
          }
          auto before = due;
          due += interval * count;
          if (Clock::now() >= deadline) break;
          deliveries.clear();
          for (std::int64_t i = 0; i < count; ++i) {
            ids[static_cast<std::size_t>(i)] = uuid(random);
            deliveries.push_back({ids[static_cast<std::size_t>(i)], "issue_comment", "created", 1000 + t % 4,
                                  "octo/repo", std::chrono::system_clock::now(), body});
          }
          auto started = Clock::now();
          try {
            if (count == 1) {
              if (store.queue().ingest(deliveries.front()) != deploy::store::IngestResult::inserted)
                failures.fetch_add(1);
            } else {
              for (auto result : store.queue().ingest(std::span<const deploy::store::IncomingDelivery>(deliveries))) {
                if (result != deploy::store::IngestResult::inserted) failures.fetch_add(1);
              }
            }
          } catch (const std::exception& e) {
            std::cerr << "ingest failed: " << e.what() << "\n";
            failures.fetch_add(1);
          }
          auto after = Clock::now();
          auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(after - before).count();
          auto served = std::chrono::duration_cast<std::chrono::nanoseconds>(after - started).count();
          for (std::int64_t i = 0; i < count; ++i) {  // each waited the whole call
            mine.push_back(took);
            mine_service.push_back(served);
          }
        }
      });
    }
    for (auto& worker : workers) worker.join();
    wall = std::chrono::duration<double>(Clock::now() - start).count();
    cpu = cpu_seconds() - cpu_before;
    stats = store.stats();
    wal_bytes = std::filesystem::file_size(path.string() + "-wal", ignored);
    if (ignored) wal_bytes = 0;
  }
  db_bytes = std::filesystem::file_size(path, ignored);

  std::vector<std::int64_t> all;
  for (auto& each : latencies) all.insert(all.end(), each.begin(), each.end());
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> served;
  for (auto& each : service) served.insert(served.end(), each.begin(), each.end());
  std::sort(served.begin(), served.end());
  auto n = static_cast<double>(all.size());

  std::printf(
      "{\"bench\":\"store_ingest\",\"threads\":%d,\"batch\":%d,\"rate\":%.0f,\"durability\":\"%s\",\"body_bytes\":%zu,"
      "\"deliveries\":%zu,\"failures\":%d,\"seconds\":%.3f,\"per_second\":%.0f,"
      "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
      "\"service_p50_us\":%.1f,\"service_p99_us\":%.1f,\"service_p999_us\":%.1f,"
      "\"cpu_us_per_ingest\":%.1f,\"commits\":%" PRIu64 ",\"avg_batch\":%.2f,\"largest_batch\":%" PRIu64
      ","
      "\"checkpoints\":%" PRIu64 ",\"blocking_checkpoints\":%" PRIu64
      ",\"longest_write_pause_us\":%lld,"
      "\"checkpoint_failures\":%" PRIu64
      ","
      "\"checkpoint_pages\":%d,\"wal_limit_pages\":%d,"
      "\"wal_bytes_at_end\":%ju,\"db_bytes\":%ju,\"rss_kb\":%ld,\"peak_rss_kb\":%ld}\n",
      threads, args.batch, args.rate, args.durability == deploy::store::Durability::full ? "full" : "normal",
      body.size(), all.size(), failures.load(), wall, n / wall, percentile_us(all, 50), percentile_us(all, 90),
      percentile_us(all, 99), percentile_us(all, 99.9), all.empty() ? 0.0 : static_cast<double>(all.back()) / 1000.0,
      percentile_us(served, 50), percentile_us(served, 99), percentile_us(served, 99.9), cpu / n * 1e6,
      stats.ingest_commits,
      stats.ingest_commits ? static_cast<double>(stats.ingested) / static_cast<double>(stats.ingest_commits) : 0.0,
      stats.largest_batch, stats.checkpoints, stats.blocking_checkpoints,
      static_cast<long long>(stats.longest_write_pause.count()), stats.checkpoint_failures, args.checkpoint_pages,
      args.wal_limit_pages, wal_bytes, db_bytes, status_kb("VmRSS:"), status_kb("VmHWM:"));
  std::fflush(stdout);
  if (!stats.last_checkpoint_error.empty())
    std::cerr << "last checkpoint error: " << stats.last_checkpoint_error << "\n";

  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::filesystem::remove(path.string() + suffix, ignored);
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  std::string body = make_body(args.body_bytes);
  for (int threads : args.threads) {
    if (threads < 1) usage("--threads values must be at least 1");
    std::cerr << "store_ingest: " << threads << " threads...\n";
    run(args, threads, body);
  }
  return 0;
}
