// The store's approval events: every `/approve`, `/approve cancel` and review the bot has seen, as
// it happened. The store keeps the events; core/policy decides what counts.
//
// Approvals is what a back end implements; SqliteApprovals is the SQLite one, over the store's
// Database.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deploy::store {

using TimePoint = std::chrono::system_clock::time_point;

enum class ApprovalSource { comment, review };
std::string_view to_string(ApprovalSource source);

// One approval event: an `/approve`, an `/approve cancel` (cancel = true) or a review.
struct ApprovalRecord {
  std::string repository;    // owner/name
  std::int64_t subject = 0;  // pull request or tracking issue number
  std::string sha;           // the commit it was given for
  std::string login;
  ApprovalSource source = ApprovalSource::comment;
  std::int64_t event_id = 0;  // comment id or review id; unique per repository and source
  std::string permission;     // as resolved when recorded; policy re-checks at decision time
  bool is_bot = false;
  bool cancel = false;  // the event withdraws the person's approval
  bool edited = false;  // the comment was edited after posting
  TimePoint created_at;
};

class Approvals {
 public:
  virtual ~Approvals() = default;
  virtual bool record(const ApprovalRecord& approval) = 0;  // false: this event was recorded before
  virtual bool mark_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id) = 0;
  // Oldest first (created_at, then the order they were recorded).
  virtual std::vector<ApprovalRecord> list(std::string_view repository, std::int64_t subject, std::string_view sha) = 0;
};

class Database;

class SqliteApprovals final : public Approvals {
 public:
  explicit SqliteApprovals(Database& database) : db_(database) {}
  bool record(const ApprovalRecord& approval) override;
  bool mark_edited(std::string_view repository, ApprovalSource source, std::int64_t event_id) override;
  std::vector<ApprovalRecord> list(std::string_view repository, std::int64_t subject, std::string_view sha) override;

 private:
  Database& db_;
};

}  // namespace deploy::store
