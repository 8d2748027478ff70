// deploy-bot: the command line. `serve` runs the webhook server; everything it does is in
// bot/ (server, routes) and core/ (store, webhook).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bot/admin_commands.hpp"
#include "bot/counting_transport.hpp"
#include "bot/github_metrics.hpp"
#include "bot/handlers/registry.hpp"
#include "bot/metrics.hpp"
#include "bot/routes.hpp"
#include "bot/server.hpp"
#include "bot/settings.hpp"
#include "bot/store_commands.hpp"
#include "bot/worker.hpp"
#include "core/audit/audit.hpp"
#include "core/cli/cli.hpp"
#include "core/command/command.hpp"
#include "core/github/auth.hpp"
#include "core/github/client.hpp"
#include "core/log_json/log_json.hpp"
#include "core/store/store.hpp"

#ifndef DEPLOY_BOT_VERSION
#define DEPLOY_BOT_VERSION "0.0.0"
#endif

namespace {

constexpr int kUsageError = 2;
constexpr int kConfigError = 78;  // EX_CONFIG

// The commands; their synopses, help and parsing all come from these definitions.
const std::vector<deploy::cli::Command>& commands() {
  using deploy::cli::Option;
  const Option store{"--store", "PATH|URL", "overrides DEPLOY_BOT_STORE (a SQLite file or postgres://...)"};
  static const std::vector<deploy::cli::Command> defined = {
      {"serve",
       {{"--listen", "HOST:PORT", "overrides DEPLOY_BOT_LISTEN (port 0 = any free port)"}, store},
       false,
       {},
       "Receive GitHub webhooks on POST /webhook, store them durably, answer 202.\n"
       "Also serves GET /healthz, GET /readyz and GET /metrics (Prometheus)."},
      {"audit export",
       {store},
       false,
       {},
       "Print the store's audit trail (every approval, rollback and dispatch decision), one\n"
       "sealed JSON record per line."},
      {"audit verify",
       {store},
       false,
       {},
       "Check the audit trail's hash chain; exit 1 naming the first broken record."},
      {"deliveries list",
       {store, {"--state", "queued|running|done|failed|ignored", "only deliveries in this state"}},
       false,
       {},
       "The stored webhook deliveries, one JSON object per line (without bodies)."},
      {"deliveries prune",
       {store, {"--older-than-days", "N", "the age, in days, of the bodies to empty"}},
       false,
       {},
       "Empty the bodies of handled deliveries older than N days (default\n"
       "DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS, else 30) now; ids and the audit trail stay.\n"
       "serve does this every hour by itself; this needs the store not in use."},
      {"store migrate",
       {store},
       false,
       {},
       "Apply the store's schema migrations now (serve does at start, under a lock replicas share)\n"
       "and print the schema version."},
      {"store export",
       {store},
       false,
       {},
       "Every row of every table of the store, one JSON object per line (a delivery's body in hex)."},
      {"store copy",
       {{"--from", "PATH|URL", "the store to copy (only read)"}, {"--to", "PATH|URL", "the new, empty store"}},
       false,
       {},
       "Copy a store into another back end, e.g. a SQLite file into PostgreSQL before running\n"
       "replicas; the target must be empty. Stop deploy-bot serve first."},
  };
  return defined;
}

void print_help(std::ostream& out) {
  out << "deploy-bot " DEPLOY_BOT_VERSION " - the deploy-action webhook bot\n\nUsage:\n"
      << deploy::cli::usage("deploy-bot", commands())
      << "  deploy-bot --help     this text\n"
         "  deploy-bot --version  the version\n\n"
         "Flags (serve):\n"
      << deploy::cli::table(deploy::cli::option_entries(commands().front()), 24)
      << "\nEnvironment (secrets are only ever read from here):\n"
      << deploy::cli::table(deploy::bot::environment_help(), 32);
  out << "\nEvents handled (others are acknowledged with 202 and ignored):\n";
  for (const auto& entry : deploy::bot::handlers::registry()) {
    std::string name(entry.event);
    if (!entry.actions.empty()) {
      name += ".";
      for (std::size_t i = 0; i < entry.actions.size(); ++i) name += (i ? "/" : "") + std::string(entry.actions[i]);
    }
    out << "  " << name << std::string(name.size() < 40 ? 40 - name.size() : 1, ' ') << entry.help << "\n";
  }
  out << "\nComment commands (on pull requests, release tracking issues and commits):\n"
      << deploy::command::help_text();
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
    spdlog::warn("{}", deploy::log_json::event(
                           "file_limit_low",
                           {{"nofile", static_cast<unsigned long long>(limit.rlim_cur)},
                            {"max_connections", max_connections},
                            {"hint",
                             "raise LimitNOFILE (or docker --ulimit nofile) above DEPLOY_BOT_MAX_CONNECTIONS + 64; "
                             "until then, out of descriptors, idle connections are closed to make room"}}));
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

// `audit export|verify`, `deliveries list|prune`: the store, read while serve may hold it.
int offline_command(const deploy::cli::Command& command, const deploy::cli::Parsed& args) {
  std::string store = args.get("--store").value_or(getenv_lookup("DEPLOY_BOT_STORE").value_or(""));
  if (store.empty()) store = "./deploy-bot.sqlite3";
  if (command.name == "store migrate") return deploy::bot::store_migrate(store, std::cout, std::cerr);
  if (command.name == "store export") return deploy::bot::store_export(store, std::cout, std::cerr);
  if (command.name == "store copy") {
    const auto from = args.get("--from");
    const auto to = args.get("--to");
    if (!from || !to) return usage_error("store copy: --from and --to are both required");
    return deploy::bot::store_copy(*from, *to, std::cout, std::cerr);
  }
  if (command.name == "audit export") return deploy::bot::audit_export(store, std::cout, std::cerr);
  if (command.name == "audit verify") return deploy::bot::audit_verify(store, std::cout, std::cerr);
  if (command.name == "deliveries list") {
    return deploy::bot::deliveries_list(store, args.get("--state"), std::cout, std::cerr);
  }
  // deliveries prune: the same variable and bounds as serve's, so both prune to the same age by default.
  const auto days = args.get("--older-than-days");
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

// serve, set up in the order its parts depend on each other: settings -> store -> GitHub client
// -> handlers -> worker -> server; each step below is one of those.

// The settings from the environment and the flags, the App key read and parsed. nullopt: the
// reason is printed.
std::optional<deploy::bot::Settings> serve_settings(const deploy::cli::Parsed& args) {
  deploy::bot::Flags flags;
  flags.listen = args.get("--listen");
  flags.store = args.get("--store");
  auto settings = deploy::bot::load_settings(getenv_lookup, flags, std::thread::hardware_concurrency());
  if (!settings) {
    std::cerr << "deploy-bot: " << settings.error().message << " [" << settings.error().code << "]\n";
    return std::nullopt;
  }
  if (auto problem = check_app_key(*settings)) {
    std::cerr << "deploy-bot: " << *problem << " [invalid_private_key]\n";
    return std::nullopt;
  }
  return std::move(settings).value();
}

deploy::store::Options store_options(const deploy::bot::Settings& settings) {
  deploy::store::Options options = deploy::store::options_for(settings.store_path);
  options.pool_size = static_cast<int>(settings.store_pool);
  options.lease = std::chrono::seconds(settings.lease_seconds);
  return options;
}

deploy::github::Credentials github_credentials(const deploy::bot::Settings& settings, deploy::Clock& clock) {
  if (settings.github_app_id.empty()) return deploy::github::TokenCredentials{settings.github_token};
  std::ifstream in(settings.github_app_private_key_path, std::ios::binary);
  std::ostringstream pem;
  pem << in.rdbuf();
  auto key = deploy::github::AppKey::from_pem(pem.str());
  if (!key) throw std::runtime_error("GITHUB_APP_PRIVATE_KEY_PATH: " + key.error().message);
  return deploy::github::AppCredentials{
      std::make_shared<deploy::github::AppAuth>(settings.github_app_id, std::move(key).value(), clock), std::nullopt};
}

deploy::github::ClientOptions github_options(const deploy::bot::Settings& settings,
                                             deploy::bot::GitHubRequestMetrics& requests) {
  deploy::github::ClientOptions options;
  // Reads the bot repeats are asked again conditionally: a 304 does not count against the
  // installation's 5,000 requests an hour (docs/PERFORMANCE.md, "GitHub requests per command").
  if (settings.github_cache_mb > 0) {
    deploy::github::ResponseCacheLimits limits;
    limits.max_bytes = static_cast<std::size_t>(settings.github_cache_mb) << 20;
    limits.max_entries = std::max<std::size_t>(1024, limits.max_bytes / 2048);
    options.cache = std::make_shared<deploy::github::ResponseCache>(limits);
  }
  options.on_request = [&requests](const deploy::github::RequestSeen& seen) { requests.request(seen); };
  options.base_url = settings.github_api_url;
  options.user_agent = "deploy-bot/" DEPLOY_BOT_VERSION;
  options.retry.max_attempts = 3;
  options.retry.base_backoff = std::chrono::milliseconds(250);
  options.retry.max_backoff = std::chrono::milliseconds(4'000);
  options.retry.max_wait = std::chrono::milliseconds(20'000);
  options.retry.wait_budget = std::chrono::milliseconds(40'000);
  options.retry.raise_hint = "the delivery is retried later by the worker";
  // A used-up primary limit can last up to an hour: the worker parks the installation's jobs until
  // x-ratelimit-reset instead of a thread sleeping or the delivery failing.
  options.retry.wait_out_primary_limit = false;
  return options;
}

deploy::http::ClientOptions http_options() {
  deploy::http::ClientOptions options;
  options.user_agent = "deploy-bot/" DEPLOY_BOT_VERSION;
  return options;
}

// GitHub: one client for every worker (it keeps no per-call state; App tokens are cached and
// locked inside AppAuth). Few retries inside a call: the worker retries the whole delivery later
// instead of holding a thread, and every write is keyed so a retry does not repeat it.
struct GitHubClient {
  GitHubClient(const deploy::bot::Settings& settings, deploy::bot::Metrics& metrics,
               deploy::bot::GitHubRequestMetrics& requests, deploy::Clock& clock)
      : http_client(http_options()),
        transport(http_client, metrics),
        client(transport, clock, deploy::system_random(), github_credentials(settings, clock),
               github_options(settings, requests)) {}
  deploy::http::Client http_client;
  deploy::bot::CountingTransport transport;
  deploy::github::Client client;
};

deploy::bot::WorkerOptions worker_options(const deploy::bot::Settings& settings) {
  deploy::bot::WorkerOptions options;
  options.threads = settings.workers;
  options.installation_limit = settings.installation_concurrency;
  options.delivery_body_retention = std::chrono::hours(24) * settings.delivery_body_retention_days;
  // Expired leases are looked for at least twice per lease, so a dead replica's deliveries wait
  // little longer than the lease itself.
  options.lease_sweep_interval = std::min<std::chrono::milliseconds>(options.lease_sweep_interval,
                                                                     std::chrono::seconds(settings.lease_seconds) / 2);
  return options;
}

deploy::bot::ServerOptions server_options(const deploy::bot::Settings& settings) {
  deploy::bot::ServerOptions options;
  options.listen = settings.listen;
  options.threads = settings.threads;
  options.max_connections = settings.max_connections;
  options.max_body_bytes_in_flight = settings.max_body_bytes_in_flight;
  options.header_timeout = std::chrono::seconds(settings.header_timeout_seconds);
  options.body_timeout = std::chrono::seconds(settings.body_timeout_seconds);
  return options;
}

// The "started" log line and the line on stdout that scripts wait for.
void announce_start(const boost::asio::ip::tcp::endpoint& endpoint, const deploy::bot::Settings& settings,
                    const deploy::store::Store& store, rlim_t file_limit) {
  const std::string address =
      endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]" : endpoint.address().to_string();
  spdlog::info("{}", deploy::log_json::event("started", {{"pid", ::getpid()},
                                                         {"listen", address + ":" + std::to_string(endpoint.port())},
                                                         {"store", store.location()},  // a URL's password masked
                                                         {"threads", settings.threads},
                                                         {"max_connections", settings.max_connections},
                                                         {"nofile", static_cast<unsigned long long>(file_limit)},
                                                         {"version", DEPLOY_BOT_VERSION}}));
  std::cout << "deploy-bot listening on http://" << address << ":" << endpoint.port() << std::endl;
}

int serve(const deploy::cli::Parsed& args) {
  const auto settings = serve_settings(args);
  if (!settings) return kConfigError;
  deploy::store::Store store(store_options(*settings));
  deploy::bot::Metrics metrics;
  deploy::bot::Routes routes(store, metrics, settings->webhook_secret);
  deploy::SystemClock clock;
  deploy::bot::GitHubRequestMetrics github_requests;
  metrics.add_renderer([&github_requests] { return github_requests.render(); });
  GitHubClient github(*settings, metrics, github_requests, clock);
  const bool app = !settings->github_app_id.empty();
  deploy::bot::handlers::Services services{store, github.client, app, clock, settings->bot_login};
  services.cache = github.client.cache();
  services.on_handled = [&github_requests](std::string_view command, const deploy::bot::RequestTally& requests) {
    github_requests.command(command, requests);
  };
  deploy::bot::handlers::Dispatcher dispatcher(services);
  deploy::bot::Worker worker(store, dispatcher, metrics, clock, worker_options(*settings));
  routes.on_queued([&worker] { worker.notify(); });
  routes.triage([](std::string_view event, const deploy::bot::PayloadSummary& summary) {
    return deploy::bot::handlers::state_at_ingest(event, summary.action, summary.comment_body);
  });
  // PostgreSQL: deliveries another replica stored (or released) wake this one's workers too.
  store.watch([&worker] { worker.notify(); });
  const auto file_limit = raise_file_limit(settings->max_connections);
  deploy::bot::Server server(server_options(*settings), routes);
  announce_start(server.endpoint(), *settings, store, file_limit);

  // DEPLOY_BOT_WORKERS=0: receive and store only; deliveries wait for a start with workers.
  if (settings->workers > 0) worker.start();
  server.run();
  // The server stopped accepting: let each worker finish the delivery in hand; queued ones wait
  // for the next start.
  worker.stop();
  spdlog::info("{}", deploy::log_json::event("stopped"));
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
    std::size_t words = 0;
    const deploy::cli::Command* command = deploy::cli::find(commands(), args, words);
    if (command == nullptr) {
      const auto group = deploy::cli::group(commands(), args[0]);
      if (group.empty()) return usage_error("unknown command: " + args[0]);
      std::string hint;
      for (std::size_t i = 0; i < group.size(); ++i) {
        hint += (i == 0                  ? ""
                 : i + 1 == group.size() ? " or "
                                         : ", ") +
                std::string("`deploy-bot ") + group[i]->name + "`";
      }
      return usage_error("use " + hint);
    }
    auto parsed = deploy::cli::parse(*command, std::span(args).subspan(words));
    if (!parsed) return usage_error(command->name + ": " + parsed.error().message);
    if (command->name == "serve") return serve(*parsed);
    return offline_command(*command, *parsed);
  } catch (const std::exception& e) {
    std::cerr << "deploy-bot: " << e.what() << "\n";
    return 1;
  }
}
