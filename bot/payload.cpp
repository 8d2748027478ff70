#include "bot/payload.hpp"

#include <algorithm>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "bot/event_fields.hpp"

namespace deploy::bot {
namespace {

// A validating JSON scanner (RFC 8259: grammar, escapes, surrogate pairs, UTF-8) that copies only
// the four values it looks for, and, given the fields an event's handler reads, writes the compact
// record: those members' raw bytes in the payload's own shape. nlohmann's lexer copies every
// string byte by byte, which made parsing a third of the bot's CPU time per delivery; this one
// only walks the bytes, once, for both.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  PayloadSummary summary;
  std::string error;
  bool top_is_object = false;

  bool document(const FieldNode* fields) {
    skip_ws();
    if (p_ < end_ && *p_ == '{') top_is_object = true;
    if (fields) record_.reserve(1024);
    if (!value(0, Slot::top, fields)) return false;
    skip_ws();
    if (p_ != end_) return fail("unexpected content after the JSON value");
    if (fields) summary.record = std::move(record_);
    return true;
  }

 private:
  // Where a value sits, for the four paths we extract.
  enum class Slot { none, top, action, installation, installation_id, repository, full_name, comment, comment_body };
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

  // `keep`: this value goes into the record, as that node says; nullptr: it does not.
  bool value(int depth, Slot slot, const FieldNode* keep = nullptr) {
    if (depth > kMaxDepth) return fail("nested deeper than 512 levels");
    clear(slot);
    skip_ws();
    if (p_ == end_) return fail("unexpected end of input");
    const char* start = p_;
    if (keep && keep->keep == FieldNode::Keep::members && (*p_ == '{' || *p_ == '[')) {
      return *p_ == '{' ? object(depth + 1, slot, keep) : array(depth + 1, keep);
    }
    if (!plain_value(depth, slot)) return false;
    if (keep) {
      if (keep->keep == FieldNode::Keep::presence && (*start == '{' || *start == '['))
        record_ += *start == '{' ? "{}" : "[]";
      else
        record_.append(start, p_);
    }
    return true;
  }

  bool plain_value(int depth, Slot slot) {
    switch (*p_) {
      case '{':
        return object(depth + 1, slot, nullptr);
      case '[':
        return array(depth + 1, nullptr);
      case '"': {
        std::string_view raw;
        if (!string(raw)) return false;
        if (slot == Slot::action) summary.action = decode(raw);
        if (slot == Slot::full_name) summary.repository = decode(raw);
        if (slot == Slot::comment_body) summary.comment_body = decode(raw);
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

  static const FieldNode* member(const FieldNode& node, std::string_view key) {
    for (const auto& m : node.members) {
      if (m.name == key) return &m;
    }
    return nullptr;
  }

  // A member kept only when a sibling is absent or null: decided at the end of its object.
  struct Deferred {
    std::string_view raw_key;
    std::string_view raw_value;
    const FieldNode* node;
  };

  // `keep` (members): the object goes into the record with only keep's members.
  bool object(int depth, Slot slot, const FieldNode* keep) {
    ++p_;  // '{'
    if (keep) record_ += '{';
    bool first = true;
    std::vector<Deferred> deferred;
    // Members with an `unless_sibling` rule seen so far, and whether the last one was non-null
    // (nlohmann keeps a repeated key's last value).
    std::vector<std::pair<std::string_view, bool>> present;
    skip_ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      if (keep) record_ += '}';
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
      const bool wanted = slot != Slot::none || keep != nullptr;
      const std::string key = wanted ? decode(raw_key) : std::string();
      const Slot next = wanted ? child_slot(slot, key) : Slot::none;
      const FieldNode* child = keep ? member(*keep, key) : nullptr;
      skip_ws();
      const char* start = p_;
      if (child && !child->unless_sibling.empty()) {
        if (!value(depth, next)) return false;
        deferred.push_back({raw_key, std::string_view(start, static_cast<std::size_t>(p_ - start)), child});
      } else if (child) {
        if (!first) record_ += ',';
        first = false;
        record_.append(raw_key);
        record_ += ':';
        if (!value(depth, next, child)) return false;
        note_presence(present, keep, key, start);
      } else {
        if (!value(depth, next)) return false;
      }
      skip_ws();
      if (p_ == end_) return fail("unexpected end of input in an object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        if (!keep) return true;
        for (const auto& d : deferred) {
          const auto sibling = std::find_if(present.begin(), present.end(),
                                            [&](const auto& entry) { return entry.first == d.node->unless_sibling; });
          if (sibling != present.end() && sibling->second) continue;
          if (!first) record_ += ',';
          first = false;
          record_.append(d.raw_key);
          record_ += ':';
          record_.append(d.raw_value);
        }
        record_ += '}';
        return true;
      }
      return fail("expected ',' or '}' in an object");
    }
  }

  // Remembers whether `key` (a member some other member's rule depends on) was non-null.
  static void note_presence(std::vector<std::pair<std::string_view, bool>>& present, const FieldNode* keep,
                            std::string_view key, const char* value_start) {
    for (const auto& m : keep->members) {
      if (m.unless_sibling != key) continue;
      const bool non_null = *value_start != 'n';
      for (auto& entry : present) {
        if (entry.first == m.unless_sibling) {
          entry.second = non_null;
          return;
        }
      }
      present.emplace_back(m.unless_sibling, non_null);
      return;
    }
  }

  // `keep` (members): every element goes into the record, objects with only keep's members.
  bool array(int depth, const FieldNode* keep) {
    ++p_;  // '['
    if (keep) record_ += '[';
    skip_ws();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      if (keep) record_ += ']';
      return true;
    }
    bool first = true;
    for (;;) {
      if (keep && !first) record_ += ',';
      first = false;
      if (!value(depth, Slot::none, keep)) return false;
      skip_ws();
      if (p_ == end_) return fail("unexpected end of input in an array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        if (keep) record_ += ']';
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
      case Slot::comment:
      case Slot::comment_body:
        summary.comment_body.reset();
        break;
      default:
        break;
    }
  }

  static Slot child_slot(Slot parent, std::string_view key) {
    switch (parent) {
      case Slot::top:
        if (key == "action") return Slot::action;
        if (key == "installation") return Slot::installation;
        if (key == "repository") return Slot::repository;
        if (key == "comment") return Slot::comment;
        return Slot::none;
      case Slot::installation:
        return key == "id" ? Slot::installation_id : Slot::none;
      case Slot::repository:
        return key == "full_name" ? Slot::full_name : Slot::none;
      case Slot::comment:
        return key == "body" ? Slot::comment_body : Slot::none;
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
  std::string record_;
};

}  // namespace

Result<PayloadSummary> summarize_payload(std::string_view body, std::string_view event) {
  Scanner scanner(body);
  if (!scanner.document(event.empty() ? nullptr : fields_read(event))) return Error{"invalid_json", scanner.error};
  if (!scanner.top_is_object) return Error{"payload_not_object", "the JSON payload is not an object"};
  return std::move(scanner.summary);
}

}  // namespace deploy::bot
