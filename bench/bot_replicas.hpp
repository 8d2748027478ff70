// N `deploy-bot serve` processes for a bench, all on one store, each on its own loopback port (port
// 0, read from the line it prints on start) with its pid (from its JSON "started" log line). With
// one replica this is the single bot the benches always ran; more need a store several processes
// may share (PostgreSQL: SQLite's lock file admits one).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/process/process.hpp"

namespace deploy::bench {

struct ReplicaSpec {
  std::string bot;    // the deploy-bot binary
  std::string store;  // its --store
  int count = 1;
  std::map<std::string, std::string> env;
  std::vector<std::string> unset_env;
  // Each output line of replica `index` (0-based); called from that replica's thread.
  std::function<void(int index, const std::string& line)> on_line;
};

struct Replica {
  int port = 0;
  pid_t pid = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

class BotReplicas {
 public:
  // Starts spec.count replicas and waits up to 30 s for each to listen. Throws std::runtime_error
  // naming the replica (and how it ended, when it did) otherwise; the others are stopped.
  explicit BotReplicas(ReplicaSpec spec);
  ~BotReplicas();  // stop(), when not done yet
  BotReplicas(const BotReplicas&) = delete;
  BotReplicas& operator=(const BotReplicas&) = delete;

  const std::vector<Replica>& replicas() const { return replicas_; }
  // SIGTERM to each (a clean shutdown, exit 0), then waits for all; how each ended.
  std::vector<process::Result> stop();

 private:
  ReplicaSpec spec_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Replica> replicas_;
  std::vector<std::optional<process::Result>> results_;
  std::vector<std::thread> threads_;
  std::atomic<bool> cancel_{false};  // for replicas that never said their pid
  bool stopped_ = false;
};

}  // namespace deploy::bench
