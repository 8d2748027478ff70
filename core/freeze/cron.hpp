// Cron expressions for the start of recurring freeze windows: the classic five fields, read as
// wall-clock time in a time zone (core/freeze/window.hpp says which instant a wall-clock minute
// is). Pure.
//
//   minute        0-59
//   hour          0-23
//   day of month  1-31
//   month         1-12 or JAN-DEC
//   day of week   0-7 (0 and 7 are Sunday) or SUN-SAT
//
// A field is `*` or a comma-separated list of `N`, `N-M`, each optionally with `/STEP` (`*/15`,
// `1-30/5`; `N/STEP` means from N to the field's maximum). Names are case-insensitive. As in cron,
// when both day fields are restricted (neither is `*`), a day matches when EITHER matches
// ("0 0 1 * MON": the first of the month and every Monday); otherwise both must.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::freeze {

// A wall-clock minute, counted from 1970-01-01 00:00 of the zone's calendar (not an instant).
using LocalMinute = std::int64_t;

struct Cron {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1..31
  std::bitset<13> months;   // 1..12
  std::bitset<7> weekdays;  // 0 = Sunday
  bool any_day = true;      // the day-of-month field was `*`
  bool any_weekday = true;  // the day-of-week field was `*`
  std::string text;         // as written

  bool matches_day(std::int64_t days_since_epoch) const;
  bool matches(LocalMinute minute) const;
};

// Error code "invalid_cron"; the message names the field and what was expected.
Result<Cron> parse_cron(std::string_view text);

// The latest minute at or before `at` that the expression matches, looking back at most
// `max_days` days (28 years covers every calendar pattern, leap days included). nullopt: none.
inline constexpr std::int64_t kCalendarCycleDays = 28 * 366;
std::optional<LocalMinute> latest_match(const Cron& cron, LocalMinute at, std::int64_t max_days = kCalendarCycleDays);

}  // namespace deploy::freeze
