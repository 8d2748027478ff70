// Which store back end a test runs against, and a store of the test's own on it.
//
// DEPLOY_TEST_STORE=postgres selects PostgreSQL: each TestStore is then a fresh database on the
// server DEPLOY_TEST_POSTGRES_URL names (scripts/with-postgres starts one; scripts/test always
// does), dropped when the TestStore goes. Unset or anything else: SQLite, a file in the test's
// TempDir. CTest registers each store and bot suite twice, NAME and NAME.postgres; the latter is
// skipped, saying why, when DEPLOY_TEST_POSTGRES_URL is unset (tests/support/postgres-variant).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/store/store.hpp"

namespace deploy::test {

bool postgres_selected();                      // DEPLOY_TEST_STORE=postgres
std::optional<std::string> postgres_server();  // DEPLOY_TEST_POSTGRES_URL, when set

// A fresh, empty database on the test server, dropped (its connections closed) when destroyed.
// Throws std::runtime_error when DEPLOY_TEST_POSTGRES_URL is unset.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

// A PostgreSQL server of the test's own (for tests that stop and start it, which the shared one
// must not be): initdb in a temporary directory with the binaries scripts/with-postgres found
// (DEPLOY_TEST_POSTGRES_BIN), as its server user (DEPLOY_TEST_POSTGRES_USER), on a free loopback
// port. Removed, stopped first, when destroyed. Throws std::runtime_error when a step fails.
class PrivateServer {
 public:
  PrivateServer();
  ~PrivateServer();
  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;
  const std::string& url() const { return url_; }  // its database `postgres`
  void stop();                                     // fast shutdown: connections are cut
  void start();                                    // on the same port

 private:
  void run(const std::string& what, const std::string& command) const;
  std::filesystem::path dir_;
  std::string as_;  // "runuser -u USER -- " or ""
  std::string bin_;
  std::string url_;
  bool running_ = false;
};

// The store a test uses: SQLite at `sqlite_path`, or (PostgreSQL selected) a fresh database.
class TestStore {
 public:
  explicit TestStore(std::filesystem::path sqlite_path);
  const std::string& location() const { return location_; }  // a path or a URL: what --store takes
  store::Options options() const { return store::options_for(location_); }
  bool postgres() const { return database_.has_value(); }

 private:
  std::optional<TestDatabase> database_;
  std::string location_;
};

}  // namespace deploy::test
