#include "core/store/config_cache.hpp"

#include "core/sqlite/sqlite.hpp"
#include "core/store/database.hpp"

namespace deploy::store {

namespace {

constexpr const char* kPutConfig = R"sql(
INSERT INTO config_cache (repository, blob_sha, text, fetched_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (repository) DO UPDATE
  SET blob_sha = excluded.blob_sha, text = excluded.text, fetched_at = excluded.fetched_at)sql";

constexpr const char* kGetConfig =
    "SELECT repository, blob_sha, text, fetched_at FROM config_cache WHERE repository = ?1";

}  // namespace

void SqliteConfigCache::put(const CachedConfig& c) {
  db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kPutConfig, "caching a config");
    sqlite::Reset reset(st);
    st.bind(1, c.repository).bind(2, c.blob_sha).bind(3, c.text).bind(4, to_ms(c.fetched_at));
    st.run();
  });
}

std::optional<CachedConfig> SqliteConfigCache::get(std::string_view repository) {
  return db_.read([&](sqlite::Connection& db) -> std::optional<CachedConfig> {
    sqlite::Statement& st = db.cached(kGetConfig, "reading a cached config");
    sqlite::Reset reset(st);
    st.bind(1, repository);
    if (!st.step()) return std::nullopt;
    return CachedConfig{st.column_string(0), st.column_string(1), st.column_string(2), from_ms(st.column_int64(3))};
  });
}

}  // namespace deploy::store
