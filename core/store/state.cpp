#include "core/store/state.hpp"

#include <stdexcept>

#include "core/sqlite/sqlite.hpp"
#include "core/store/database.hpp"

namespace deploy::store {

namespace {

constexpr const char* kPutState = R"sql(
INSERT INTO bot_state (key, value, updated_at) VALUES (?1, ?2, ?3)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at)sql";

constexpr const char* kGetState = "SELECT value FROM bot_state WHERE key = ?1";

}  // namespace

void SqliteBotState::put(std::string_view key, std::string_view value_json) {
  if (key.empty()) throw std::logic_error("store: put_state needs a key");
  db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kPutState, "remembering bot state");
    sqlite::Reset reset(st);
    st.bind(1, key).bind(2, value_json).bind(3, to_ms(db_.clock().now()));
    st.run();
  });
}

std::optional<std::string> SqliteBotState::get(std::string_view key) {
  return db_.read([&](sqlite::Connection& db) -> std::optional<std::string> {
    sqlite::Statement& st = db.cached(kGetState, "reading bot state");
    sqlite::Reset reset(st);
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return st.column_string(0);
  });
}

}  // namespace deploy::store
