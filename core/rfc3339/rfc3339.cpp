#include "core/rfc3339/rfc3339.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace deploy::rfc3339 {

Result<std::chrono::system_clock::time_point> parse(std::string_view text, Form form) {
  using namespace std::chrono;
  const bool utc = form == Form::utc;
  const auto invalid = [&](const std::string& why) {
    return Error{"invalid_timestamp", "timestamp \"" + std::string{text} + "\" " + why +
                                          (utc ? "; expected RFC 3339 UTC like 2024-05-01T12:30:05.120Z"
                                               : "; expected RFC 3339 like 2016-07-11T22:14:10Z")};
  };
  const auto digits = [&](std::size_t at, std::size_t count, int& value) {
    if (at + count > text.size()) return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    return true;
  };
  // RFC 3339 lets T and Z be written in lower case; the audit record's canonical form does not.
  const auto is = [&](std::size_t at, char upper) {
    return at < text.size() && (text[at] == upper || (!utc && text[at] == upper - 'A' + 'a'));
  };

  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || !digits(0, 4, y) || text[4] != '-' || !digits(5, 2, mo) || text[7] != '-' ||
      !digits(8, 2, d) || !is(10, 'T') || !digits(11, 2, h) || text[13] != ':' || !digits(14, 2, mi) ||
      text[16] != ':' || !digits(17, 2, s)) {
    return invalid("is not in the form YYYY-MM-DDTHH:MM:SS");
  }
  std::size_t pos = 19;
  nanoseconds fraction{0};
  if (text[pos] == '.') {
    ++pos;
    std::int64_t value = 0;
    std::size_t count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 9)
        value = value * 10 + (text[pos] - '0');
      else if (utc)
        return invalid("has more than 9 fraction digits");
      ++count;
      ++pos;
    }
    if (count == 0) return invalid("has a '.' without fraction digits");
    for (std::size_t i = count; i < 9; ++i) value *= 10;
    fraction = nanoseconds{value};
  }
  minutes offset{0};
  if (is(pos, 'Z')) {
    ++pos;
  } else if (!utc && pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' || !digits(pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return invalid("has an offset that is not +HH:MM or -HH:MM");
    }
    offset = hours{oh} + minutes{om};
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return invalid(utc ? "does not end in 'Z' (only UTC is accepted)" : "does not end in Z or an offset like +02:00");
  }
  if (pos != text.size())
    return invalid(utc ? "does not end in 'Z' (only UTC is accepted)" : "has text after the time");

  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return invalid("is not a calendar date");
  // A leap second (:60) is RFC 3339; the audit record's own clock never writes one.
  if (h > 23 || mi > 59 || s > (utc ? 59 : 60)) return invalid("is not a time of day");
  // system_clock counts nanoseconds in 64 bits here (years 1677..2262): refuse what it cannot hold
  // rather than overflow.
  const sys_seconds whole = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} - offset;
  if (whole < ceil<seconds>(system_clock::time_point::min()) ||
      whole >= floor<seconds>(system_clock::time_point::max())) {
    return invalid("is outside the range of the system clock");
  }
  return time_point_cast<system_clock::duration>(whole) + duration_cast<system_clock::duration>(fraction);
}

std::string format_seconds(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(time);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buffer;
}

std::string format_milliseconds(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    throw std::out_of_range("rfc3339::format_milliseconds: year " + std::to_string(year) + " is outside 0000..9999");
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year, static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buffer;
}

}  // namespace deploy::rfc3339
