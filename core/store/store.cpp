#include "core/store/store.hpp"

#include "core/postgres/postgres.hpp"
#include "core/sqlite/sqlite.hpp"
#include "core/store/pg_approvals.hpp"
#include "core/store/pg_audit.hpp"
#include "core/store/pg_config_cache.hpp"
#include "core/store/pg_database.hpp"
#include "core/store/pg_effects.hpp"
#include "core/store/pg_queue.hpp"
#include "core/store/pg_state.hpp"

namespace deploy::store {

Options options_for(const std::string& location) {
  Options options;
  if (postgres::is_url(location))
    options.postgres_url = location;
  else
    options.path = location;
  return options;
}

Store::Store(Options options) {
  if (!options.postgres_url.empty()) {
    pg_ = std::make_unique<PgDatabase>(std::move(options));
    location_ = pg_->server();
    queue_ = std::make_unique<PgQueue>(*pg_);
    effects_ = std::make_unique<PgEffects>(*pg_);
    approvals_ = std::make_unique<PgApprovals>(*pg_);
    config_cache_ = std::make_unique<PgConfigCache>(*pg_);
    bot_state_ = std::make_unique<PgBotState>(*pg_);
    audit_ = std::make_unique<PgAuditTrail>(*pg_);
    return;
  }
  sqlite_ = std::make_unique<Database>(std::move(options));
  location_ = sqlite_->options().path.string();
  queue_ = std::make_unique<SqliteQueue>(*sqlite_);
  effects_ = std::make_unique<SqliteEffects>(*sqlite_);
  approvals_ = std::make_unique<SqliteApprovals>(*sqlite_);
  config_cache_ = std::make_unique<SqliteConfigCache>(*sqlite_);
  bot_state_ = std::make_unique<SqliteBotState>(*sqlite_);
  audit_ = std::make_unique<SqliteAuditTrail>(*sqlite_);
}

Store::~Store() {
  // The concerns first: they use the database.
  audit_.reset();
  bot_state_.reset();
  config_cache_.reset();
  approvals_.reset();
  effects_.reset();
  queue_.reset();
}

int Store::schema_version() { return Database::schema_version(); }

int Store::current_schema_version() const { return pg_ ? PgDatabase::schema_version() : Database::schema_version(); }

struct Store::Transaction::Impl {
  std::unique_ptr<Database::Transaction> sqlite;
  std::unique_ptr<PgDatabase::Transaction> postgres;
};

Store::Transaction::Transaction(Store& store) : impl_(std::make_unique<Impl>()) {
  if (store.pg_)
    impl_->postgres = std::make_unique<PgDatabase::Transaction>(*store.pg_);
  else
    impl_->sqlite = std::make_unique<Database::Transaction>(*store.sqlite_);
}

Store::Transaction::~Transaction() = default;
Store::Transaction::Transaction(Transaction&&) noexcept = default;

void Store::Transaction::commit() {
  if (impl_->postgres)
    impl_->postgres->commit();
  else
    impl_->sqlite->commit();
}

bool Store::watch(std::function<void()> wake) {
  if (!pg_) return false;
  pg_->watch(std::move(wake));
  return true;
}

std::int64_t Store::prune(TimePoint before) {
  std::int64_t deliveries = queue_->prune(before);
  effects_->prune(before);
  return deliveries;
}

void Store::ping() {
  if (pg_) {
    pg_->with([](postgres::Connection& db) {
      db.run("SELECT max(version) FROM schema_version", "checking the database (ping)");
    });
    return;
  }
  sqlite_->read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached("SELECT max(version) FROM schema_version", "checking the database (ping)");
    sqlite::Reset reset(st);
    st.run();
  });
}

Stats Store::stats() const { return pg_ ? pg_->stats() : sqlite_->stats(); }

}  // namespace deploy::store
