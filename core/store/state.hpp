// What the bot's handlers remember between deliveries, as JSON text by key: a deploy waiting on the
// protection rule, a workflow run the bot dispatched, the runs in flight for an environment.
//
// BotState is what a back end implements; SqliteBotState is the SQLite one, over the store's
// Database.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deploy::store {

class BotState {
 public:
  virtual ~BotState() = default;
  virtual void put(std::string_view key, std::string_view value_json) = 0;  // replaces; the key must not be empty
  virtual std::optional<std::string> get(std::string_view key) = 0;
};

class Database;

class SqliteBotState final : public BotState {
 public:
  explicit SqliteBotState(Database& database) : db_(database) {}
  void put(std::string_view key, std::string_view value_json) override;
  std::optional<std::string> get(std::string_view key) override;

 private:
  Database& db_;
};

}  // namespace deploy::store
