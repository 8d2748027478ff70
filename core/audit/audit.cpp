#include "core/audit/audit.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <utility>

#include "core/audit/canonical_json.hpp"
#include "core/crypto/crypto.hpp"
#include "core/rfc3339/rfc3339.hpp"

namespace deploy::audit {
namespace {

using nlohmann::json;

// --- enums -------------------------------------------------------------------------------------

constexpr std::array<std::pair<Kind, std::string_view>, 6> kKinds{{
    {Kind::deploy, "deploy"},
    {Kind::rollback, "rollback"},
    {Kind::approval_decision, "approval_decision"},
    {Kind::rollback_decision, "rollback_decision"},
    {Kind::lock_decision, "lock_decision"},
    {Kind::promotion_decision, "promotion_decision"},
}};

constexpr std::array<std::pair<Status, std::string_view>, 5> kStatuses{{
    {Status::success, "success"},
    {Status::failure, "failure"},
    {Status::rolled_back, "rolled_back"},
    {Status::cancelled, "cancelled"},
    {Status::refused, "refused"},
}};

template <class Table>
std::string joined_names(const Table& table) {
  std::string out;
  for (const auto& [value, name] : table) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// --- reading a record's fields -----------------------------------------------------------------

// Thrown only inside from_json() and turned into its Error there: the first wrong field ends the
// read, and threading a Result through every field read would bury what is read.
struct FieldError {
  std::string field;
  std::string problem;
};

class FieldReader {
 public:
  FieldReader(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  const json* find(const char* key) const {
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  std::string string(const char* key) const { return require_string(key, get(key)); }
  std::optional<std::string> optional_string(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return require_string(key, *v);
  }

  std::string timestamp(const char* key) const { return require_timestamp(key, string(key)); }
  std::optional<std::string> optional_timestamp(const char* key) const {
    auto text = optional_string(key);
    if (!text) return std::nullopt;
    return require_timestamp(key, *text);
  }

  bool boolean(const char* key) const {
    const json& v = get(key);
    if (!v.is_boolean()) throw wrong_type(key, "true or false", v);
    return v.get<bool>();
  }

  std::int64_t integer(const char* key, std::int64_t min, std::int64_t max) const {
    return require_integer(key, get(key), min, max);
  }
  std::optional<std::int64_t> optional_integer(const char* key, std::int64_t min, std::int64_t max) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return require_integer(key, *v, min, max);
  }
  std::optional<std::uint64_t> optional_unsigned(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    if (v->is_number_integer() && v->get<std::int64_t>() >= 0)
      return static_cast<std::uint64_t>(v->get<std::int64_t>());
    throw wrong_type(key, "a non-negative integer", *v);
  }

  // An absent array reads as empty.
  template <class T, class ReadElement>
  std::vector<T> array(const char* key, ReadElement read_element) const {
    std::vector<T> out;
    const json* v = find(key);
    if (v == nullptr) return out;
    if (!v->is_array()) throw wrong_type(key, "an array", *v);
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& element = (*v)[i];
      const std::string element_name = field(key) + "[" + std::to_string(i) + "]";
      if (!element.is_object())
        throw FieldError{element_name, "expected an object, got " + std::string{element.type_name()}};
      out.push_back(read_element(FieldReader{element, element_name + "."}));
    }
    return out;
  }

  FieldReader object(const char* key) const {
    const json& v = get(key);
    if (!v.is_object()) throw wrong_type(key, "an object", v);
    return FieldReader{v, field(key) + "."};
  }

  std::string field(const char* key) const { return prefix_ + key; }

 private:
  const json& get(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) throw FieldError{field(key), "is required but missing"};
    return *v;
  }

  FieldError wrong_type(const char* key, const char* expected, const json& got) const {
    return FieldError{field(key), std::string{"expected "} + expected + ", got " + got.type_name()};
  }

  std::string require_string(const char* key, const json& v) const {
    if (!v.is_string()) throw wrong_type(key, "a string", v);
    return v.get<std::string>();
  }

  std::string require_timestamp(const char* key, std::string text) const {
    const auto parsed = parse_timestamp(text);
    if (!parsed) throw FieldError{field(key), parsed.error().message};
    return text;
  }

  std::int64_t require_integer(const char* key, const json& v, std::int64_t min, std::int64_t max) const {
    if (!v.is_number_integer()) throw wrong_type(key, "an integer", v);
    const bool too_big = v.is_number_unsigned() &&
                         v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const std::int64_t value = too_big ? 0 : v.get<std::int64_t>();
    if (too_big || value < min || value > max) {
      throw FieldError{field(key), "is " + v.dump() + ", expected " + std::to_string(min) + ".." + std::to_string(max)};
    }
    return value;
  }

  const json& object_;
  std::string prefix_;
};

constexpr std::int64_t kIntMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();

Approval read_approval(const FieldReader& r) {
  Approval a;
  a.approver = r.string("approver");
  a.source = r.string("source");
  a.permission = r.string("permission");
  a.event_id = r.optional_string("event_id");
  a.event_url = r.optional_string("event_url");
  a.counted = r.boolean("counted");
  a.reason = r.string("reason");
  return a;
}

Gate read_gate(const FieldReader& r) {
  return Gate{r.string("name"), r.boolean("allowed"), r.string("reason"), r.string("message")};
}

Stage read_stage(const FieldReader& r) {
  Stage s;
  s.name = r.string("name");
  s.started_at = r.optional_timestamp("started_at");
  s.finished_at = r.optional_timestamp("finished_at");
  s.duration_ms = r.optional_integer("duration_ms", 0, kIntMax);
  s.exit_code = r.optional_integer("exit_code", kIntMin, kIntMax);
  s.attempts = r.integer("attempts", 0, kIntMax);
  s.outcome = r.string("outcome");
  s.traffic_percent = r.optional_integer("traffic_percent", 0, 100);
  return s;
}

Analysis read_analysis(const FieldReader& r) {
  Analysis a;
  a.name = r.string("name");
  a.passed = r.boolean("passed");
  a.reason = r.string("reason");
  a.message = r.string("message");
  a.observed = r.optional_string("observed");
  a.threshold = r.optional_string("threshold");
  a.traffic_percent = r.optional_integer("traffic_percent", 0, 100);
  return a;
}

// Every top-level member Record knows; anything else goes to Record::extra.
constexpr std::array<std::string_view, 27> kKnownFields{
    "schema_version", "kind",        "repository",  "environment", "actor",       "requested_by",
    "request_url",    "trigger",     "delivery_id", "version",     "commit_sha",  "previous_version",
    "previous_sha",   "approvals",   "gates",       "stages",      "analysis",    "outcome",
    "run_id",         "run_attempt", "run_url",     "started_at",  "recorded_at", "seq",
    "prev_hash",      "hash",        "signature"};

bool is_known_field(std::string_view key) {
  return std::find(kKnownFields.begin(), kKnownFields.end(), key) != kKnownFields.end();
}

void put_optional(json& j, const char* key, const std::optional<std::string>& v) {
  if (v) j[key] = *v;
}
void put_optional(json& j, const char* key, const std::optional<std::int64_t>& v) {
  if (v) j[key] = *v;
}
void put_optional(json& j, const char* key, const std::optional<std::uint64_t>& v) {
  if (v) j[key] = *v;
}

// --- chain helpers -------------------------------------------------------------------------------

bool is_hash(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_hash_value(const json& v) {
  return v.is_string() && is_hash(std::string_view{v.get_ref<const std::string&>()});
}

std::optional<std::uint64_t> as_seq(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return std::nullopt;
}

// A field's value for a message: plain when it is short printable ASCII, JSON-escaped otherwise,
// so a hostile record cannot put line breaks or terminal escapes into our log lines.
std::string shown(const json& record, const char* key) {
  if (!record.is_object()) return "-";
  const auto it = record.find(key);
  if (it == record.end()) return "-";
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    const bool plain = s.size() <= 80 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    if (plain && !s.empty()) return s;
  }
  std::string text = it->dump(-1, ' ', true, json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::string describe(const json& record, std::size_t index) {
  return "record at index " + std::to_string(index) + " (seq " + shown(record, "seq") + ", kind " +
         shown(record, "kind") + ", environment " + shown(record, "environment") + ", version " +
         shown(record, "version") + ")";
}

// Lines of a JSON Lines text, parsed up to the first bad one.
std::optional<Error> parse_lines(std::string_view text, JsonlRecords& out) {
  std::size_t pos = 0;
  std::size_t line_number = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; })) continue;
    auto parsed = audit::parse(line);
    const std::string where = "line " + std::to_string(line_number) + ": ";
    if (!parsed) return Error{"malformed", where + parsed.error().message};
    if (!parsed->is_object()) {
      return Error{"malformed", where + "expected one audit record (a JSON object), got " + parsed->type_name()};
    }
    out.records.push_back(std::move(parsed).value());
    out.lines.push_back(line_number);
  }
  return std::nullopt;
}

}  // namespace

// --- enums -------------------------------------------------------------------------------------

std::string_view to_string(Kind kind) {
  for (const auto& [value, name] : kKinds) {
    if (value == kind) return name;
  }
  throw std::logic_error("audit::to_string: Kind value without a name");
}

Result<Kind> parse_kind(std::string_view text) {
  for (const auto& [value, name] : kKinds) {
    if (name == text) return value;
  }
  return Error{"unknown_kind",
               "unknown audit record kind \"" + std::string{text} + "\"; expected one of " + joined_names(kKinds)};
}

std::string_view to_string(Status status) {
  for (const auto& [value, name] : kStatuses) {
    if (value == status) return name;
  }
  throw std::logic_error("audit::to_string: Status value without a name");
}

Result<Status> parse_status(std::string_view text) {
  for (const auto& [value, name] : kStatuses) {
    if (name == text) return value;
  }
  return Error{"unknown_status", "unknown audit outcome status \"" + std::string{text} + "\"; expected one of " +
                                     joined_names(kStatuses)};
}

Gate Gate::from(std::string name, const Outcome& outcome) {
  return Gate{std::move(name), outcome.allowed, outcome.reason, outcome.message};
}

// --- record <-> JSON -----------------------------------------------------------------------------

json to_json(const Record& r) {
  if (!r.extra.is_object()) throw std::invalid_argument("audit::Record::extra must be a JSON object");
  json j = r.extra;
  for (const auto& [key, value] : r.extra.items()) {
    if (is_known_field(key)) {
      throw std::invalid_argument("audit::Record::extra holds \"" + key + "\", which is a known field; set the field");
    }
  }
  j["schema_version"] = r.schema_version;
  j["kind"] = to_string(r.kind);
  j["repository"] = r.repository;
  put_optional(j, "environment", r.environment);
  j["actor"] = r.actor;
  put_optional(j, "requested_by", r.requested_by);
  put_optional(j, "request_url", r.request_url);
  j["trigger"] = r.trigger;
  put_optional(j, "delivery_id", r.delivery_id);
  put_optional(j, "version", r.version);
  put_optional(j, "commit_sha", r.commit_sha);
  put_optional(j, "previous_version", r.previous_version);
  put_optional(j, "previous_sha", r.previous_sha);

  json approvals = json::array();
  for (const auto& a : r.approvals) {
    json e{{"approver", a.approver},
           {"source", a.source},
           {"permission", a.permission},
           {"counted", a.counted},
           {"reason", a.reason}};
    put_optional(e, "event_id", a.event_id);
    put_optional(e, "event_url", a.event_url);
    approvals.push_back(std::move(e));
  }
  j["approvals"] = std::move(approvals);

  json gates = json::array();
  for (const auto& g : r.gates) {
    gates.push_back(json{{"name", g.name}, {"allowed", g.allowed}, {"reason", g.reason}, {"message", g.message}});
  }
  j["gates"] = std::move(gates);

  json stages = json::array();
  for (const auto& s : r.stages) {
    json e{{"name", s.name}, {"attempts", s.attempts}, {"outcome", s.outcome}};
    put_optional(e, "started_at", s.started_at);
    put_optional(e, "finished_at", s.finished_at);
    put_optional(e, "duration_ms", s.duration_ms);
    put_optional(e, "exit_code", s.exit_code);
    put_optional(e, "traffic_percent", s.traffic_percent);
    stages.push_back(std::move(e));
  }
  j["stages"] = std::move(stages);

  json analysis = json::array();
  for (const auto& a : r.analysis) {
    json e{{"name", a.name}, {"passed", a.passed}, {"reason", a.reason}, {"message", a.message}};
    put_optional(e, "observed", a.observed);
    put_optional(e, "threshold", a.threshold);
    put_optional(e, "traffic_percent", a.traffic_percent);
    analysis.push_back(std::move(e));
  }
  j["analysis"] = std::move(analysis);

  j["outcome"] =
      json{{"status", to_string(r.outcome.status)}, {"reason", r.outcome.reason}, {"message", r.outcome.message}};
  put_optional(j, "run_id", r.run_id);
  put_optional(j, "run_attempt", r.run_attempt);
  put_optional(j, "run_url", r.run_url);
  put_optional(j, "started_at", r.started_at);
  j["recorded_at"] = r.recorded_at;
  if (r.link) {
    j["seq"] = r.link->seq;
    j["prev_hash"] = r.link->prev_hash;
    j["hash"] = r.link->hash;
    put_optional(j, "signature", r.link->signature);
  }
  return j;
}

Result<Record> from_json(const json& j) {
  if (!j.is_object()) {
    return Error{"malformed_record", std::string{"audit record: expected a JSON object, got "} + j.type_name()};
  }
  const FieldReader r{j, ""};
  Record rec;
  try {
    rec.schema_version = r.integer("schema_version", kIntMin, kIntMax);
    if (rec.schema_version < 1 || rec.schema_version > kSchemaVersion) {
      return Error{"unsupported_schema_version", "audit record: schema_version " + std::to_string(rec.schema_version) +
                                                     " is not supported; this build reads 1.." +
                                                     std::to_string(kSchemaVersion) +
                                                     " (upgrade to read newer records)"};
    }
    const std::string kind = r.string("kind");
    const auto parsed_kind = parse_kind(kind);
    if (!parsed_kind) throw FieldError{"kind", parsed_kind.error().message};
    rec.kind = *parsed_kind;
    rec.repository = r.string("repository");
    rec.environment = r.optional_string("environment");
    rec.actor = r.string("actor");
    rec.requested_by = r.optional_string("requested_by");
    rec.request_url = r.optional_string("request_url");
    rec.trigger = r.string("trigger");
    rec.delivery_id = r.optional_string("delivery_id");
    rec.version = r.optional_string("version");
    rec.commit_sha = r.optional_string("commit_sha");
    rec.previous_version = r.optional_string("previous_version");
    rec.previous_sha = r.optional_string("previous_sha");
    rec.approvals = r.array<Approval>("approvals", read_approval);
    rec.gates = r.array<Gate>("gates", read_gate);
    rec.stages = r.array<Stage>("stages", read_stage);
    rec.analysis = r.array<Analysis>("analysis", read_analysis);

    const FieldReader outcome = r.object("outcome");
    const auto status = parse_status(outcome.string("status"));
    if (!status) throw FieldError{outcome.field("status"), status.error().message};
    rec.outcome = RecordOutcome{*status, outcome.string("reason"), outcome.string("message")};

    rec.run_id = r.optional_unsigned("run_id");
    rec.run_attempt = r.optional_integer("run_attempt", 1, kIntMax);
    rec.run_url = r.optional_string("run_url");
    rec.started_at = r.optional_timestamp("started_at");
    rec.recorded_at = r.timestamp("recorded_at");

    if (r.find("seq") || r.find("prev_hash") || r.find("hash") || r.find("signature")) {
      ChainLink link;
      const auto seq = r.optional_unsigned("seq");
      if (!seq) throw FieldError{"seq", "is required in a sealed record (one with prev_hash, hash or signature)"};
      link.seq = *seq;
      link.prev_hash = r.string("prev_hash");
      link.hash = r.string("hash");
      link.signature = r.optional_string("signature");
      rec.link = std::move(link);
    }
  } catch (const FieldError& e) {
    return Error{"malformed_record", "audit record: field " + e.field + " " + e.problem};
  }
  for (const auto& [key, value] : j.items()) {
    if (!is_known_field(key)) rec.extra[key] = value;
  }
  return rec;
}

// --- timestamps --------------------------------------------------------------------------------

// One implementation in core/rfc3339 (shared with GitHub's times); these name the audit record's form.
std::string format_timestamp(std::chrono::system_clock::time_point time) { return rfc3339::format_milliseconds(time); }

Result<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text) {
  return rfc3339::parse(text, rfc3339::Form::utc);
}

// --- hashing and signing -----------------------------------------------------------------------

// One implementation in core/crypto; these stay as the audit API its callers and tests name.
std::string sha256_hex(std::string_view data) { return crypto::sha256_hex(data); }

std::string hmac_sha256_hex(std::string_view key, std::string_view data) { return crypto::hmac_sha256_hex(key, data); }

bool constant_time_equal(std::string_view a, std::string_view b) { return crypto::constant_time_equal(a, b); }

Result<std::string> compute_hash(const json& record) {
  if (!record.is_object()) {
    return Error{"malformed", std::string{"audit record: expected a JSON object, got "} + record.type_name()};
  }
  auto canonical = audit::dump_without(record, {"hash", "signature"});
  if (!canonical) return canonical.error();
  return sha256_hex(*canonical);
}

std::string sign(std::string_view key, std::string_view hash) {
  return std::string{kSignaturePrefix} + hmac_sha256_hex(key, hash);
}

// --- sealing -------------------------------------------------------------------------------------

Result<json> seal(const json& record, std::string_view prev_hash, std::uint64_t seq,
                  std::optional<std::string_view> key) {
  if (!record.is_object()) {
    return Error{"malformed", std::string{"audit seal: expected a JSON object, got "} + record.type_name()};
  }
  if (!is_hash(prev_hash)) {
    return Error{"invalid_prev_hash", "audit seal: prev_hash \"" + std::string{prev_hash} +
                                          "\" is not 64 lowercase hex characters (use the previous record's hash, "
                                          "or kGenesisHash to start a chain)"};
  }
  if (key && key->empty()) {
    return Error{"empty_key", "audit seal: the signing key is empty; configure a secret or seal without a key"};
  }
  json sealed = record;
  sealed.erase("hash");
  sealed.erase("signature");
  sealed["seq"] = seq;
  sealed["prev_hash"] = std::string{prev_hash};
  auto hash = compute_hash(sealed);
  if (!hash) return hash.error();
  if (key) sealed["signature"] = sign(*key, *hash);
  sealed["hash"] = std::move(hash).value();
  return sealed;
}

Result<json> seal(const Record& record, std::string_view prev_hash, std::uint64_t seq,
                  std::optional<std::string_view> key) {
  return seal(to_json(record), prev_hash, seq, key);
}

Result<json> seal_next(const json& record, const json& previous, std::optional<std::string_view> key) {
  const auto malformed = [](const std::string& why) {
    return Error{"malformed", "audit seal_next: the previous record " + why + "; pass a sealed record"};
  };
  if (!previous.is_object()) return malformed("is not a JSON object");
  const auto hash = previous.find("hash");
  if (hash == previous.end() || !is_hash_value(*hash)) return malformed("has no valid hash");
  const auto seq = previous.find("seq");
  const auto seq_value = seq == previous.end() ? std::nullopt : as_seq(*seq);
  if (!seq_value) return malformed("has no valid seq");
  if (*seq_value == std::numeric_limits<std::uint64_t>::max()) return malformed("has the largest possible seq");
  return seal(record, hash->get_ref<const std::string&>(), *seq_value + 1, key);
}

// --- verification ------------------------------------------------------------------------------

VerifyResult verify_chain(const std::vector<json>& records, std::optional<std::string_view> key,
                          const std::optional<Anchor>& anchor) {
  std::string expected_prev = anchor ? anchor->prev_hash : std::string{kGenesisHash};
  std::optional<std::uint64_t> expected_seq = anchor ? anchor->first_seq : std::optional<std::uint64_t>{0};

  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& record = records[i];
    const auto broken = [&](const char* reason, const std::string& detail) {
      return VerifyResult{false, i, reason, describe(record, i) + ": " + detail, i};
    };
    if (!record.is_object()) return broken("malformed", std::string{"is not a JSON object but "} + record.type_name());

    const auto seq_it = record.find("seq");
    const auto seq = seq_it == record.end() ? std::nullopt : as_seq(*seq_it);
    if (!seq) return broken("malformed", "has no seq (a non-negative integer); it was never sealed");
    const auto prev_it = record.find("prev_hash");
    if (prev_it == record.end() || !is_hash_value(*prev_it)) {
      return broken("malformed", "has no prev_hash of 64 lowercase hex characters");
    }
    const auto hash_it = record.find("hash");
    if (hash_it == record.end() || !is_hash_value(*hash_it)) {
      return broken("malformed", "has no hash of 64 lowercase hex characters");
    }
    const auto signature_it = record.find("signature");
    if (signature_it != record.end() && !signature_it->is_string()) {
      return broken("malformed", "has a signature that is not a string");
    }
    const std::string& stored_hash = hash_it->get_ref<const std::string&>();
    const std::string& prev_hash = prev_it->get_ref<const std::string&>();

    const auto computed = compute_hash(record);
    if (!computed) return broken("malformed", "cannot be hashed: " + computed.error().message);
    if (!constant_time_equal(*computed, stored_hash)) {
      return broken("hash_mismatch", "stored hash " + stored_hash + " but the content hashes to " + *computed +
                                         "; a field was changed after the record was sealed");
    }

    if (key) {
      if (signature_it == record.end()) {
        return broken("missing_signature",
                      "has no signature but a signing key is configured; it was sealed without the key, or the "
                      "signature was removed");
      }
      if (!constant_time_equal(signature_it->get_ref<const std::string&>(), sign(*key, stored_hash))) {
        return broken("bad_signature",
                      "the signature does not match the hash under the configured key; either the key is wrong, or "
                      "the record was changed and re-hashed by someone without the key");
      }
    }

    if (prev_hash != expected_prev) {
      const std::string expected_what = i > 0    ? "the hash of the record before it (" + expected_prev + ")"
                                        : anchor ? "the anchor (" + expected_prev + ")"
                                                 : "the start of a chain (64 zeros)";
      return broken("broken_link", "prev_hash " + prev_hash + " does not match " + expected_what +
                                       "; a record was removed, inserted or reordered before this one");
    }
    if (expected_seq && *seq != *expected_seq) {
      return broken("seq_gap", "seq is " + std::to_string(*seq) + " but " + std::to_string(*expected_seq) +
                                   " was expected at this position");
    }
    expected_prev = stored_hash;
    expected_seq = *seq + 1;
  }
  return VerifyResult{true, 0, "", "", records.size()};
}

// --- JSON Lines --------------------------------------------------------------------------------

Result<JsonlRecords> parse_jsonl(std::string_view text) {
  JsonlRecords out;
  if (auto error = parse_lines(text, out)) return *error;
  return out;
}

Result<std::string> to_jsonl_line(const json& record) {
  if (!record.is_object()) {
    return Error{"malformed", std::string{"audit record: expected a JSON object, got "} + record.type_name()};
  }
  auto canonical = audit::dump(record);
  if (!canonical) return canonical.error();
  return std::move(canonical).value() + "\n";
}

VerifyResult verify_jsonl(std::string_view text, std::optional<std::string_view> key,
                          const std::optional<Anchor>& anchor) {
  JsonlRecords parsed;
  const auto parse_error = parse_lines(text, parsed);
  // Records before a bad line are still checked first, so the first break in the file is reported.
  VerifyResult result = verify_chain(parsed.records, key, anchor);
  if (!result.ok) {
    result.message = "line " + std::to_string(parsed.lines[result.index]) + ": " + result.message;
    return result;
  }
  if (parse_error)
    return VerifyResult{false, parsed.records.size(), "malformed", parse_error->message, parsed.records.size()};
  return result;
}

}  // namespace deploy::audit
