#include "bot/payload.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace deploy::bot {
namespace {

// A validating JSON scanner (RFC 8259: grammar, escapes, surrogate pairs, UTF-8) that copies only
// the three values it looks for. nlohmann's lexer copies every string byte by byte, which made
// parsing a third of the bot's CPU time per delivery; this one only walks the bytes.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  PayloadSummary summary;
  std::string error;
  bool top_is_object = false;

  bool document() {
    skip_ws();
    if (p_ < end_ && *p_ == '{') top_is_object = true;
    if (!value(0, Slot::top)) return false;
    skip_ws();
    if (p_ != end_) return fail("unexpected content after the JSON value");
    return true;
  }

 private:
  // Where a value sits, for the three paths we extract.
  enum class Slot { none, top, action, installation, installation_id, repository, full_name };
  static constexpr int kMaxDepth = 512;

  bool fail(std::string_view why) {
    if (error.empty()) {
      error = "the body is not valid JSON (at byte " + std::to_string(p_ - begin_) + "): " + std::string(why);
    }
    return false;
  }

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool value(int depth, Slot slot) {
    if (depth > kMaxDepth) return fail("nested deeper than 512 levels");
    clear(slot);
    skip_ws();
    if (p_ == end_) return fail("unexpected end of input");
    switch (*p_) {
      case '{':
        return object(depth + 1, slot);
      case '[':
        return array(depth + 1);
      case '"': {
        std::string_view raw;
        if (!string(raw)) return false;
        if (slot == Slot::action) summary.action = decode(raw);
        if (slot == Slot::full_name) summary.repository = decode(raw);
        return true;
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number(slot);
    }
  }

  bool object(int depth, Slot slot) {
    ++p_;  // '{'
    skip_ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (p_ == end_ || *p_ != '"') return fail("expected a string key");
      std::string_view raw_key;
      if (!string(raw_key)) return false;
      skip_ws();
      if (p_ == end_ || *p_ != ':') return fail("expected ':' after a key");
      ++p_;
      if (!value(depth, child_slot(slot, raw_key))) return false;
      skip_ws();
      if (p_ == end_) return fail("unexpected end of input in an object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      return fail("expected ',' or '}' in an object");
    }
  }

  bool array(int depth) {
    ++p_;  // '['
    skip_ws();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      if (!value(depth, Slot::none)) return false;
      skip_ws();
      if (p_ == end_) return fail("unexpected end of input in an array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      return fail("expected ',' or ']' in an array");
    }
  }

  // A repeated key's last value is the one nlohmann keeps, and the worker reads the stored body
  // with nlohmann: each value at one of our paths first clears what an earlier one set, so that
  // `{"action":"created","action":1}` has no action here either (found by fuzz/payload_json).
  void clear(Slot slot) {
    switch (slot) {
      case Slot::action:
        summary.action.clear();
        break;
      case Slot::installation:
      case Slot::installation_id:
        summary.installation_id = 0;
        break;
      case Slot::repository:
      case Slot::full_name:
        summary.repository.clear();
        break;
      default:
        break;
    }
  }

  Slot child_slot(Slot parent, std::string_view raw_key) const {
    if (parent == Slot::none) return Slot::none;
    const std::string key = decode(raw_key);
    switch (parent) {
      case Slot::top:
        if (key == "action") return Slot::action;
        if (key == "installation") return Slot::installation;
        if (key == "repository") return Slot::repository;
        return Slot::none;
      case Slot::installation:
        return key == "id" ? Slot::installation_id : Slot::none;
      case Slot::repository:
        return key == "full_name" ? Slot::full_name : Slot::none;
      default:
        return Slot::none;
    }
  }

  // The contents of a validated string token (quotes included in `raw`), unescaped.
  static std::string decode(std::string_view raw) {
    if (raw.find('\\') == std::string_view::npos) return std::string(raw.substr(1, raw.size() - 2));
    return nlohmann::json::parse(raw).get<std::string>();  // already validated: cannot throw
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // \uXXXX at p_ (after the backslash and 'u'): its code unit, or -1.
  int escape_unit() {
    if (end_ - p_ < 4) return -1;
    int unit = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(p_[i]);
      if (h < 0) return -1;
      unit = unit * 16 + h;
    }
    p_ += 4;
    return unit;
  }

  bool string(std::string_view& raw) {
    const char* start = p_++;  // '"'
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
        return true;
      }
      if (c < 0x20) return fail("control character in a string");
      if (c == '\\') {
        if (++p_ == end_) break;
        const char e = *p_++;
        if (e == 'u') {
          const int unit = escape_unit();
          if (unit < 0) return fail("\\u must be followed by four hex digits");
          if (unit >= 0xDC00 && unit <= 0xDFFF) return fail("lone low surrogate in a \\u escape");
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return fail("high surrogate without its low half");
            p_ += 2;
            const int low = escape_unit();
            if (low < 0xDC00 || low > 0xDFFF) return fail("high surrogate without its low half");
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          return fail("invalid escape in a string");
        }
        continue;
      }
      if (c < 0x80) {
        ++p_;
        continue;
      }
      if (!utf8_sequence(c)) return fail("invalid UTF-8 in a string");
    }
    return fail("unterminated string");
  }

  // One multi-byte UTF-8 sequence starting at p_ (lead byte c), well-formed per RFC 3629 (no
  // overlong forms, no surrogates, nothing above U+10FFFF).
  bool utf8_sequence(unsigned char c) {
    int length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
      length = 2;
    else if (c == 0xE0)
      length = 3, low = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
      length = 3;
    else if (c == 0xED)
      length = 3, high = 0x9F;
    else if (c == 0xF0)
      length = 4, low = 0x90;
    else if (c >= 0xF1 && c <= 0xF3)
      length = 4;
    else if (c == 0xF4)
      length = 4, high = 0x8F;
    else
      return false;
    if (end_ - p_ < length) return false;
    const auto second = static_cast<unsigned char>(p_[1]);
    if (second < low || second > high) return false;
    for (int i = 2; i < length; ++i) {
      const auto next = static_cast<unsigned char>(p_[i]);
      if (next < 0x80 || next > 0xBF) return false;
    }
    p_ += length;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return fail("invalid literal");
    }
    p_ += word.size();
    return true;
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool number(Slot slot) {
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !digit(*p_)) return fail("invalid value");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || !digit(*p_)) return fail("a digit must follow the decimal point");
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !digit(*p_)) return fail("a digit must follow the exponent");
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    // Like nlohmann (which the worker parses the stored body with), refuse numbers beyond a double.
    if ((!integer || p_ - start > 19) && std::isinf(std::strtod(std::string(start, p_).c_str(), nullptr))) {
      return fail("number overflow");
    }
    if (integer && slot == Slot::installation_id) {
      std::int64_t id = 0;
      const auto [ptr, ec] = std::from_chars(start, p_, id);
      if (ec == std::errc() && ptr == p_) summary.installation_id = id;
    }
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
};

}  // namespace

Result<PayloadSummary> summarize_payload(std::string_view body) {
  Scanner scanner(body);
  if (!scanner.document()) return Error{"invalid_json", scanner.error};
  if (!scanner.top_is_object) return Error{"payload_not_object", "the JSON payload is not an object"};
  return std::move(scanner.summary);
}

}  // namespace deploy::bot
