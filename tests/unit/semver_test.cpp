#include "core/semver/semver.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <compare>
#include <string>
#include <type_traits>
#include <vector>

namespace semver = deploy::semver;
using semver::Version;

namespace {

Version must_parse(std::string_view text) {
  auto result = semver::parse(text);
  INFO("parsing ", std::string(text));
  REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.error().message));
  return std::move(result).value();
}

struct ValidCase {
  std::string text;
  std::uint64_t major, minor, patch;
  std::vector<std::string> prerelease;
  std::vector<std::string> build;
};

}  // namespace

TEST_CASE("parse: valid versions, including semver.org's own examples") {
  const std::vector<ValidCase> cases = {
      {"0.0.0", 0, 0, 0, {}, {}},
      {"0.0.4", 0, 0, 4, {}, {}},
      {"1.2.3", 1, 2, 3, {}, {}},
      {"10.20.30", 10, 20, 30, {}, {}},
      {"18446744073709551615.0.0", 18446744073709551615ULL, 0, 0, {}, {}},
      {"0.18446744073709551615.18446744073709551615", 0, 18446744073709551615ULL, 18446744073709551615ULL, {}, {}},
      {"1.0.0-alpha", 1, 0, 0, {"alpha"}, {}},
      {"1.0.0-alpha.1", 1, 0, 0, {"alpha", "1"}, {}},
      {"1.0.0-0.3.7", 1, 0, 0, {"0", "3", "7"}, {}},
      {"1.0.0-x.7.z.92", 1, 0, 0, {"x", "7", "z", "92"}, {}},
      {"1.0.0-x-y-z.--", 1, 0, 0, {"x-y-z", "--"}, {}},
      {"1.0.0-alpha+001", 1, 0, 0, {"alpha"}, {"001"}},
      {"1.0.0+20130313144700", 1, 0, 0, {}, {"20130313144700"}},
      {"1.0.0-beta+exp.sha.5114f85", 1, 0, 0, {"beta"}, {"exp", "sha", "5114f85"}},
      {"1.0.0+21AF26D3----117B344092BD", 1, 0, 0, {}, {"21AF26D3----117B344092BD"}},
      {"1.1.2-prerelease+meta", 1, 1, 2, {"prerelease"}, {"meta"}},
      {"1.1.2+meta-valid", 1, 1, 2, {}, {"meta-valid"}},
      {"1.0.0-alpha0.valid", 1, 0, 0, {"alpha0", "valid"}, {}},
      {"1.0.0-alpha.0valid", 1, 0, 0, {"alpha", "0valid"}, {}},
      {"1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
       1,
       0,
       0,
       {"alpha-a", "b-c-somethinglong"},
       {"build", "1-aef", "1-its-okay"}},
      {"10.2.3-DEV-SNAPSHOT", 10, 2, 3, {"DEV-SNAPSHOT"}, {}},
      {"1.2.3----RC-SNAPSHOT.12.9.1--.12+788", 1, 2, 3, {"---RC-SNAPSHOT", "12", "9", "1--", "12"}, {"788"}},
      {"1.0.0+0.build.1-rc.10000aaa-kk-0.1", 1, 0, 0, {}, {"0", "build", "1-rc", "10000aaa-kk-0", "1"}},
      {"1.0.0-0A.is.legal", 1, 0, 0, {"0A", "is", "legal"}, {}},
      // Numeric pre-release identifiers are not limited to 64 bits.
      {"1.0.0-99999999999999999999999", 1, 0, 0, {"99999999999999999999999"}, {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    const Version v = must_parse(c.text);
    CHECK(v.major == c.major);
    CHECK(v.minor == c.minor);
    CHECK(v.patch == c.patch);
    CHECK(v.prerelease == c.prerelease);
    CHECK(v.build == c.build);
    CHECK(v.to_string() == c.text);  // round trip: parsed text is already canonical
    CHECK(must_parse(v.to_string()) == v);
  }
}

TEST_CASE("parse: invalid versions from semver.org's list are refused with invalid_version") {
  const std::vector<std::string> cases = {
      "1",
      "1.2",
      "1.2.3-0123",
      "1.2.3-0123.0123",
      "1.1.2+.123",
      "+invalid",
      "-invalid",
      "-invalid+invalid",
      "-invalid.01",
      "alpha",
      "alpha.beta",
      "alpha.beta.1",
      "alpha.1",
      "alpha+beta",
      "alpha_beta",
      "alpha.",
      "alpha..",
      "beta",
      "1.0.0-alpha_beta",
      "-alpha.",
      "1.0.0-alpha..",
      "1.0.0-alpha..1",
      "1.0.0-alpha...1",
      "1.0.0-alpha.......1",
      "01.1.1",
      "1.01.1",
      "1.1.01",
      "1.2.3.DEV",
      "1.2-SNAPSHOT",
      "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
      "1.2-RC-SNAPSHOT",
      "-1.0.3-gamma+b7718",
      "+justmeta",
      "9.8.7+meta+meta",
      "9.8.7-whatever+meta+meta",
      "99999999999999999999999.999999999999999999.99999999999999999----RC-SNAPSHOT.12.09.1-----"
      "---------------------------..12",
      // semver.org lists this one as valid; MAJOR/MINOR/PATCH are uint64 here, so it overflows.
      "99999999999999999999999.999999999999999999.99999999999999999",
      // and more of our own
      "",
      "1.2.3-",
      "1.2.3+",
      "1.2.3-a..b",
      "1.2.3-.a",
      "1.2.3-a.",
      "1.2.3+a..b",
      "1.2.3-01",
      "1..3",
      "1.2.",
      ".1.2",
      "1.2.3 ",
      " 1.2.3",
      "1.2.3\n",
      "1. 2.3",
      "v1.2.3",
      "V1.2.3",
      "1.2.3-a_b",
      "1.2.3-alpha!",
      "1.2.3-\xc3\xa9",
      std::string("1.2.3\0", 6),
      "18446744073709551616.0.0",
      "0.18446744073709551616.0",
      "0.0.18446744073709551616",
      "-1.2.3",
      "1.-2.3",
      "1.2.3.4",
      "1.2.3-+",
      "1.x.3",
  };
  for (const auto& text : cases) {
    CAPTURE(text);
    const auto result = semver::parse(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == "invalid_version");
    CHECK(result.error().message.find("is not a semantic version") != std::string::npos);
  }
}

TEST_CASE("parse and parse_tag: error messages name the input and what is wrong") {
  struct Case {
    std::string input;
    bool tag;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"v1.2", true, "'v1.2' is not a semantic version: expected MAJOR.MINOR.PATCH (like v1.2.0)"},
      {"1", false, "'1' is not a semantic version: expected MAJOR.MINOR.PATCH (like 1.0.0)"},
      {"1.2.3.4", false, "'1.2.3.4' is not a semantic version: expected MAJOR.MINOR.PATCH (like 1.4.0)"},
      {"", false, "'' is not a semantic version: it is empty; expected MAJOR.MINOR.PATCH (like 1.4.0)"},
      {"v", true, "'v' is not a semantic version: nothing follows the 'v'; expected MAJOR.MINOR.PATCH (like v1.4.0)"},
      {"01.2.3", false, "'01.2.3' is not a semantic version: the major version '01' has a leading zero; write '1'"},
      {"v1.00.3", true, "'v1.00.3' is not a semantic version: the minor version '00' has a leading zero; write '0'"},
      {"1.2.x", false, "'1.2.x' is not a semantic version: the patch version 'x' is not a number"},
      {"1..3", false, "'1..3' is not a semantic version: the minor version is empty"},
      {"1.2.3-", false,
       "'1.2.3-' is not a semantic version: the pre-release after '-' is empty; remove the '-' or add identifiers "
       "(like 1.4.0-rc.1)"},
      {"1.2.3-01", false,
       "'1.2.3-01' is not a semantic version: the pre-release identifier '01' is numeric and has a leading zero, which "
       "SemVer forbids"},
      {"1.2.3+", false,
       "'1.2.3+' is not a semantic version: the build metadata after '+' is empty; remove the '+' or add identifiers"},
      {"1.2.3-a..b", false,
       "'1.2.3-a..b' is not a semantic version: the pre-release has an empty identifier (check for '..' or a '.' at "
       "its start or end)"},
      {"1.2.3+a..b", false,
       "'1.2.3+a..b' is not a semantic version: the build metadata has an empty identifier (check for '..' or a '.' at "
       "its start or end)"},
      {"1.2.3+a+b", false,
       "'1.2.3+a+b' is not a semantic version: it has a second '+'; build metadata uses only 0-9, A-Z, a-z, '-' and "
       "'.'"},
      {"v1.2.3-a_b", true,
       "'v1.2.3-a_b' is not a semantic version: the character '_' at position 9 is not allowed; a version uses only "
       "0-9, A-Z, a-z, '.', '-' and '+'"},
      {"1.2.3 ", false, "'1.2.3 ' is not a semantic version: it contains whitespace at position 6; remove it"},
      {"v1.2.3\t", true, "'v1.2.3\\x09' is not a semantic version: it contains whitespace at position 7; remove it"},
      {"18446744073709551616.0.0", false,
       "'18446744073709551616.0.0' is not a semantic version: the major version '18446744073709551616' is larger than "
       "18446744073709551615"},
      {"v1.2.3", false,
       "'v1.2.3' is not a semantic version: a version has no 'v' prefix (only release tags do); write '1.2.3'"},
      {"V1.2.3", true, "'V1.2.3' is not a release tag: the prefix must be a lowercase 'v' (like 'v1.2.3')"},
      {"vv1.2.3", true, "'vv1.2.3' is not a semantic version: the major version 'v1' is not a number"},
      // Quoted input is escaped: no control bytes, backticks or @mentions reach a comment.
      {std::string("1.2.3-\x07`@x", 10), false,
       "'1.2.3-\\x07\\x60\\x40x' is not a semantic version: the character '\\x07' at position 7 is not allowed; a "
       "version uses only 0-9, A-Z, a-z, '.', '-' and '+'"},
      {std::string(70, '1'), false,
       "'" + std::string(64, '1') + "...' is not a semantic version: expected MAJOR.MINOR.PATCH (like 1.4.0)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    const auto result = c.tag ? semver::parse_tag(c.input) : semver::parse(c.input);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == "invalid_version");
    CHECK(result.error().message == c.message);
  }
}

TEST_CASE("parse_tag: one optional lowercase v") {
  struct Case {
    std::string tag;
    std::string version;  // to_string(), or "" when refused
  };
  const std::vector<Case> cases = {
      {"v1.2.3", "1.2.3"},
      {"1.2.3", "1.2.3"},
      {"v1.0.0-rc.1+build.5", "1.0.0-rc.1+build.5"},
      {"v0.0.0", "0.0.0"},
      {"vv1.2.3", ""},
      {"V1.2.3", ""},
      {"v1.2", ""},
      {"v", ""},
      {"", ""},
      {" v1.2.3", ""},
      {"v 1.2.3", ""},
      {"v1.2.3 ", ""},
      {"refs/tags/v1.2.3", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.tag);
    const auto result = semver::parse_tag(c.tag);
    if (c.version.empty()) {
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == "invalid_version");
    } else {
      REQUIRE(result.ok());
      CHECK(result->to_string() == c.version);
    }
  }
}

TEST_CASE("precedence: semver.org section 11 chains, every pair") {
  const std::vector<std::vector<std::string>> chains = {
      {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
       "1.0.0"},
      {"1.0.0", "2.0.0", "2.1.0", "2.1.1"},
      // numeric < alphanumeric; numeric ids by value, even past 64 bits; ASCII order (upper < lower)
      {"1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-18446744073709551615", "1.0.0-18446744073709551616",
       "1.0.0-100000000000000000000", "1.0.0-A", "1.0.0-Z", "1.0.0-a", "1.0.0-a.0", "1.0.0-a-", "1.0.0-b", "1.0.0-b-1",
       "1.0.0"},
      {"0.0.0-0", "0.0.0", "0.0.1", "0.1.0", "1.0.0", "18446744073709551615.0.0"},
      {"1.9.9", "1.10.0", "1.10.1-rc.1", "1.10.1"},
  };
  for (const auto& chain : chains) {
    for (std::size_t i = 0; i < chain.size(); ++i) {
      for (std::size_t j = 0; j < chain.size(); ++j) {
        CAPTURE(chain[i]);
        CAPTURE(chain[j]);
        const Version a = must_parse(chain[i]);
        const Version b = must_parse(chain[j]);
        const auto expected = i <=> j;
        CHECK((a <=> b) == expected);
        CHECK((a == b) == (i == j));
        CHECK(semver::same_precedence(a, b) == (i == j));
        CHECK((a < b) == (i < j));
      }
    }
  }
}

// The order is weak, not strong: versions that differ only in build metadata are equivalent
// (neither is newer) but not equal, so == cannot merge them.
static_assert(std::is_same_v<std::compare_three_way_result_t<Version>, std::weak_ordering>);

TEST_CASE("precedence ignores build metadata; equality does not") {
  struct Case {
    std::string a, b;
    bool same_precedence;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"1.0.0+a", "1.0.0+b", true, false},
      {"1.0.0-rc.1+x", "1.0.0-rc.1", true, false},
      {"1.0.0+zzz", "1.0.0", true, false},
      {"1.0.0+a.b", "1.0.0+a", true, false},
      {"1.0.0+a", "1.0.0+a", true, true},
      {"1.0.0-rc.1+x", "1.0.0-rc.1+x", true, true},
      {"1.0.0", "1.0.0", true, true},
      {"1.0.0+a", "1.0.1+a", false, false},
      {"1.0.0-rc.1+a", "1.0.0+a", false, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    const Version a = must_parse(c.a);
    const Version b = must_parse(c.b);
    CHECK(semver::same_precedence(a, b) == c.same_precedence);
    CHECK(semver::same_precedence(b, a) == c.same_precedence);
    CHECK(((a <=> b) == std::weak_ordering::equivalent) == c.same_precedence);
    CHECK((a == b) == c.equal);
    CHECK((b == a) == c.equal);
    CHECK((a != b) == !c.equal);
    CHECK((a == b) == (a.to_string() == b.to_string()));  // equal exactly when the text is
    if (c.same_precedence) {
      CHECK_FALSE(a < b);
      CHECK_FALSE(b < a);
    }
  }
}

TEST_CASE("equality tells apart what std::find should: build variants are distinct") {
  const std::vector<Version> released = {must_parse("1.0.0+a"), must_parse("1.0.0+b")};
  CHECK(std::find(released.begin(), released.end(), must_parse("1.0.0+b")) == released.begin() + 1);
  CHECK(std::find(released.begin(), released.end(), must_parse("1.0.0")) == released.end());
  CHECK(std::count_if(released.begin(), released.end(),
                      [](const Version& v) { return semver::same_precedence(v, must_parse("1.0.0")); }) == 2);
}

TEST_CASE("precedence: hand-built numeric identifiers with leading zeros compare by value") {
  Version a{1, 0, 0, {"007"}, {}};
  Version b{1, 0, 0, {"7"}, {}};
  Version c{1, 0, 0, {"8"}, {}};
  CHECK(semver::same_precedence(a, b));
  CHECK(a != b);  // not the same text
  CHECK(a < c);
}

TEST_CASE("to_string: canonical text from fields") {
  CHECK(Version{}.to_string() == "0.0.0");
  CHECK(Version{1, 2, 3, {"rc", "1"}, {}}.to_string() == "1.2.3-rc.1");
  CHECK(Version{1, 2, 3, {}, {"build", "5"}}.to_string() == "1.2.3+build.5");
  CHECK(Version{18446744073709551615ULL, 0, 1, {"a"}, {"b"}}.to_string() == "18446744073709551615.0.1-a+b");
}
