// DemoService: tests/demo-service as a real process for one test (stopped when destroyed), and
// process_gone for tests that watch a child end.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/http/client.hpp"
#include "core/process/process.hpp"
#include "tests/support/eventually.hpp"

namespace deploy::test {

// A process is gone when kill(0) fails or it is a zombie waiting for a reaper that is not us.
inline bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream stat_text;
  stat_text << stat_file.rdbuf();
  std::string stat = stat_text.str();
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// demo-service as a real process, stopped (SIGTERM to its group) when the fixture ends.
class DemoService {
 public:
  // color: "" (one version in state_dir), or "live" / "idle" for the two blue-green roles.
  explicit DemoService(const std::filesystem::path& state_dir, const std::string& color = "") {
    auto spec = deploy::process::Spec{};
    spec.argv = {DEMO_SERVICE_BINARY, "--listen", "127.0.0.1:0", "--state-dir", state_dir.string()};
    if (!color.empty()) {
      spec.argv.push_back("--color");
      spec.argv.push_back(color);
    }
    spec.kill_grace = std::chrono::seconds{2};
    thread_ = std::thread([this, spec] {
      deploy::process::run(
          spec,
          [this](const std::string& line) {
            const std::string prefix = "demo-service listening on ";
            if (line.rfind(prefix, 0) == 0) {
              std::lock_guard lock(mutex_);
              url_ = line.substr(prefix.size());
            }
          },
          &stop_);
    });
    if (!eventually([this] { return !url().empty(); })) {
      stop();
      throw std::runtime_error("demo-service did not report its address");
    }
  }
  ~DemoService() { stop(); }
  DemoService(const DemoService&) = delete;
  DemoService& operator=(const DemoService&) = delete;

  std::string url() const {
    std::lock_guard lock(mutex_);
    return url_;
  }
  std::string get(const std::string& path) {
    deploy::http::Request request;
    request.url = url() + path;
    return client_.send(request).body;
  }

 private:
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  mutable std::mutex mutex_;
  std::string url_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  deploy::http::Client client_;
};

}  // namespace deploy::test
