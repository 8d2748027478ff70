// SemVer parsing and precedence (core/semver.hpp). The input is two tags separated by the first
// newline.
//
// Properties: a parsed version prints to text that parses back to the same version, and parse_tag
// of "v" + that text too; precedence is a weak order: reflexive, antisymmetric, consistent with
// same_precedence and with equality (equal versions have the same precedence).
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/semver/semver.hpp"
#include "fuzz/check.hpp"

namespace {

using deploy::semver::Version;

void check_round_trip(const Version& version) {
  const std::string text = version.to_string();
  const auto again = deploy::semver::parse(text);
  FUZZ_CHECK(again.ok() && *again == version);
  const auto tag = deploy::semver::parse_tag("v" + text);
  FUZZ_CHECK(tag.ok() && *tag == version);
  FUZZ_CHECK((version <=> version) == std::weak_ordering::equivalent);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view first = input.substr(0, newline);
  const std::string_view second = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  const auto a = deploy::semver::parse_tag(first);
  const auto b = deploy::semver::parse_tag(second);
  // A strict version is a tag too; a tag without its `v` is the strict version.
  if (const auto strict = deploy::semver::parse(first); strict.ok()) FUZZ_CHECK(a.ok() && *a == *strict);
  if (!a.ok()) FUZZ_CHECK(a.error().code == "invalid_version" && !a.error().message.empty());
  if (a.ok()) check_round_trip(*a);
  if (b.ok()) check_round_trip(*b);
  if (a.ok() && b.ok()) {
    const auto ab = *a <=> *b;
    const auto ba = *b <=> *a;
    FUZZ_CHECK((ab < 0) == (ba > 0) && (ab == 0) == (ba == 0));
    FUZZ_CHECK(deploy::semver::same_precedence(*a, *b) == (ab == 0));
    if (*a == *b) FUZZ_CHECK(ab == 0);
  }
  return 0;
}
