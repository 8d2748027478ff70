// Tamper-evident audit records. The action writes one record per deploy run (chained per
// environment); the bot writes one per decision (chained in its store).
//
// A record is a JSON object. `Record` is the typed view used to build and read one, but sealing
// and verifying work on the JSON object itself, so fields this code does not know (written by a
// newer version, or added by hand) are covered by the hash like any other.
//
// Chain fields, set by seal():
//   seq        position in the chain, 0-based
//   prev_hash  `hash` of the record before (64 zeros for the first record of a chain, or an
//              anchor the caller got from elsewhere, e.g. the previous GitHub deployment's payload)
//   hash       lowercase hex SHA-256 of audit::dump(record without `hash`, `signature`)
//   signature  "hmac-sha256:" + lowercase hex HMAC-SHA256(key, hash), where the message is the
//              64 ASCII characters of `hash` and the key is the raw bytes of the configured secret;
//              present only when a key is configured.
//
// What the chain proves, and what it does not: a changed field breaks that record's hash; a
// removed, inserted or reordered record breaks the next record's prev_hash. Without a key,
// someone who can rewrite the file can recompute a changed record's hash, which is only exposed
// by the next record's prev_hash; a rewrite of the last record, or a truncation of the tail, is
// not detectable from the file alone. With a key they cannot forge signatures. Keeping the latest
// hash somewhere else (the GitHub deployment payload) closes the tail.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/outcome.hpp"
#include "core/result.hpp"

namespace deploy::audit {

inline constexpr std::int64_t kSchemaVersion = 1;
// prev_hash of the first record of a chain that has no anchor.
inline constexpr std::string_view kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kSignaturePrefix = "hmac-sha256:";

// lock_decision: a /lock or /unlock; promotion_decision: a /promote or /abort (deploy-bot's trail).
enum class Kind { deploy, rollback, approval_decision, rollback_decision, lock_decision, promotion_decision };
std::string_view to_string(Kind kind);
Result<Kind> parse_kind(std::string_view text);  // error code "unknown_kind"

enum class Status { success, failure, rolled_back, cancelled, refused };
std::string_view to_string(Status status);
Result<Status> parse_status(std::string_view text);  // error code "unknown_status"

// --- the typed record --------------------------------------------------------------------------
// Timestamps are RFC 3339 UTC strings made by format_timestamp(). Decimals are strings (the
// canonical form has no floating point). Optional fields are left out of the JSON when empty;
// arrays are always written.

struct Approval {
  std::string approver;                 // GitHub login
  std::string source;                   // where it was given: "issue_comment", "pull_request_review", ...
  std::string permission;               // at decision time: "admin", "maintain", "write", "triage", "read", "none"
  std::optional<std::string> event_id;  // the comment/review id, as text
  std::optional<std::string> event_url;
  bool counted = false;
  std::string reason;  // stable code: "counted", "author_cannot_approve", "stale_sha", ...
  bool operator==(const Approval&) const = default;
};

struct Gate {
  std::string name;
  bool allowed = false;
  std::string reason;
  std::string message;
  static Gate from(std::string name, const Outcome& outcome);
  bool operator==(const Gate&) const = default;
};

struct Stage {
  std::string name;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::int64_t> exit_code;
  std::int64_t attempts = 1;
  std::string outcome;                          // "success", "failure", "skipped", "timed_out", ...
  std::optional<std::int64_t> traffic_percent;  // 0..100, for traffic steps
  bool operator==(const Stage&) const = default;
};

struct Analysis {
  std::string name;  // "health", "error_rate", "latency_p99", ...
  bool passed = false;
  std::string reason;
  std::string message;
  std::optional<std::string> observed;  // decimal as text, e.g. "0.015"
  std::optional<std::string> threshold;
  std::optional<std::int64_t> traffic_percent;
  bool operator==(const Analysis&) const = default;
};

struct RecordOutcome {  // JSON: "outcome": {"status", "reason", "message"}
  Status status = Status::failure;
  std::string reason;
  std::string message;
  bool operator==(const RecordOutcome&) const = default;
};

struct ChainLink {  // JSON: top-level seq, prev_hash, hash, signature
  std::uint64_t seq = 0;
  std::string prev_hash;
  std::string hash;
  std::optional<std::string> signature;
  bool operator==(const ChainLink&) const = default;
};

struct Record {
  std::int64_t schema_version = kSchemaVersion;
  Kind kind = Kind::deploy;
  std::string repository;  // "owner/name"
  std::optional<std::string> environment;
  std::string actor;  // login of who triggered it
  // When a program (deploy-bot) triggered it for someone: who asked, and where (their comment's
  // URL). As the program claimed them (see core/requester.hpp); the actor is still the program.
  // Absent in records written before these fields existed.
  std::optional<std::string> requested_by;
  std::optional<std::string> request_url;
  std::string trigger;                     // event name: "push", "workflow_dispatch", "issue_comment", ...
  std::optional<std::string> delivery_id;  // X-GitHub-Delivery, for bot decisions
  std::optional<std::string> version;      // tag, e.g. "v1.4.0"
  std::optional<std::string> commit_sha;
  std::optional<std::string> previous_version;
  std::optional<std::string> previous_sha;
  std::vector<Approval> approvals;
  std::vector<Gate> gates;
  std::vector<Stage> stages;
  std::vector<Analysis> analysis;
  RecordOutcome outcome;
  std::optional<std::uint64_t> run_id;
  std::optional<std::int64_t> run_attempt;
  std::optional<std::string> run_url;
  std::optional<std::string> started_at;
  std::string recorded_at;
  std::optional<ChainLink> link;  // present once sealed
  // Top-level members this version does not know, kept so that reading and writing a record
  // back does not drop them. Must be an object whose keys are not known fields.
  nlohmann::json extra = nlohmann::json::object();
  bool operator==(const Record&) const = default;
};

// Throws std::invalid_argument if `extra` is not an object or names a known field (a bug).
nlohmann::json to_json(const Record& record);
// Error codes: "malformed_record" (message names the field, e.g. "approvals[1].permission"),
// "unsupported_schema_version".
Result<Record> from_json(const nlohmann::json& json);

// "2024-05-01T12:30:05.120Z": always UTC, always milliseconds (truncated), fixed width so the
// text sorts by time. Throws std::out_of_range outside years 0000..9999 (a 64-bit nanosecond
// system_clock only spans 1677..2262, so that is a guard for other clocks).
std::string format_timestamp(std::chrono::system_clock::time_point time);
// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (1..9 fraction digits; other offsets are refused).
// Error code "invalid_timestamp".
Result<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

// --- hashing and signing -----------------------------------------------------------------------

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Compares in time independent of where the inputs differ (the length is not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

// The hash of `record` as seal() would set it (its own `hash` and `signature` are left out).
// Errors: "malformed" when `record` is not an object, or canonical_json's codes.
Result<std::string> compute_hash(const nlohmann::json& record);
// kSignaturePrefix + hex HMAC-SHA256(key, hash).
std::string sign(std::string_view key, std::string_view hash);

// Sets seq, prev_hash, hash and (with a key) signature; drops a stale hash/signature.
// Error codes: "malformed" (not an object), "invalid_prev_hash" (not 64 lowercase hex),
// "empty_key", and canonical_json's codes (e.g. a double somewhere in the record).
Result<nlohmann::json> seal(const nlohmann::json& record, std::string_view prev_hash, std::uint64_t seq,
                            std::optional<std::string_view> key = std::nullopt);
Result<nlohmann::json> seal(const Record& record, std::string_view prev_hash, std::uint64_t seq,
                            std::optional<std::string_view> key = std::nullopt);
// Seals `record` as the one after `previous` (a sealed record): its hash, its seq + 1.
Result<nlohmann::json> seal_next(const nlohmann::json& record, const nlohmann::json& previous,
                                 std::optional<std::string_view> key = std::nullopt);

// --- verification ------------------------------------------------------------------------------

// What the first record must link to. Without one, verification expects a chain from the start:
// prev_hash == kGenesisHash and seq == 0.
struct Anchor {
  std::string prev_hash;
  std::optional<std::uint64_t> first_seq;  // nullopt: the first record may have any seq
};

struct VerifyResult {
  bool ok = true;
  std::size_t index = 0;     // position (in the input) of the first broken record, when !ok
  std::string reason;        // when !ok: "malformed", "hash_mismatch", "bad_signature",
                             // "missing_signature", "broken_link", "seq_gap"
  std::string message;       // names the record: seq, kind, environment, version
  std::size_t verified = 0;  // records that passed every check, before the first broken one
};

// Checks, per record in order (the first failure is reported): shape (malformed), hash
// (hash_mismatch: a field was changed), signature when a key is given (missing_signature,
// bad_signature; without a key signatures are not checked), prev_hash against the previous
// record or the anchor (broken_link: a record was removed, inserted or reordered), seq
// (seq_gap). An empty list verifies.
VerifyResult verify_chain(const std::vector<nlohmann::json>& records,
                          std::optional<std::string_view> key = std::nullopt,
                          const std::optional<Anchor>& anchor = std::nullopt);

// --- JSON Lines: one sealed record per line ------------------------------------------------------

struct JsonlRecords {
  std::vector<nlohmann::json> records;
  std::vector<std::size_t> lines;  // 1-based line number of each record
};
// Blank lines are skipped; a trailing "\r" is dropped. Each line must be one JSON object, with no
// repeated keys. Error code "malformed", message starting with "line N: ".
Result<JsonlRecords> parse_jsonl(std::string_view text);
// The canonical JSON of a record plus "\n", the form to append to a .jsonl file.
Result<std::string> to_jsonl_line(const nlohmann::json& record);
// parse_jsonl + verify_chain; messages start with "line N: ".
VerifyResult verify_jsonl(std::string_view text, std::optional<std::string_view> key = std::nullopt,
                          const std::optional<Anchor>& anchor = std::nullopt);

}  // namespace deploy::audit
