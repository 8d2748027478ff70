#include "core/text/text.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

namespace text = deploy::text;

TEST_CASE("shown: capped, and anything that could break a message escaped as \\xNN") {
  struct Case {
    std::string name;
    std::string in;
    std::size_t max_bytes;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"empty", "", 64, ""},
      {"printable ASCII kept", "v1.2.3-rc.1+b5 ok", 64, "v1.2.3-rc.1+b5 ok"},
      {"backtick", "a`b", 64, "a\\x60b"},
      {"at sign", "@team", 64, "\\x40team"},
      {"backslash", "a\\b", 64, "a\\x5cb"},
      {"single quote", "it's", 64, "it\\x27s"},
      {"double quote", "say \"hi\"", 64, "say \\x22hi\\x22"},
      {"NUL", std::string("a\0b", 3), 64, "a\\x00b"},
      {"tab, CR, LF", "\t\r\n", 64, "\\x09\\x0d\\x0a"},
      {"ESC", "\x1b[31m", 64, "\\x1b[31m"},
      {"DEL", "\x7f", 64, "\\x7f"},
      {"UTF-8 bytes", "\xc3\xa9", 64, "\\xc3\\xa9"},
      {"exactly the cap", "abcd", 4, "abcd"},
      {"over the cap", "abcde", 4, "abcd..."},
      {"the cap counts input bytes, not output", "\x01\x02\x03", 2, "\\x01\\x02..."},
      {"cap 0", "a", 0, "..."},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(text::shown(c.in, c.max_bytes) == c.out);
  }
}

TEST_CASE("to_lower and iequals: ASCII only") {
  CHECK(text::to_lower('A') == 'a');
  CHECK(text::to_lower('Z') == 'z');
  CHECK(text::to_lower('a') == 'a');
  CHECK(text::to_lower('@') == '@');
  CHECK(text::to_lower('[') == '[');
  CHECK(text::to_lower('\xc3') == '\xc3');
  CHECK(text::to_lower("Alice-Bob[BOT]") == "alice-bob[bot]");
  CHECK(text::to_lower("\xc3\x89T\xc3\x89") == "\xc3\x89t\xc3\x89");  // only ASCII letters change

  struct Case {
    std::string a, b;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"", "", true},
      {"approve", "APPROVE", true},
      {"Approve", "aPPROVE", true},
      {"approve", "approved", false},
      {"a", "b", false},
      {"@", "`", false},  // 0x40 vs 0x60
      {"[", "{", false},
      {"\xc3\xa9", "\xc3\x89", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    CHECK(text::iequals(c.a, c.b) == c.equal);
    CHECK(text::iequals(c.b, c.a) == c.equal);
  }
}

TEST_CASE("decode_utf8: code points, and the maximal invalid subpart when invalid") {
  struct Case {
    std::string name;
    std::string in;
    bool valid;
    char32_t code_point;
    std::size_t length;
  };
  const std::vector<Case> cases = {
      {"ASCII", "A", true, U'A', 1},
      {"NUL", std::string("\0", 1), true, 0, 1},
      {"2 bytes", "\xc3\xa9", true, U'\u00e9', 2},
      {"3 bytes", "\xe2\x82\xac", true, U'\u20ac', 3},
      {"4 bytes", "\xf0\x9f\x9a\x80", true, U'\U0001F680', 4},
      {"lowest 2-byte", "\xc2\x80", true, 0x80, 2},
      {"highest code point", "\xf4\x8f\xbf\xbf", true, 0x10ffff, 4},
      {"lone continuation", "\x80", false, U'\ufffd', 1},
      {"invalid lead 0xff", "\xff", false, U'\ufffd', 1},
      {"overlong 2-byte lead", "\xc0\xaf", false, U'\ufffd', 1},
      {"overlong 3-byte", "\xe0\x80\x80", false, U'\ufffd', 1},
      {"surrogate", "\xed\xa0\x80", false, U'\ufffd', 1},
      {"above U+10FFFF", "\xf4\x90\x80\x80", false, U'\ufffd', 1},
      {"truncated 3-byte at the end", "\xe2\x82", false, U'\ufffd', 2},
      {"truncated 4-byte before ASCII",
       "\xf0\x9f\x9a"
       "b",
       false, U'\ufffd', 3},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto d = text::decode_utf8(c.in, 0);
    CHECK(d.valid == c.valid);
    CHECK(static_cast<std::uint32_t>(d.code_point) == static_cast<std::uint32_t>(c.code_point));
    CHECK(d.length == c.length);
  }
  // Decoding starts at pos, not at the start of the text.
  const auto d = text::decode_utf8("a\xc3\xa9", 1);
  CHECK(d.valid);
  CHECK(d.length == 2);
  CHECK(static_cast<std::uint32_t>(d.code_point) == 0xe9u);
}

TEST_CASE("invalid_utf8_at: the index of the first bad byte") {
  struct Case {
    std::string name;
    std::string in;
    std::optional<std::size_t> at;
  };
  const std::vector<Case> cases = {
      {"empty", "", std::nullopt},
      {"ASCII", "hello", std::nullopt},
      {"mixed valid", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80", std::nullopt},
      {"bad first byte",
       "\xff"
       "abc",
       0},
      {"bad after valid", "ab\xc3\xa9\x80", 4},
      {"truncated at the end", "abc\xe2\x82", 3},
      {"surrogate", "x\xed\xa0\x80", 1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(text::invalid_utf8_at(c.in) == c.at);
  }
}
