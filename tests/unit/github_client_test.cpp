// The GitHub client over a scripted fake Transport, a ManualClock and a fixed RandomSource: no
// network, no real waiting, and every wait asserted exactly.
#include "core/github/client.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/github/encoding.hpp"
#include "core/github/time.hpp"
#include "tests/unit/github_test_keys.hpp"

using namespace std::chrono_literals;
using namespace deploy::github;
using deploy::ManualClock;
namespace http = deploy::http;

namespace {

const auto kStart = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};
const std::string kToken = "ghp_SeCrEtToKeN1234567890";

using Handler = std::function<http::Response(const http::Request&)>;

struct FakeTransport final : http::Transport {
  std::vector<http::Request> requests;
  std::deque<Handler> script;  // consumed in order; then `fallback`
  Handler fallback;

  http::Response send(const http::Request& request) override {
    requests.push_back(request);
    if (!script.empty()) {
      Handler next = std::move(script.front());
      script.pop_front();
      return next(request);
    }
    if (fallback) return fallback(request);
    throw std::logic_error("unexpected request: " + request.method + " " + request.url);
  }
};

http::Response response(int status, const Json& body = Json::object(), http::Headers headers = {}) {
  http::Response r;
  r.status = status;
  r.headers = std::move(headers);
  r.headers.emplace_back("x-github-request-id", "REQ:1");
  r.body = body.is_null() ? "" : body.dump();
  return r;
}

Handler reply(int status, const Json& body = Json::object(), http::Headers headers = {}) {
  return [=](const http::Request&) { return response(status, body, headers); };
}

Handler fail_with(http::TransportError::Kind kind) {
  return [=](const http::Request&) -> http::Response { throw http::TransportError(kind, "connection reset by peer"); };
}

std::string header(const http::Request& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

// A fixed RandomSource: always `value`.
deploy::RandomSource fixed_random(std::uint64_t value) {
  return [value] { return value; };
}

struct Fixture {
  FakeTransport transport;
  ManualClock clock{kStart};
  std::vector<std::string> waits;  // on_wait lines
  ClientOptions options;

  Fixture() {
    options.on_wait = [this](const std::string& line) { waits.push_back(line); };
  }
  Client client(std::uint64_t random = 500) {
    return Client(transport, clock, fixed_random(random), TokenCredentials{kToken}, options);
  }
};

Json comments(int first_id, int count) {
  Json page = Json::array();
  for (int i = 0; i < count; ++i) {
    page.push_back({{"id", first_id + i}, {"body", "/approve"}, {"user", {{"login", "u" + std::to_string(i)}}}});
  }
  return page;
}

std::string epoch(std::chrono::system_clock::time_point t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

// Renders the error a call throws; fails the test when it throws nothing.
template <class F>
GitHubError error_of(F&& call) {
  try {
    call();
  } catch (const GitHubError& e) {
    return e;
  }
  FAIL("expected a GitHubError");
  throw std::logic_error("unreachable");
}

void check_no_token(const GitHubError& e, const std::string& token) {
  CAPTURE(e.what());
  CHECK(std::string(e.what()).find(token) == std::string::npos);
  const auto& d = e.details();
  for (const auto* field :
       {&d.code, &d.method, &d.path, &d.message, &d.documentation_url, &d.errors, &d.request_id, &d.hint}) {
    CHECK(field->find(token) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("requests carry GitHub's headers and the bearer token") {
  Fixture f;
  f.transport.script.push_back(reply(200, {{"id", 1}, {"full_name", "o/r"}, {"default_branch", "main"}}));
  auto repo = f.client().get_repository("o", "r");
  CHECK(repo.full_name == "o/r");
  CHECK(repo.default_branch == "main");
  REQUIRE(f.transport.requests.size() == 1);
  const auto& r = f.transport.requests[0];
  CHECK(r.method == "GET");
  CHECK(r.url == "https://api.github.com/repos/o/r");
  CHECK(header(r, "Accept") == "application/vnd.github+json");
  CHECK(header(r, "X-GitHub-Api-Version") == "2022-11-28");
  CHECK(header(r, "User-Agent").rfind("deploy-action/", 0) == 0);
  CHECK(header(r, "User-Agent").size() > std::string("deploy-action/").size());
  CHECK(header(r, "Authorization") == "Bearer " + kToken);
  CHECK(header(r, "Content-Type") == "<absent>");
  CHECK(r.body.empty());
}

TEST_CASE("GHES base URL: paths go under /api/v3, with or without a trailing slash") {
  for (std::string base : {"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/"}) {
    CAPTURE(base);
    Fixture f;
    f.options.base_url = base;
    f.transport.script.push_back(reply(200, {{"id", 1}}));
    f.client().get_repository("o", "r");
    CHECK(f.transport.requests.at(0).url == "https://ghe.example.com/api/v3/repos/o/r");
  }
}

TEST_CASE("a base URL that is not absolute http(s) is refused at construction") {
  Fixture f;
  for (std::string base : {"api.github.com", "ftp://x/", "https://", "https://h/api?x=1"}) {
    CAPTURE(base);
    f.options.base_url = base;
    CHECK_THROWS_AS(f.client(), std::invalid_argument);
  }
}

TEST_CASE("path segments and query values are percent-encoded") {
  Fixture f;
  f.transport.fallback = reply(404, {{"message", "Not Found"}});
  auto client = f.client();
  CHECK_FALSE(client.get_release_by_tag("o", "r", "v1.0.0+build/x").has_value());
  CHECK_FALSE(client.get_content("o", "r", "dir/a b.yml", std::string("feature/x&y")).has_value());
  CHECK_FALSE(client.get_ref("o", "r", "refs/heads/feature/a b").has_value());
  CHECK_FALSE(client.get_collaborator_permission("o", "r", "we?ird").has_value());
  REQUIRE(f.transport.requests.size() == 4);
  CHECK(f.transport.requests[0].url == "https://api.github.com/repos/o/r/releases/tags/v1.0.0%2Bbuild%2Fx");
  CHECK(f.transport.requests[1].url == "https://api.github.com/repos/o/r/contents/dir/a%20b.yml?ref=feature%2Fx%26y");
  CHECK(f.transport.requests[2].url == "https://api.github.com/repos/o/r/git/ref/heads/feature/a%20b");
  CHECK(f.transport.requests[3].url == "https://api.github.com/repos/o/r/collaborators/we%3Fird/permission");
}

TEST_CASE("250 comments over 3 pages, following Link URLs verbatim") {
  Fixture f;
  const std::string page2 = "https://api.github.com/repositories/42/issues/7/comments?per_page=100&page=2";
  const std::string page3 = "https://api.github.com/repositories/42/issues/7/comments?per_page=100&page=3";
  f.transport.script.push_back(
      reply(200, comments(1, 100), {{"link", "<" + page2 + ">; rel=\"next\", <" + page3 + ">; rel=\"last\""}}));
  f.transport.script.push_back(
      reply(200, comments(101, 100), {{"link", "<" + page3 + ">; rel=\"next\", <" + page3 + ">; rel=\"last\""}}));
  f.transport.script.push_back(reply(200, comments(201, 50), {{"link", "<" + page2 + ">; rel=\"prev\""}}));

  auto all = f.client().list_issue_comments("o", "r", 7);
  REQUIRE(all.size() == 250);
  for (int i = 0; i < 250; ++i) CHECK(all[static_cast<std::size_t>(i)].id == i + 1);
  CHECK(all[0].body == "/approve");
  REQUIRE(f.transport.requests.size() == 3);
  CHECK(f.transport.requests[0].url == "https://api.github.com/repos/o/r/issues/7/comments?per_page=100");
  CHECK(f.transport.requests[1].url == page2);
  CHECK(f.transport.requests[2].url == page3);
  for (const auto& r : f.transport.requests) CHECK(header(r, "Authorization") == "Bearer " + kToken);
}

TEST_CASE("list with a limit stops fetching pages once it has enough") {
  Fixture f;
  f.transport.fallback = reply(200, comments(1, 100), {{"link", "<https://api.github.com/x?page=2>; rel=\"next\""}});
  auto some =
      f.client().list_deployments("o", "r", DeploymentFilter{std::nullopt, std::nullopt, std::nullopt, "prod"}, 150);
  CHECK(some.size() == 150);
  CHECK(f.transport.requests.size() == 2);
  CHECK(f.transport.requests[0].url == "https://api.github.com/repos/o/r/deployments?environment=prod&per_page=100");
}

TEST_CASE("pagination has a safety cap on pages") {
  Fixture f;
  f.options.max_pages = 3;
  f.transport.fallback = reply(200, comments(1, 1), {{"link", "<https://api.github.com/x?page=n>; rel=\"next\""}});
  auto e = error_of([&] { f.client().list_reviews("o", "r", 1); });
  CHECK(e.code() == "github_too_many_pages");
  CHECK(f.transport.requests.size() == 3);
  CHECK(std::string(e.what()).find("more than 3 pages") != std::string::npos);
}

TEST_CASE("an absolute URL on another host is refused before anything is sent") {
  Fixture f;
  ApiRequest request;
  request.path = "https://evil.example/repos/o/r";
  auto e = error_of([&] { f.client().send(request); });
  CHECK(e.code() == "github_bad_response");
  CHECK(f.transport.requests.empty());
}

TEST_CASE("a Link to another host is not followed: the token stays home") {
  Fixture f;
  f.transport.script.push_back(
      reply(200, comments(1, 1), {{"link", "<https://evil.example/steal?page=2>; rel=\"next\""}}));
  auto e = error_of([&] { f.client().list_reviews("o", "r", 1); });
  CHECK(e.code() == "github_bad_response");
  CHECK(f.transport.requests.size() == 1);
}

TEST_CASE("502 then success: one backoff wait, within the jitter bounds") {
  Fixture f;
  f.transport.script.push_back(reply(502, {{"message", "Server Error"}}));
  f.transport.script.push_back(reply(200, {{"id", 1}}));
  const std::uint64_t random = 123457;  // full jitter on attempt 1: uniform in [0, 1000] ms
  auto repo = f.client(random).get_repository("o", "r");
  CHECK(repo.id == 1);
  CHECK(f.transport.requests.size() == 2);
  CHECK(f.clock.total_slept() == std::chrono::milliseconds(random % 1001));
  CHECK(f.clock.total_slept() <= 1000ms);
  REQUIRE(f.waits.size() == 1);
  CHECK(f.waits[0].find("GET /repos/o/r") != std::string::npos);
}

TEST_CASE("5xx on every attempt: 4 attempts, 3 waits, then the error says so") {
  Fixture f;
  f.transport.fallback = reply(503, {{"message", "Service Unavailable"}});
  auto e = error_of([&] { f.client(999'999).get_repository("o", "r"); });
  CHECK(e.code() == "github_server_error");
  CHECK(e.details().attempts == 4);
  CHECK(f.transport.requests.size() == 4);
  // 999999 % 1001, % 2001, % 4001
  CHECK(f.clock.total_slept() == std::chrono::milliseconds(999'999 % 1001 + 999'999 % 2001 + 999'999 % 4001));
  CHECK(std::string(e.what()).find("4 attempts") != std::string::npos);
}

TEST_CASE("max attempts is configurable") {
  Fixture f;
  f.options.retry.max_attempts = 2;
  f.transport.fallback = reply(500);
  error_of([&] { f.client().get_repository("o", "r"); });
  CHECK(f.transport.requests.size() == 2);
}

TEST_CASE("retry-after: 1 is honoured exactly") {
  Fixture f;
  f.transport.script.push_back(
      reply(403, {{"message", "You have exceeded a secondary rate limit."}}, {{"retry-after", "1"}}));
  f.transport.script.push_back(reply(200, {{"id", 1}}));
  f.client().get_repository("o", "r");
  CHECK(f.transport.requests.size() == 2);
  CHECK(f.clock.total_slept() == 1000ms);
}

TEST_CASE("x-ratelimit-remaining: 0 waits until x-ratelimit-reset plus one second") {
  Fixture f;
  f.transport.script.push_back(reply(403, {{"message", "API rate limit exceeded for installation ID 1."}},
                                     {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", epoch(kStart + 30s)}}));
  f.transport.script.push_back(reply(200, {{"id", 1}}));
  f.client().get_repository("o", "r");
  CHECK(f.clock.total_slept() == 31s);
  CHECK(f.clock.now() == kStart + 31s);
}

TEST_CASE("secondary rate limit without headers waits a minute, even for a POST") {
  Fixture f;
  f.transport.script.push_back(reply(403, {{"message", "You have exceeded a secondary rate limit. Please wait."}}));
  f.transport.script.push_back(reply(201, {{"id", 5}, {"body", "hi"}}));
  auto comment = f.client().create_issue_comment("o", "r", 1, "hi");
  CHECK(comment.id == 5);
  CHECK(f.clock.total_slept() == 60s);
}

TEST_CASE("a wait above the ceiling fails at once with a clear error, without sleeping") {
  Fixture f;
  f.options.retry.raise_hint = "set input github-max-wait to raise it";
  f.transport.script.push_back(reply(403, {{"message", "API rate limit exceeded"}},
                                     {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", epoch(kStart + 3599s)}}));
  auto e = error_of([&] { f.client().get_repository("o", "r"); });
  CHECK(e.code() == "github_wait_ceiling");
  CHECK(f.clock.total_slept() == 0ms);
  CHECK(f.transport.requests.size() == 1);
  CHECK(std::string(e.what()).find("GitHub rate limit: would need to wait 3600 s until 2023-11-14T23:13:20Z, above "
                                   "the 900 s ceiling (set input github-max-wait to raise it)") != std::string::npos);
}

TEST_CASE("the wait budget spans every wait of one call") {
  Fixture f;
  f.options.retry.wait_budget = 100s;
  f.transport.fallback = reply(429, {{"message", "slow down"}}, {{"retry-after", "60"}});
  auto e = error_of([&] { f.client().get_repository("o", "r"); });
  CHECK(e.code() == "github_wait_ceiling");
  CHECK(f.clock.total_slept() == 60s);
  CHECK(f.transport.requests.size() == 2);
}

TEST_CASE("a non-idempotent POST is not retried on 5xx or a lost connection") {
  Fixture f;
  f.transport.script.push_back(reply(502, {{"message", "Bad Gateway"}}));
  auto e = error_of([&] { f.client().create_issue_comment("o", "r", 1, "/approve"); });
  CHECK(e.code() == "github_server_error");
  CHECK(e.status() == 502);
  CHECK(e.details().hint.find("not retried") != std::string::npos);
  CHECK(f.transport.requests.size() == 1);
  CHECK(f.clock.total_slept() == 0ms);

  f.transport.script.push_back(fail_with(http::TransportError::Kind::closed));
  auto lost = error_of([&] { f.client().create_workflow_dispatch("o", "r", "deploy.yml", "main"); });
  CHECK(lost.code() == "github_network_error");
  CHECK(f.transport.requests.size() == 2);
}

TEST_CASE("POSTs marked idempotent are retried (protection rule review); a commit status is not") {
  Fixture f;
  // GitHub keeps every status it is sent: a retry after a lost answer would add a second entry,
  // so the caller (the bot's Context::once) looks for it before setting it again.
  f.transport.script.push_back(reply(500));
  auto e = error_of([&] {
    f.client().create_commit_status("o", "r", "abc",
                                    NewCommitStatus{"success", "deploy/approvals", "2/2", std::nullopt});
  });
  CHECK(e.status() == 500);
  CHECK(f.transport.requests.size() == 1);
  CHECK(Json::parse(f.transport.requests[0].body) ==
        Json::parse(R"({"state":"success","context":"deploy/approvals","description":"2/2"})"));
  CHECK(header(f.transport.requests[0], "Content-Type") == "application/json");

  f.transport.script.push_back(fail_with(http::TransportError::Kind::timeout));
  f.transport.script.push_back(reply(204, Json()));
  f.client().review_custom_gate("o", "r", 99, ProtectionRuleReview{"production", "approved", "2 approvals"});
  CHECK(f.transport.requests.size() == 3);
  CHECK(f.transport.requests[2].url == "https://api.github.com/repos/o/r/actions/runs/99/deployment_protection_rule");
}

TEST_CASE("network errors: connect/timeout/closed retried, tls not") {
  Fixture f;
  f.transport.script.push_back(fail_with(http::TransportError::Kind::connect));
  f.transport.script.push_back(fail_with(http::TransportError::Kind::closed));
  f.transport.script.push_back(reply(200, {{"id", 1}}));
  f.client().get_repository("o", "r");
  CHECK(f.transport.requests.size() == 3);

  f.transport.script.push_back(fail_with(http::TransportError::Kind::tls));
  auto e = error_of([&] { f.client().get_repository("o", "r"); });
  CHECK(e.code() == "github_network_error");
  CHECK(e.status() == 0);
  CHECK(f.transport.requests.size() == 4);
  CHECK(std::string(e.what()).find("connection reset by peer") != std::string::npos);
}

TEST_CASE("a permission 403 is not retried and says what to do") {
  Fixture f;
  f.transport.script.push_back(reply(403,
                                     {{"message", "Resource not accessible by integration"},
                                      {"documentation_url", "https://docs.github.com/rest/deployments"}},
                                     {{"x-ratelimit-remaining", "4999"}}));
  auto e = error_of([&] { f.client().create_deployment("o", "r", NewDeployment{.ref = "main"}); });
  CHECK(e.code() == "github_forbidden");
  CHECK(e.details().message == "Resource not accessible by integration");
  CHECK(e.details().documentation_url == "https://docs.github.com/rest/deployments");
  CHECK(e.details().hint.find("permissions") != std::string::npos);
  CHECK(f.transport.requests.size() == 1);
  CHECK(f.clock.total_slept() == 0ms);
}

TEST_CASE("a 422 carries GitHub's message, the errors array, the request id, and a query-less path") {
  Fixture f;
  f.transport.script.push_back(reply(422, Json::parse(R"({"message":"Validation Failed",
      "errors":[{"resource":"Label","code":"invalid","field":"color"},{"resource":"Issue","code":"custom","message":"body is too long"}],
      "documentation_url":"https://docs.github.com/rest/reference/issues#create-a-label"})")));
  auto e = error_of([&] { f.client().list_issue_comments("o", "r", 3, std::string("2020-01-01T00:00:00Z")); });
  const auto& d = e.details();
  CHECK(d.code == "github_validation_failed");
  CHECK(d.status == 422);
  CHECK(d.method == "GET");
  CHECK(d.path == "/repos/o/r/issues/3/comments");
  CHECK(d.message == "Validation Failed");
  CHECK(d.errors == "Label.color: invalid; Issue: body is too long");
  CHECK(d.request_id == "REQ:1");
  CHECK(d.documentation_url == "https://docs.github.com/rest/reference/issues#create-a-label");
}

TEST_CASE("a 301 for a renamed repository is an error that says so, not a garbage object") {
  Fixture f;
  f.transport.script.push_back(
      reply(301, {{"message", "Moved Permanently"}, {"url", "https://api.github.com/repositories/9"}},
            {{"location", "https://api.github.com/repositories/9?x=1"}}));
  auto e = error_of([&] { f.client().get_repository("o", "old-name"); });
  CHECK(e.status() == 301);
  CHECK(e.code() == "github_http_error");
  CHECK(e.details().hint.find("to /repositories/9: the repository was probably renamed") != std::string::npos);
  CHECK(f.transport.requests.size() == 1);
}

TEST_CASE("404 is nullopt where it is an ordinary answer, and an error elsewhere") {
  Fixture f;
  f.transport.fallback = reply(404, {{"message", "Not Found"}});
  auto client = f.client();
  CHECK_FALSE(client.get_team_membership("org", "deployers", "alice").has_value());
  CHECK_FALSE(client.get_environment("o", "r", "production").has_value());
  auto e = error_of([&] { client.get_pull_request("o", "r", 1); });
  CHECK(e.code() == "github_not_found");
  CHECK(f.transport.requests.size() == 3);  // 404 is never retried
}

TEST_CASE("no error or log line of a failing call contains the token") {
  struct Case {
    const char* name;
    std::vector<Handler> script;
  };
  // Bodies echo the token, as a misbehaving proxy might; the client must scrub it anyway.
  const Json echo = {{"message", "Bad credentials: " + kToken},
                     {"documentation_url", "https://docs.github.com/?t=" + kToken},
                     {"errors", Json::array({{{"resource", kToken}, {"code", "invalid"}}})}};
  const std::vector<Case> cases = {
      {"401", {reply(401, echo)}},
      {"403 permission", {reply(403, echo)}},
      {"404", {reply(404, echo)}},
      {"422", {reply(422, echo)}},
      {"5xx exhausted", {reply(500, echo), reply(502, echo), reply(503, echo), reply(504, echo)}},
      {"rate limit exhausted",
       {reply(429, echo, {{"retry-after", "1"}}), reply(429, echo, {{"retry-after", "1"}}),
        reply(429, echo, {{"retry-after", "1"}}), reply(429, echo, {{"retry-after", "1"}})}},
      {"ceiling", {reply(429, echo, {{"retry-after", "100000"}})}},
      {"network", {fail_with(http::TransportError::Kind::tls)}},
      {"not json",
       {[](const http::Request&) {
          http::Response r;
          r.status = 500;
          r.body = "<html>" + kToken;
          return r;
        },
        reply(500, echo), reply(500, echo), reply(500, echo)}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Fixture f;
    for (const auto& h : c.script) f.transport.script.push_back(h);
    auto e = error_of([&] {
      f.client().create_commit_status("o", "r", "abc", NewCommitStatus{"success", "ctx", {}, {}});
    });
    check_no_token(e, kToken);
    for (const auto& line : f.waits) CHECK(line.find(kToken) == std::string::npos);
  }
}

TEST_CASE("get_content decodes base64 and returns the blob sha; directories are refused") {
  Fixture f;
  f.transport.script.push_back(reply(200, {{"type", "file"},
                                           {"path", ".github/deploy.yml"},
                                           {"sha", "blob1"},
                                           {"size", 14},
                                           {"encoding", "base64"},
                                           {"content", "ZW52aXJv\nbm1lbnRz\nOgo=\n"}}));
  auto content = f.client().get_content("o", "r", ".github/deploy.yml", std::string("main"));
  REQUIRE(content);
  CHECK(content->text == "environments:\n");
  CHECK(content->sha == "blob1");
  CHECK(content->size == 14);
  CHECK(f.transport.requests[0].url == "https://api.github.com/repos/o/r/contents/.github/deploy.yml?ref=main");

  f.transport.script.push_back(reply(200, Json::array({{{"type", "file"}, {"name", "a"}}})));
  auto e = error_of([&] { f.client().get_content("o", "r", ".github"); });
  CHECK(e.code() == "github_bad_response");
  CHECK(std::string(e.what()).find("is a directory") != std::string::npos);
}

TEST_CASE("compare collects the commits of every page") {
  Fixture f;
  auto page = [](int first, int count) {
    Json commits = Json::array();
    for (int i = 0; i < count; ++i) commits.push_back({{"sha", "c" + std::to_string(first + i)}});
    return Json{{"status", "ahead"},
                {"ahead_by", 150},
                {"total_commits", 150},
                {"commits", commits},
                {"merge_base_commit", {{"sha", "base"}}}};
  };
  f.transport.script.push_back(
      reply(200, page(0, 100),
            {{"link", "<https://api.github.com/repositories/1/compare/a...b?page=2&per_page=100>; rel=\"next\""}}));
  f.transport.script.push_back(reply(200, page(100, 50)));
  auto cmp = f.client().compare("o", "r", "v1.3.0", "v1.4.0");
  CHECK(cmp.status == "ahead");
  CHECK(cmp.ahead_by == 150);
  CHECK(cmp.merge_base_sha == "base");
  REQUIRE(cmp.commits.size() == 150);
  CHECK(cmp.commits[149].sha == "c149");
  CHECK(f.transport.requests[0].url == "https://api.github.com/repos/o/r/compare/v1.3.0...v1.4.0?per_page=100");
}

TEST_CASE("create_deployment: a 202 is an error, a 201 a deployment") {
  Fixture f;
  f.transport.script.push_back(reply(202, {{"message", "Auto-merged main into topic on deployment."}}));
  auto e = error_of([&] { f.client().create_deployment("o", "r", NewDeployment{.ref = "topic"}); });
  CHECK(e.code() == "github_deployment_not_created");

  f.transport.script.push_back(reply(201, {{"id", 77}, {"ref", "v1.4.0"}, {"environment", "production"}}));
  NewDeployment d{.ref = "v1.4.0"};
  d.environment = "production";
  d.auto_merge = false;
  auto deployment = f.client().create_deployment("o", "r", d);
  CHECK(deployment.id == 77);
  CHECK(Json::parse(f.transport.requests[1].body) ==
        Json::parse(R"({"ref":"v1.4.0","environment":"production","auto_merge":false})"));
}

TEST_CASE("workflow dispatch sends ref and inputs; 204 has no run id") {
  Fixture f;
  f.transport.script.push_back(reply(204, Json()));
  auto result =
      f.client().create_workflow_dispatch("o", "r", "deploy.yml", "main", {{"mode", "rollback"}, {"version", "1.3.0"}});
  CHECK_FALSE(result.workflow_run_id.has_value());
  CHECK(f.transport.requests[0].url == "https://api.github.com/repos/o/r/actions/workflows/deploy.yml/dispatches");
  CHECK(Json::parse(f.transport.requests[0].body) ==
        Json::parse(R"({"ref":"main","inputs":{"mode":"rollback","version":"1.3.0"}})"));
}

// ---- GitHub App credentials ----

namespace {

struct AppFixture {
  FakeTransport transport;
  ManualClock clock{kStart};
  std::shared_ptr<AppAuth> app;
  int exchanges = 0;
  int lookups = 0;
  std::vector<std::string> repo_tokens;  // Authorization of each GET /repos/o/r
  std::deque<int> repo_statuses;         // scripted statuses for GET /repos/o/r (default 200)

  AppFixture() {
    app = std::make_shared<AppAuth>("4242", AppKey::from_pem(deploy::github::test::test_rsa_key().pkcs1_pem).value(),
                                    clock);
    transport.fallback = [this](const http::Request& r) -> http::Response {
      const std::string base = "https://api.github.com";
      std::string auth = header(r, "Authorization");
      if (r.method == "POST" && r.url == base + "/app/installations/7/access_tokens") {
        check_jwt(auth);
        ++exchanges;
        return response(201, {{"token", "ghs_tok" + std::to_string(exchanges)},
                              {"expires_at", format_rfc3339(clock.now() + 60min)}});
      }
      if (r.method == "GET" && r.url == base + "/repos/o/r/installation") {
        check_jwt(auth);
        ++lookups;
        return response(200, {{"id", 7}, {"app_id", 4242}});
      }
      if (r.method == "GET" && r.url == base + "/repos/o/r") {
        repo_tokens.push_back(auth);
        int status = 200;
        if (!repo_statuses.empty()) {
          status = repo_statuses.front();
          repo_statuses.pop_front();
        }
        return status == 200 ? response(200, {{"id", 1}}) : response(status, {{"message", "Bad credentials"}});
      }
      if (r.method == "GET" && r.url == base + "/app") {
        check_jwt(auth);
        return response(200, {{"id", 4242}, {"slug", "deploy-bot"}});
      }
      throw std::logic_error("unexpected request: " + r.method + " " + r.url);
    };
  }

  void check_jwt(const std::string& authorization) {
    REQUIRE(authorization.rfind("Bearer ", 0) == 0);
    std::string jwt = authorization.substr(7);
    auto second = jwt.rfind('.');
    auto payload = base64url_decode(jwt.substr(jwt.find('.') + 1, second - jwt.find('.') - 1));
    REQUIRE(payload);
    auto claims = Json::parse(*payload);
    CHECK(claims["iss"] == "4242");
    auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    CHECK(claims["iat"] == now - 60);
    CHECK(claims["exp"] == now + 540);
  }

  Client client(std::optional<std::int64_t> installation = std::nullopt) {
    return Client(transport, clock, fixed_random(0), AppCredentials{app, installation});
  }
};

}  // namespace

TEST_CASE("App: the installation of a repository is looked up once, its token cached") {
  AppFixture f;
  auto client = f.client();
  client.get_repository("o", "r");
  client.get_repository("o", "r");
  CHECK(f.lookups == 1);
  CHECK(f.exchanges == 1);
  CHECK(f.repo_tokens == std::vector<std::string>{"Bearer ghs_tok1", "Bearer ghs_tok1"});
}

TEST_CASE("App: the installation token is refreshed when less than 5 minutes remain") {
  AppFixture f;
  auto client = f.client(7);
  client.get_repository("o", "r");
  f.clock.advance(54min);  // 6 minutes left
  client.get_repository("o", "r");
  f.clock.advance(2min);  // 4 minutes left
  client.get_repository("o", "r");
  CHECK(f.lookups == 0);  // installation given
  CHECK(f.exchanges == 2);
  CHECK(f.repo_tokens == std::vector<std::string>{"Bearer ghs_tok1", "Bearer ghs_tok1", "Bearer ghs_tok2"});
}

TEST_CASE("App: a 401 triggers exactly one refresh") {
  AppFixture f;
  auto client = f.client(7);
  f.repo_statuses = {401};
  client.get_repository("o", "r");
  CHECK(f.exchanges == 2);
  CHECK(f.repo_tokens == std::vector<std::string>{"Bearer ghs_tok1", "Bearer ghs_tok2"});

  f.repo_statuses = {401, 401, 401};
  auto e = error_of([&] { client.get_repository("o", "r"); });
  CHECK(e.code() == "github_unauthorized");
  CHECK(f.exchanges == 3);
  CHECK(f.repo_tokens.size() == 4);
  CHECK(f.clock.total_slept() == 0ms);
  CHECK(e.details().hint.find("installed") != std::string::npos);
  check_no_token(e, "ghs_tok3");
}

TEST_CASE("App: JWT-level calls and calls that need an installation") {
  AppFixture f;
  auto app = f.client().get_app();
  CHECK(app.slug == "deploy-bot");
  auto e = error_of([&] { f.client().get_team_membership("org", "team", "alice"); });
  CHECK(e.code() == "github_app_installation_unknown");
  CHECK(e.details().path == "/orgs/org/teams/team/memberships/alice");
  auto token = f.client().create_installation_token(7);
  CHECK(token.token == "ghs_tok1");
  CHECK(token.expires_at == kStart + 60min);
  // for_installation binds the installation without a lookup
  f.client().for_installation(7).get_repository("o", "r");
  CHECK(f.lookups == 0);
}

TEST_CASE("conditional requests: a kept answer is asked again with its validator; a 304 answers with the kept body") {
  Fixture f;
  f.options.cache = std::make_shared<ResponseCache>();
  std::vector<RequestSeen> seen;
  f.options.on_request = [&](const RequestSeen& s) { seen.push_back(s); };
  const Json permission = {{"permission", "write"}, {"user", {{"login", "bob"}}}};
  f.transport.script.push_back(reply(200, permission, {{"etag", "W/\"abc\""}}));
  f.transport.script.push_back(reply(304, nullptr, {{"etag", "W/\"abc\""}}));
  f.transport.script.push_back(
      reply(200, {{"permission", "read"}, {"user", {{"login", "bob"}}}}, {{"etag", "\"def\""}}));
  auto client = f.client();
  auto first = client.get_collaborator_permission("o", "r", "bob");
  auto second = client.get_collaborator_permission("o", "r", "bob");
  auto third = client.get_collaborator_permission("o", "r", "bob");
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(third);
  CHECK(first->permission == "write");
  CHECK(second->permission == "write");  // the kept body
  CHECK(third->permission == "read");    // changed: the new body, kept with its new validator
  REQUIRE(f.transport.requests.size() == 3);
  CHECK(header(f.transport.requests[0], "If-None-Match") == "<absent>");
  CHECK(header(f.transport.requests[1], "If-None-Match") == "W/\"abc\"");
  CHECK(header(f.transport.requests[2], "If-None-Match") == "W/\"abc\"");
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].kind == RequestKind::permission);
  CHECK_FALSE(seen[0].conditional);
  CHECK(seen[1].conditional);
  CHECK(seen[1].not_modified);
  CHECK(seen[2].conditional);
  CHECK_FALSE(seen[2].not_modified);
  CHECK(seen[2].status == 200);
}

TEST_CASE("conditional requests: Last-Modified without an ETag is sent back as If-Modified-Since") {
  Fixture f;
  f.options.cache = std::make_shared<ResponseCache>();
  const std::string when = "Tue, 10 Oct 2017 16:00:00 GMT";
  f.transport.script.push_back(reply(200, {{"number", 2}}, {{"last-modified", when}}));
  f.transport.script.push_back(reply(304, nullptr));
  auto client = f.client();
  client.get_issue("o", "r", 2);
  CHECK(client.get_issue("o", "r", 2).number == 2);
  REQUIRE(f.transport.requests.size() == 2);
  CHECK(header(f.transport.requests[1], "If-Modified-Since") == when);
  CHECK(header(f.transport.requests[1], "If-None-Match") == "<absent>");
}

TEST_CASE("conditional requests: none without a cache, none for writes, and invalidation makes the next read plain") {
  SUBCASE("no cache: the action's client never sends a validator") {
    Fixture f;
    f.transport.fallback = reply(200, {{"number", 2}}, {{"etag", "\"abc\""}});
    auto client = f.client();
    client.get_issue("o", "r", 2);
    client.get_issue("o", "r", 2);
    for (const auto& r : f.transport.requests) CHECK(header(r, "If-None-Match") == "<absent>");
  }
  SUBCASE("invalidated: asked without a validator") {
    Fixture f;
    f.options.cache = std::make_shared<ResponseCache>();
    f.transport.fallback = reply(200, {{"number", 2}}, {{"etag", "\"abc\""}});
    auto client = f.client();
    client.get_issue("o", "r", 2);
    f.options.cache->invalidate({"o", "r", {RequestKind::issues}});
    client.get_issue("o", "r", 2);
    client.get_issue("o", "r", 2);
    REQUIRE(f.transport.requests.size() == 3);
    CHECK(header(f.transport.requests[1], "If-None-Match") == "<absent>");
    CHECK(header(f.transport.requests[2], "If-None-Match") == "\"abc\"");
  }
  SUBCASE("writes are never conditional, and are told as writes") {
    Fixture f;
    f.options.cache = std::make_shared<ResponseCache>();
    std::vector<RequestSeen> seen;
    f.options.on_request = [&](const RequestSeen& s) { seen.push_back(s); };
    f.transport.fallback = reply(201, {{"id", 1}, {"body", "hi"}, {"user", {{"login", "bot"}}}}, {{"etag", "\"x\""}});
    auto client = f.client();
    client.create_issue_comment("o", "r", 2, "hi");
    client.create_issue_comment("o", "r", 2, "hi");
    CHECK(header(f.transport.requests[1], "If-None-Match") == "<absent>");
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].write);
    CHECK(seen[0].kind == RequestKind::comments);
  }
  SUBCASE("observed(): a second observer hears every exchange too") {
    Fixture f;
    int first = 0, second = 0;
    f.options.on_request = [&](const RequestSeen&) { ++first; };
    f.transport.fallback = reply(200, {{"number", 2}});
    auto client = f.client().observed([&](const RequestSeen&) { ++second; });
    client.get_issue("o", "r", 2);
    CHECK(first == 1);
    CHECK(second == 1);
  }
}
