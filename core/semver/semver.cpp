#include "core/semver/semver.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "core/text/text.hpp"

namespace deploy::semver {
namespace {

constexpr std::size_t kMaxShownBytes = 64;
constexpr std::string_view kExample = "1.4.0";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_identifier_char(char c) { return is_digit(c) || is_letter(c) || c == '-'; }
bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// See the header: the input is shown escaped because messages are posted and logged.
std::string shown(std::string_view text) { return text::shown(text, kMaxShownBytes); }

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// Parses one version text (`text`, already without a tag prefix). `input` is what the user typed,
// for messages; `prefix` is the accepted tag prefix ("v" or ""), so examples match the input.
class Parser {
 public:
  Parser(std::string_view input, std::string_view text, std::string_view prefix)
      : input_(input), text_(text), prefix_(prefix) {}

  Result<Version> run() {
    if (input_.empty()) return fail("it is empty; expected MAJOR.MINOR.PATCH (like " + example() + ")");
    if (text_.empty()) return fail("nothing follows the 'v'; expected MAJOR.MINOR.PATCH (like " + example() + ")");
    for (std::size_t i = 0; i < input_.size(); ++i) {
      if (is_whitespace(input_[i])) {
        return fail("it contains whitespace at position " + std::to_string(i + 1) + "; remove it");
      }
    }
    if (prefix_.empty() && (text_[0] == 'v' || text_[0] == 'V')) {
      return fail("a version has no 'v' prefix (only release tags do); write '" + shown(text_.substr(1)) + "'");
    }
    for (std::size_t i = 0; i < text_.size(); ++i) {
      const char c = text_[i];
      if (!is_identifier_char(c) && c != '.' && c != '+') {
        return fail("the character '" + shown(text_.substr(i, 1)) + "' at position " +
                    std::to_string(prefix_.size() + i + 1) +
                    " is not allowed; a version uses only 0-9, A-Z, a-z, '.', '-' and '+'");
      }
    }

    // Core before the first '-' or '+', pre-release after '-' (it may itself contain '-'),
    // build after '+'.
    std::string_view rest = text_;
    std::optional<std::string_view> build_text;
    if (const auto plus = rest.find('+'); plus != std::string_view::npos) {
      build_text = rest.substr(plus + 1);
      rest = rest.substr(0, plus);
    }
    std::optional<std::string_view> pre_text;
    if (const auto dash = rest.find('-'); dash != std::string_view::npos) {
      pre_text = rest.substr(dash + 1);
      rest = rest.substr(0, dash);
    }

    Version version;
    if (auto error = parse_core(rest, version)) return *error;
    if (pre_text) {
      if (auto error = parse_prerelease(*pre_text, version)) return *error;
    }
    if (build_text) {
      if (auto error = parse_build(*build_text, version)) return *error;
    }
    return version;
  }

 private:
  Error fail(const std::string& what) const {
    return Error{"invalid_version", "'" + shown(input_) + "' is not a semantic version: " + what};
  }

  std::string example() const { return std::string(prefix_) + std::string(kExample); }

  std::optional<Error> parse_core(std::string_view core, Version& version) const {
    const auto parts = split(core, '.');
    if (parts.size() != 3) {
      return fail("expected MAJOR.MINOR.PATCH (like " + suggestion(parts) + ")");
    }
    static constexpr std::string_view kNames[] = {"major", "minor", "patch"};
    std::uint64_t* const fields[] = {&version.major, &version.minor, &version.patch};
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string name(kNames[i]);
      const std::string_view part = parts[i];
      if (part.empty()) return fail("the " + name + " version is empty");
      if (!all_digits(part)) {
        return fail("the " + name + " version '" + shown(part) + "' is not a number");
      }
      if (part.size() > 1 && part[0] == '0') {
        const auto first_nonzero = part.find_first_not_of('0');
        const auto fixed = first_nonzero == std::string_view::npos ? std::string_view("0") : part.substr(first_nonzero);
        return fail("the " + name + " version '" + shown(part) + "' has a leading zero; write '" + shown(fixed) + "'");
      }
      std::uint64_t value = 0;
      constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
      for (char c : part) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (kMax - digit) / 10) {
          return fail("the " + name + " version '" + shown(part) + "' is larger than " + std::to_string(kMax));
        }
        value = value * 10 + digit;
      }
      *fields[i] = value;
    }
    return std::nullopt;
  }

  // For `v1.2` suggest `v1.2.0`; otherwise a generic example.
  std::string suggestion(const std::vector<std::string_view>& parts) const {
    if (parts.size() >= 3) return example();
    std::string out(prefix_);
    for (std::size_t i = 0; i < 3; ++i) {
      if (i > 0) out += '.';
      if (i >= parts.size()) {
        out += '0';
      } else if (all_digits(parts[i]) && (parts[i].size() == 1 || parts[i][0] != '0') && parts[i].size() <= 19) {
        out += parts[i];
      } else {
        return example();
      }
    }
    return out;
  }

  std::optional<Error> parse_prerelease(std::string_view text, Version& version) const {
    if (text.empty()) {
      return fail("the pre-release after '-' is empty; remove the '-' or add identifiers (like " + example() +
                  "-rc.1)");
    }
    for (const auto id : split(text, '.')) {
      if (id.empty()) {
        return fail(
            "the pre-release has an empty identifier (check for '..' or a '.' at its start "
            "or end)");
      }
      if (all_digits(id) && id.size() > 1 && id[0] == '0') {
        return fail("the pre-release identifier '" + shown(id) +
                    "' is numeric and has a leading zero, which SemVer forbids");
      }
      version.prerelease.emplace_back(id);
    }
    return std::nullopt;
  }

  std::optional<Error> parse_build(std::string_view text, Version& version) const {
    if (text.empty()) {
      return fail("the build metadata after '+' is empty; remove the '+' or add identifiers");
    }
    if (text.find('+') != std::string_view::npos) {
      return fail("it has a second '+'; build metadata uses only 0-9, A-Z, a-z, '-' and '.'");
    }
    for (const auto id : split(text, '.')) {
      if (id.empty()) {
        return fail(
            "the build metadata has an empty identifier (check for '..' or a '.' at its "
            "start or end)");
      }
      version.build.emplace_back(id);
    }
    return std::nullopt;
  }

  std::string_view input_;
  std::string_view text_;
  std::string_view prefix_;
};

// Numeric identifiers compare by value. Parsed ones have no leading zeros, but a Version built by
// hand might, so zeros are skipped before comparing length then digits (no overflow possible).
std::weak_ordering compare_numeric(std::string_view a, std::string_view b) {
  const auto strip = [](std::string_view s) {
    const auto first = s.find_first_not_of('0');
    return first == std::string_view::npos ? std::string_view() : s.substr(first);
  };
  a = strip(a);
  b = strip(b);
  if (a.size() != b.size()) return a.size() <=> b.size();
  return a.compare(b) <=> 0;
}

std::weak_ordering compare_identifier(std::string_view a, std::string_view b) {
  const bool a_numeric = all_digits(a);
  const bool b_numeric = all_digits(b);
  if (a_numeric && b_numeric) return compare_numeric(a, b);
  if (a_numeric != b_numeric) {
    return a_numeric ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  return a.compare(b) <=> 0;  // ASCII order: char_traits<char> compares as unsigned char
}

void append_joined(std::string& out, char lead, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  out += lead;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += '.';
    out += ids[i];
  }
}

}  // namespace

std::string Version::to_string() const {
  std::string out = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  append_joined(out, '-', prerelease);
  append_joined(out, '+', build);
  return out;
}

std::weak_ordering Version::operator<=>(const Version& other) const {
  if (auto c = major <=> other.major; c != 0) return c;
  if (auto c = minor <=> other.minor; c != 0) return c;
  if (auto c = patch <=> other.patch; c != 0) return c;
  // A pre-release has lower precedence than the normal version.
  if (prerelease.empty() != other.prerelease.empty()) {
    return prerelease.empty() ? std::weak_ordering::greater : std::weak_ordering::less;
  }
  const auto common = std::min(prerelease.size(), other.prerelease.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (auto c = compare_identifier(prerelease[i], other.prerelease[i]); c != 0) return c;
  }
  // All shared identifiers equal: the larger set has higher precedence.
  return prerelease.size() <=> other.prerelease.size();
}

bool same_precedence(const Version& a, const Version& b) { return (a <=> b) == 0; }

Result<Version> parse(std::string_view text) { return Parser(text, text, "").run(); }

Result<Version> parse_tag(std::string_view tag) {
  if (!tag.empty() && tag[0] == 'V') {
    return Error{"invalid_version", "'" + shown(tag) +
                                        "' is not a release tag: the prefix must be a lowercase "
                                        "'v' (like 'v" +
                                        shown(tag.substr(1)) + "')"};
  }
  if (!tag.empty() && tag[0] == 'v') return Parser(tag, tag.substr(1), "v").run();
  return Parser(tag, tag, "").run();
}

}  // namespace deploy::semver
