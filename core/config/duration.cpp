#include "core/config/duration.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

namespace deploy::config {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Largest first: a duration lists its parts in this order. "ms" precedes "m" so the longer suffix
// wins when reading.
constexpr std::array<Unit, 5> kUnits{{
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
}};

// Ten years is far beyond any timeout or window; the bound keeps the arithmetic in range.
constexpr std::int64_t kMaxMs = 10LL * 366 * 24 * 3600 * 1000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Error duration_error(std::string_view text, std::string_view why) {
  std::string message = "expected a duration like 90s, 5m or 1h, found '" + std::string(text) + "'";
  if (!why.empty()) message += " (" + std::string(why) + ")";
  return Error{"invalid_duration", std::move(message)};
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return duration_error(text, "");
  if (text.front() == '-') return duration_error(text, "durations cannot be negative");

  bool all_digits = true;
  for (char c : text) all_digits = all_digits && is_digit(c);
  if (all_digits) {
    return duration_error(
        text, "a plain number is ambiguous: add a unit, e.g. " + std::string(text) + "s or " + std::string(text) + "m");
  }

  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits: units must appear in decreasing order
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) return duration_error(text, "");
    std::int64_t amount = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (amount > kMaxMs) return duration_error(text, "too large");
      amount = amount * 10 + (text[i] - '0');
      ++i;
    }
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
      return duration_error(text, "use whole numbers, e.g. 1h30m or 1500ms");
    }
    std::string_view rest = text.substr(i);
    std::size_t found = kUnits.size();
    for (std::size_t u = 0; u < kUnits.size(); ++u) {
      const auto suffix = kUnits[u].suffix;
      if (rest.substr(0, suffix.size()) != suffix) continue;
      // "m" must not swallow the "m" of "ms", and neither may be followed by more letters.
      const std::size_t after = suffix.size();
      if (after < rest.size() && !is_digit(rest[after])) continue;
      found = u;
      break;
    }
    if (found == kUnits.size()) {
      return duration_error(text, rest.empty() ? "add a unit: ms, s, m, h or d" : "units are ms, s, m, h and d");
    }
    if (found < next_unit) {
      return duration_error(text, "give each unit once, largest first, e.g. 1h30m");
    }
    if (amount > kMaxMs / kUnits[found].ms) return duration_error(text, "too large");
    total += amount * kUnits[found].ms;
    if (total > kMaxMs) return duration_error(text, "too large");
    next_unit = found + 1;
    i += kUnits[found].suffix.size();
  }
  return Duration{total};
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  // Days are shown as hours on purpose (see the header), so skip the "d" unit.
  for (std::size_t u = 1; u < kUnits.size(); ++u) {
    const std::int64_t part = ms / kUnits[u].ms;
    if (part == 0) continue;
    out += std::to_string(part);
    out += kUnits[u].suffix;
    ms -= part * kUnits[u].ms;
  }
  return out;
}

Result<double> parse_percent(std::string_view text) {
  std::string_view number = text;
  if (!number.empty() && number.back() == '%') number.remove_suffix(1);
  // Digits with at most one decimal point, digits on both sides of it: no sign, exponent,
  // spaces, "inf" or "nan", so that what people read is what we use.
  bool ok = !number.empty();
  bool seen_point = false;
  for (std::size_t i = 0; ok && i < number.size(); ++i) {
    if (is_digit(number[i])) continue;
    ok = number[i] == '.' && !seen_point && i > 0 && i + 1 < number.size();
    seen_point = true;
  }
  if (!ok || number.size() > 20) {
    return Error{"invalid_percent", "expected a percentage like 5 or 5%, found '" + std::string(text) + "'"};
  }
  double value = 0;
  std::from_chars(number.data(), number.data() + number.size(), value);  // checked above
  return value;
}

}  // namespace deploy::config
