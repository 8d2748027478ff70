#include "core/http/url.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using deploy::http::encode_path_segment;
using deploy::http::encode_query_value;
using deploy::http::is_loopback_host;
using deploy::http::no_proxy_matches;
using deploy::http::parse_url;
using deploy::http::percent_decode;

TEST_CASE("parse_url accepts absolute http(s) URLs") {
  struct Case {
    std::string text;
    std::string scheme, userinfo, host;
    int port;
    std::string target, authority, redacted;
  };
  const std::vector<Case> cases{
      {"https://api.github.com/repos/o/r", "https", "", "api.github.com", 443, "/repos/o/r", "api.github.com",
       "https://api.github.com/repos/o/r"},
      {"https://api.github.com", "https", "", "api.github.com", 443, "/", "api.github.com", "https://api.github.com/"},
      {"https://API.GitHub.com:443/x", "https", "", "api.github.com", 443, "/x", "api.github.com",
       "https://api.github.com/x"},
      {"HTTP://localhost:8080/a/b?x=1&token=s3cret", "http", "", "localhost", 8080, "/a/b?x=1&token=s3cret",
       "localhost:8080", "http://localhost:8080/a/b"},
      {"http://127.0.0.1/", "http", "", "127.0.0.1", 80, "/", "127.0.0.1", "http://127.0.0.1/"},
      {"https://h?q=1", "https", "", "h", 443, "/?q=1", "h", "https://h/"},
      {"https://h/p#frag", "https", "", "h", 443, "/p", "h", "https://h/p"},
      {"https://[::1]:8443/p?q", "https", "", "::1", 8443, "/p?q", "[::1]:8443", "https://[::1]:8443/p"},
      {"http://[2001:DB8::1]/", "http", "", "2001:db8::1", 80, "/", "[2001:db8::1]", "http://[2001:db8::1]/"},
      {"http://user:p%40ss@proxy.corp:3128", "http", "user:p%40ss", "proxy.corp", 3128, "/", "proxy.corp:3128",
       "http://proxy.corp:3128/"},
      {"http://user:p@ss@proxy.corp:3128", "http", "user:p@ss", "proxy.corp", 3128, "/", "proxy.corp:3128",
       "http://proxy.corp:3128/"},
      {"https://my_service.internal:65535/", "https", "", "my_service.internal", 65535, "/",
       "my_service.internal:65535", "https://my_service.internal:65535/"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto url = parse_url(c.text);
    REQUIRE(url.ok());
    CHECK(url->scheme == c.scheme);
    CHECK(url->userinfo == c.userinfo);
    CHECK(url->host == c.host);
    CHECK(url->port == c.port);
    CHECK(url->target == c.target);
    CHECK(url->authority() == c.authority);
    CHECK(url->redacted() == c.redacted);
  }
}

TEST_CASE("authority_with_port always carries the port (CONNECT form)") {
  CHECK(parse_url("https://api.github.com/x")->authority_with_port() == "api.github.com:443");
  CHECK(parse_url("https://[::1]/x")->authority_with_port() == "[::1]:443");
}

TEST_CASE("parse_url refuses malformed URLs") {
  struct Case {
    std::string text;
    std::string code;
  };
  const std::vector<Case> cases{
      {"", "invalid_url"},
      {"api.github.com/repos", "invalid_url"},
      {"://host/", "invalid_url"},
      {"ftp://host/", "unsupported_scheme"},
      {"file:///etc/passwd", "unsupported_scheme"},
      {"https:///path", "invalid_url"},
      {"https://:443/", "invalid_url"},
      {"https://host:/", "invalid_url"},
      {"https://host:0/", "invalid_url"},
      {"https://host:65536/", "invalid_url"},
      {"https://host:123456/", "invalid_url"},
      {"https://host:8a/", "invalid_url"},
      {"https://[::1/", "invalid_url"},
      {"https://[not-v6]/", "invalid_url"},
      {"https://[::1]x/", "invalid_url"},
      {"https://ho st/", "invalid_url"},
      {"https://host/a b", "invalid_url"},
      {"https://host/\r\nX-Injected: 1", "invalid_url"},
      {"https://h\xC3\xA9st/", "invalid_url"},
      {"https://ho%73t/", "invalid_url"},
      {"https://host!/", "invalid_url"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto url = parse_url(c.text);
    REQUIRE_FALSE(url.ok());
    CHECK(url.error().code == c.code);
  }
}

TEST_CASE("parse_url error messages never echo the query or credentials") {
  auto url = parse_url("https://user:hunter2@host:99999/p?token=s3cret");
  REQUIRE_FALSE(url.ok());
  CHECK(url.error().message.find("s3cret") == std::string::npos);
  CHECK(url.error().message.find("hunter2") == std::string::npos);
  CHECK(url.error().message.find("https://host:99999/p") != std::string::npos);
}

TEST_CASE("percent-encoding of path segments and query values") {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases{
      {"", ""},
      {"plain-Name_1.2~x", "plain-Name_1.2~x"},
      {"feature/login", "feature%2Flogin"},
      {"a b", "a%20b"},
      {"a+b=c&d", "a%2Bb%3Dc%26d"},
      {"100%", "100%25"},
      {"?#[]@!$'()*,;:", "%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A"},
      {"..", ".."},
      {"caf\xC3\xA9", "caf%C3%A9"},
      {std::string("nul\0x", 5), "nul%00x"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(encode_path_segment(c.in) == c.out);
    CHECK(encode_query_value(c.in) == c.out);
    auto back = percent_decode(c.out);
    REQUIRE(back.ok());
    CHECK(*back == c.in);
  }
}

TEST_CASE("percent_decode refuses broken escapes") {
  for (const std::string text : {"%", "%4", "%zz", "a%g1", "100%"}) {
    CAPTURE(text);
    auto decoded = percent_decode(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == "invalid_percent_encoding");
  }
  CHECK(*percent_decode("p%40ss%3aword") == "p@ss:word");
}

TEST_CASE("is_loopback_host") {
  struct Case {
    std::string host;
    bool loopback;
  };
  const std::vector<Case> cases{
      {"localhost", true},
      {"LocalHost", true},
      {"localhost.", true},
      {"127.0.0.1", true},
      {"127.255.0.9", true},
      {"::1", true},
      {"[::1]", true},
      {"0:0:0:0:0:0:0:1", true},
      {"::ffff:127.0.0.1", true},
      {"", false},
      {"localhost.example.com", false},
      {"mylocalhost", false},
      {"sub.localhost", false},
      {"128.0.0.1", false},
      {"10.0.0.1", false},
      {"0.0.0.0", false},
      {"127.1", false},
      {"2130706433", false},
      {"::", false},
      {"::2", false},
      {"::ffff:10.0.0.1", false},
      {"api.github.com", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.host);
    CHECK(is_loopback_host(c.host) == c.loopback);
  }
}

TEST_CASE("no_proxy_matches") {
  struct Case {
    std::string no_proxy, host;
    bool matches;
  };
  const std::vector<Case> cases{
      {"", "api.github.com", false},
      {"*", "api.github.com", true},
      {"github.com", "github.com", true},
      {"github.com", "api.github.com", true},
      {"github.com", "API.GitHub.com", true},
      {"github.com", "api.github.com.", true},
      {".github.com", "api.github.com", true},
      {".github.com", "github.com", true},
      {"*.github.com", "api.github.com", true},
      {"github.com", "notgithub.com", false},
      {"github.com", "github.com.evil.net", false},
      {"api.github.com", "github.com", false},
      {"example.com, github.com", "api.github.com", true},
      {" example.com ,\tinternal.corp ", "svc.internal.corp", true},
      {"example.com,,", "api.github.com", false},
      {"github.com:443", "api.github.com", true},
      {"10.0.0.1", "10.0.0.1", true},
      {"0.0.1", "10.0.0.1", false},
      {"10.0.0.0/8", "10.1.2.3", false},
      {"::1", "::1", true},
      {"[::1]", "::1", true},
      {"[::1]:8443", "[::1]", true},
      {"1", "::1", false},
      {"*.", "api.github.com", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.no_proxy);
    CAPTURE(c.host);
    CHECK(no_proxy_matches(c.no_proxy, c.host) == c.matches);
  }
}
