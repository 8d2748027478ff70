#include "core/release/tracking_issue.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using deploy::release::Marker;

namespace {
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";
}

TEST_CASE("a marker line round-trips and binds tag and commit") {
  Marker marker{"v1.2.0", kSha};
  std::string line = deploy::release::marker_line(marker);
  CHECK(line == "<!-- deploy-action:release tag=v1.2.0 sha=" + kSha + " -->");
  CHECK(deploy::release::find_marker("text\n\n" + line + "\n") == marker);
}

TEST_CASE("malformed or hostile markers are not markers") {
  struct Case {
    std::string body;
  };
  std::vector<Case> cases = {
      {"no marker at all"},
      {"<!-- deploy-action:release tag=v1.2.0 sha=0123 -->"},                // short SHA
      {"<!-- deploy-action:release tag=v1.2.0 sha=" + kSha + "zz -->"},      // not hex
      {"<!-- deploy-action:release tag=v1.2.0\" sha=" + kSha + " -->"},      // quote in tag
      {"<!-- deploy-action:release tag=-rf sha=" + kSha + " -->"},           // leading dash
      {"<!-- deploy-action:release sha=" + kSha + " tag=v1 -->"},            // wrong order
      {"quoted: `<!-- deploy-action:release tag=v1 sha=" + kSha + " -->`"},  // not at line start
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    CHECK_FALSE(deploy::release::find_marker(c.body).has_value());
  }
}

TEST_CASE("upper-case SHAs in a marker are read in lower case") {
  std::string upper = "0123456789ABCDEF0123456789ABCDEF01234567";
  auto marker = deploy::release::find_marker("<!-- deploy-action:release tag=v2.0.0 sha=" + upper + " -->");
  REQUIRE(marker);
  CHECK(marker->sha == kSha);
}

TEST_CASE("the release link is appended once and replaced in place") {
  using deploy::release::find_release_link;
  using deploy::release::with_release_link;
  CHECK(with_release_link("", 7) == "<!-- deploy-action:tracking-issue=7 -->\n");
  std::string notes = "## Changes\n- a\n";
  std::string linked = with_release_link(notes, 12);
  CHECK(linked == "## Changes\n- a\n\n<!-- deploy-action:tracking-issue=12 -->\n");
  CHECK(find_release_link(linked) == 12);
  std::string relinked = with_release_link(linked, 13);
  CHECK(relinked == "## Changes\n- a\n\n<!-- deploy-action:tracking-issue=13 -->\n");
  CHECK(find_release_link("<!-- deploy-action:tracking-issue=abc -->") == std::nullopt);
  CHECK(find_release_link("<!-- deploy-action:tracking-issue=0 -->") == std::nullopt);
}

TEST_CASE("the issue body says how to approve and ends with the marker") {
  deploy::release::IssueText text;
  text.marker = {"v1.1.0", kSha};
  text.environment = "production";
  text.previous_version = "v1.0.0";
  text.changes = {"Add search (#4)"};
  text.needed = "needs 2 more approvals";
  std::string body = deploy::release::issue_body(text);
  CHECK(body.find("**v1.1.0**") != std::string::npos);
  CHECK(body.find("`/approve`") != std::string::npos);
  CHECK(body.find("- Add search (#4)\n") != std::string::npos);
  CHECK(body.find("**Waiting for:** needs 2 more approvals") != std::string::npos);
  CHECK(deploy::release::find_marker(body) == text.marker);
  CHECK(deploy::release::issue_title("v1.1.0") == "Release v1.1.0");
}

TEST_CASE("comment keys round-trip and refuse odd characters") {
  using deploy::release::comment_key_line;
  using deploy::release::find_comment_key;
  CHECK(find_comment_key("hello\n\n" + comment_key_line("gate:production:v1.2.0")) == "gate:production:v1.2.0");
  CHECK(find_comment_key("<!-- deploy-action:comment=a b -->") == std::nullopt);
  CHECK(find_comment_key("plain") == std::nullopt);
}
