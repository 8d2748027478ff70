#include "core/rfc3339/rfc3339.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

using deploy::rfc3339::Form;
using namespace std::chrono;

TEST_CASE("parse: one parser, two forms (GitHub's any, the audit record's utc)") {
  struct Case {
    const char* text;
    bool any;                   // accepted in Form::any
    bool utc;                   // accepted in Form::utc
    std::int64_t epoch_ns = 0;  // when accepted
  };
  constexpr std::int64_t s = 1'000'000'000;
  const std::vector<Case> cases = {
      {"2023-11-14T22:13:20Z", true, true, 1'700'000'000 * s},
      {"2023-11-14T22:13:20.5Z", true, true, 1'700'000'000 * s + 500'000'000},
      {"2023-11-14T22:13:20.000000001Z", true, true, 1'700'000'000 * s + 1},
      {"1970-01-01T00:00:00.000Z", true, true, 0},
      {"1969-12-31T23:59:59.999Z", true, true, -1'000'000},
      {"2024-02-29T00:00:00Z", true, true, 1'709'164'800 * s},
      // Only RFC 3339's wider form.
      {"2023-11-14t22:13:20z", true, false, 1'700'000'000 * s},
      {"2023-11-15T00:13:20+02:00", true, false, 1'700'000'000 * s},
      {"2023-11-14T20:43:20-01:30", true, false, 1'700'000'000 * s},
      {"2023-11-14T22:13:20+00:00", true, false, 1'700'000'000 * s},
      {"2016-12-31T23:59:60Z", true, false, 1'483'228'800 * s},             // a leap second: the next second
      {"2023-11-14T22:13:20.0000000001Z", true, false, 1'700'000'000 * s},  // beyond nanoseconds: cut
      // Neither.
      {"", false, false},
      {"2023-11-14", false, false},
      {"2023-11-14 22:13:20Z", false, false},
      {"2023-11-14T22:13:20", false, false},
      {"2023-02-29T00:00:00Z", false, false},
      {"2023-13-01T00:00:00Z", false, false},
      {"2023-11-14T24:00:00Z", false, false},
      {"2023-11-14T23:60:00Z", false, false},
      {"2023-11-14T22:13:20.Z", false, false},
      {"2023-11-14T22:13:20.000ZZ", false, false},
      {"2023-11-14T22:13:20Zjunk", false, false},
      {"2023-11-14T22:13:20+2:00", false, false},
      {"2023-11-14T22:13:20+24:00", false, false},
      {"+023-11-14T22:13:20Z", false, false},
      {"9999-12-31T23:59:59Z", false, false},  // beyond a 64-bit nanosecond clock
      {"0001-01-01T00:00:00Z", false, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    for (const auto form : {Form::any, Form::utc}) {
      const bool accepted = form == Form::any ? c.any : c.utc;
      CAPTURE(form == Form::any ? "any" : "utc");
      const auto parsed = deploy::rfc3339::parse(c.text, form);
      REQUIRE(parsed.ok() == accepted);
      if (accepted) {
        CHECK(duration_cast<nanoseconds>(parsed->time_since_epoch()).count() == c.epoch_ns);
      } else {
        CHECK(parsed.error().code == "invalid_timestamp");
        CHECK(parsed.error().message.find(c.text) != std::string::npos);
      }
    }
  }
}

TEST_CASE("the messages say what is wrong") {
  CHECK(deploy::rfc3339::parse("2023-11-14T22:13:20+00:00", Form::utc).error().message ==
        "timestamp \"2023-11-14T22:13:20+00:00\" does not end in 'Z' (only UTC is accepted); expected RFC 3339 UTC "
        "like 2024-05-01T12:30:05.120Z");
  CHECK(deploy::rfc3339::parse("2023-02-29T00:00:00Z", Form::any).error().message ==
        "timestamp \"2023-02-29T00:00:00Z\" is not a calendar date; expected RFC 3339 like 2016-07-11T22:14:10Z");
}

TEST_CASE("format: seconds and milliseconds, both read back") {
  const system_clock::time_point t{seconds{1'700'000'000} + milliseconds{7} + microseconds{999}};
  CHECK(deploy::rfc3339::format_seconds(t) == "2023-11-14T22:13:20Z");
  CHECK(deploy::rfc3339::format_milliseconds(t) == "2023-11-14T22:13:20.007Z");
  CHECK(deploy::rfc3339::format_seconds(system_clock::time_point{}) == "1970-01-01T00:00:00Z");
  CHECK(*deploy::rfc3339::parse(deploy::rfc3339::format_milliseconds(t), Form::utc) ==
        system_clock::time_point{seconds{1'700'000'000} + milliseconds{7}});
  CHECK(*deploy::rfc3339::parse(deploy::rfc3339::format_seconds(t), Form::any) ==
        system_clock::time_point{seconds{1'700'000'000}});
}
