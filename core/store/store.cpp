#include "core/store/store.hpp"

#include "core/sqlite/sqlite.hpp"

namespace deploy::store {

Store::Store(Options options)
    : database_(std::make_unique<Database>(std::move(options))),
      queue_(*database_),
      effects_(*database_),
      approvals_(*database_),
      config_cache_(*database_),
      bot_state_(*database_),
      audit_(*database_) {}

Store::~Store() = default;

int Store::schema_version() { return Database::schema_version(); }

std::int64_t Store::prune(TimePoint before) {
  std::int64_t deliveries = queue_.prune(before);
  effects_.prune(before);
  return deliveries;
}

void Store::ping() {
  database_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached("SELECT max(version) FROM schema_version", "checking the database (ping)");
    sqlite::Reset reset(st);
    st.run();
  });
}

Stats Store::stats() const { return database_->stats(); }

}  // namespace deploy::store
