#include "core/freeze/cron.hpp"

#include <array>
#include <chrono>
#include <vector>

namespace deploy::freeze {

namespace {

struct Field {
  const char* name;
  int min;
  int max;
  std::array<const char*, 13> names;  // index = value; nullptr where a value has no name
};

constexpr Field kMinute{"minute", 0, 59, {}};
constexpr Field kHour{"hour", 0, 23, {}};
constexpr Field kDay{"day of month", 1, 31, {}};
constexpr Field kMonth{
    "month", 1, 12, {nullptr, "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
constexpr Field kWeekday{"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr}};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::optional<int> value_of(std::string_view word, const Field& field) {
  if (word.empty()) return std::nullopt;
  if (word.size() <= 2 && word.find_first_not_of("0123456789") == std::string_view::npos) {
    int v = 0;
    for (char c : word) v = v * 10 + (c - '0');
    if (v < field.min || v > field.max) return std::nullopt;
    return v;
  }
  if (word.size() != 3) return std::nullopt;
  for (std::size_t i = 0; i < field.names.size(); ++i) {
    const char* name = field.names[i];
    if (name == nullptr) continue;
    if (lower(word[0]) == name[0] && lower(word[1]) == name[1] && lower(word[2]) == name[2]) return static_cast<int>(i);
  }
  return std::nullopt;
}

Error field_error(const Field& field, std::string_view text, const std::string& why) {
  return Error{"invalid_cron", std::string(field.name) + " field '" + std::string(text) + "': " + why};
}

std::string range_text(const Field& field) {
  std::string out = std::to_string(field.min) + "-" + std::to_string(field.max);
  if (field.names[1] != nullptr) out += std::string(" or ") + (field.names[0] ? "SUN-SAT" : "JAN-DEC");
  return out;
}

// The values a field allows, as a bit per value.
Result<std::vector<bool>> parse_field(std::string_view text, const Field& field, bool& star) {
  std::vector<bool> out(static_cast<std::size_t>(field.max + 1), false);
  star = text == "*";
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = text.find(',', pos);
    const std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) return field_error(field, text, "an empty item (two commas, or a comma at an end)");
    std::string_view range = item;
    int step = 1;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view step_text = item.substr(slash + 1);
      if (step_text.empty() || step_text.size() > 2 ||
          step_text.find_first_not_of("0123456789") != std::string_view::npos ||
          std::stoi(std::string(step_text)) == 0) {
        return field_error(field, text, "the step after '/' must be a number from 1 to 99");
      }
      step = std::stoi(std::string(step_text));
    }
    int from = field.min, to = field.max;
    if (range != "*") {
      const auto dash = range.find('-');
      const auto first = value_of(range.substr(0, dash), field);
      if (!first) return field_error(field, text, "expected * or values " + range_text(field));
      from = *first;
      if (dash != std::string_view::npos) {
        const auto last = value_of(range.substr(dash + 1), field);
        if (!last) return field_error(field, text, "expected * or values " + range_text(field));
        to = *last;
        if (to < from) return field_error(field, text, "a range must not run backwards");
      } else if (step == 1) {
        to = from;  // a single value; `N/STEP` runs to the maximum
      }
    }
    for (int v = from; v <= to; v += step) out[static_cast<std::size_t>(v)] = true;
  }
  return out;
}

// Days since 1970-01-01 to a calendar date and weekday (0 = Sunday).
struct Date {
  unsigned month = 1;
  unsigned day = 1;
  unsigned weekday = 0;
};
Date date_of(std::int64_t days) {
  const std::chrono::sys_days d{std::chrono::days{days}};
  const std::chrono::year_month_day ymd{d};
  return {static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), std::chrono::weekday{d}.c_encoding()};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<Cron> parse_cron(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  if (fields.size() != 5) {
    return Error{"invalid_cron", "expected 5 fields (minute hour day-of-month month day-of-week), found " +
                                     std::to_string(fields.size()) + " in '" + std::string(text) + "'"};
  }
  Cron cron;
  cron.text = std::string(text);
  bool star = false;
  const Field* specs[] = {&kMinute, &kHour, &kDay, &kMonth, &kWeekday};
  for (std::size_t f = 0; f < 5; ++f) {
    auto bits = parse_field(fields[f], *specs[f], star);
    if (!bits) return bits.error();
    for (std::size_t v = 0; v < bits->size(); ++v) {
      if (!(*bits)[v]) continue;
      switch (f) {
        case 0:
          cron.minutes.set(v);
          break;
        case 1:
          cron.hours.set(v);
          break;
        case 2:
          cron.days.set(v);
          break;
        case 3:
          cron.months.set(v);
          break;
        default:
          cron.weekdays.set(v % 7);
          break;  // 7 is Sunday too
      }
    }
    if (f == 2) cron.any_day = star;
    if (f == 4) cron.any_weekday = star;
  }
  return cron;
}

bool Cron::matches_day(std::int64_t days_since_epoch) const {
  const Date d = date_of(days_since_epoch);
  if (!months.test(d.month)) return false;
  const bool day = days.test(d.day);
  const bool weekday = weekdays.test(d.weekday);
  if (!any_day && !any_weekday) return day || weekday;
  return day && weekday;
}

bool Cron::matches(LocalMinute minute) const {
  const std::int64_t day = floor_div(minute, 1440);
  const std::int64_t in_day = minute - day * 1440;
  return matches_day(day) && hours.test(static_cast<std::size_t>(in_day / 60)) &&
         minutes.test(static_cast<std::size_t>(in_day % 60));
}

std::optional<LocalMinute> latest_match(const Cron& cron, LocalMinute at, std::int64_t max_days) {
  const std::int64_t first_day = floor_div(at, 1440);
  for (std::int64_t day = first_day; day >= first_day - max_days; --day) {
    if (!cron.matches_day(day)) continue;
    const int last = day == first_day ? static_cast<int>(at - day * 1440) : 1439;
    for (int hour = last / 60; hour >= 0; --hour) {
      if (!cron.hours.test(static_cast<std::size_t>(hour))) continue;
      const int top = hour == last / 60 ? last % 60 : 59;
      for (int minute = top; minute >= 0; --minute) {
        if (cron.minutes.test(static_cast<std::size_t>(minute))) return day * 1440 + hour * 60 + minute;
      }
    }
  }
  return std::nullopt;
}

}  // namespace deploy::freeze
