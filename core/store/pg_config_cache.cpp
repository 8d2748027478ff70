#include "core/store/pg_config_cache.hpp"

#include "core/store/pg_database.hpp"

namespace deploy::store {

namespace {

const std::string kPutConfig = R"sql(
INSERT INTO config_cache (repository, blob_sha, text, fetched_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (repository) DO UPDATE
  SET blob_sha = excluded.blob_sha, text = excluded.text, fetched_at = excluded.fetched_at)sql";

const std::string kGetConfig = "SELECT repository, blob_sha, text, fetched_at FROM config_cache WHERE repository = $1";

}  // namespace

void PgConfigCache::put(const CachedConfig& c) {
  db_.with([&](postgres::Connection& db) {
    db.run(kPutConfig, postgres::Params().add(c.repository).add(c.blob_sha).add(c.text).add(to_ms(c.fetched_at)),
           "caching a config");
  });
}

std::optional<CachedConfig> PgConfigCache::get(std::string_view repository) {
  return db_.with([&](postgres::Connection& db) -> std::optional<CachedConfig> {
    const auto row = db.run(kGetConfig, postgres::Params().add(repository), "reading a cached config");
    if (row.rows() == 0) return std::nullopt;
    return CachedConfig{row.string(0, 0), row.string(0, 1), row.string(0, 2), from_ms(row.int64(0, 3))};
  });
}

}  // namespace deploy::store
