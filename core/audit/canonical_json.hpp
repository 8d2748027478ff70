// Canonical JSON: one byte sequence per JSON value, so that a value hashes the same wherever and
// however it was built. Used by the audit hash chain.
//
// What "canonical" means here (close to RFC 8785 / JCS, with two deliberate differences):
//   - No insignificant whitespace at all.
//   - Object members sorted by their keys' UTF-8 bytes, compared as unsigned bytes (JCS sorts by
//     UTF-16 code units; the two orders differ only for keys mixing U+E000..U+FFFF with
//     characters above U+FFFF).
//   - Strings: `"` and `\` are escaped as `\"` and `\\`; U+0008, U+0009, U+000A, U+000C, U+000D
//     as `\b`, `\t`, `\n`, `\f`, `\r`; every other control character below U+0020 as `\u00xx` with
//     lowercase hex. Everything else, DEL (U+007F) and all non-ASCII included, is emitted as its
//     raw UTF-8 bytes, never as a `\u` escape. Strings (and keys) must be valid UTF-8.
//   - Numbers: integers only, in plain decimal (`-12`, `0`, `18446744073709551615`). Floating-point
//     numbers are refused (JCS would print them the ECMAScript way; we keep doubles out of
//     anything that is hashed, so decimals such as an error rate are written as strings, "0.015").
//     A JSON integer too large for 64 bits is parsed by nlohmann as a double, so it is refused too.
//     Consumers in JavaScript lose precision above 2^53; keep integers below that for them.
//   - `true`, `false`, `null` as such. Binary values are refused.
//   - Nesting deeper than kMaxDepth is refused (a guard against hostile input, not a format rule).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace deploy::audit {

inline constexpr std::size_t kMaxDepth = 64;

// The canonical text of `value`. Error codes (the message names the offending JSON pointer):
// "non_integer_number", "invalid_utf8", "unsupported_value" (binary), "too_deep".
Result<std::string> dump(const nlohmann::json& value);

// As dump(), but leaves out the named members of the top-level object (for hashing a record
// without its own `hash` and `signature`, without copying it). `value` must be an object.
Result<std::string> dump_without(const nlohmann::json& object, std::initializer_list<std::string_view> omit);

// Parses one JSON text. Stricter than nlohmann::json::parse: a key repeated within one object is
// refused (readers disagree on which copy wins, which would let a record say two things), and so
// is nesting deeper than kMaxDepth. Error codes: "invalid_json", "duplicate_key", "too_deep".
Result<nlohmann::json> parse(std::string_view text);

}  // namespace deploy::audit
