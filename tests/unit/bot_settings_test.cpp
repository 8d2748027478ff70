// deploy-bot's settings from the environment: the worker variables (the rest is checked end to end
// by tests/e2e/bot_ingest_test.cpp).
#include <doctest/doctest.h>

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
