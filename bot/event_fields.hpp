// What the handlers read of each event's payload (bot/events.cpp), as a tree of member names. The
// ingest path keeps these members and drops the rest (bot/payload.hpp, the compact record): a
// 12.6 KiB issue_comment delivery is stored as a few hundred bytes that bot/events.cpp parses
// exactly as it would the whole payload. Pure data; tests/unit/bot_payload_test.cpp checks, for
// every example payload, that the record parses to the same event as the payload.
//
// A member events.cpp starts to read must be added here, or it is missing from stored records.
#pragma once

#include <string_view>
#include <vector>

namespace deploy::bot {

struct FieldNode {
  enum class Keep {
    value,     // the member's value as it is (a string, a number, a whole subtree)
    members,   // an object keeps only `members`; an array applies them to each of its elements
    presence,  // only whether it is there and not null: an object or array is kept empty
  };
  std::string_view name;
  Keep keep = Keep::value;
  std::vector<FieldNode> members;
  // Kept only when this sibling is absent or null: an issue's body is read only for issues, not
  // pull requests (whose description is often the bulk of a comment's payload).
  std::string_view unless_sibling = {};
};

// The top-level members to keep for `event` (X-GitHub-Event), nullptr for an event without a
// table (its payload is stored whole).
const FieldNode* fields_read(std::string_view event);

}  // namespace deploy::bot
