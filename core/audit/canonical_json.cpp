#include "core/audit/canonical_json.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/text/text.hpp"

namespace deploy::audit {
namespace {

using nlohmann::json;

// Byte order of UTF-8 keys, spelled out rather than left to std::string's comparison.
bool byte_less(std::string_view a, std::string_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  });
}

// JSON pointer (RFC 6901) segment escaping, for error messages.
std::string pointer_segment(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

class Writer {
 public:
  // Returns false and sets error() at the first value that has no canonical form.
  bool value(const json& v, const std::string& path, std::size_t depth) {
    if (depth > kMaxDepth) {
      return fail("too_deep", path, "nesting is deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    switch (v.type()) {
      case json::value_t::null:
        out_ += "null";
        return true;
      case json::value_t::boolean:
        out_ += v.get<bool>() ? "true" : "false";
        return true;
      case json::value_t::number_integer:
        out_ += std::to_string(v.get<std::int64_t>());
        return true;
      case json::value_t::number_unsigned:
        out_ += std::to_string(v.get<std::uint64_t>());
        return true;
      case json::value_t::number_float:
        return fail("non_integer_number", path,
                    "is a floating-point number (" + v.dump() +
                        "); canonical JSON holds integers only: write decimals as strings, e.g. \"0.015\"");
      case json::value_t::string:
        return string(v.get_ref<const std::string&>(), path);
      case json::value_t::array: {
        out_.push_back('[');
        std::size_t i = 0;
        for (const auto& element : v) {
          if (i > 0) out_.push_back(',');
          if (!value(element, path + "/" + std::to_string(i), depth + 1)) return false;
          ++i;
        }
        out_.push_back(']');
        return true;
      }
      case json::value_t::object:
        return object(v, {}, path, depth);
      case json::value_t::binary:
      case json::value_t::discarded:
        break;
    }
    return fail("unsupported_value", path, "is a binary or discarded value, which JSON text cannot hold");
  }

  bool object(const json& v, std::initializer_list<std::string_view> omit, const std::string& path, std::size_t depth) {
    std::vector<std::pair<std::string_view, const json*>> members;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      if (std::find(omit.begin(), omit.end(), std::string_view{key}) != omit.end()) continue;
      members.emplace_back(key, &it.value());
    }
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return byte_less(a.first, b.first); });
    out_.push_back('{');
    bool first = true;
    for (const auto& [key, member] : members) {
      if (!first) out_.push_back(',');
      first = false;
      const std::string member_path = path + "/" + pointer_segment(key);
      if (!string(key, member_path)) return false;
      out_.push_back(':');
      if (!value(*member, member_path, depth + 1)) return false;
    }
    out_.push_back('}');
    return true;
  }

  std::string take() { return std::move(out_); }
  Error error() const { return error_; }

 private:
  bool string(std::string_view s, const std::string& path) {
    if (const auto bad = text::invalid_utf8_at(s)) {
      return fail("invalid_utf8", path, "holds a string that is not valid UTF-8 (byte " + std::to_string(*bad) + ")");
    }
    out_.push_back('"');
    for (char c : s) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\r':
          out_ += "\\r";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out_ += buf;
          } else {
            out_.push_back(c);
          }
      }
    }
    out_.push_back('"');
    return true;
  }

  bool fail(std::string code, const std::string& path, const std::string& what) {
    error_ = Error{std::move(code), "canonical JSON: the value at '" + (path.empty() ? "/" : path) + "' " + what};
    return false;
  }

  std::string out_;
  Error error_;
};

}  // namespace

Result<std::string> dump(const json& value) {
  Writer writer;
  if (!writer.value(value, "", 0)) return writer.error();
  return writer.take();
}

Result<std::string> dump_without(const json& object, std::initializer_list<std::string_view> omit) {
  if (!object.is_object()) {
    return Error{"unsupported_value", std::string{"canonical JSON: expected an object, got "} + object.type_name()};
  }
  Writer writer;
  if (!writer.object(object, omit, "", 0)) return writer.error();
  return writer.take();
}

Result<json> parse(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;  // keys seen so far in each enclosing object
  std::optional<Error> problem;
  const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (problem) return true;
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (static_cast<std::size_t>(depth) >= kMaxDepth) {
          problem = Error{"too_deep", "JSON nesting is deeper than " + std::to_string(kMaxDepth) + " levels"};
        }
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second) {
          problem = Error{"duplicate_key",
                          "JSON object has the key \"" + key + "\" more than once; each key must appear once"};
        }
        break;
      }
      case json::parse_event_t::array_end:
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  json value;
  try {
    value = json::parse(text.begin(), text.end(), check);
  } catch (const json::exception& e) {
    // parse_error for bad syntax, out_of_range for a number beyond a double ("1e999"): both are
    // bad input (found by fuzz/audit: out_of_range escaped and ended verify-audit).
    return Error{"invalid_json", e.what()};
  }
  if (problem) return *problem;
  return value;
}

}  // namespace deploy::audit
