#include "bench/bench_store.hpp"

#include <unistd.h>

#include <atomic>
#include <iostream>
#include <stdexcept>

#include "core/postgres/postgres.hpp"

namespace deploy::bench {

namespace {

// The server's URL with `name` in place of the database it names (query parameters kept).
std::string with_database(const std::string& server, const std::string& name) {
  const std::size_t authority = server.find("//") + 2;
  const std::size_t slash = server.find('/', authority);
  const std::size_t query = server.find('?', authority);
  const std::string tail = query == std::string::npos ? "" : server.substr(query);
  return server.substr(0, std::min(slash, query)) + "/" + name + tail;
}

}  // namespace

BenchStore::BenchStore(const std::string& option, const std::filesystem::path& dir) {
  if (option.empty()) {
    location_ = (dir / "bot.sqlite3").string();
    return;
  }
  if (!postgres::is_url(option)) {
    throw std::invalid_argument("--store takes a postgres:// URL, not '" + option +
                                "' (without --store the bench uses a SQLite file in its temporary directory)");
  }
  static std::atomic<int> counter{0};
  server_ = option;
  database_ = "deploy_bench_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  postgres::Connection admin(server_);
  admin.exec("DROP DATABASE IF EXISTS " + database_, "dropping a leftover bench database " + database_);
  admin.exec("CREATE DATABASE " + database_, "creating the bench database " + database_ +
                                                 " (the URL's user needs CREATEDB; scripts/with-postgres's has it)");
  location_ = with_database(server_, database_);
}

BenchStore::~BenchStore() {
  if (!postgres()) return;
  try {
    postgres::Connection admin(server_);
    admin.exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)", "dropping the bench database " + database_);
  } catch (const std::exception& e) {  // the run's numbers are printed already; say what is left behind
    std::cerr << "bench: " << e.what() << "\n";
  }
}

}  // namespace deploy::bench
