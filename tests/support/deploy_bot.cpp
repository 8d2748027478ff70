#include "tests/support/deploy_bot.hpp"

#include <fstream>
#include <stdexcept>

#include "tests/support/text.hpp"

namespace deploy::test {

namespace {

process::Spec bot_spec(const BotOptions& options) {
  process::Spec spec;
  spec.argv = {DEPLOY_BOT_BINARY, "serve", "--listen", "127.0.0.1:0", "--store", options.store.string()};
  spec.argv.insert(spec.argv.end(), options.extra_args.begin(), options.extra_args.end());
  if (options.max_files > 0) {
    const std::string limit = std::to_string(options.max_files);
    spec.argv.insert(spec.argv.begin(), {"prlimit", "--nofile=" + limit + ":" + limit, "--"});
  }
  // Only what the test gives: nothing the bot reads comes from the environment the tests run in.
  spec.unset_env = {"WEBHOOK_SECRET",
                    "DEPLOY_BOT_LISTEN",
                    "DEPLOY_BOT_STORE",
                    "DEPLOY_BOT_STORE_POOL",
                    "DEPLOY_BOT_LEASE_SECONDS",
                    "DEPLOY_BOT_LOGIN",
                    "DEPLOY_BOT_MAX_CONNECTIONS",
                    "DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT",
                    "DEPLOY_BOT_HEADER_TIMEOUT_SECONDS",
                    "DEPLOY_BOT_BODY_TIMEOUT_SECONDS",
                    "DEPLOY_BOT_INSTALLATION_CONCURRENCY",
                    "DEPLOY_BOT_GITHUB_CACHE_MB",
                    "DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS",
                    "GITHUB_API_URL",
                    "GITHUB_TOKEN",
                    "GITHUB_APP_ID",
                    "GITHUB_APP_PRIVATE_KEY_PATH"};
  spec.env = options.env;
  spec.env.emplace("DEPLOY_BOT_THREADS", std::to_string(options.threads));
  spec.env.emplace("DEPLOY_BOT_WORKERS", std::to_string(options.workers));
  spec.timeout = options.timeout;
  return spec;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

}  // namespace

BotProcess::BotProcess(BotOptions options) : spec_(bot_spec(options)) {
  thread_ = std::thread([this] {
    auto result = process::run(spec_, [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
      changed_.notify_all();
    });
    std::lock_guard lock(mutex_);
    result_ = result;
    changed_.notify_all();
  });
}

BotProcess::~BotProcess() {
  if (pid_ > 0 && !finished()) ::kill(pid_, SIGKILL);
  if (thread_.joinable()) thread_.join();
}

bool BotProcess::wait_listening(std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  const bool ok = changed_.wait_until(lock, std::chrono::steady_clock::now() + timeout, [&] {
    if (result_) return true;
    for (const auto& line : lines_) {
      if (auto port = number_after(line, "deploy-bot listening on http://127.0.0.1:")) port_ = *port;
      if (auto pid = number_after(line, "\"pid\":")) pid_ = *pid;
    }
    return port_ != 0 && pid_ != 0;
  });
  return ok && !result_;
}

void BotProcess::require_listening() {
  if (!wait_listening()) throw std::runtime_error("deploy-bot did not start:\n" + output());
}

bool BotProcess::finished() {
  std::lock_guard lock(mutex_);
  return result_.has_value();
}

process::Result BotProcess::wait_exit() {
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return result_.value();
}

void BotProcess::signal(int sig) const { ::kill(pid_, sig); }

process::Result BotProcess::stop(int sig) {
  signal(sig);
  return wait_exit();
}

std::string BotProcess::output() {
  std::lock_guard lock(mutex_);
  return joined(lines_);
}

std::string BotProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

long BotProcess::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::string BotProcess::wait_handled(const std::string& delivery, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  std::string found;
  changed_.wait_until(lock, std::chrono::steady_clock::now() + timeout, [&] {
    for (const auto& line : lines_) {
      if (line.find("\"delivery_handled\"") == std::string::npos || line.find(delivery) == std::string::npos) continue;
      for (const char* result : {"done", "ignored", "failed"}) {
        if (line.find(std::string("\"result\":\"") + result + "\"") != std::string::npos) found = result;
      }
    }
    return !found.empty() || result_.has_value();
  });
  return found;
}

}  // namespace deploy::test
