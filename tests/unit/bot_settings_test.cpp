// deploy-bot's settings from the environment: the worker variables (the rest is checked end to end
// by tests/e2e/bot_ingest_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bot/settings.hpp"

namespace {

deploy::Result<deploy::bot::Settings> load(std::map<std::string, std::string> env) {
  env.emplace("WEBHOOK_SECRET", "s3cret");
  auto lookup = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return deploy::bot::load_settings(lookup, {}, 2);
}

}  // namespace

TEST_CASE("DEPLOY_BOT_WORKERS, DEPLOY_BOT_INSTALLATION_CONCURRENCY and DEPLOY_BOT_LOGIN") {
  struct Case {
    std::map<std::string, std::string> env;
    std::string error;  // "" = loads
    unsigned workers = 2;
    int per_installation = 4;
  };
  const std::vector<Case> cases = {
      {{}, "", 2, 4},
      {{{"DEPLOY_BOT_WORKERS", ""}}, "", 2, 4},
      {{{"DEPLOY_BOT_WORKERS", "0"}}, "", 0, 4},
      {{{"DEPLOY_BOT_WORKERS", "8"}, {"DEPLOY_BOT_INSTALLATION_CONCURRENCY", "1"}}, "", 8, 1},
      {{{"DEPLOY_BOT_WORKERS", "257"}}, "invalid_workers"},
      {{{"DEPLOY_BOT_WORKERS", "two"}}, "invalid_workers"},
      {{{"DEPLOY_BOT_WORKERS", "-1"}}, "invalid_workers"},
      {{{"DEPLOY_BOT_INSTALLATION_CONCURRENCY", "0"}}, "invalid_installation_concurrency"},
      {{{"DEPLOY_BOT_INSTALLATION_CONCURRENCY", "4x"}}, "invalid_installation_concurrency"},
  };
  for (const auto& c : cases) {
    std::string name;
    for (const auto& [k, v] : c.env) name += k + "=" + v + " ";
    CAPTURE(name);
    auto settings = load(c.env);
    if (!c.error.empty()) {
      REQUIRE_FALSE(settings);
      CHECK(settings.error().code == c.error);
      continue;
    }
    REQUIRE(settings);
    CHECK(settings->workers == c.workers);
    CHECK(settings->installation_concurrency == c.per_installation);
  }
  CHECK(load({})->delivery_body_retention_days == 30);
  CHECK(load({{"DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS", "7"}})->delivery_body_retention_days == 7);
  CHECK(load({{"DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS", "0"}})->delivery_body_retention_days == 0);
  CHECK(load({{"DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS", "30d"}}).error().code == "invalid_delivery_body_retention");
  CHECK(load({{"DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS", "-1"}}).error().code == "invalid_delivery_body_retention");
  auto named = load({{"DEPLOY_BOT_LOGIN", "deploy-robot"}});
  REQUIRE(named);
  CHECK(named->bot_login == "deploy-robot");
  CHECK(load({})->bot_login == "");
}

TEST_CASE("the server's limits: defaults, bounds and reason codes (issue 13)") {
  struct Case {
    std::map<std::string, std::string> env;
    std::string error;  // "" = loads
    unsigned connections = 1024;
    std::uint64_t in_flight = 64ull << 20;
    unsigned header_timeout = 10;
    unsigned body_timeout = 30;
  };
  const std::vector<Case> cases = {
      {{}, ""},
      {{{"DEPLOY_BOT_MAX_CONNECTIONS", "1"}}, "", 1},
      {{{"DEPLOY_BOT_MAX_CONNECTIONS", "1000000"}}, "", 1'000'000},
      {{{"DEPLOY_BOT_MAX_CONNECTIONS", "0"}}, "invalid_max_connections"},
      {{{"DEPLOY_BOT_MAX_CONNECTIONS", "1000001"}}, "invalid_max_connections"},
      {{{"DEPLOY_BOT_MAX_CONNECTIONS", "many"}}, "invalid_max_connections"},
      {{{"DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT", "26214400"}}, "", 1024, 25ull << 20},
      {{{"DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT", "8589934592"}}, "", 1024, 8ull << 30},
      {{{"DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT", "26214399"}}, "invalid_max_body_bytes_in_flight"},
      {{{"DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT", "64MiB"}}, "invalid_max_body_bytes_in_flight"},
      {{{"DEPLOY_BOT_HEADER_TIMEOUT_SECONDS", "1"}, {"DEPLOY_BOT_BODY_TIMEOUT_SECONDS", "3600"}},
       "",
       1024,
       64ull << 20,
       1,
       3600},
      {{{"DEPLOY_BOT_HEADER_TIMEOUT_SECONDS", "0"}}, "invalid_header_timeout"},
      {{{"DEPLOY_BOT_BODY_TIMEOUT_SECONDS", "3601"}}, "invalid_body_timeout"},
  };
  for (const auto& c : cases) {
    std::string name;
    for (const auto& [k, v] : c.env) name += k + "=" + v + " ";
    CAPTURE(name);
    auto settings = load(c.env);
    if (!c.error.empty()) {
      REQUIRE_FALSE(settings);
      CHECK(settings.error().code == c.error);
      continue;
    }
    REQUIRE(settings);
    CHECK(settings->max_connections == c.connections);
    CHECK(settings->max_body_bytes_in_flight == c.in_flight);
    CHECK(settings->header_timeout_seconds == c.header_timeout);
    CHECK(settings->body_timeout_seconds == c.body_timeout);
  }
  // Each is in --help's table.
  for (const char* name : {"DEPLOY_BOT_MAX_CONNECTIONS", "DEPLOY_BOT_MAX_BODY_BYTES_IN_FLIGHT",
                           "DEPLOY_BOT_HEADER_TIMEOUT_SECONDS", "DEPLOY_BOT_BODY_TIMEOUT_SECONDS"}) {
    CAPTURE(name);
    const auto& help = deploy::bot::environment_help();
    CHECK(std::any_of(help.begin(), help.end(), [&](const auto& entry) { return entry.name == name; }));
  }
}

TEST_CASE("--help's environment table names exactly the variables load_settings reads") {
  std::vector<std::string> asked;
  auto lookup = [&asked](std::string_view name) -> std::optional<std::string> {
    asked.emplace_back(name);
    if (name == "WEBHOOK_SECRET") return "s3cret";
    return std::nullopt;
  };
  REQUIRE(deploy::bot::load_settings(lookup, {}, 2));
  std::vector<std::string> documented;
  for (const auto& entry : deploy::bot::environment_help()) documented.push_back(entry.name);
  std::sort(asked.begin(), asked.end());
  asked.erase(std::unique(asked.begin(), asked.end()), asked.end());
  std::sort(documented.begin(), documented.end());
  CHECK(asked == documented);
}
