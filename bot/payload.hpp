// The few fields of a webhook payload the ingest path needs, and the compact record of what the
// handlers read, made in one pass over the body (no DOM is built: a 25 MiB payload costs no
// allocation beyond these strings and the record). The worker parses the stored record later.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::bot {

struct PayloadSummary {
  std::string action;                // top-level "action", empty when absent or not a string
  std::int64_t installation_id = 0;  // "installation": {"id": N}, 0 when absent
  std::string repository;            // "repository": {"full_name": "owner/name"}, empty when absent
  // "comment": {"body": "..."} (issue_comment, commit_comment...): lets the ingest path tell a
  // comment without a command (no job needed) from one with; nullopt when absent or not a string.
  std::optional<std::string> comment_body;
  // The compact record: the payload with only the members `event`'s handler reads
  // (bot/event_fields.hpp), their bytes as they were, in the payload's shape, so bot/events.cpp
  // parses it as it would the payload. nullopt for an event without a table of fields, or when no
  // event was given.
  std::optional<std::string> record;
};

// Error codes: "invalid_json" (not JSON, with the byte offset), "payload_not_object". `event`: the
// X-GitHub-Event, for the compact record (empty: none is made).
Result<PayloadSummary> summarize_payload(std::string_view body, std::string_view event = {});

}  // namespace deploy::bot
