#include "bench/bot_replicas.hpp"

#include <signal.h>

#include <chrono>
#include <stdexcept>

namespace deploy::bench {

namespace {

// The decimal number right after `marker` in `line`, if any.
std::optional<int> number_after(const std::string& line, const std::string& marker) {
  const auto at = line.find(marker);
  if (at == std::string::npos) return std::nullopt;
  int value = 0;
  bool any = false;
  for (std::size_t i = at + marker.size(); i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i, any = true)
    value = value * 10 + (line[i] - '0');
  return any ? std::optional<int>(value) : std::nullopt;
}

}  // namespace

BotReplicas::BotReplicas(ReplicaSpec spec) : spec_(std::move(spec)) {
  if (spec_.count < 1) throw std::invalid_argument("--replicas must be at least 1");
  replicas_.resize(static_cast<std::size_t>(spec_.count));
  results_.resize(replicas_.size());
  for (int index = 0; index < spec_.count; ++index) {
    threads_.emplace_back([this, index] {
      process::Spec process;
      process.argv = {spec_.bot, "serve", "--listen", "127.0.0.1:0", "--store", spec_.store};
      process.env = spec_.env;
      process.unset_env = spec_.unset_env;
      auto& replica = replicas_[static_cast<std::size_t>(index)];
      auto result = process::run(
          process,
          [&](const std::string& line) {
            {
              std::lock_guard lock(mutex_);
              if (auto port = number_after(line, "deploy-bot listening on http://127.0.0.1:")) replica.port = *port;
              if (auto pid = number_after(line, "\"pid\":"); pid && replica.pid == 0) replica.pid = *pid;
            }
            changed_.notify_all();
            if (spec_.on_line) spec_.on_line(index, line);
          },
          &cancel_);
      {
        std::lock_guard lock(mutex_);
        results_[static_cast<std::size_t>(index)] = result;
      }
      changed_.notify_all();
    });
  }
  std::unique_lock lock(mutex_);
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    const bool up = changed_.wait_for(lock, std::chrono::seconds(30), [&] {
      return (replicas_[i].port != 0 && replicas_[i].pid != 0) || results_[i].has_value();
    });
    if (!up || replicas_[i].port == 0 || replicas_[i].pid == 0) {
      const std::string how = results_[i] ? " (" + results_[i]->describe() + ")" : " within 30 s";
      lock.unlock();
      stop();
      throw std::runtime_error("deploy-bot replica " + std::to_string(i + 1) + " of " +
                               std::to_string(replicas_.size()) + " did not start" + how + ": " + spec_.bot +
                               " serve --store " + spec_.store);
    }
  }
}

BotReplicas::~BotReplicas() { stop(); }

std::vector<process::Result> BotReplicas::stop() {
  std::vector<process::Result> ended;
  if (stopped_) return ended;
  stopped_ = true;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
      if (replicas_[i].pid != 0 && !results_[i]) ::kill(replicas_[i].pid, SIGTERM);
      if (replicas_[i].pid == 0) cancel_ = true;  // its process group gets SIGTERM, then SIGKILL
    }
  }
  for (auto& thread : threads_) thread.join();
  for (auto& result : results_) ended.push_back(result.value_or(process::Result{}));
  return ended;
}

}  // namespace deploy::bench
