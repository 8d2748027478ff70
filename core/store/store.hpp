// The bot's durable state: webhook deliveries and the job queue over them, exactly-once bookkeeping
// for effects on GitHub, approvals, the config cache, what handlers remember between deliveries,
// and the audit trail. Measurements: docs/PERFORMANCE.md.
//
// One concern per class, each behind an interface a second back end can implement:
//   queue()         store_queue.hpp         deliveries: ingest (group commit), de-dup, claim/lease, park, retry, prune
//   effects()       store_effects.hpp       exactly-once bookkeeping for effects on GitHub
//   approvals()     store_approvals.hpp     approval events as they happened
//   config_cache()  store_config_cache.hpp  each repository's deploy.yml by blob
//   bot_state()     store_state.hpp         handlers' JSON state by key
//   audit()         store_audit.hpp         the hash-chained audit trail
// Store owns the one database they all run over, SQLite (store_database.hpp: the connections, WAL,
// checkpoints, migrations and transactions; the default) or PostgreSQL (pg_database.hpp, pg_*.hpp:
// shared by replicas), and hands them out.
//
// Errors. SQL failures throw sqlite::Error (the statement's purpose, SQLite's message, the path) or
// postgres::Error (the purpose, PostgreSQL's message and SQLSTATE, the URL without its password);
// misuse (finishing an effect never begun, an out-of-order audit seq) throws std::logic_error.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/approvals.hpp"
#include "core/store/audit.hpp"
#include "core/store/config_cache.hpp"
#include "core/store/database.hpp"
#include "core/store/effects.hpp"
#include "core/store/queue.hpp"
#include "core/store/state.hpp"

namespace deploy::store {

// Options for a store at `location`: a postgres:// or postgresql:// URL chooses PostgreSQL
// (Options::postgres_url), anything else is the SQLite file's path.
Options options_for(const std::string& location);

class PgDatabase;

class Store {
 public:
  enum class Backend { sqlite, postgres };

  // Opens the back end Options chooses: SQLite (store_database.hpp: the lock file, migrations, the
  // checkpointer; or read-only, for the offline commands) or PostgreSQL (pg_database.hpp: the
  // pool, migrations under an advisory lock; several processes may share it).
  explicit Store(Options options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int schema_version();         // the latest SQLite migration this build knows
  int current_schema_version() const;  // the latest migration of this store's back end
  Backend backend() const { return pg_ ? Backend::postgres : Backend::sqlite; }
  // Where the store is, for logs: the SQLite path, or the PostgreSQL URL with its password masked.
  const std::string& location() const { return location_; }
  // The back end's database, for what works on tables as such (transfer.hpp); nullptr for the other.
  Database* sqlite_database() { return sqlite_.get(); }
  PgDatabase* postgres_database() { return pg_.get(); }

  Queue& queue() { return *queue_; }
  Effects& effects() { return *effects_; }
  Approvals& approvals() { return *approvals_; }
  ConfigCache& config_cache() { return *config_cache_; }
  BotState& bot_state() { return *bot_state_; }
  AuditTrail& audit() { return *audit_; }

  // Several operations, over any of the concerns, that must commit together: every call this
  // thread makes until commit() or destruction runs inside it (see store_database.hpp and
  // pg_database.hpp). Rolls back when destroyed without commit().
  class Transaction {
   public:
    explicit Transaction(Store& store);
    ~Transaction();
    Transaction(Transaction&&) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };
  [[nodiscard]] Transaction transaction() { return Transaction(*this); }

  // Calls `wake` (from a thread of the store's) whenever another process may have made a delivery
  // claimable: PostgreSQL's LISTEN/NOTIFY. False, and nothing happens, on SQLite, where only this
  // process writes and tells its own workers. Once per Store.
  bool watch(std::function<void()> wake);

  // Deletes finished deliveries and done effects older than `before` (Queue::prune, Effects::prune);
  // returns how many deliveries.
  std::int64_t prune(TimePoint before);

  // --- health ---
  void ping();  // a read through the pool; throws when the database cannot be read
  Stats stats() const;

  // --- forwarding, for bot/handlers until they take narrow per-use interfaces (issue 14) ---
  EffectBegin begin_effect(std::string_view key) { return effects_->begin(key); }
  void finish_effect(std::string_view key, std::string_view result_json) { effects_->finish(key, result_json); }
  void fail_effect(std::string_view key, std::string_view error) { effects_->fail(key, error); }
  bool record_approval(const ApprovalRecord& approval) { return approvals_->record(approval); }
  bool mark_approval_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id) {
    return approvals_->mark_edited(repository, source, event_id);
  }
  std::vector<ApprovalRecord> approvals(std::string_view repository, std::int64_t subject, std::string_view sha) {
    return approvals_->list(repository, subject, sha);
  }
  void put_config(const CachedConfig& config) { config_cache_->put(config); }
  std::optional<CachedConfig> config(std::string_view repository) { return config_cache_->get(repository); }
  void put_state(std::string_view key, std::string_view value_json) { bot_state_->put(key, value_json); }
  std::optional<std::string> state(std::string_view key) { return bot_state_->get(key); }
  void append_audit(std::int64_t seq, std::string_view sealed_json, std::string_view hash) {
    audit_->append(seq, sealed_json, hash);
  }
  std::optional<AuditHead> last_audit() { return audit_->last(); }

 private:
  // One of the two databases; the concerns below use it, and go before it.
  std::unique_ptr<Database> sqlite_;
  std::unique_ptr<PgDatabase> pg_;
  std::string location_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Effects> effects_;
  std::unique_ptr<Approvals> approvals_;
  std::unique_ptr<ConfigCache> config_cache_;
  std::unique_ptr<BotState> bot_state_;
  std::unique_ptr<AuditTrail> audit_;
};

}  // namespace deploy::store
