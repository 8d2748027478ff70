// deploy-bot's configuration: environment variables (secrets only ever from there) with flag
// overrides for the non-secret ones. Pure: the environment is passed in as a lookup function.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cli/cli.hpp"
#include "core/result.hpp"

namespace deploy::bot {

struct ListenAddress {
  std::string host;        // an IP literal or a name; "0.0.0.0" = every IPv4 interface
  std::uint16_t port = 0;  // 0 = any free port (the bot prints the one it got)
};

// "HOST:PORT" or "[IPV6]:PORT". Error code: "invalid_listen_address".
Result<ListenAddress> parse_listen(std::string_view text);

struct Settings {
  ListenAddress listen{"0.0.0.0", 8080};
  std::string store_path = "./deploy-bot.sqlite3";
  std::string webhook_secret;
  std::string github_api_url = "https://api.github.com";
  std::string github_token;   // a static token, or empty when the App is used
  std::string github_app_id;  // with github_app_private_key_path
  std::string github_app_private_key_path;
  unsigned threads = 1;
  unsigned workers = 2;                        // DEPLOY_BOT_WORKERS: threads processing deliveries; 0 = none
  int installation_concurrency = 4;            // DEPLOY_BOT_INSTALLATION_CONCURRENCY: running per installation
  std::string bot_login;                       // DEPLOY_BOT_LOGIN: the bot's own login (token mode), may be empty
  unsigned delivery_body_retention_days = 30;  // DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS: 0 = keep forever
  // DEPLOY_BOT_GITHUB_CACHE_MB: memory for GitHub answers kept for conditional requests; 0 = none.
  unsigned github_cache_mb = 32;
  unsigned store_pool = 4;       // DEPLOY_BOT_STORE_POOL: PostgreSQL connections at most
  unsigned lease_seconds = 300;  // DEPLOY_BOT_LEASE_SECONDS: a claimed delivery's lease
  // The server's limits (docs/OPERATIONS.md, "Limits").
  unsigned max_connections = 1024;                       // DEPLOY_BOT_MAX_CONNECTIONS
  std::uint64_t max_body_bytes_in_flight = 64ull << 20;  // DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT
  unsigned header_timeout_seconds = 10;                  // DEPLOY_BOT_HEADER_TIMEOUT_SECONDS
  unsigned body_timeout_seconds = 30;                    // DEPLOY_BOT_BODY_TIMEOUT_SECONDS
};

struct Flags {
  std::optional<std::string> listen;  // --listen
  std::optional<std::string> store;   // --store
};

// Returns the value of an environment variable, nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Error codes: "webhook_secret_missing", "invalid_listen_address", "invalid_threads",
// "github_credentials_conflict" (GITHUB_TOKEN and GITHUB_APP_ID both set),
// "invalid_workers", "invalid_installation_concurrency", "invalid_delivery_body_retention",
// "github_app_incomplete" (one of GITHUB_APP_ID / GITHUB_APP_PRIVATE_KEY_PATH without the other),
// "invalid_github_api_url", "invalid_max_connections", "invalid_max_body_bytes_in_flight",
// "invalid_header_timeout", "invalid_body_timeout", "invalid_github_cache", "invalid_store_pool", "invalid_lease". The
// key file itself is read and checked by the caller (I/O).
Result<Settings> load_settings(const EnvLookup& env, const Flags& flags, unsigned hardware_threads);

// DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS (0..36500, default 30), as load_settings reads it; also
// for `deploy-bot deliveries prune`. Error code "invalid_delivery_body_retention".
Result<unsigned> delivery_body_retention_days(const EnvLookup& env);

// One line per variable load_settings reads, for --help (tests/unit/bot_settings_test.cpp checks
// that the two name the same variables).
const std::vector<cli::Entry>& environment_help();

}  // namespace deploy::bot
