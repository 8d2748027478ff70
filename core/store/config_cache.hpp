// The store's cache of each repository's .github/deploy.yml, by the git blob it came from, so a
// burst of deliveries reads the file from GitHub once.
//
// ConfigCache is what a back end implements; SqliteConfigCache is the SQLite one, over the store's
// Database.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace deploy::store {

using TimePoint = std::chrono::system_clock::time_point;

struct CachedConfig {
  std::string repository;
  std::string blob_sha;  // git blob SHA of .github/deploy.yml the text came from
  std::string text;
  TimePoint fetched_at;
};

class ConfigCache {
 public:
  virtual ~ConfigCache() = default;
  virtual void put(const CachedConfig& config) = 0;  // replaces the repository's entry
  virtual std::optional<CachedConfig> get(std::string_view repository) = 0;
};

class Database;

class SqliteConfigCache final : public ConfigCache {
 public:
  explicit SqliteConfigCache(Database& database) : db_(database) {}
  void put(const CachedConfig& config) override;
  std::optional<CachedConfig> get(std::string_view repository) override;

 private:
  Database& db_;
};

}  // namespace deploy::store
