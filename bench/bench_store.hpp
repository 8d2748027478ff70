// The store one bench run gives deploy-bot: a SQLite file in the run's directory (the default), or,
// with --store postgres://..., a new database on that PostgreSQL server made for the run and dropped
// after it, so every run starts from an empty store whatever earlier runs left.
#pragma once

#include <filesystem>
#include <string>

namespace deploy::bench {

class BenchStore {
 public:
  // `option` is the bench's --store value: empty for SQLite (DIR/bot.sqlite3), or a PostgreSQL URL
  // whose user may CREATE DATABASE (e.g. scripts/with-postgres's DEPLOY_TEST_POSTGRES_URL). Throws
  // std::invalid_argument for anything else, postgres::Error when the database cannot be made.
  BenchStore(const std::string& option, const std::filesystem::path& dir);
  ~BenchStore();
  BenchStore(const BenchStore&) = delete;
  BenchStore& operator=(const BenchStore&) = delete;

  // What deploy-bot's --store gets: the SQLite path or the new database's URL.
  const std::string& location() const { return location_; }
  bool postgres() const { return !server_.empty(); }
  const char* kind() const { return postgres() ? "postgres" : "sqlite"; }

 private:
  std::string server_;    // the URL given, when PostgreSQL
  std::string database_;  // the database made for this run
  std::string location_;
};

}  // namespace deploy::bench
