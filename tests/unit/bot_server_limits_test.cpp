// The server's pure parts (issue 13): the webhook header checks made before a body is read, the
// log throttle, and the body that grows with the bytes received.
#include <doctest/doctest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "bot/growing_body.hpp"
#include "bot/log_throttle.hpp"
#include "bot/request_checks.hpp"
#include "core/webhook/signature.hpp"

namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMax = 25 * 1024 * 1024;

http::request_header<> webhook_header() {
  http::request_header<> header;
  header.method(http::verb::post);
  header.target("/webhook");
  header.set("Content-Length", "100");
  header.set("Content-Type", "application/json");
  header.set("X-Hub-Signature-256", deploy::webhook::sign("s", "{}"));
  header.set("X-GitHub-Event", "issue_comment");
  header.set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  return header;
}

}  // namespace

TEST_CASE("webhook header checks: the first failing check answers, in the documented order") {
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;  // nullopt: remove
    unsigned status;                                                          // 0 = passes
    std::string code;
  };
  const std::vector<Case> cases = {
      {"GitHub's delivery", {}, 0, ""},
      {"charset parameter and upper case", {{"Content-Type", "Application/JSON; charset=utf-8"}}, 0, ""},
      {"the largest body", {{"Content-Length", std::to_string(kMax)}}, 0, ""},
      {"no Content-Length", {{"Content-Length", std::nullopt}}, 411, "length_required"},
      {"chunked", {{"Content-Length", std::nullopt}, {"Transfer-Encoding", "chunked"}}, 411, "length_required"},
      {"one byte over", {{"Content-Length", std::to_string(kMax + 1)}}, 413, "body_too_large"},
      {"a length of 30 digits", {{"Content-Length", std::string(30, '9')}}, 413, "body_too_large"},
      {"too large beats no signature",
       {{"Content-Length", std::to_string(kMax + 1)}, {"X-Hub-Signature-256", std::nullopt}},
       413,
       "body_too_large"},
      {"form encoded", {{"Content-Type", "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type"},
      {"no Content-Type", {{"Content-Type", std::nullopt}}, 415, "unsupported_media_type"},
      {"json prefix only", {{"Content-Type", "application/jsonx"}}, 415, "unsupported_media_type"},
      {"no signature", {{"X-Hub-Signature-256", std::nullopt}}, 401, "signature_missing"},
      {"sha1 signature", {{"X-Hub-Signature-256", "sha1=" + std::string(40, 'a')}}, 401, "signature_malformed"},
      {"63 hex digits", {{"X-Hub-Signature-256", "sha256=" + std::string(63, 'a')}}, 401, "signature_malformed"},
      {"a non-hex digit",
       {{"X-Hub-Signature-256", "sha256=" + std::string(63, 'a') + "g"}},
       401,
       "signature_malformed"},
      {"no signature beats no event",
       {{"X-Hub-Signature-256", std::nullopt}, {"X-GitHub-Event", std::nullopt}},
       401,
       "signature_missing"},
      {"no event", {{"X-GitHub-Event", std::nullopt}}, 400, "event_header_missing"},
      {"upper-case event", {{"X-GitHub-Event", "Push"}}, 400, "event_header_invalid"},
      {"shell in the event", {{"X-GitHub-Event", "push;id"}}, 400, "event_header_invalid"},
      {"65-byte event", {{"X-GitHub-Event", std::string(65, 'a')}}, 400, "event_header_invalid"},
      {"no delivery", {{"X-GitHub-Delivery", std::nullopt}}, 400, "delivery_header_invalid"},
      {"129-byte delivery", {{"X-GitHub-Delivery", std::string(129, 'a')}}, 400, "delivery_header_invalid"},
      {"128-byte delivery", {{"X-GitHub-Delivery", std::string(128, 'a')}}, 0, ""},
      {"a blank in the delivery", {{"X-GitHub-Delivery", "a b"}}, 400, "delivery_header_invalid"},
      {"a byte beyond ASCII in the delivery", {{"X-GitHub-Delivery", "a\xc3\xa9"}}, 400, "delivery_header_invalid"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto header = webhook_header();
    for (const auto& [name, value] : c.changes) {
      if (value) {
        header.set(name, *value);
      } else {
        header.erase(name);
      }
    }
    const auto refusal = deploy::bot::check_webhook_header(header, kMax);
    if (c.status == 0) {
      CHECK_FALSE(refusal.has_value());
      continue;
    }
    REQUIRE(refusal.has_value());
    CHECK(refusal->status == c.status);
    CHECK(refusal->code == c.code);
  }
}

TEST_CASE("the log throttle: the first occurrence logs, then one line an interval saying how many") {
  deploy::bot::LogThrottle throttle(1s);
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  CHECK(throttle.note("a", t0) == 1);
  CHECK(throttle.note("a", t0 + 10ms) == 0);
  CHECK(throttle.note("a", t0 + 500ms) == 0);
  CHECK(throttle.note("b", t0 + 600ms) == 1);  // each reason on its own
  CHECK(throttle.note("a", t0 + 1s) == 3);     // this one and the two held back
  CHECK(throttle.note("a", t0 + 1500ms) == 0);
  CHECK(throttle.note("a", t0 + 5s) == 2);
  CHECK(throttle.note("b", t0 + 5s) == 1);
}

TEST_CASE("the growing body holds what arrived, never reserving the announced length up front") {
  std::string body;
  http::request_header<> header;
  deploy::bot::GrowingStringBody::reader reader(header, body);
  boost::beast::error_code ec;
  reader.init(std::uint64_t{25 * 1024 * 1024}, ec);
  CHECK(!ec);
  CHECK(body.capacity() < 1024);  // string_body would hold 25 MiB here
  const std::string part(1000, 'x');
  CHECK(reader.put(boost::asio::buffer(part), ec) == 1000);
  CHECK(!ec);
  CHECK(body == part);
  CHECK(body.capacity() < 4096);
  // Growth never goes past the announced length.
  std::string small;
  deploy::bot::GrowingStringBody::reader bounded(header, small);
  bounded.init(std::uint64_t{1500}, ec);
  bounded.put(boost::asio::buffer(part), ec);
  bounded.put(boost::asio::buffer(part.data(), 500), ec);
  CHECK(small.size() == 1500);
  CHECK(small.capacity() <= 1500 + 15);  // std::string may round up a little
  reader.finish(ec);
  CHECK(!ec);
}
