// core/tz: the system's tz database as core/freeze zones, and freeze windows over real zones
// across daylight saving time, against the minute-by-minute model of tests/unit/freeze_model.hpp.
#include "core/tz/zone.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/freeze_model.hpp"

using namespace deploy::freeze;
using std::chrono::hours;
using std::chrono::minutes;

namespace {
Seconds instant(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  const std::chrono::sys_days day{std::chrono::year{y} / mo / d};
  return Seconds{day.time_since_epoch() + hours{h} + minutes{mi}};
}
std::shared_ptr<const Zone> zone(const char* name) {
  auto loaded = deploy::tz::load_zone(name);
  REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message));
  return *loaded;
}
}  // namespace

TEST_CASE("load_zone: known and unknown zones") {
  CHECK(zone("UTC")->period_at(instant(2026, 6, 1)).offset == std::chrono::seconds{0});
  CHECK(zone("Europe/Berlin")->period_at(instant(2026, 6, 1)).offset == hours{2});
  CHECK(zone("Europe/Berlin")->period_at(instant(2026, 12, 1)).offset == hours{1});
  CHECK(zone("Asia/Kolkata")->period_at(instant(2026, 6, 1)).offset == minutes{330});
  const auto unknown = deploy::tz::load_zone("Europe/Berln");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "unknown_time_zone");
  CHECK(unknown.error().message.find("Europe/Berln") != std::string::npos);
}

TEST_CASE("recurring windows across real daylight saving time changes") {
  struct Case {
    const char* name;
    const char* zone;
    const char* cron;
    hours duration;
    Seconds at;
    bool frozen;
    Seconds start;  // when frozen
    Seconds end;
  };
  const std::vector<Case> cases = {
      // New York springs forward on 2026-03-08 at 02:00 EST (07:00 UTC) to 03:00 EDT.
      {"NY 02:30 skipped: starts at the jump", "America/New_York", "30 2 * * *", hours{1}, instant(2026, 3, 8, 7, 10),
       true, instant(2026, 3, 8, 7, 0), instant(2026, 3, 8, 8, 0)},
      {"NY 02:30 the day before (EST)", "America/New_York", "30 2 * * *", hours{1}, instant(2026, 3, 7, 7, 30), true,
       instant(2026, 3, 7, 7, 30), instant(2026, 3, 7, 8, 30)},
      {"NY 02:30 the day after (EDT)", "America/New_York", "30 2 * * *", hours{1}, instant(2026, 3, 9, 6, 30), true,
       instant(2026, 3, 9, 6, 30), instant(2026, 3, 9, 7, 30)},
      // It falls back on 2026-11-01 at 02:00 EDT (06:00 UTC) to 01:00 EST: 01:30 happens twice.
      {"NY 01:30 twice: first occurrence", "America/New_York", "30 1 * * *", hours{1}, instant(2026, 11, 1, 5, 45),
       true, instant(2026, 11, 1, 5, 30), instant(2026, 11, 1, 6, 30)},
      {"NY 01:30 twice: not started again",
       "America/New_York",
       "30 1 * * *",
       hours{1},
       instant(2026, 11, 1, 6, 45),
       false,
       {},
       {}},
      // Berlin: a weekend freeze from Friday 18:00 local, 62 h, over the autumn change (2026-10-25).
      {"Berlin weekend over the change", "Europe/Berlin", "0 18 * * FRI", hours{62}, instant(2026, 10, 26, 5, 30), true,
       instant(2026, 10, 23, 16, 0), instant(2026, 10, 26, 6, 0)},
      {"Berlin weekend in winter", "Europe/Berlin", "0 18 * * FRI", hours{62}, instant(2026, 12, 7, 6, 59), true,
       instant(2026, 12, 4, 17, 0), instant(2026, 12, 7, 7, 0)},
      {"Berlin weekend over", "Europe/Berlin", "0 18 * * FRI", hours{62}, instant(2026, 12, 7, 7, 0), false, {}, {}},
      // Lord Howe moves by 30 minutes: 02:00 -> 02:30 on 2026-10-04 (15:30 UTC on the 3rd).
      {"Lord Howe 02:10 skipped", "Australia/Lord_Howe", "10 2 * * *", hours{1}, instant(2026, 10, 3, 15, 35), true,
       instant(2026, 10, 3, 15, 30), instant(2026, 10, 3, 16, 30)},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Window window{"w", parse_cron(c.cron).value(), c.duration, zone(c.zone), {}, {}};
    const auto found = occurrence_at(window, c.at);
    REQUIRE(found.has_value() == c.frozen);
    if (found) {
      CHECK(found->start == c.start);
      CHECK(found->end == c.end);
    }
  }
}

TEST_CASE("real zones: occurrence_at equals the minute-by-minute model around their changes") {
  std::mt19937 random(17);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };
  struct Around {
    const char* zone;
    Seconds change;
  };
  const std::vector<Around> changes = {
      {"America/New_York", instant(2026, 3, 8, 7)},
      {"America/New_York", instant(2026, 11, 1, 6)},
      {"Europe/Berlin", instant(2026, 3, 29, 1)},
      {"Europe/Berlin", instant(2026, 10, 25, 1)},
      {"Australia/Lord_Howe", instant(2026, 10, 3, 15, 30)},
      {"Australia/Lord_Howe", instant(2026, 4, 4, 15)},
      {"Asia/Kolkata", instant(2026, 6, 1)},
      {"UTC", instant(2026, 6, 1)},
  };
  const std::vector<std::string> expressions = {"30 2 * * *",   "0,30 1-3 * * *", "*/10 * * * *", "0 18 * * FRI",
                                                "15 2 * * SUN", "45 1 1-10 * *",  "0 0 * * *",    "59 23 * * *"};
  for (const auto& around : changes) {
    const auto z = zone(around.zone);
    for (const auto& text : expressions) {
      const auto cron = parse_cron(text).value();
      const auto duration = minutes{pick(1, 60 * 26)};
      Window window{"w", cron, duration, z, {}, {}};
      BruteForce model(cron, *z, duration, around.change - hours{24 * 9}, around.change + hours{24 * 2});
      for (int step = 0; step < 80; ++step) {
        const Seconds t = around.change + minutes{pick(-60 * 24, 60 * 24)};
        INFO(around.zone << " '" << text << "' " << duration.count() << " s at " << t.time_since_epoch().count());
        const auto expected = model.occurrence_at(t);
        const auto actual = occurrence_at(window, t);
        REQUIRE(actual.has_value() == expected.has_value());
        if (actual) {
          CHECK(actual->start == expected->start);
          CHECK(actual->end == expected->end);
        }
      }
    }
  }
}
