// deploy-bot: the command line. `serve` runs the webhook server; everything it does is in
// bot/ (server, routes) and core/ (store, webhook).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
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

#include "bot/admin_commands.hpp"
#include "bot/counting_transport.hpp"
#include "bot/handlers/registry.hpp"
#include "bot/metrics.hpp"
#include "bot/worker.hpp"
#include "core/audit.hpp"
#include "core/command.hpp"
#include "core/github_client.hpp"
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
         "  deploy-bot audit export [--store PATH]\n"
         "      Print the store's audit trail (every approval, rollback and dispatch decision), one\n"
         "      sealed JSON record per line.\n"
         "  deploy-bot audit verify [--store PATH]\n"
         "      Check the audit trail's hash chain; exit 1 naming the first broken record.\n"
         "  deploy-bot deliveries list [--store PATH] [--state queued|running|done|failed|ignored]\n"
         "      The stored webhook deliveries, one JSON object per line (without bodies).\n"
         "  deploy-bot deliveries prune [--store PATH] [--older-than-days N]\n"
         "      Empty the bodies of handled deliveries older than N days (default\n"
         "      DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS, else 30) now; ids and the audit trail stay.\n"
         "      serve does this every hour by itself; this needs the store not in use.\n"
         "  deploy-bot --help     this text\n"
         "  deploy-bot --version  the version\n\n"
         "Flags (serve):\n"
         "  --listen HOST:PORT    overrides DEPLOY_BOT_LISTEN (port 0 = any free port)\n"
         "  --store PATH          overrides DEPLOY_BOT_STORE\n\n"
         "Environment (secrets are only ever read from here):\n";
  for (const auto& var : deploy::bot::environment_help()) {
    out << "  " << var.name << std::string(var.name.size() < 30 ? 30 - var.name.size() : 1, ' ') << var.help << "\n";
  }
  out << "\nEvents handled (others are acknowledged with 202 and ignored):\n";
  for (const auto& entry : deploy::bot::handlers::registry()) {
    std::string name(entry.event);
    if (!entry.actions.empty()) {
      name += ".";
      for (std::size_t i = 0; i < entry.actions.size(); ++i) name += (i ? "/" : "") + std::string(entry.actions[i]);
    }
    out << "  " << name << std::string(name.size() < 40 ? 40 - name.size() : 1, ' ') << entry.help << "\n";
  }
  out << "\nComment commands (on pull requests, release tracking issues and commits):\n" << deploy::command::help_text();
  out << "\nOn start it prints \"deploy-bot listening on http://ADDR:PORT\" to stdout; logs go to stderr.\n"
         "SIGTERM or SIGINT: stop accepting, finish in-flight requests (up to 10 s) and the deliveries\n"
         "being handled (queued ones wait for the next start), exit 0.\n";
}

int usage_error(const std::string& message) {
  std::cerr << "deploy-bot: " << message << "\nRun `deploy-bot --help` for usage.\n";
  return kUsageError;
}

// Each open connection holds a file descriptor. The soft limit is often 1024 while the hard limit
// is far higher: raise the soft one to the hard one (the bot uses epoll, never select), and warn
// when even that is too few for DEPLOY_BOT_MAX_CONNECTIONS plus what the store and GitHub need.
rlim_t raise_file_limit(unsigned max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  constexpr rlim_t kReserve = 64;  // the store, GitHub connections, the log, the event loops
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < max_connections + kReserve) {
    spdlog::warn(R"({{"event":"file_limit_low","nofile":{},"max_connections":{},"hint":"raise LimitNOFILE (or docker --ulimit nofile) above DEPLOY_BOT_MAX_CONNECTIONS + 64; until then, out of descriptors, idle connections are closed to make room"}})",
                 static_cast<unsigned long long>(limit.rlim_cur), max_connections);
  }
  return limit.rlim_cur;
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

// The value of option `name` at args[i], written `--name=VALUE` or `--name VALUE` (then i moves
// past the value); nullopt when args[i] is another option or the value is missing.
std::optional<std::string> option_value(const std::vector<std::string>& args, std::size_t& i, const char* name) {
  const std::string& arg = args[i];
  const std::string prefix = std::string(name) + "=";
  if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
  if (arg == name && i + 1 < args.size()) return args[++i];
  return std::nullopt;
}

bool is_option(const std::string& arg, const char* name) {
  return arg == name || arg.rfind(std::string(name) + "=", 0) == 0;
}

// `audit export|verify` and `deliveries list`: [--store PATH] [--state STATE].
int offline_command(const std::string& command, const std::vector<std::string>& args) {
  std::string store = getenv_lookup("DEPLOY_BOT_STORE").value_or("");
  if (store.empty()) store = "./deploy-bot.sqlite3";
  std::optional<std::string> state;
  std::optional<std::string> days;
  std::string sub;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    if (is_option(arg, "--store")) {
      auto v = option_value(args, i, "--store");
      if (!v) return usage_error("--store needs a path");
      store = *v;
    } else if (command == "deliveries" && is_option(arg, "--state")) {
      state = option_value(args, i, "--state");
      if (!state) return usage_error("--state needs a value");
    } else if (command == "deliveries" && is_option(arg, "--older-than-days")) {
      days = option_value(args, i, "--older-than-days");
      if (!days) return usage_error("--older-than-days needs a number of days");
    } else if (sub.empty() && arg.rfind("--", 0) != 0) {
      sub = arg;
    } else {
      return usage_error("unknown argument to " + command + ": " + arg);
    }
  }
  if (command == "audit" && sub == "export") return deploy::bot::audit_export(store, std::cout, std::cerr);
  if (command == "audit" && sub == "verify") return deploy::bot::audit_verify(store, std::cout, std::cerr);
  if (command == "deliveries" && sub == "list") return deploy::bot::deliveries_list(store, state, std::cout, std::cerr);
  if (command == "deliveries" && sub == "prune") {
    // The same variable and bounds as serve's, so both prune to the same age by default.
    auto lookup = [&days](std::string_view name) -> std::optional<std::string> {
      if (days && name == "DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS") return *days;
      return getenv_lookup(name);
    };
    auto retention = deploy::bot::delivery_body_retention_days(lookup);
    if (!retention) {
      return usage_error(days ? "--older-than-days \"" + *days + "\" is not a number of days from 1 to 36500"
                              : retention.error().message);
    }
    if (*retention == 0) return usage_error("a retention of 0 days means keep forever: nothing to prune");
    return deploy::bot::deliveries_prune(store, *retention, std::cout, std::cerr);
  }
  return usage_error(command == "audit" ? "use `deploy-bot audit export` or `deploy-bot audit verify`"
                                        : "use `deploy-bot deliveries list` or `deploy-bot deliveries prune`");
}

int serve(const std::vector<std::string>& args) {
  deploy::bot::Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    if (is_option(arg, "--listen")) {
      flags.listen = option_value(args, i, "--listen");
      if (!flags.listen) return usage_error("--listen needs a value HOST:PORT");
    } else if (is_option(arg, "--store")) {
      flags.store = option_value(args, i, "--store");
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

  // GitHub: one client for every worker (it keeps no per-call state; App tokens are cached and
  // locked inside AppAuth). Few retries inside a call: the worker retries the whole delivery later
  // instead of holding a thread, and every write is keyed so a retry does not repeat it.
  deploy::SystemClock clock;
  deploy::http::ClientOptions http_options;
  http_options.user_agent = "deploy-bot/" DEPLOY_BOT_VERSION;
  deploy::http::Client http_client(http_options);
  deploy::bot::CountingTransport transport(http_client, metrics);
  deploy::github::Credentials credentials = deploy::github::TokenCredentials{settings->github_token};
  const bool app = !settings->github_app_id.empty();
  if (app) {
    std::ifstream in(settings->github_app_private_key_path, std::ios::binary);
    std::ostringstream pem;
    pem << in.rdbuf();
    auto key = deploy::github::AppKey::from_pem(pem.str());
    if (!key) throw std::runtime_error("GITHUB_APP_PRIVATE_KEY_PATH: " + key.error().message);
    credentials = deploy::github::AppCredentials{
        std::make_shared<deploy::github::AppAuth>(settings->github_app_id, std::move(key).value(), clock), std::nullopt};
  }
  deploy::github::ClientOptions github_options;
  github_options.base_url = settings->github_api_url;
  github_options.user_agent = "deploy-bot/" DEPLOY_BOT_VERSION;
  github_options.retry.max_attempts = 3;
  github_options.retry.base_backoff = std::chrono::milliseconds(250);
  github_options.retry.max_backoff = std::chrono::milliseconds(4'000);
  github_options.retry.max_wait = std::chrono::milliseconds(20'000);
  github_options.retry.wait_budget = std::chrono::milliseconds(40'000);
  github_options.retry.raise_hint = "the delivery is retried later by the worker";
  // A used-up primary limit can last up to an hour: the worker parks the installation's jobs until
  // x-ratelimit-reset instead of a thread sleeping or the delivery failing.
  github_options.retry.wait_out_primary_limit = false;
  deploy::github::Client github(transport, clock, deploy::system_random(), credentials, github_options);

  deploy::bot::handlers::Services services{store, github, app, clock, settings->bot_login};
  deploy::bot::handlers::Dispatcher dispatcher(services);
  deploy::bot::WorkerOptions worker_options;
  worker_options.threads = settings->workers;
  worker_options.installation_limit = settings->installation_concurrency;
  worker_options.delivery_body_retention = std::chrono::hours(24) * settings->delivery_body_retention_days;
  deploy::bot::Worker worker(store, dispatcher, metrics, clock, worker_options);
  routes.on_queued([&worker] { worker.notify(); });

  deploy::bot::ServerOptions server_options;
  server_options.listen = settings->listen;
  server_options.threads = settings->threads;
  server_options.max_connections = settings->max_connections;
  server_options.max_body_bytes_in_flight = settings->max_body_bytes_in_flight;
  server_options.header_timeout = std::chrono::seconds(settings->header_timeout_seconds);
  server_options.body_timeout = std::chrono::seconds(settings->body_timeout_seconds);
  const auto file_limit = raise_file_limit(settings->max_connections);
  deploy::bot::Server server(server_options, routes);

  const auto endpoint = server.endpoint();
  const std::string address = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                         : endpoint.address().to_string();
  spdlog::info(R"({{"event":"started","pid":{},"listen":"{}:{}","store":{},"threads":{},"max_connections":{},"nofile":{},"version":"{}"}})",
               ::getpid(), address, endpoint.port(), nlohmann::json(settings->store_path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), settings->threads,
               settings->max_connections, static_cast<unsigned long long>(file_limit), DEPLOY_BOT_VERSION);
  std::cout << "deploy-bot listening on http://" << address << ":" << endpoint.port() << std::endl;

  // DEPLOY_BOT_WORKERS=0: receive and store only; deliveries wait for a start with workers.
  if (settings->workers > 0) worker.start();
  server.run();
  // The server stopped accepting: let each worker finish the delivery in hand; queued ones wait
  // for the next start.
  worker.stop();
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
    if (args[0] == "audit" || args[0] == "deliveries") {
      return offline_command(args[0], std::vector<std::string>(args.begin() + 1, args.end()));
    }
    return usage_error("unknown command: " + args[0]);
  } catch (const std::exception& e) {
    std::cerr << "deploy-bot: " << e.what() << "\n";
    return 1;
  }
}
