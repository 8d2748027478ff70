// Audit verification (core/audit.hpp): a .jsonl audit trail as `deploy-action verify-audit` and
// the bot read it. Input: one flag byte (bit 0: verify with a signing key), then the file's text.
//
// Properties: verification never crashes, and reports success only with every record verified;
// a record that reads as a typed Record writes back to JSON that reads as the same Record; the
// parsed records, sealed into a fresh chain, verify (with the key when one is used), and a chain
// whose record is changed after sealing does not.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit/audit.hpp"
#include "fuzz/check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::optional<std::string_view> key =
      (data[0] & 1) != 0 ? std::optional<std::string_view>("fuzz-audit-key") : std::nullopt;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto verified = deploy::audit::verify_jsonl(text, key);
  const auto parsed = deploy::audit::parse_jsonl(text);
  if (!parsed.ok()) {
    // Records before the bad line are checked first: the first break in the file is reported.
    FUZZ_CHECK(!verified.ok && !verified.reason.empty() && verified.message.starts_with("line "));
    return 0;
  }
  const auto& records = parsed->records;
  if (verified.ok)
    FUZZ_CHECK(verified.verified == records.size());
  else
    FUZZ_CHECK(verified.verified < records.size() && !verified.reason.empty() && !verified.message.empty());

  std::vector<nlohmann::json> chain;
  std::string prev_hash(deploy::audit::kGenesisHash);
  for (const auto& json : records) {
    if (const auto typed = deploy::audit::from_json(json); typed.ok()) {
      const auto again = deploy::audit::from_json(deploy::audit::to_json(*typed));
      FUZZ_CHECK(again.ok() && *again == *typed);
    }
    const auto sealed = deploy::audit::seal(json, prev_hash, chain.size(), key);
    if (!sealed.ok()) return 0;  // e.g. a double in the record: refused, not sealed
    prev_hash = (*sealed)["hash"].get<std::string>();
    chain.push_back(*sealed);
    const auto line = deploy::audit::to_jsonl_line(*sealed);
    FUZZ_CHECK(line.ok());
  }
  const auto result = deploy::audit::verify_chain(chain, key);
  FUZZ_CHECK(result.ok && result.verified == chain.size());
  if (!chain.empty()) {
    chain.front()["fuzz_tampered"] = true;
    FUZZ_CHECK(!deploy::audit::verify_chain(chain, key).ok);
  }
  return 0;
}
