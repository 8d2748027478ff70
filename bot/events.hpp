// The webhook events the bot acts on, as typed structs: a stored delivery's body is parsed once, at
// the edge (the handler registry's Dispatcher), into exactly the fields its handler reads. A payload
// that lacks one of them, or carries it with the wrong type, is a "malformed payload" outcome that
// names the field (the worker records the delivery failed with that reason), instead of a JSON
// exception thrown from deep inside a handler halfway through its effects. Pure: no I/O.
//
// Fields a handler can do without are optional here as they are in GitHub's payloads (an absent or
// null string reads as ""); which ones are required follows what the handlers always read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace deploy::bot::events {

struct User {
  std::string login;
  std::string type;  // "User", "Bot", ... ("" when the payload does not say)
};

// Every event the bot handles carries its repository.
struct Repository {
  std::string owner;
  std::string name;
  std::string default_branch;  // "" when absent (the handler fetches it when it needs it)
};

// issue_comment (created, edited, deleted) and commit_comment (created).
struct Comment {
  std::int64_t id = 0;
  User user;
  std::string body;
  std::string html_url;
  std::string created_at;  // RFC 3339 as GitHub wrote it, "" when absent
  // commit_comment only.
  std::string commit_id;  // the commit commented on
  std::string path;       // set for a comment on a line of a file
  // issue_comment only: the issue or pull request commented on.
  struct Issue {
    int number = 0;
    std::string body;
    bool is_pull_request = false;
    std::optional<User> user;  // who opened it, when the payload says
  };
  std::optional<Issue> issue;
};

// pull_request (opened, synchronize, reopened).
struct PullRequest {
  int number = 0;
  std::string head_sha;
  std::string head_repo_full_name;  // "" when the head repository is gone
  std::string base_ref;
  std::string author;
  std::optional<std::string> before;  // synchronize: the head before the push
};

// pull_request_review (submitted, dismissed).
struct Review {
  std::int64_t id = 0;
  std::string state;  // as GitHub wrote it ("approved", "APPROVED", "commented", ...)
  User user;
  std::string commit_id;     // "" when absent: the pull request's head
  std::string submitted_at;  // RFC 3339, "" when absent
  PullRequest pull_request;  // `before` is never set here
};

// release (published).
struct Release {
  std::string tag;
  bool draft = false;
};

// workflow_run (completed).
struct WorkflowRun {
  std::int64_t id = 0;
  std::string path;  // ".github/workflows/deploy.yml"
  std::string head_branch;
  std::string conclusion;  // "unknown" when absent
  std::string html_url;
};

// deployment_protection_rule (requested).
struct ProtectionRule {
  std::string environment;
  std::string sha;  // the deployment's commit
  std::string ref;  // the deployment's ref ("" when absent)
  std::string callback_url;
  std::string sender;  // "" when absent
};

// push.
struct Push {
  std::string ref;
  // Every path added, modified or removed by the pushed commits (and the head commit).
  std::vector<std::string> changed_paths;
};

// ping and installation events carry nothing the bot reads.
struct Acknowledged {};

using Event = std::variant<Acknowledged, Comment, PullRequest, Review, Release, WorkflowRun, ProtectionRule, Push>;

struct Webhook {
  Repository repository;
  Event event;
};

// Parses a stored delivery's body for `event` (the X-GitHub-Event name). Events the bot does not
// read (ping, installation...) parse to Acknowledged without a repository. Error code
// "malformed_payload"; its message starts with "malformed payload" and names the event and the
// field ("malformed payload: issue_comment: comment.id: expected an integer").
Result<Webhook> parse_webhook(std::string_view event, std::string_view body);

}  // namespace deploy::bot::events
