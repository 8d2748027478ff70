// RFC 3339 timestamps: the one parser and formatter behind GitHub's times (github_time.hpp) and
// the audit record's (audit.hpp). The two differ only in what they accept, so they are one
// function with a form. Pure.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::rfc3339 {

enum class Form {
  // What RFC 3339 allows and GitHub writes: "2016-07-11T22:14:10Z", t and z in either case, a
  // numeric offset (+02:00), a leap second (:60), any number of fraction digits (kept to the
  // nanosecond).
  any,
  // The audit record's: "2024-05-01T12:30:05.120Z", upper-case T and Z only (UTC), 1..9 fraction
  // digits, seconds up to 59.
  utc,
};

// Error code "invalid_timestamp", the message saying what is wrong with the text and what was
// expected. A time the system clock cannot hold (64-bit nanoseconds: years 1677..2262) is refused.
Result<std::chrono::system_clock::time_point> parse(std::string_view text, Form form);

// UTC, whole seconds: "2023-11-14T22:13:20Z".
std::string format_seconds(std::chrono::system_clock::time_point time);
// UTC, milliseconds (truncated), fixed width so the text sorts by time: "2023-11-14T22:13:20.120Z".
// Throws std::out_of_range outside years 0000..9999.
std::string format_milliseconds(std::chrono::system_clock::time_point time);

}  // namespace deploy::rfc3339
