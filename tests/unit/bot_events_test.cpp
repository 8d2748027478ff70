// bot/events: a stored webhook body parsed once into the typed event its handler reads, or a
// "malformed payload" outcome naming the field. Table-driven over real payload shapes, cut down.
#include "bot/events.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
namespace events = deploy::bot::events;

json repository() { return {{"owner", {{"login", "acme"}}}, {"name", "app"}, {"default_branch", "main"}}; }

json issue_comment() {
  return {
      {"repository", repository()},
      {"comment",
       {{"id", 11},
        {"user", {{"login", "bob"}, {"type", "User"}}},
        {"body", "/approve"},
        {"html_url", "u"},
        {"created_at", "2024-01-01T00:00:00Z"}}},
      {"issue", {{"number", 2}, {"body", nullptr}, {"pull_request", {{"url", "p"}}}, {"user", {{"login", "carol"}}}}}};
}

}  // namespace

TEST_CASE("a well-formed payload parses into its event, with its repository") {
  auto parsed = events::parse_webhook("issue_comment", issue_comment().dump());
  REQUIRE(parsed);
  CHECK(parsed->repository.owner == "acme");
  CHECK(parsed->repository.name == "app");
  CHECK(parsed->repository.default_branch == "main");
  const auto& comment = std::get<events::Comment>(parsed->event);
  CHECK(comment.id == 11);
  CHECK(comment.user.login == "bob");
  CHECK(comment.body == "/approve");
  REQUIRE(comment.issue);
  CHECK(comment.issue->number == 2);
  CHECK(comment.issue->is_pull_request);
  CHECK(comment.issue->body.empty());  // null reads as ""
  CHECK(comment.issue->user->login == "carol");
}

TEST_CASE("each event the bot reads parses into its own struct") {
  struct Case {
    std::string event;
    json payload;
    std::size_t index;  // in events::Event
  };
  const std::vector<Case> cases = {
      {"commit_comment", json::parse(R"({"comment": {"id": 1, "user": {"login": "bob"}, "commit_id": "abc"}})"), 1},
      {"pull_request",
       json::parse(R"({"number": 3, "before": "old", "pull_request": {"head": {"sha": "abc", "repo": null},
                                       "base": {"ref": "main"}, "user": {"login": "carol"}}})"),
       2},
      {"pull_request_review", json::parse(R"({"review": {"id": 5, "state": "approved", "user": {"login": "bob"}},
                                              "pull_request": {"number": 3, "head": {"sha": "abc"}, "base": {"ref": "main"},
                                                               "user": {"login": "carol"}}})"),
       3},
      {"release", json::parse(R"({"release": {"tag_name": "v1.2.0"}})"), 4},
      {"workflow_run", json::parse(R"({"workflow_run": {"id": 9, "conclusion": null}})"), 5},
      {"deployment_protection_rule", json::parse(R"({"environment": "production", "deployment": {"sha": "abc"},
                                                     "deployment_callback_url": "https://x/actions/runs/1/d"})"),
       6},
      {"push", json::parse(R"({"ref": "refs/heads/main", "commits": [{"added": ["a"], "removed": ["b"]}],
                               "head_commit": {"modified": ["c"]}})"),
       7},
      {"installation_repositories", json::object(), 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.event);
    json payload = c.payload;
    payload["repository"] = repository();
    auto parsed = events::parse_webhook(c.event, payload.dump());
    REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
    CHECK(parsed->event.index() == c.index);
  }
  json push = cases[6].payload;
  push["repository"] = repository();
  CHECK(std::get<events::Push>(events::parse_webhook("push", push.dump())->event).changed_paths ==
        std::vector<std::string>{"a", "b", "c"});
  json pull = cases[1].payload;
  pull["repository"] = repository();
  const auto pr = std::get<events::PullRequest>(events::parse_webhook("pull_request", pull.dump())->event);
  CHECK(pr.number == 3);  // the event's own number, the nested one absent
  CHECK(pr.before == "old");
  CHECK(pr.head_repo_full_name.empty());
  json run = cases[4].payload;
  run["repository"] = repository();
  CHECK(std::get<events::WorkflowRun>(events::parse_webhook("workflow_run", run.dump())->event).conclusion ==
        "unknown");
}

TEST_CASE("a malformed payload is an outcome that names the event and the field") {
  struct Case {
    std::string name;
    std::string event;
    std::string body;
    std::string message;
  };
  auto without = [](json payload, const json::json_pointer& at) {
    payload[at.parent_pointer()].erase(at.back());
    return payload.dump();
  };
  auto with = [](json payload, const json::json_pointer& at, json value) {
    payload[at] = std::move(value);
    return payload.dump();
  };
  const std::vector<Case> cases = {
      {"not JSON", "issue_comment", "{", "malformed payload: issue_comment: the stored payload is not a JSON object"},
      {"an array", "push", "[]", "malformed payload: push: the stored payload is not a JSON object"},
      {"no repository", "issue_comment", without(issue_comment(), "/repository"_json_pointer),
       "malformed payload: issue_comment: repository: missing"},
      {"repository owner not an object", "issue_comment",
       with(issue_comment(), "/repository/owner"_json_pointer, "acme"),
       "malformed payload: issue_comment: repository.owner: expected an object"},
      {"no comment id", "issue_comment", without(issue_comment(), "/comment/id"_json_pointer),
       "malformed payload: issue_comment: comment.id: missing"},
      {"comment id a string", "issue_comment", with(issue_comment(), "/comment/id"_json_pointer, "11"),
       "malformed payload: issue_comment: comment.id: expected an integer"},
      {"no user login", "issue_comment", without(issue_comment(), "/comment/user/login"_json_pointer),
       "malformed payload: issue_comment: comment.user.login: missing"},
      {"body a number", "issue_comment", with(issue_comment(), "/comment/body"_json_pointer, 3),
       "malformed payload: issue_comment: comment.body: expected a string"},
      {"no issue", "issue_comment", without(issue_comment(), "/issue"_json_pointer),
       "malformed payload: issue_comment: issue: missing"},
      {"negative issue number", "issue_comment", with(issue_comment(), "/issue/number"_json_pointer, -1),
       "malformed payload: issue_comment: issue.number: expected an issue or pull request number"},
      {"release without a tag", "release", json{{"repository", repository()}, {"release", json::object()}}.dump(),
       "malformed payload: release: release.tag_name: missing"},
      {"draft not a boolean", "release",
       json{{"repository", repository()}, {"release", {{"tag_name", "v1"}, {"draft", "no"}}}}.dump(),
       "malformed payload: release: release.draft: expected true or false"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto parsed = events::parse_webhook(c.event, c.body);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == "malformed_payload");
    CHECK(parsed.error().message == c.message);
  }
}
