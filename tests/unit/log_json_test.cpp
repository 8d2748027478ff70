#include "core/log_json/log_json.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using deploy::log_json::event;

TEST_CASE("event: one JSON object, fields in order, every value escaped") {
  struct Case {
    const char* name;
    std::string line;
    std::string expected;
  };
  const std::string bad_utf8 = std::string("a") + static_cast<char>(0xff) + "b";
  const std::vector<Case> cases = {
      {"no fields", event("stopped"), R"({"event":"stopped"})"},
      {"order kept", event("started", {{"pid", 42}, {"listen", "127.0.0.1:0"}, {"store", "/s"}}),
       R"({"event":"started","pid":42,"listen":"127.0.0.1:0","store":"/s"})"},
      {"quotes and newlines", event("e", {{"error", "say \"hi\"\nbye"}}), R"({"event":"e","error":"say \"hi\"\nbye"})"},
      {"invalid UTF-8 replaced", event("e", {{"error", bad_utf8}}),
       "{\"event\":\"e\",\"error\":\"a\xEF\xBF\xBD"
       "b\"}"},
      {"numbers and booleans", event("e", {{"count", 3u}, {"ms", -1}, {"ok", true}}),
       R"({"event":"e","count":3,"ms":-1,"ok":true})"},
      {"braces are not format specs", event("e", {{"x", "{}"}}), R"({"event":"e","x":"{}"})"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(c.line == c.expected);
  }
}
