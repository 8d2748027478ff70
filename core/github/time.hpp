// RFC 3339 timestamps as GitHub writes them ("2016-07-11T22:14:10Z", sometimes with fractional
// seconds or a numeric offset): core/rfc3339's parser in its `any` form, under the name the
// GitHub client and the bot use.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::github {

// Error code "invalid_timestamp" when the text is not RFC 3339 date-time.
Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// UTC, whole seconds: "2023-11-14T22:13:20Z".
std::string format_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace deploy::github
