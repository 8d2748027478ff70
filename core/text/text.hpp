// Small text helpers shared by the pure core: quoting user input in messages, ASCII case, UTF-8.
// One copy of each rule, so a message from semver, command or release escapes input alike.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace deploy::text {

// User input quoted in a message that is posted on a thread or logged: at most `max_bytes` bytes
// of it (then "..."), and every byte outside printable ASCII, and each of ` @ \ ' ", shown as
// \xNN (lowercase hex). So a quoted value cannot end a code span or a quoted string, mention
// someone, or carry control bytes, and shown("") is "".
std::string shown(std::string_view text, std::size_t max_bytes);

// ASCII only, whatever the locale: bytes outside A-Z are left as they are.
char to_lower(char c);
std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// One character decoded from UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF).
struct Utf8Char {
  char32_t code_point = 0;  // U+FFFD when !valid
  std::size_t length = 0;   // bytes taken: the whole sequence, or when !valid the maximal invalid
                            // subpart (at least 1), so one U+FFFD replaces it as Unicode advises
  bool valid = false;
};
// The character that starts at text[pos]; pos < text.size().
Utf8Char decode_utf8(std::string_view text, std::size_t pos);
// Index of the first byte that does not start a well-formed sequence, or nullopt if `text` is
// valid UTF-8.
std::optional<std::size_t> invalid_utf8_at(std::string_view text);

}  // namespace deploy::text
