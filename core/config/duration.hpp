// Durations and percentages as written in deploy.yml: `90s`, `5m`, `1h30m`, `500ms`, `7d`;
// `5` or `5%`. Kept apart from the schema walk so the grammar is small and testable on its own.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::config {

using Duration = std::chrono::milliseconds;

// One or more `<whole number><unit>` with units d, h, m, s, ms, from largest to smallest, each at
// most once ("1h30m", "500ms", "0s"). A plain number is refused: its unit would be a guess.
// Error code: "invalid_duration"; the message says what was expected and what was found.
Result<Duration> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as the same value: "1h30m", "500ms", "0s".
// Days are written as hours ("48h") because that is how people read windows and timeouts.
std::string format_duration(Duration d);

// A non-negative decimal number with an optional `%` ("5", "5%", "12.5%"). The range is the
// caller's business (traffic is 1..100, an allowed increase may exceed 100).
// Error code: "invalid_percent".
Result<double> parse_percent(std::string_view text);

}  // namespace deploy::config
