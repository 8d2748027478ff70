#include "core/store/pg_state.hpp"

#include <stdexcept>

#include "core/store/pg_database.hpp"

namespace deploy::store {

namespace {

const std::string kPutState = R"sql(
INSERT INTO bot_state (key, value, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at)sql";

const std::string kGetState = "SELECT value FROM bot_state WHERE key = $1";

}  // namespace

void PgBotState::put(std::string_view key, std::string_view value_json) {
  if (key.empty()) throw std::logic_error("store: put_state needs a key");
  db_.with([&](postgres::Connection& db) {
    db.run(kPutState, postgres::Params().add(key).add(value_json).add(to_ms(db_.clock().now())),
           "remembering bot state");
  });
}

std::optional<std::string> PgBotState::get(std::string_view key) {
  return db_.with([&](postgres::Connection& db) -> std::optional<std::string> {
    const auto row = db.run(kGetState, postgres::Params().add(key), "reading bot state");
    if (row.rows() == 0) return std::nullopt;
    return row.string(0, 0);
  });
}

}  // namespace deploy::store
