// core/freeze: cron expressions, and whether an instant is inside a window, checked against a
// brute-force model that walks time minute by minute. Zones here are synthetic (transitions as
// data); tests/unit/tz_test.cpp runs the same model over the real tz database.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/freeze/cron.hpp"
#include "core/freeze/window.hpp"
#include "tests/unit/freeze_model.hpp"

using namespace deploy::freeze;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

// Minutes since the epoch of a UTC date and time, e.g. at(2026, 3, 29, 2, 30).
LocalMinute at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  const std::chrono::sys_days day{std::chrono::year{y} / mo / d};
  return day.time_since_epoch().count() * 1440 + h * 60 + mi;
}
Seconds instant(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) { return Seconds{minutes{at(y, mo, d, h, mi)}}; }

}  // namespace

TEST_CASE("parse_cron: accepted expressions and what they match") {
  struct Case {
    const char* text;
    LocalMinute minute;
    bool matches;
  };
  // 2026-12-04 is a Friday.
  const std::vector<Case> cases = {
      {"* * * * *", at(2026, 12, 4, 13, 7), true},
      {"0 18 * * FRI", at(2026, 12, 4, 18, 0), true},
      {"0 18 * * fri", at(2026, 12, 4, 18, 0), true},
      {"0 18 * * 5", at(2026, 12, 4, 18, 1), false},
      {"0 18 * * 5", at(2026, 12, 5, 18, 0), false},
      {"*/15 * * * *", at(2026, 12, 4, 1, 45), true},
      {"*/15 * * * *", at(2026, 12, 4, 1, 46), false},
      {"5/20 * * * *", at(2026, 12, 4, 1, 45), true},
      {"1-30/10 9 * * *", at(2026, 12, 4, 9, 21), true},
      {"1-30/10 9 * * *", at(2026, 12, 4, 9, 31), false},
      {"0 0 24-26 DEC *", at(2026, 12, 25), true},
      {"0 0 24-26 dec-dec *", at(2026, 11, 25), false},
      {"0 0 * * 7", at(2026, 12, 6), true},  // 7 is Sunday, as 0
      {"0 0 * * 0", at(2026, 12, 6), true},
      {"0 0 1,15 * *", at(2026, 12, 15), true},
      // Both day fields restricted: either matches (cron's rule).
      {"0 0 1 * MON", at(2026, 12, 7), true},
      {"0 0 1 * MON", at(2026, 12, 1), true},
      {"0 0 1 * MON", at(2026, 12, 2), false},
      // One restricted: both must.
      {"0 0 * 12 MON", at(2026, 11, 2), false},
      {"0 0 29 2 *", at(2028, 2, 29), true},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto cron = parse_cron(c.text);
    REQUIRE(cron.ok());
    CHECK(cron->matches(c.minute) == c.matches);
  }
}

TEST_CASE("parse_cron: refusals name the field") {
  struct Case {
    const char* text;
    const char* contains;
  };
  const std::vector<Case> cases = {
      {"", "expected 5 fields"},
      {"* * * *", "found 4"},
      {"* * * * * *", "found 6"},
      {"60 * * * *", "minute field '60'"},
      {"* 24 * * *", "hour field"},
      {"* * 0 * *", "day of month field"},
      {"* * * 13 *", "month field"},
      {"* * * * 8", "day of week field"},
      {"* * * * FUN", "day of week field 'FUN'"},
      {"*/0 * * * *", "step"},
      {"5-1 * * * *", "backwards"},
      {"1,,2 * * * *", "empty item"},
      {"@daily * * * *", "minute field"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto cron = parse_cron(c.text);
    REQUIRE_FALSE(cron.ok());
    CHECK(cron.error().code == "invalid_cron");
    CHECK(cron.error().message.find(c.contains) != std::string::npos);
  }
}

TEST_CASE("latest_match: the latest matching minute at or before") {
  const auto friday = parse_cron("0 18 * * FRI").value();
  CHECK(latest_match(friday, at(2026, 12, 4, 18, 0)) == at(2026, 12, 4, 18, 0));
  CHECK(latest_match(friday, at(2026, 12, 4, 17, 59)) == at(2026, 11, 27, 18, 0));
  CHECK(latest_match(friday, at(2026, 12, 10, 3, 0)) == at(2026, 12, 4, 18, 0));
  const auto leap = parse_cron("30 12 29 2 *").value();
  CHECK(latest_match(leap, at(2027, 6, 1)) == at(2024, 2, 29, 12, 30));
  const auto never = parse_cron("0 0 30 2 *").value();
  CHECK_FALSE(latest_match(never, at(2027, 6, 1)).has_value());
}

TEST_CASE("occurrence_at: fixed and recurring windows in UTC") {
  auto utc = std::make_shared<FixedZone>("UTC");
  Window fixed{"year-end", std::nullopt, {}, nullptr, instant(2026, 12, 20), instant(2027, 1, 4)};
  CHECK_FALSE(occurrence_at(fixed, instant(2026, 12, 19, 23, 59)));
  CHECK(occurrence_at(fixed, instant(2026, 12, 20))->end == instant(2027, 1, 4));
  CHECK_FALSE(occurrence_at(fixed, instant(2027, 1, 4)));  // the end is the first allowed instant

  Window weekend{"weekend", parse_cron("0 18 * * FRI").value(), hours{62}, utc, {}, {}};
  CHECK_FALSE(occurrence_at(weekend, instant(2026, 12, 4, 17, 59)));
  const auto in = occurrence_at(weekend, instant(2026, 12, 5, 12, 0));
  REQUIRE(in);
  CHECK(in->name == "weekend");
  CHECK(in->start == instant(2026, 12, 4, 18, 0));
  CHECK(in->end == instant(2026, 12, 7, 8, 0));
  CHECK_FALSE(occurrence_at(weekend, instant(2026, 12, 7, 8, 0)));

  const auto both = frozen_at({fixed, weekend}, instant(2026, 12, 26, 12, 0));
  REQUIRE(both.size() == 2);
  CHECK(both[0].name == "year-end");
  CHECK(both[1].name == "weekend");
}

TEST_CASE("occurrence_at: across a synthetic daylight saving time change") {
  // +01:00, then +02:00 from 2026-03-29 01:00 UTC (02:00 wall clock jumps to 03:00), then +01:00
  // again from 2026-10-25 01:00 UTC (03:00 wall clock falls back to 02:00).
  auto zone =
      std::make_shared<TransitionZone>("Test/Europe", std::vector<Transition>{{instant(1900, 1, 1), hours{1}},
                                                                              {instant(2026, 3, 29, 1), hours{2}},
                                                                              {instant(2026, 10, 25, 1), hours{1}}});
  // 02:30 never happens on 03-29: the window starts at the jump, 03:00 wall clock (01:00 UTC).
  Window skipped{"night", parse_cron("30 2 * * *").value(), hours{1}, zone, {}, {}};
  const auto spring = occurrence_at(skipped, instant(2026, 3, 29, 1, 0));
  REQUIRE(spring);
  CHECK(spring->start == instant(2026, 3, 29, 1, 0));
  CHECK(spring->end == instant(2026, 3, 29, 2, 0));
  CHECK_FALSE(occurrence_at(skipped, instant(2026, 3, 29, 0, 59)));
  // The day before and after: 02:30 wall clock is 01:30 UTC (+01:00) and 00:30 UTC (+02:00).
  CHECK(occurrence_at(skipped, instant(2026, 3, 28, 1, 30))->start == instant(2026, 3, 28, 1, 30));
  CHECK(occurrence_at(skipped, instant(2026, 3, 30, 0, 30))->start == instant(2026, 3, 30, 0, 30));
  // 02:30 happens twice on 10-25 (00:30 and 01:30 UTC): one window, from the first.
  const auto autumn = occurrence_at(skipped, instant(2026, 10, 25, 1, 15));
  REQUIRE(autumn);
  CHECK(autumn->start == instant(2026, 10, 25, 0, 30));
  CHECK_FALSE(occurrence_at(skipped, instant(2026, 10, 25, 1, 45)));
  // A window over the change lasts its duration in real time.
  Window evening{"evening", parse_cron("0 1 * * *").value(), hours{4}, zone, {}, {}};
  const auto over = occurrence_at(evening, instant(2026, 3, 29, 2, 0));
  REQUIRE(over);
  CHECK(over->start == instant(2026, 3, 29, 0, 0));
  CHECK(over->end == instant(2026, 3, 29, 4, 0));
}

TEST_CASE("occurrence_at equals the minute-by-minute model over random zones and expressions") {
  std::mt19937 random(20261202);  // fixed: a failure names a reproducible case
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };
  const std::vector<std::string> minutes_f = {"*", "0", "30", "*/15", "0,20,40", "5-10", "59"};
  const std::vector<std::string> hours_f = {"*", "0", "2", "1-3", "*/6", "23", "2,14"};
  const std::vector<std::string> days_f = {"*", "1", "15", "28-31", "*/10", "29"};
  const std::vector<std::string> months_f = {"*", "*", "*", "3", "10", "1-6", "FEB,MAR,OCT"};
  const std::vector<std::string> weekdays_f = {"*", "*", "*", "0", "SAT,SUN", "1-5", "FRI"};
  int frozen_cases = 0;
  for (int trial = 0; trial < 300; ++trial) {
    // A zone with up to four transitions of up to +-3 h (in 30-minute steps) around 2026-03..04.
    std::vector<Transition> transitions{{instant(1900, 1, 1), minutes{30 * pick(-6, 6)}}};
    Seconds t0 = instant(2026, 3, 1);
    const int changes = pick(0, 4);
    for (int i = 0; i < changes; ++i) {
      t0 += minutes{pick(60, 60 * 24 * 8)};
      transitions.push_back({t0, minutes{30 * pick(-6, 6)}});
    }
    TransitionZone zone("Test/Random", transitions);
    const std::string text = minutes_f[pick(0, 6)] + " " + hours_f[pick(0, 6)] + " " + days_f[pick(0, 5)] + " " +
                             months_f[pick(0, 6)] + " " + weekdays_f[pick(0, 6)];
    const auto cron = parse_cron(text);
    REQUIRE(cron.ok());
    Window window{"w", *cron, minutes{pick(1, 60 * 30)}, std::make_shared<TransitionZone>(zone), {}, {}};
    const Seconds from = instant(2026, 3, 1) + minutes{pick(0, 60 * 24 * 30)};
    BruteForce model(*cron, zone, window.duration, from - hours{24 * 2}, from + hours{24 * 3});
    for (int step = 0; step < 60; ++step) {
      const Seconds t = from + minutes{pick(0, 60 * 24 * 3 - 1)};
      INFO("cron '" << text << "', duration " << window.duration.count() << " s, trial " << trial
                    << ", t = " << t.time_since_epoch().count());
      const auto expected = model.occurrence_at(t);
      const auto actual = occurrence_at(window, t);
      REQUIRE(actual.has_value() == expected.has_value());
      if (actual) {
        ++frozen_cases;
        CHECK(actual->start == expected->start);
        CHECK(actual->end == expected->end);
      }
    }
  }
  CHECK(frozen_cases > 500);  // the cases exercise frozen times, not only open ones
}
