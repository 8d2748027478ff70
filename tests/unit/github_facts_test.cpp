// The pure parts of core/github_facts: the audit link kept in a deployment status's description.
#include "core/github_facts.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using deploy::facts::audit_status_description;
using deploy::facts::parse_audit_status;
using deploy::facts::short_description;

namespace {
const std::string kHash(64, 'a');
}

TEST_CASE("short_description keeps short text and cuts long text on a UTF-8 boundary") {
  struct Case {
    std::string text;
    std::size_t max;
    std::string expected;
  };
  const std::string e_acute = "\xC3\xA9";             // 2 bytes
  const std::string euro = "\xE2\x82\xAC";            // 3 bytes
  std::vector<Case> cases = {
      {"short", 140, "short"},
      {std::string(140, 'x'), 140, std::string(140, 'x')},
      {std::string(141, 'x'), 140, std::string(137, 'x') + "..."},
      {"abcd" + e_acute + "fgh", 8, "abcd..."},           // the cut falls inside é: é goes
      {"abc" + e_acute + "fghij", 8, "abc" + e_acute + "..."},
      {"ab" + euro + "fghij", 7, "ab..."},                 // the cut falls inside €
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(short_description(c.text, c.max) == c.expected);
    CHECK(short_description(c.text, c.max).size() <= c.max);
  }
}

TEST_CASE("the audit link round-trips through a status description of at most 140 bytes") {
  for (const std::string& message : {std::string("deployed v1.2.0 to production"), std::string(300, 'm')}) {
    std::string description = audit_status_description(message, 41, kHash);
    CHECK(description.size() <= 140);
    auto link = parse_audit_status(description);
    REQUIRE(link);
    CHECK(link->seq == 41);
    CHECK(link->hash == kHash);
  }
}

TEST_CASE("descriptions without a well-formed audit link have none") {
  for (const std::string& description :
       {std::string("deployed"), "x audit#1 " + std::string(63, 'a'), "x audit#1 " + std::string(64, 'A'),
        "x audit# " + kHash, "x audit#1" + kHash, "x audit#1 " + kHash + " trailing"}) {
    CAPTURE(description);
    CHECK_FALSE(parse_audit_status(description));
  }
}
