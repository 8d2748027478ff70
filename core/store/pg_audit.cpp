#include "core/store/pg_audit.hpp"

#include <stdexcept>

#include "core/store/pg_database.hpp"

namespace deploy::store {

namespace {

// The transaction-scoped advisory lock the chain is appended under ("deploy-a" in ASCII): held
// from last() to the commit, so one replica's read-seal-append never interleaves with another's.
constexpr std::int64_t kAuditLock = 0x6465706c6f792d61;

// Appends only the next seq: the insert happens only when $1 follows the last row.
const std::string kAppendAudit = R"sql(
INSERT INTO audit (seq, record, hash, appended_at)
SELECT $1, $2, $3, $4 WHERE $1 = (SELECT coalesce(max(seq) + 1, 0) FROM audit))sql";

const std::string kAuditRecords = "SELECT seq, record, hash FROM audit WHERE seq >= $1 ORDER BY seq LIMIT $2";

const std::string kLastAudit = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";

const std::string kLock = "SELECT pg_advisory_xact_lock($1)";

}  // namespace

void PgAuditTrail::append(std::int64_t seq, std::string_view sealed_json, std::string_view hash) {
  const auto changed = db_.atomically([&](postgres::Connection& db) {
    db.run(kLock, postgres::Params().add(kAuditLock), "locking the audit chain");
    return db
        .run(kAppendAudit, postgres::Params().add(seq).add(sealed_json).add(hash).add(to_ms(db_.clock().now())),
             "appending an audit record")
        .affected();
  });
  if (changed != 1) {
    throw std::logic_error("store: audit record seq " + std::to_string(seq) +
                           " is not the next in the trail; read last_audit() and append in one transaction()");
  }
}

std::vector<AuditEntry> PgAuditTrail::records(std::int64_t from_seq, int limit) {
  return db_.with([&](postgres::Connection& db) {
    const auto rows = db.run(kAuditRecords, postgres::Params().add(from_seq).add(limit), "reading audit records");
    std::vector<AuditEntry> result;
    for (int i = 0; i < rows.rows(); ++i) result.push_back({rows.int64(i, 0), rows.string(i, 1), rows.string(i, 2)});
    return result;
  });
}

std::optional<AuditHead> PgAuditTrail::last() {
  return db_.with([&](postgres::Connection& db) -> std::optional<AuditHead> {
    // Inside a transaction the head is read to be appended to: lock the chain first.
    if (db.in_transaction()) db.run(kLock, postgres::Params().add(kAuditLock), "locking the audit chain");
    const auto row = db.run(kLastAudit, "reading the last audit record");
    if (row.rows() == 0) return std::nullopt;
    return AuditHead{row.int64(0, 0), row.string(0, 1)};
  });
}

}  // namespace deploy::store
