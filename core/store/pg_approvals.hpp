// The PostgreSQL approval events: Approvals over the store's PgDatabase (pg_database.hpp). An event
// is recorded once per (repository, source, event id), whichever replica sees it first.
#pragma once

#include "core/store/approvals.hpp"

namespace deploy::store {

class PgDatabase;

class PgApprovals final : public Approvals {
 public:
  explicit PgApprovals(PgDatabase& database) : db_(database) {}
  bool record(const ApprovalRecord& approval) override;
  bool mark_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id) override;
  std::vector<ApprovalRecord> list(std::string_view repository, std::int64_t subject, std::string_view sha) override;

 private:
  PgDatabase& db_;
};

}  // namespace deploy::store
