#include "bot/events.hpp"

#include <nlohmann/json.hpp>

namespace deploy::bot::events {
namespace {

using nlohmann::json;

// Thrown by Field when the payload lacks what the event must carry; caught in parse_webhook only.
struct Malformed {
  std::string message;
};

// One JSON object of the payload and where it is ("comment.user"), so that an error names the field.
class Field {
 public:
  Field(const json& value, std::string path) : value_(value), path_(std::move(path)) {}

  Field object(const char* key) const {
    const json& v = at(key);
    if (!v.is_object()) fail(key, "expected an object");
    return {v, name(key)};
  }
  std::optional<Field> optional_object(const char* key) const {
    auto it = value_.find(key);
    if (it == value_.end() || it->is_null()) return std::nullopt;
    if (!it->is_object()) fail(key, "expected an object");
    return Field(*it, name(key));
  }
  std::string string(const char* key) const {
    const json& v = at(key);
    if (!v.is_string()) fail(key, "expected a string");
    return v.get<std::string>();
  }
  // Absent or null: `fallback`.
  std::string optional_string(const char* key, const std::string& fallback = "") const {
    auto it = value_.find(key);
    if (it == value_.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail(key, "expected a string");
    return it->get<std::string>();
  }
  std::int64_t integer(const char* key) const {
    const json& v = at(key);
    if (!v.is_number_integer()) fail(key, "expected an integer");
    return v.get<std::int64_t>();
  }
  int number(const char* key) const {
    const auto n = integer(key);
    if (n < 0 || n > 2'147'483'647) fail(key, "expected an issue or pull request number");
    return static_cast<int>(n);
  }
  bool boolean(const char* key, bool fallback) const {
    auto it = value_.find(key);
    if (it == value_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(key, "expected true or false");
    return it->get<bool>();
  }
  bool has(const char* key) const {
    auto it = value_.find(key);
    return it != value_.end() && !it->is_null();
  }
  const json& raw() const { return value_; }

 private:
  std::string name(const char* key) const { return path_.empty() ? std::string(key) : path_ + "." + key; }
  const json& at(const char* key) const {
    auto it = value_.find(key);
    if (it == value_.end()) fail(key, "missing");
    return *it;
  }
  [[noreturn]] void fail(const char* key, const char* what) const { throw Malformed{name(key) + ": " + what}; }

  const json& value_;
  std::string path_;
};

User user_of(const Field& user) { return {user.string("login"), user.optional_string("type")}; }

Repository repository_of(const Field& payload) {
  const auto repository = payload.object("repository");
  return {repository.object("owner").string("login"), repository.string("name"),
          repository.optional_string("default_branch")};
}

Comment comment_of(const Field& payload, bool on_commit) {
  const auto c = payload.object("comment");
  Comment comment;
  comment.id = c.integer("id");
  comment.user = user_of(c.object("user"));
  comment.body = c.optional_string("body");
  comment.html_url = c.optional_string("html_url");
  comment.created_at = c.optional_string("created_at");
  if (on_commit) {
    comment.commit_id = c.string("commit_id");
    comment.path = c.optional_string("path");
    return comment;
  }
  const auto issue = payload.object("issue");
  Comment::Issue thread;
  thread.number = issue.number("number");
  thread.body = issue.optional_string("body");
  thread.is_pull_request = issue.has("pull_request");
  if (auto user = issue.optional_object("user"))
    thread.user = User{user->optional_string("login"), user->optional_string("type")};
  comment.issue = std::move(thread);
  return comment;
}

// `number_elsewhere`: the event carries the number outside the pull request object.
PullRequest pull_request_of(const Field& pull, bool number_elsewhere = false) {
  PullRequest result;
  if (!number_elsewhere) result.number = pull.number("number");
  const auto head = pull.object("head");
  result.head_sha = head.string("sha");
  if (auto repo = head.optional_object("repo")) result.head_repo_full_name = repo->optional_string("full_name");
  result.base_ref = pull.object("base").string("ref");
  result.author = pull.object("user").string("login");
  return result;
}

PullRequest pull_request_event_of(const Field& payload) {
  // The event's number is the pull request's; older payloads carry only the nested one.
  const bool top_level = payload.has("number");
  auto pull = pull_request_of(payload.object("pull_request"), top_level);
  if (top_level) pull.number = payload.number("number");
  if (payload.raw().contains("before") && payload.raw()["before"].is_string()) pull.before = payload.string("before");
  return pull;
}

Review review_of(const Field& payload) {
  const auto r = payload.object("review");
  Review review;
  review.id = r.integer("id");
  review.state = r.optional_string("state");
  review.user = user_of(r.object("user"));
  review.commit_id = r.optional_string("commit_id");
  review.submitted_at = r.optional_string("submitted_at");
  review.pull_request = pull_request_of(payload.object("pull_request"));
  return review;
}

Release release_of(const Field& payload) {
  const auto r = payload.object("release");
  return {r.string("tag_name"), r.boolean("draft", false)};
}

WorkflowRun workflow_run_of(const Field& payload) {
  const auto r = payload.object("workflow_run");
  return {r.integer("id"), r.optional_string("path"), r.optional_string("head_branch"),
          r.optional_string("conclusion", "unknown"), r.optional_string("html_url")};
}

ProtectionRule protection_rule_of(const Field& payload) {
  ProtectionRule rule;
  rule.environment = payload.string("environment");
  const auto deployment = payload.object("deployment");
  rule.sha = deployment.string("sha");
  rule.ref = deployment.optional_string("ref");
  rule.callback_url = payload.string("deployment_callback_url");
  if (auto sender = payload.optional_object("sender")) rule.sender = sender->optional_string("login");
  return rule;
}

// Paths of a push's commits; entries that are not lists of strings are skipped (GitHub omits them
// for pushes of many commits).
void add_paths(const json& commit, std::vector<std::string>& paths) {
  if (!commit.is_object()) return;
  for (const char* list : {"added", "modified", "removed"}) {
    auto it = commit.find(list);
    if (it == commit.end() || !it->is_array()) continue;
    for (const auto& path : *it) {
      if (path.is_string()) paths.push_back(path.get<std::string>());
    }
  }
}

Push push_of(const Field& payload) {
  Push push;
  push.ref = payload.optional_string("ref");
  if (auto it = payload.raw().find("commits"); it != payload.raw().end() && it->is_array()) {
    for (const auto& commit : *it) add_paths(commit, push.changed_paths);
  }
  if (auto it = payload.raw().find("head_commit"); it != payload.raw().end()) add_paths(*it, push.changed_paths);
  return push;
}

Event event_of(std::string_view event, const Field& payload) {
  if (event == "issue_comment") return comment_of(payload, false);
  if (event == "commit_comment") return comment_of(payload, true);
  if (event == "pull_request") return pull_request_event_of(payload);
  if (event == "pull_request_review") return review_of(payload);
  if (event == "release") return release_of(payload);
  if (event == "workflow_run") return workflow_run_of(payload);
  if (event == "deployment_protection_rule") return protection_rule_of(payload);
  if (event == "push") return push_of(payload);
  return Acknowledged{};
}

}  // namespace

Result<Webhook> parse_webhook(std::string_view event, std::string_view body) {
  const std::string prefix = "malformed payload: " + std::string(event) + ": ";
  const auto payload = json::parse(body, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return Error{"malformed_payload", prefix + "the stored payload is not a JSON object"};
  }
  try {
    const Field root(payload, "");
    return Webhook{repository_of(root), event_of(event, root)};
  } catch (const Malformed& malformed) {
    return Error{"malformed_payload", prefix + malformed.message};
  }
}

}  // namespace deploy::bot::events
