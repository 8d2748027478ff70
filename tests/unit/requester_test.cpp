#include "core/requester/requester.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using deploy::requester::parse_login;
using deploy::requester::parse_request_url;

TEST_CASE("parse_login: GitHub's login charset, or a refusal that quotes the text safely") {
  struct Case {
    std::string text;
    std::string login;  // expected; "!" = refused
  };
  const std::vector<Case> cases = {
      {"alice", "alice"},
      {"@alice", "alice"},
      {"Alice-Smith", "Alice-Smith"},
      {"a", "a"},
      {"0x1", "0x1"},
      {"old--login-", "old--login-"},  // older accounts have such logins
      {"deploy-bot[bot]", "deploy-bot[bot]"},
      {"", ""},
      {std::string(39, 'a'), std::string(39, 'a')},
      {std::string(40, 'a'), "!"},
      {"@", "!"},
      {"@@alice", "!"},
      {"-alice", "!"},
      {"[bot]", "!"},
      {"alice[bot][bot]", "!"},
      {"alice bob", "!"},
      {"alice;rm -rf /", "!"},
      {"$(id)", "!"},
      {"al`ice`", "!"},
      {"alice\n", "!"},
      {"al_ice", "!"},
      {"alice.smith", "!"},
      {"ålice", "!"},
      {"alice/team", "!"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    const auto parsed = parse_login(c.text);
    if (c.login == "!") {
      REQUIRE_FALSE(parsed);
      CHECK(parsed.error().code == "invalid_login");
      CHECK(parsed.error().message.find('\n') == std::string::npos);
      CHECK(parsed.error().message.find('`') == std::string::npos);
    } else {
      REQUIRE(parsed);
      CHECK(*parsed == c.login);
    }
  }
  CHECK(parse_login("al`ice").error().message.starts_with("'al\\x60ice' is not a GitHub login"));
}

TEST_CASE("parse_request_url: https, or http on the GitHub API's own host") {
  const std::string github = "https://api.github.com";
  const std::string sim = "http://127.0.0.1:4010";
  struct Case {
    std::string text;
    std::string api_url;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {"https://github.com/acme/app/issues/1#issuecomment-42", github, true},
      {"https://ghe.example.com:8443/acme/app/pull/2#issuecomment-1", github, true},
      {"https://github.com/", github, true},
      {"", github, true},
      {"http://127.0.0.1:4010/acme/app/issues/1#issuecomment-7", sim, true},
      {"http://127.0.0.1:4010/acme/app/issues/1", sim + "/api/v3", true},
      // plain http elsewhere, or on another port of the same host
      {"http://github.com/acme/app/issues/1", github, false},
      {"http://127.0.0.1:4011/acme/app/issues/1", sim, false},
      {"http://api.github.com/x", github, false},
      // not a web URL at all
      {"javascript:alert(1)", github, false},
      {"file:///etc/passwd", github, false},
      {"ftp://github.com/x", github, false},
      {"//github.com/x", github, false},
      {"github.com/acme/app", github, false},
      // no path, user info, odd hosts
      {"https://github.com", github, false},
      {"https://github.com@evil.example/x", github, false},
      {"https://user:pass@github.com/x", github, false},
      {"https:///x", github, false},
      {"https://[::1]/x", github, false},
      {"https://github.com:99999999/x", github, false},
      {"https://github.com:/x", github, false},
      // text that could break out of a record, a log line or a Markdown link
      {"https://github.com/x y", github, false},
      {"https://github.com/x\n", github, false},
      {"https://github.com/x\r", github, false},
      {"https://github.com/x)](https://evil.example", github,
       true},  // ( ) [ ] are valid URL text; the summary encodes them
      {"https://github.com/x\"onclick", github, false},
      {"https://github.com/<script>", github, false},
      {"https://github.com/`id`", github, false},
      {"https://github.com/\xc3\xa9", github, false},
      {"https://github.com/" + std::string(2100, 'a'), github, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CAPTURE(c.api_url);
    const auto parsed = parse_request_url(c.text, c.api_url);
    CHECK(parsed.ok() == c.accepted);
    if (parsed) {
      CHECK(*parsed == c.text);
    } else {
      CHECK(parsed.error().code == "invalid_url");
      CHECK(parsed.error().message.find('\n') == std::string::npos);
    }
  }
}
