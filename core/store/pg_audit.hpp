// The PostgreSQL audit trail: AuditTrail over the store's PgDatabase (pg_database.hpp). Replicas
// never fork the chain: last() inside a Store transaction takes a transaction-scoped advisory lock,
// so the read-seal-append of one replica waits for another's to commit, and append() inserts only
// the next seq.
#pragma once

#include "core/store/audit.hpp"

namespace deploy::store {

class PgDatabase;

class PgAuditTrail final : public AuditTrail {
 public:
  explicit PgAuditTrail(PgDatabase& database) : db_(database) {}
  void append(std::int64_t seq, std::string_view sealed_json, std::string_view hash) override;
  std::vector<AuditEntry> records(std::int64_t from_seq, int limit) override;
  std::optional<AuditHead> last() override;

 private:
  PgDatabase& db_;
};

}  // namespace deploy::store
