// The PostgreSQL bot state: BotState over the store's PgDatabase (pg_database.hpp).
#pragma once

#include "core/store/state.hpp"

namespace deploy::store {

class PgDatabase;

class PgBotState final : public BotState {
 public:
  explicit PgBotState(PgDatabase& database) : db_(database) {}
  void put(std::string_view key, std::string_view value_json) override;
  std::optional<std::string> get(std::string_view key) override;

 private:
  PgDatabase& db_;
};

}  // namespace deploy::store
