// deploy-bot: the command line. `serve` runs the webhook server; everything it does is in
// bot/ (server, routes) and core/ (store, webhook).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bot/metrics.hpp"
#include "bot/routes.hpp"
#include "bot/server.hpp"
#include "bot/settings.hpp"
#include "core/github_auth.hpp"
#include "core/store.hpp"

#ifndef DEPLOY_BOT_VERSION
#define DEPLOY_BOT_VERSION "0.0.0"
#endif

namespace {

constexpr int kUsageError = 2;
constexpr int kConfigError = 78;  // EX_CONFIG

void print_help(std::ostream& out) {
  out << "deploy-bot " DEPLOY_BOT_VERSION " - the deploy-action webhook bot\n\n"
         "Usage:\n"
         "  deploy-bot serve [--listen HOST:PORT] [--store PATH]\n"
         "      Receive GitHub webhooks on POST /webhook, store them durably, answer 202.\n"
         "      Also serves GET /healthz, GET /readyz and GET /metrics (Prometheus).\n"
         "  deploy-bot --help     this text\n"
         "  deploy-bot --version  the version\n\n"
         "Flags (serve):\n"
         "  --listen HOST:PORT    overrides DEPLOY_BOT_LISTEN (port 0 = any free port)\n"
         "  --store PATH          overrides DEPLOY_BOT_STORE\n\n"
         "Environment (secrets are only ever read from here):\n";
  for (const auto& var : deploy::bot::environment_help()) {
    out << "  " << var.name << std::string(var.name.size() < 30 ? 30 - var.name.size() : 1, ' ') << var.help << "\n";
  }
  out << "\nOn start it prints \"deploy-bot listening on http://ADDR:PORT\" to stdout; logs go to stderr.\n"
         "SIGTERM or SIGINT: stop accepting, finish in-flight requests (up to 10 s), exit 0.\n";
}

int usage_error(const std::string& message) {
  std::cerr << "deploy-bot: " << message << "\nRun `deploy-bot --help` for usage.\n";
  return kUsageError;
}

std::optional<std::string> getenv_lookup(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// The App key is read and parsed now, so a wrong path or a bad key fails at start, not at the
// first delivery that needs GitHub.
std::optional<std::string> check_app_key(const deploy::bot::Settings& settings) {
  if (settings.github_app_private_key_path.empty()) return std::nullopt;
  std::ifstream in(settings.github_app_private_key_path, std::ios::binary);
  if (!in) return "cannot read GITHUB_APP_PRIVATE_KEY_PATH=" + settings.github_app_private_key_path;
  std::ostringstream pem;
  pem << in.rdbuf();
  auto key = deploy::github::AppKey::from_pem(pem.str());
  if (!key) return "GITHUB_APP_PRIVATE_KEY_PATH=" + settings.github_app_private_key_path + ": " + key.error().message;
  return std::nullopt;
}

int serve(const std::vector<std::string>& args) {
  deploy::bot::Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      const std::string prefix = std::string(name) + "=";
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      if (arg == name && i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (arg.rfind("--listen", 0) == 0) {
      flags.listen = value("--listen");
      if (!flags.listen) return usage_error("--listen needs a value HOST:PORT");
    } else if (arg.rfind("--store", 0) == 0) {
      flags.store = value("--store");
      if (!flags.store) return usage_error("--store needs a path");
    } else {
      return usage_error("unknown argument to serve: " + arg);
    }
  }

  auto settings = deploy::bot::load_settings(getenv_lookup, flags, std::thread::hardware_concurrency());
  if (!settings) {
    std::cerr << "deploy-bot: " << settings.error().message << " [" << settings.error().code << "]\n";
    return kConfigError;
  }
  if (auto problem = check_app_key(*settings)) {
    std::cerr << "deploy-bot: " << *problem << " [invalid_private_key]\n";
    return kConfigError;
  }

  deploy::store::Options store_options;
  store_options.path = settings->store_path;
  deploy::store::Store store(store_options);
  deploy::bot::Metrics metrics;
  deploy::bot::Routes routes(store, metrics, settings->webhook_secret);

  deploy::bot::ServerOptions server_options;
  server_options.listen = settings->listen;
  server_options.threads = settings->threads;
  deploy::bot::Server server(server_options, routes);

  const auto endpoint = server.endpoint();
  const std::string address = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                         : endpoint.address().to_string();
  spdlog::info(R"({{"event":"started","pid":{},"listen":"{}:{}","store":{},"threads":{},"version":"{}"}})",
               ::getpid(), address, endpoint.port(), nlohmann::json(settings->store_path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), settings->threads, DEPLOY_BOT_VERSION);
  std::cout << "deploy-bot listening on http://" << address << ":" << endpoint.port() << std::endl;

  server.run();
  spdlog::info(R"({"event":"stopped"})");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("deploy-bot"));
  spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":%v})", spdlog::pattern_time_type::utc);
  spdlog::flush_on(spdlog::level::info);
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) return usage_error("a command is required");
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      print_help(std::cout);
      return 0;
    }
    if (args[0] == "--version") {
      std::cout << "deploy-bot " DEPLOY_BOT_VERSION "\n";
      return 0;
    }
    if (args[0] == "serve") return serve(std::vector<std::string>(args.begin() + 1, args.end()));
    return usage_error("unknown command: " + args[0]);
  } catch (const std::exception& e) {
    std::cerr << "deploy-bot: " << e.what() << "\n";
    return 1;
  }
}
