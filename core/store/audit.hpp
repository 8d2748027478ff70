// The bot's audit trail in the store: sealed records (core/audit seals them, with each record's
// hash covering the previous one's), appended in sequence and never changed.
//
// AuditTrail is what a back end implements; SqliteAuditTrail is the SQLite one, over the store's
// Database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploy::store {

struct AuditEntry {
  std::int64_t seq = 0;
  std::string record;  // sealed JSON, as core/audit produced it
  std::string hash;
};

struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;
};

class AuditTrail {
 public:
  virtual ~AuditTrail() = default;
  // `seq` must be the next one (0 on an empty trail, else last()->seq + 1), or it throws
  // std::logic_error. Read last(), seal, append inside one Store::transaction().
  virtual void append(std::int64_t seq, std::string_view sealed_json, std::string_view hash) = 0;
  virtual std::vector<AuditEntry> records(std::int64_t from_seq, int limit) = 0;  // ascending seq
  virtual std::optional<AuditHead> last() = 0;
};

class Database;

class SqliteAuditTrail final : public AuditTrail {
 public:
  explicit SqliteAuditTrail(Database& database) : db_(database) {}
  void append(std::int64_t seq, std::string_view sealed_json, std::string_view hash) override;
  std::vector<AuditEntry> records(std::int64_t from_seq, int limit) override;
  std::optional<AuditHead> last() override;

 private:
  Database& db_;
};

}  // namespace deploy::store
