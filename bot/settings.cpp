#include "bot/settings.hpp"

#include <charconv>

namespace deploy::bot {
namespace {

Error listen_error(std::string_view text, std::string_view why) {
  return Error{"invalid_listen_address", "listen address \"" + std::string(text) + "\" " + std::string(why) +
                                             "; expected HOST:PORT, e.g. 0.0.0.0:8080 or [::1]:8080"};
}

// A whole decimal number in [min, max] from `name`, or `fallback` when unset or empty.
template <class Number = unsigned>
Result<Number> bounded_number(const EnvLookup& env, std::string_view name, Number fallback, Number min, Number max,
                              std::string_view code) {
  auto text = env(name);
  if (!text || text->empty()) return fallback;
  Number n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < min || n > max) {
    return Error{std::string(code), std::string(name) + "=\"" + *text + "\" is not a number from " +
                                        std::to_string(min) + " to " + std::to_string(max)};
  }
  return n;
}

std::string value_or_empty(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  return value ? *value : std::string();
}

}  // namespace

Result<ListenAddress> parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return listen_error(text, "has no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return listen_error(text, "has an IPv6 host without brackets");
  }
  if (host.empty()) return listen_error(text, "has no host");
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return listen_error(text, "has a port that is not a number from 0 to 65535");
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

Result<unsigned> delivery_body_retention_days(const EnvLookup& env) {
  return bounded_number<unsigned>(env, "DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS", 30u, 0u, 36'500u,
                                  "invalid_delivery_body_retention");
}

Result<Settings> load_settings(const EnvLookup& env, const Flags& flags, unsigned hardware_threads) {
  Settings s;
  s.webhook_secret = value_or_empty(env, "WEBHOOK_SECRET");
  // A blank secret (" ", a stray newline from a file) is as good as none: anyone could sign.
  if (s.webhook_secret.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error{"webhook_secret_missing",
                 "WEBHOOK_SECRET is not set, empty or only blanks: set it to the secret configured for the GitHub "
                 "webhook (deploy-bot refuses unsigned deliveries, so it will not start without one)"};
  }

  std::string listen = flags.listen ? *flags.listen : value_or_empty(env, "DEPLOY_BOT_LISTEN");
  if (!listen.empty()) {
    auto parsed = parse_listen(listen);
    if (!parsed) return parsed.error();
    s.listen = *parsed;
  }

  if (flags.store) {
    s.store_path = *flags.store;
  } else if (auto store = env("DEPLOY_BOT_STORE"); store && !store->empty()) {
    s.store_path = *store;
  }

  auto pool = bounded_number(env, "DEPLOY_BOT_STORE_POOL", s.store_pool, 1u, 256u, "invalid_store_pool");
  if (!pool) return pool.error();
  s.store_pool = *pool;
  auto lease = bounded_number(env, "DEPLOY_BOT_LEASE_SECONDS", s.lease_seconds, 1u, 86'400u, "invalid_lease");
  if (!lease) return lease.error();
  s.lease_seconds = *lease;

  s.threads = hardware_threads == 0 ? 1 : hardware_threads;
  if (auto threads = env("DEPLOY_BOT_THREADS"); threads && !threads->empty()) {
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(threads->data(), threads->data() + threads->size(), n);
    if (ec != std::errc() || end != threads->data() + threads->size() || n == 0 || n > 1024) {
      return Error{"invalid_threads", "DEPLOY_BOT_THREADS=\"" + *threads + "\" is not a number from 1 to 1024"};
    }
    s.threads = n;
  }

  auto workers = bounded_number(env, "DEPLOY_BOT_WORKERS", 2u, 0u, 256u, "invalid_workers");
  if (!workers) return workers.error();
  s.workers = *workers;
  auto per_installation =
      bounded_number(env, "DEPLOY_BOT_INSTALLATION_CONCURRENCY", 4u, 1u, 1024u, "invalid_installation_concurrency");
  if (!per_installation) return per_installation.error();
  s.installation_concurrency = static_cast<int>(*per_installation);
  s.bot_login = value_or_empty(env, "DEPLOY_BOT_LOGIN");
  auto cache_mb =
      bounded_number(env, "DEPLOY_BOT_GITHUB_CACHE_MB", s.github_cache_mb, 0u, 65536u, "invalid_github_cache");
  if (!cache_mb) return cache_mb.error();
  s.github_cache_mb = *cache_mb;
  auto retention = delivery_body_retention_days(env);
  if (!retention) return retention.error();
  s.delivery_body_retention_days = *retention;

  auto connections =
      bounded_number(env, "DEPLOY_BOT_MAX_CONNECTIONS", s.max_connections, 1u, 1'000'000u, "invalid_max_connections");
  if (!connections) return connections.error();
  s.max_connections = *connections;
  // At least one delivery of GitHub's largest size must fit, or such a delivery could never arrive.
  auto in_flight = bounded_number<std::uint64_t>(env, "DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT", s.max_body_bytes_in_flight,
                                                 25ull << 20, 1ull << 40, "invalid_max_body_bytes_in_flight");
  if (!in_flight) return in_flight.error();
  s.max_body_bytes_in_flight = *in_flight;
  auto header_timeout = bounded_number(env, "DEPLOY_BOT_HEADER_TIMEOUT_SECONDS", s.header_timeout_seconds, 1u, 3600u,
                                       "invalid_header_timeout");
  if (!header_timeout) return header_timeout.error();
  s.header_timeout_seconds = *header_timeout;
  auto body_timeout =
      bounded_number(env, "DEPLOY_BOT_BODY_TIMEOUT_SECONDS", s.body_timeout_seconds, 1u, 3600u, "invalid_body_timeout");
  if (!body_timeout) return body_timeout.error();
  s.body_timeout_seconds = *body_timeout;

  if (auto url = env("GITHUB_API_URL"); url && !url->empty()) {
    if (url->rfind("https://", 0) != 0 && url->rfind("http://", 0) != 0) {
      return Error{"invalid_github_api_url",
                   "GITHUB_API_URL=\"" + *url + "\" must start with https:// (or http:// for a loopback test server)"};
    }
    s.github_api_url = *url;
  }
  s.github_token = value_or_empty(env, "GITHUB_TOKEN");
  s.github_app_id = value_or_empty(env, "GITHUB_APP_ID");
  s.github_app_private_key_path = value_or_empty(env, "GITHUB_APP_PRIVATE_KEY_PATH");
  if (!s.github_token.empty() && !s.github_app_id.empty()) {
    return Error{"github_credentials_conflict",
                 "both GITHUB_TOKEN and GITHUB_APP_ID are set: use a token or an App, not both"};
  }
  if (s.github_app_id.empty() != s.github_app_private_key_path.empty()) {
    return Error{"github_app_incomplete",
                 "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY_PATH go together: set both to run as a GitHub App"};
  }
  return s;
}

const std::vector<cli::Entry>& environment_help() {
  static const std::vector<cli::Entry> help = {
      {"WEBHOOK_SECRET", "required; the GitHub webhook secret (X-Hub-Signature-256 key)"},
      {"DEPLOY_BOT_LISTEN", "HOST:PORT to listen on (default 0.0.0.0:8080; --listen overrides)"},
      {"DEPLOY_BOT_STORE",
       "SQLite store file (default ./deploy-bot.sqlite3), or postgres://USER@HOST:PORT/DB for PostgreSQL shared by "
       "replicas (--store overrides)"},
      {"DEPLOY_BOT_STORE_POOL", "PostgreSQL connections per replica at most (default 4)"},
      {"DEPLOY_BOT_LEASE_SECONDS",
       "how long a claimed delivery stays claimed before another worker or replica may take it (default 300)"},
      {"DEPLOY_BOT_THREADS", "server threads (default: the number of CPUs)"},
      {"DEPLOY_BOT_WORKERS", "worker threads handling deliveries (default 2; 0 = only receive and store)"},
      {"DEPLOY_BOT_INSTALLATION_CONCURRENCY", "deliveries handled at once per installation (default 4)"},
      {"DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS",
       "days a handled delivery's body is kept (default 30; 0 = forever); its id is kept for de-duplication"},
      {"DEPLOY_BOT_GITHUB_CACHE_MB",
       "memory for GitHub answers kept for conditional requests (default 32; 0 = none: every read is charged)"},
      {"DEPLOY_BOT_LOGIN", "the bot's own login when run with a user token (its comments are ignored)"},
      {"DEPLOY_BOT_MAX_CONNECTIONS", "open connections at most (default 1024); beyond, idle ones are closed, else 503"},
      {"DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT",
       "request body bytes held at once over all connections (default 67108864 = 64 MiB; at least 25 MiB); beyond, "
       "503"},
      {"DEPLOY_BOT_HEADER_TIMEOUT_SECONDS",
       "to send a request's header, and to stay idle between requests (default 10)"},
      {"DEPLOY_BOT_BODY_TIMEOUT_SECONDS", "to send a request's body, and to read the answer (default 30)"},
      {"GITHUB_API_URL", "GitHub REST API base (default https://api.github.com)"},
      {"GITHUB_TOKEN", "a token to call GitHub with (or use the App variables)"},
      {"GITHUB_APP_ID", "the GitHub App's id (with GITHUB_APP_PRIVATE_KEY_PATH)"},
      {"GITHUB_APP_PRIVATE_KEY_PATH", "the App's private key, PEM (PKCS#1 or PKCS#8)"},
  };
  return help;
}

}  // namespace deploy::bot
