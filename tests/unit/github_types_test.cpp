#include "core/github/types.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/github/encoding.hpp"
#include "core/github/error.hpp"
#include "core/github/time.hpp"

using namespace deploy::github;
using namespace std::chrono_literals;

TEST_CASE("parse_rfc3339 and format_rfc3339") {
  struct Case {
    const char* text;
    bool ok;
    std::int64_t epoch_ms;
  };
  const std::vector<Case> cases = {
      {"2023-11-14T22:13:20Z", true, 1'700'000'000'000},
      {"2023-11-14t22:13:20z", true, 1'700'000'000'000},
      {"2023-11-14T22:13:20.5Z", true, 1'700'000'000'500},
      {"2023-11-14T22:13:20.123456Z", true, 1'700'000'000'123},
      {"2023-11-15T00:13:20+02:00", true, 1'700'000'000'000},
      {"2023-11-14T20:43:20-01:30", true, 1'700'000'000'000},
      {"1970-01-01T00:00:00Z", true, 0},
      {"2024-02-29T00:00:00Z", true, 1'709'164'800'000},
      {"2023-02-29T00:00:00Z", false, 0},
      {"2023-11-14 22:13:20Z", false, 0},
      {"2023-11-14T22:13:20", false, 0},
      {"2023-11-14T24:00:00Z", false, 0},
      {"2023-11-14T22:13:20.Z", false, 0},
      {"2023-11-14T22:13:20Zjunk", false, 0},
      {"", false, 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto t = parse_rfc3339(c.text);
    REQUIRE(t.ok() == c.ok);
    if (c.ok) {
      CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(t.value().time_since_epoch()).count() == c.epoch_ms);
    } else {
      CHECK(t.error().code == "invalid_timestamp");
    }
  }
  CHECK(format_rfc3339(std::chrono::system_clock::time_point{1'700'000'000s}) == "2023-11-14T22:13:20Z");
  CHECK(format_rfc3339(std::chrono::system_clock::time_point{0s}) == "1970-01-01T00:00:00Z");
}

TEST_CASE("base64 and base64url") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
  CHECK(base64url_decode("Zg==") == std::string("f"));
  CHECK_FALSE(base64url_decode("Z+8").has_value());
  CHECK_FALSE(base64url_decode("Z").has_value());
  // GitHub wraps file content at 60 columns with \n.
  CHECK(base64_decode("ZW52aXJv\nbm1lbnRz\nOgo=\n") == std::string("environments:\n"));
  CHECK(base64_decode("") == std::string());
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
  CHECK_FALSE(base64_decode("Zg===").has_value());
}

TEST_CASE("encode_path keeps the slashes between segments and encodes inside them") {
  CHECK(encode_path(".github/deploy.yml") == ".github/deploy.yml");
  CHECK(encode_path("heads/feature/a b") == "heads/feature/a%20b");
  CHECK(encode_path("tags/v1.0.0+build.1") == "tags/v1.0.0%2Bbuild.1");
  CHECK(encode_path("a?b#c%") == "a%3Fb%23c%25");
}

TEST_CASE("from_json tolerates nulls and missing fields, and keeps raw") {
  auto j = Json::parse(R"({
    "id": 1000, "name": "hello-world", "full_name": "octokit-fixture-org/hello-world",
    "owner": {"login": "octokit-fixture-org", "id": 1000, "type": "Organization"},
    "private": false, "description": null, "default_branch": "main", "html_url": null,
    "something_new": {"x": 1}
  })");
  auto repo = j.get<Repository>();
  CHECK(repo.id == 1000);
  CHECK(repo.full_name == "octokit-fixture-org/hello-world");
  CHECK(repo.owner.login == "octokit-fixture-org");
  CHECK(repo.owner.type == "Organization");
  CHECK(repo.default_branch == "main");
  CHECK(repo.html_url.empty());
  CHECK(repo.raw["something_new"]["x"] == 1);

  CHECK_THROWS_AS(Json::array().get<Repository>(), std::invalid_argument);
}

TEST_CASE("from_json: commit, pull request, issue, deployment, rate limit") {
  auto commit =
      Json::parse(
          R"({"sha":"abc","commit":{"message":"fix: x","author":{"name":"A","email":"a@x","date":"2020-01-01T00:00:00Z"},
     "committer":{"name":"C","email":"c@x","date":"2020-01-02T00:00:00Z"},"verification":{"verified":true}},
     "author":{"login":"alice","id":1,"type":"User"},"committer":null,"parents":[{"sha":"p1"},{"sha":"p2"}]})")
          .get<Commit>();
  CHECK(commit.sha == "abc");
  CHECK(commit.message == "fix: x");
  CHECK(commit.author_email == "a@x");
  CHECK(commit.committer_date == "2020-01-02T00:00:00Z");
  CHECK(commit.verified);
  REQUIRE(commit.author);
  CHECK(commit.author->login == "alice");
  CHECK_FALSE(commit.committer);
  CHECK(commit.parents == std::vector<std::string>{"p1", "p2"});

  auto pr = Json::parse(R"({"id":9,"number":7,"state":"closed","title":"t","user":{"login":"bob","type":"User"},
     "head":{"sha":"h","ref":"feature","repo":{"full_name":"fork/r"}},"base":{"sha":"b","ref":"main"},
     "merged_at":"2020-01-01T00:00:00Z","merge_commit_sha":"m","draft":false})")
                .get<PullRequest>();
  CHECK(pr.number == 7);
  CHECK(pr.head_sha == "h");
  CHECK(pr.head_repo_full_name == "fork/r");
  CHECK(pr.base_ref == "main");
  CHECK(pr.merged);  // from merged_at, as list endpoints give no "merged"

  auto issue = Json::parse(R"({"number":3,"title":"Release v1.4.0","body":null,"state":"open",
     "labels":[{"name":"release"},"plain"],"pull_request":{"url":"x"},"user":{"login":"bot[bot]","type":"Bot"}})")
                   .get<Issue>();
  CHECK(issue.body.empty());
  CHECK(issue.labels == std::vector<std::string>{"release", "plain"});
  CHECK(issue.is_pull_request);
  CHECK(issue.user.type == "Bot");

  auto deployment = Json::parse(R"({"id":5,"sha":"s","ref":"v1.4.0","task":"deploy","environment":"production",
     "payload":{"version":"1.4.0"},"production_environment":true,"creator":{"login":"c"}})")
                        .get<Deployment>();
  CHECK(deployment.payload["version"] == "1.4.0");
  CHECK(deployment.production_environment);
  REQUIRE(deployment.creator);
  CHECK(deployment.creator->login == "c");

  auto limit = Json::parse(R"({"resources":{"core":{"limit":5000,"remaining":4999,"reset":1700000000,"used":1},
     "search":{"limit":30,"remaining":30,"reset":1700000060,"used":0}},"rate":{"limit":1}})")
                   .get<RateLimit>();
  CHECK(limit.core.limit == 5000);
  CHECK(limit.core.remaining == 4999);
  CHECK(limit.core.reset == 1'700'000'000);
  CHECK(limit.resources.at("search").limit == 30);
}

TEST_CASE("request bodies send only the fields that are set") {
  NewDeployment d;
  d.ref = "v1.4.0";
  d.environment = "production";
  d.auto_merge = false;
  d.required_contexts = std::vector<std::string>{};
  d.payload = Json{{"version", "1.4.0"}};
  CHECK(request_body(d) == Json::parse(R"({"ref":"v1.4.0","environment":"production","auto_merge":false,
                                            "required_contexts":[],"payload":{"version":"1.4.0"}})"));
  CHECK(request_body(IssueUpdate{}) == Json::object());
  ProtectionRuleReview review{"production", "approved", std::nullopt};
  CHECK(request_body(review) == Json::parse(R"({"environment_name":"production","state":"approved"})"));
  // Without a state: a comment on the waiting gate that leaves it waiting (GitHub requires the comment then).
  ProtectionRuleReview progress{"production", std::nullopt, "1 of 2"};
  CHECK(request_body(progress) == Json::parse(R"({"environment_name":"production","comment":"1 of 2"})"));
  NewCheckRun check{"deploy",     "abc",        "completed",
                    "success",    std::nullopt, std::nullopt,
                    std::nullopt, std::nullopt, CheckRunOutput{"ok", "all good", std::nullopt}};
  CHECK(request_body(check) == Json::parse(R"({"name":"deploy","head_sha":"abc","status":"completed",
      "conclusion":"success","output":{"title":"ok","summary":"all good"}})"));
}

TEST_CASE("GitHubError renders every field a person needs") {
  ErrorDetails d{"github_validation_failed",
                 422,
                 "POST",
                 "/repos/o/r/labels",
                 "Validation Failed",
                 "https://docs.github.com/rest/reference/issues#create-a-label",
                 "Label.color: invalid",
                 "0000:00000:0000000:0000000:00000000",
                 1,
                 ""};
  GitHubError e(d);
  CHECK(std::string(e.what()) ==
        "GitHub API POST /repos/o/r/labels failed: 422 Validation Failed (Label.color: invalid); request id "
        "0000:00000:0000000:0000000:00000000; see https://docs.github.com/rest/reference/issues#create-a-label");
  CHECK(e.status() == 422);
  CHECK(e.code() == "github_validation_failed");
}
