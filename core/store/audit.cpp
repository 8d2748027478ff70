#include "core/store/audit.hpp"

#include <stdexcept>

#include "core/sqlite/sqlite.hpp"
#include "core/store/database.hpp"

namespace deploy::store {

namespace {

// Appends only the next seq: the insert happens only when ?1 follows the last row.
constexpr const char* kAppendAudit = R"sql(
INSERT INTO audit (seq, record, hash, appended_at)
SELECT ?1, ?2, ?3, ?4 WHERE ?1 = (SELECT coalesce(max(seq) + 1, 0) FROM audit))sql";

constexpr const char* kAuditRecords = "SELECT seq, record, hash FROM audit WHERE seq >= ?1 ORDER BY seq LIMIT ?2";

constexpr const char* kLastAudit = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";

}  // namespace

void SqliteAuditTrail::append(std::int64_t seq, std::string_view sealed_json, std::string_view hash) {
  db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kAppendAudit, "appending an audit record");
    sqlite::Reset reset(st);
    st.bind(1, seq).bind(2, sealed_json).bind(3, hash).bind(4, to_ms(db_.clock().now()));
    st.run();
    if (db.changes() != 1) {
      throw std::logic_error("store: audit record seq " + std::to_string(seq) +
                             " is not the next in the trail; read last_audit() and append in one transaction()");
    }
  });
}

std::vector<AuditEntry> SqliteAuditTrail::records(std::int64_t from_seq, int limit) {
  return db_.read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kAuditRecords, "reading audit records");
    sqlite::Reset reset(st);
    st.bind(1, from_seq).bind(2, limit);
    std::vector<AuditEntry> result;
    while (st.step()) result.push_back({st.column_int64(0), st.column_string(1), st.column_string(2)});
    return result;
  });
}

std::optional<AuditHead> SqliteAuditTrail::last() {
  return db_.read([&](sqlite::Connection& db) -> std::optional<AuditHead> {
    sqlite::Statement& st = db.cached(kLastAudit, "reading the last audit record");
    sqlite::Reset reset(st);
    if (!st.step()) return std::nullopt;
    return AuditHead{st.column_int64(0), st.column_string(1)};
  });
}

}  // namespace deploy::store
