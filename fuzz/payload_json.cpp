// Differential: the bot's payload scanner (bot/payload.cpp), which decides at ingest whether a body
// is JSON and which action, installation and repository it is for, against nlohmann::json, which
// the worker parses the stored body with later. If they disagreed, the bot would acknowledge a
// delivery its worker then cannot read, or route it by an action its payload does not carry.
//
// Properties: the scanner accepts exactly what nlohmann accepts as a JSON object, and its three
// fields are what nlohmann reads at those paths (for repeated keys, the last one, as nlohmann keeps
// it). Two known differences, where the scanner is the stricter: it refuses nesting deeper than
// 512 levels (its recursion bound), and nlohmann stops reading at a NUL byte outside a string
// (`{}\0junk` is `{}` to it), which is not JSON and which the scanner refuses.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bot/payload.hpp"
#include "fuzz/check.hpp"

namespace {

using nlohmann::json;

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t installation_id(const json& payload) {
  const auto installation = payload.find("installation");
  if (installation == payload.end() || !installation->is_object()) return 0;
  const auto id = installation->find("id");
  if (id == installation->end()) return 0;
  if (id->is_number_unsigned()) {
    const auto value = id->get<std::uint64_t>();
    return value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? static_cast<std::int64_t>(value)
               : 0;
  }
  return id->is_number_integer() ? id->get<std::int64_t>() : 0;
}

std::string repository(const json& payload) {
  const auto it = payload.find("repository");
  return it != payload.end() && it->is_object() ? string_at(*it, "full_name") : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto summary = deploy::bot::summarize_payload(body);
  if (!summary.ok() && summary.error().message.find("nested deeper than") != std::string::npos) return 0;

  if (body.find('\0') != std::string_view::npos) {
    FUZZ_CHECK(!summary.ok() && summary.error().code == "invalid_json");
    return 0;
  }
  const json reference = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (reference.is_discarded()) {
    FUZZ_CHECK(!summary.ok() && summary.error().code == "invalid_json");
    return 0;
  }
  if (!reference.is_object()) {
    FUZZ_CHECK(!summary.ok() && summary.error().code == "payload_not_object");
    return 0;
  }
  FUZZ_CHECK(summary.ok());
  FUZZ_CHECK(summary->action == string_at(reference, "action"));
  FUZZ_CHECK(summary->installation_id == installation_id(reference));
  FUZZ_CHECK(summary->repository == repository(reference));
  return 0;
}
