// The PostgreSQL config cache: ConfigCache over the store's PgDatabase (pg_database.hpp).
#pragma once

#include "core/store/config_cache.hpp"

namespace deploy::store {

class PgDatabase;

class PgConfigCache final : public ConfigCache {
 public:
  explicit PgConfigCache(PgDatabase& database) : db_(database) {}
  void put(const CachedConfig& config) override;
  std::optional<CachedConfig> get(std::string_view repository) override;

 private:
  PgDatabase& db_;
};

}  // namespace deploy::store
