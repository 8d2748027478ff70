// The few fields of a webhook payload the ingest path needs, read in one SAX pass over the body
// (no DOM is built: a 25 MiB payload costs no allocation beyond these strings). The worker parses
// the stored body fully later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::bot {

struct PayloadSummary {
  std::string action;                // top-level "action", empty when absent or not a string
  std::int64_t installation_id = 0;  // "installation": {"id": N}, 0 when absent
  std::string repository;            // "repository": {"full_name": "owner/name"}, empty when absent
};

// Error codes: "invalid_json" (not JSON, with the byte offset), "payload_not_object".
Result<PayloadSummary> summarize_payload(std::string_view body);

}  // namespace deploy::bot
