// Time as GitHub writes it: ISO 8601 UTC with a Z ("2024-05-01T12:00:00Z"), epoch seconds for
// rate-limit headers, and the RFC 7231 form for the Date header.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace deploy::sim {

using TimePoint = std::chrono::system_clock::time_point;

std::string iso8601(TimePoint time);
std::optional<TimePoint> parse_iso8601(std::string_view text);  // "YYYY-MM-DDTHH:MM:SSZ" (fraction ignored)
std::string http_date(TimePoint time);
long long epoch_seconds(TimePoint time);

}  // namespace deploy::sim
