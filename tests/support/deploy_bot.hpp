// BotProcess: the real deploy-bot binary as a child process for end-to-end tests, `serve` on a
// loopback port 0, its output collected line by line. The port and pid come from its start log
// lines; the bot is killed (SIGKILL) when the BotProcess goes out of scope while it still runs.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/process/process.hpp"

namespace deploy::test {

struct BotOptions {
  std::filesystem::path store{};  // --store
  // Variables for the bot, on top of DEPLOY_BOT_THREADS and DEPLOY_BOT_WORKERS below (a value
  // here wins). Every other variable the bot reads is removed from the inherited environment.
  std::map<std::string, std::string> env{};
  int threads = 2;                        // DEPLOY_BOT_THREADS
  int workers = 0;                        // DEPLOY_BOT_WORKERS; 0: the ingest side alone, deliveries stay queued
  int max_files = 0;                      // > 0: under `prlimit --nofile=N:N` (the bot cannot raise it)
  std::vector<std::string> extra_args{};  // after `serve --listen 127.0.0.1:0 --store STORE`
  std::chrono::seconds timeout{120};      // a hung bot is killed and fails the test instead of hanging it
};

class BotProcess {
 public:
  explicit BotProcess(BotOptions options);
  ~BotProcess();
  BotProcess(const BotProcess&) = delete;
  BotProcess& operator=(const BotProcess&) = delete;

  // Waits for the "listening" line and the pid in the start log line; false if the bot exited
  // (or did not get there within `timeout`).
  bool wait_listening(std::chrono::seconds timeout = std::chrono::seconds{30});
  // wait_listening, or std::runtime_error with the bot's output.
  void require_listening();

  bool finished();
  process::Result wait_exit();
  void signal(int sig) const;
  // signal, then wait_exit.
  process::Result stop(int sig = SIGTERM);

  std::string output();
  int port() const { return port_; }
  std::string url(const std::string& path) const;
  std::string webhook_url() const { return url("/webhook"); }
  // VmRSS from /proc/PID/status, in KiB (0 when unreadable).
  long rss_kib() const;
  // Waits until the bot logged that it handled `delivery` (delivery_handled with result done,
  // ignored or failed; a retry is not an end) and returns that result; "" on timeout or exit.
  std::string wait_handled(const std::string& delivery, std::chrono::seconds timeout = std::chrono::seconds{20});

 private:
  process::Spec spec_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::optional<process::Result> result_;
  int port_ = 0;        // set by wait_listening, read-only afterwards
  pid_t pid_ = 0;       // likewise
  std::thread thread_;  // last: started once everything it uses exists
};

}  // namespace deploy::test
