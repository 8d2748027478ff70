#include "core/store/approvals.hpp"

#include <stdexcept>

#include "core/sqlite/sqlite.hpp"
#include "core/store/database.hpp"

namespace deploy::store {

namespace {

ApprovalSource parse_source(std::string_view text) {
  if (text == "comment") return ApprovalSource::comment;
  if (text == "review") return ApprovalSource::review;
  throw std::runtime_error("store: unknown approval source '" + std::string(text) + "' in the database");
}

constexpr const char* kApprovalColumns =
    "repository, subject, sha, login, source, event_id, permission, is_bot, cancel, edited, created_at";

const std::string kInsertApproval = std::string("INSERT INTO approvals (") + kApprovalColumns +
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                                    " ON CONFLICT (repository, source, event_id) DO NOTHING";

constexpr const char* kMarkApprovalEdited = R"sql(
UPDATE approvals SET edited = 1 WHERE repository = ?1 AND source = ?2 AND event_id = ?3)sql";

const std::string kSelectApprovals = std::string("SELECT ") + kApprovalColumns +
                                     " FROM approvals WHERE repository = ?1 AND subject = ?2 AND sha = ?3"
                                     " ORDER BY created_at, id";

}  // namespace

std::string_view to_string(ApprovalSource source) {
  switch (source) {
    case ApprovalSource::comment:
      return "comment";
    case ApprovalSource::review:
      return "review";
  }
  return "unknown";
}

bool SqliteApprovals::record(const ApprovalRecord& a) {
  return db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kInsertApproval, "recording an approval");
    sqlite::Reset reset(st);
    st.bind(1, a.repository).bind(2, a.subject).bind(3, a.sha).bind(4, a.login).bind(5, to_string(a.source));
    st.bind(6, a.event_id).bind(7, a.permission).bind(8, a.is_bot).bind(9, a.cancel).bind(10, a.edited);
    st.bind(11, to_ms(a.created_at));
    st.run();
    return db.changes() == 1;
  });
}

bool SqliteApprovals::mark_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id) {
  return db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kMarkApprovalEdited, "marking an approval edited");
    sqlite::Reset reset(st);
    st.bind(1, repository).bind(2, to_string(source)).bind(3, event_id);
    st.run();
    return db.changes() == 1;
  });
}

std::vector<ApprovalRecord> SqliteApprovals::list(std::string_view repository, std::int64_t subject,
                                                  std::string_view sha) {
  return db_.read([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kSelectApprovals, "reading approvals");
    sqlite::Reset reset(st);
    st.bind(1, repository).bind(2, subject).bind(3, sha);
    std::vector<ApprovalRecord> result;
    while (st.step()) {
      ApprovalRecord a;
      a.repository = st.column_string(0);
      a.subject = st.column_int64(1);
      a.sha = st.column_string(2);
      a.login = st.column_string(3);
      a.source = parse_source(st.column_text(4));
      a.event_id = st.column_int64(5);
      a.permission = st.column_string(6);
      a.is_bot = st.column_int64(7) != 0;
      a.cancel = st.column_int64(8) != 0;
      a.edited = st.column_int64(9) != 0;
      a.created_at = from_ms(st.column_int64(10));
      result.push_back(std::move(a));
    }
    return result;
  });
}

}  // namespace deploy::store
