#include "core/store/pg_approvals.hpp"

#include <stdexcept>

#include "core/store/pg_database.hpp"

namespace deploy::store {

namespace {

ApprovalSource parse_source(std::string_view text) {
  if (text == "comment") return ApprovalSource::comment;
  if (text == "review") return ApprovalSource::review;
  throw std::runtime_error("store: unknown approval source '" + std::string(text) + "' in the database");
}

const std::string kInsertApproval = R"sql(
INSERT INTO approvals (repository, subject, sha, login, source, event_id, permission, is_bot, cancel, edited, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (repository, source, event_id) DO NOTHING)sql";

const std::string kMarkApprovalEdited =
    "UPDATE approvals SET edited = true WHERE repository = $1 AND source = $2 AND event_id = $3";

const std::string kSelectApprovals = R"sql(
SELECT repository, subject, sha, login, source, event_id, permission, is_bot, cancel, edited, created_at
FROM approvals WHERE repository = $1 AND subject = $2 AND sha = $3 ORDER BY created_at, id)sql";

}  // namespace

bool PgApprovals::record(const ApprovalRecord& a) {
  return db_.with([&](postgres::Connection& db) {
    postgres::Params params;
    params.add(a.repository).add(a.subject).add(a.sha).add(a.login).add(to_string(a.source)).add(a.event_id);
    params.add(a.permission).add(a.is_bot).add(a.cancel).add(a.edited).add(to_ms(a.created_at));
    return db.run(kInsertApproval, params, "recording an approval").affected() == 1;
  });
}

bool PgApprovals::mark_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id) {
  return db_.with([&](postgres::Connection& db) {
    return db.run(kMarkApprovalEdited, postgres::Params().add(repository).add(to_string(source)).add(event_id),
                  "marking an approval edited")
               .affected() == 1;
  });
}

std::vector<ApprovalRecord> PgApprovals::list(std::string_view repository, std::int64_t subject, std::string_view sha) {
  return db_.with([&](postgres::Connection& db) {
    const auto rows =
        db.run(kSelectApprovals, postgres::Params().add(repository).add(subject).add(sha), "reading approvals");
    std::vector<ApprovalRecord> result;
    for (int i = 0; i < rows.rows(); ++i) {
      ApprovalRecord a;
      a.repository = rows.string(i, 0);
      a.subject = rows.int64(i, 1);
      a.sha = rows.string(i, 2);
      a.login = rows.string(i, 3);
      a.source = parse_source(rows.text(i, 4));
      a.event_id = rows.int64(i, 5);
      a.permission = rows.string(i, 6);
      a.is_bot = rows.boolean(i, 7);
      a.cancel = rows.boolean(i, 8);
      a.edited = rows.boolean(i, 9);
      a.created_at = from_ms(rows.int64(i, 10));
      result.push_back(std::move(a));
    }
    return result;
  });
}

}  // namespace deploy::store
