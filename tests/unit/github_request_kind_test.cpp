// What a request is about (github::classify_request) and the answers kept for conditional requests
// (github::ResponseCache): table-driven, no network.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/github/request_kind.hpp"
#include "core/github/response_cache.hpp"

using deploy::github::CachedAnswer;
using deploy::github::CacheInvalidation;
using deploy::github::RequestKind;
using deploy::github::ResponseCache;
using deploy::github::ResponseCacheLimits;

TEST_CASE("classify_request: every path the bot and the action call has its kind") {
  struct Case {
    const char* method;
    const char* path;
    RequestKind kind;
  };
  const Case cases[] = {
      {"GET", "/repos/acme/app/contents/.github/deploy.yml", RequestKind::contents},
      {"GET", "/repos/acme/app/contents/.github/deploy.yml?ref=main", RequestKind::contents},
      {"GET", "/repos/acme/app/collaborators/bob/permission", RequestKind::permission},
      {"GET", "/orgs/acme/teams/deployers/memberships/bob", RequestKind::team_membership},
      {"GET", "/repos/acme/app", RequestKind::repository},
      {"GET", "/repos/acme/app/pulls/2", RequestKind::pulls},
      {"GET", "/repos/acme/app/pulls/2/reviews", RequestKind::reviews},
      {"GET", "/repos/acme/app/commits/abc/pulls", RequestKind::commit_pulls},
      {"GET", "/repos/acme/app/commits/abc", RequestKind::commits},
      {"GET", "/repos/acme/app/commits/abc/status", RequestKind::statuses},
      {"GET", "/repos/acme/app/commits/abc/check-runs", RequestKind::check_runs},
      {"GET", "/repos/acme/app/commits/abc/comments", RequestKind::commit_comments},
      {"POST", "/repos/acme/app/statuses/abc", RequestKind::statuses},
      {"GET", "/repos/acme/app/compare/a...b", RequestKind::compare},
      {"GET", "/repos/acme/app/issues/1/comments", RequestKind::comments},
      {"PATCH", "/repos/acme/app/issues/comments/7", RequestKind::comments},
      {"POST", "/repos/acme/app/issues/comments/7/reactions", RequestKind::reactions},
      {"POST", "/repos/acme/app/comments/7/reactions", RequestKind::reactions},
      {"GET", "/repos/acme/app/issues/1", RequestKind::issues},
      {"POST", "/repos/acme/app/issues", RequestKind::issues},
      {"GET", "/repos/acme/app/deployments", RequestKind::deployments},
      {"GET", "/repos/acme/app/deployments/5/statuses", RequestKind::deployment_statuses},
      {"GET", "/repos/acme/app/git/ref/heads/main", RequestKind::refs},
      {"PATCH", "/repos/acme/app/git/refs/heads/audit", RequestKind::refs},
      {"POST", "/repos/acme/app/git/blobs", RequestKind::git_data},
      {"GET", "/repos/acme/app/tags", RequestKind::tags},
      {"GET", "/repos/acme/app/releases/tags/v1.2.0", RequestKind::releases},
      {"GET", "/repos/acme/app/actions/runs/9", RequestKind::workflow_runs},
      {"GET", "/repos/acme/app/actions/workflows/deploy.yml/runs", RequestKind::workflow_runs},
      {"POST", "/repos/acme/app/actions/workflows/deploy.yml/dispatches", RequestKind::dispatches},
      {"POST", "/repos/acme/app/actions/runs/9/deployment_protection_rule", RequestKind::gate_reviews},
      {"GET", "/repos/acme/app/environments/production", RequestKind::environments},
      {"GET", "/repos/acme/app/installation", RequestKind::app},
      {"GET", "/app", RequestKind::app},
      {"POST", "/app/installations/42/access_tokens", RequestKind::installation_token},
      {"GET", "/rate_limit", RequestKind::other},
      {"GET", "/", RequestKind::other},
      {"GET", "/repos/acme", RequestKind::other},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    CHECK(deploy::github::classify_request(c.method, c.path) == c.kind);
  }
}

TEST_CASE("kinds: every kind has its own name; writes and cacheable reads") {
  std::set<std::string> names;
  for (std::size_t i = 0; i < deploy::github::kRequestKinds; ++i) {
    const auto name = deploy::github::to_string(static_cast<RequestKind>(i));
    CHECK_FALSE(name.empty());
    names.emplace(name);
  }
  CHECK(names.size() == deploy::github::kRequestKinds);
  CHECK(deploy::github::is_write("POST"));
  CHECK(deploy::github::is_write("PATCH"));
  CHECK_FALSE(deploy::github::is_write("GET"));
  CHECK(deploy::github::cacheable(RequestKind::permission));
  CHECK(deploy::github::cacheable(RequestKind::contents));
  CHECK_FALSE(deploy::github::cacheable(RequestKind::installation_token));
  CHECK_FALSE(deploy::github::cacheable(RequestKind::app));
  CHECK_FALSE(deploy::github::cacheable(RequestKind::other));
}

TEST_CASE("ResponseCache: tags from the path") {
  struct Case {
    const char* path;
    const char* owner;
    const char* repository;
  };
  const Case cases[] = {{"/repos/Acme/App/pulls/2", "acme", "app"},
                        {"/repos/acme/app", "acme", "app"},
                        {"/orgs/ACME/teams/deployers/memberships/bob", "acme", ""},
                        {"/rate_limit", "", ""}};
  for (const auto& c : cases) {
    CAPTURE(c.path);
    const auto tags = ResponseCache::tags_for(c.path, RequestKind::pulls);
    CHECK(tags.owner == c.owner);
    CHECK(tags.repository == c.repository);
    CHECK(tags.kind == RequestKind::pulls);
  }
}

namespace {
CachedAnswer answer(const std::string& body) { return {"\"" + body + "\"", "", body, ""}; }
}  // namespace

TEST_CASE("ResponseCache: kept, replaced, least recently used out first, bounded by entries and bytes") {
  ResponseCache cache(ResponseCacheLimits{2, 1 << 20});
  cache.store("a", {"acme", "app", RequestKind::pulls}, answer("A"));
  cache.store("b", {"acme", "app", RequestKind::pulls}, answer("B"));
  REQUIRE(cache.find("a"));  // a is now the most recently used
  cache.store("c", {"acme", "app", RequestKind::pulls}, answer("C"));
  CHECK(cache.size() == 2);
  CHECK(cache.find("a"));
  CHECK_FALSE(cache.find("b"));
  CHECK(cache.find("c")->body == "C");
  cache.store("c", {"acme", "app", RequestKind::pulls}, answer("C2"));
  CHECK(cache.size() == 2);
  CHECK(cache.find("c")->body == "C2");

  ResponseCache small(ResponseCacheLimits{100, 300});
  small.store("big", {"acme", "app", RequestKind::pulls}, answer(std::string(400, 'x')));
  CHECK(small.size() == 0);  // larger than the whole budget: not kept
  small.store("one", {"acme", "app", RequestKind::pulls}, answer(std::string(100, 'x')));
  small.store("two", {"acme", "app", RequestKind::pulls}, answer(std::string(100, 'y')));
  CHECK(small.size() == 1);  // the bytes bound pushed the older out
  CHECK(small.find("two"));
  CHECK(small.bytes() <= 300);
}

TEST_CASE("ResponseCache: invalidation by owner, repository and kind") {
  auto fill = [](ResponseCache& cache) {
    cache.store("perm-app", {"acme", "app", RequestKind::permission}, answer("1"));
    cache.store("pull-app", {"acme", "app", RequestKind::pulls}, answer("2"));
    cache.store("perm-web", {"acme", "web", RequestKind::permission}, answer("3"));
    cache.store("team", {"acme", "", RequestKind::team_membership}, answer("4"));
    cache.store("other-org", {"globex", "app", RequestKind::permission}, answer("5"));
  };
  struct Case {
    CacheInvalidation what;
    std::set<std::string> left;
  };
  const Case cases[] = {
      {{"acme", "app", {RequestKind::permission}}, {"pull-app", "perm-web", "team", "other-org"}},
      {{"ACME", "APP", {}}, {"perm-web", "team", "other-org"}},
      {{"acme", "", {RequestKind::permission, RequestKind::team_membership}}, {"pull-app", "other-org"}},
      {{"acme", "app", {RequestKind::deployments}}, {"perm-app", "pull-app", "perm-web", "team", "other-org"}},
  };
  for (const auto& c : cases) {
    ResponseCache cache;
    fill(cache);
    cache.invalidate(c.what);
    std::set<std::string> left;
    for (const char* key : {"perm-app", "pull-app", "perm-web", "team", "other-org"}) {
      if (cache.find(key)) left.emplace(key);
    }
    CHECK(left == c.left);
  }
}
