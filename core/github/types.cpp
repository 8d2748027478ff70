#include "core/github/types.hpp"

#include <stdexcept>

namespace deploy::github {
namespace {

// Field readers that treat missing, null and wrongly typed values as "not set".
const Json* field(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string str(const Json& j, const char* key) {
  const Json* v = field(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

std::int64_t i64(const Json& j, const char* key) {
  const Json* v = field(j, key);
  if (!v || !v->is_number()) return 0;
  return v->is_number_float() ? static_cast<std::int64_t>(v->get<double>()) : v->get<std::int64_t>();
}

int i32(const Json& j, const char* key) { return static_cast<int>(i64(j, key)); }

bool boolean(const Json& j, const char* key) {
  const Json* v = field(j, key);
  return v && v->is_boolean() && v->get<bool>();
}

const Json& obj(const Json& j, const char* key) {
  static const Json empty = Json::object();
  const Json* v = field(j, key);
  return v && v->is_object() ? *v : empty;
}

std::optional<User> user(const Json& j, const char* key) {
  const Json* v = field(j, key);
  if (!v || !v->is_object()) return std::nullopt;
  return v->get<User>();
}

template <class T>
std::vector<T> array_of(const Json& j, const char* key) {
  std::vector<T> out;
  const Json* v = field(j, key);
  if (!v || !v->is_array()) return out;
  for (const auto& item : *v) out.push_back(item.get<T>());
  return out;
}

// Every typed model is read from an object; anything else is a broken response.
void require_object(const Json& j, const char* what) {
  if (!j.is_object()) {
    throw std::invalid_argument(std::string("expected a JSON object for ") + what + ", got " + j.type_name());
  }
}

template <class T>
void set(Json& body, const char* key, const std::optional<T>& value) {
  if (value) body[key] = *value;
}

Json output_json(const CheckRunOutput& o) {
  Json j = {{"title", o.title}, {"summary", o.summary}};
  set(j, "text", o.text);
  return j;
}

}  // namespace

void from_json(const Json& j, User& v) {
  if (!j.is_object()) {
    v = User{};
    return;
  }
  v.login = str(j, "login");
  v.id = i64(j, "id");
  v.type = str(j, "type");
}

void from_json(const Json& j, Repository& v) {
  require_object(j, "a repository");
  v.id = i64(j, "id");
  v.name = str(j, "name");
  v.full_name = str(j, "full_name");
  v.owner = obj(j, "owner").get<User>();
  v.default_branch = str(j, "default_branch");
  v.is_private = boolean(j, "private");
  v.archived = boolean(j, "archived");
  v.html_url = str(j, "html_url");
  v.raw = j;
}

void from_json(const Json& j, CollaboratorPermission& v) {
  require_object(j, "a collaborator permission");
  v.permission = str(j, "permission");
  v.role_name = str(j, "role_name");
  v.user = obj(j, "user").get<User>();
  v.raw = j;
}

void from_json(const Json& j, TeamMembership& v) {
  require_object(j, "a team membership");
  v.state = str(j, "state");
  v.role = str(j, "role");
  v.raw = j;
}

void from_json(const Json& j, Commit& v) {
  require_object(j, "a commit");
  v.sha = str(j, "sha");
  const Json& git = obj(j, "commit");
  v.message = str(git, "message");
  v.author_name = str(obj(git, "author"), "name");
  v.author_email = str(obj(git, "author"), "email");
  v.author_date = str(obj(git, "author"), "date");
  v.committer_name = str(obj(git, "committer"), "name");
  v.committer_email = str(obj(git, "committer"), "email");
  v.committer_date = str(obj(git, "committer"), "date");
  v.verified = boolean(obj(git, "verification"), "verified");
  v.author = user(j, "author");
  v.committer = user(j, "committer");
  v.parents.clear();
  if (const Json* parents = field(j, "parents"); parents && parents->is_array()) {
    for (const auto& p : *parents) v.parents.push_back(str(p, "sha"));
  }
  v.html_url = str(j, "html_url");
  v.raw = j;
}

void from_json(const Json& j, Comparison& v) {
  require_object(j, "a comparison");
  v.status = str(j, "status");
  v.ahead_by = i32(j, "ahead_by");
  v.behind_by = i32(j, "behind_by");
  v.total_commits = i32(j, "total_commits");
  v.merge_base_sha = str(obj(j, "merge_base_commit"), "sha");
  v.commits = array_of<Commit>(j, "commits");
  v.files.clear();
  if (const Json* files = field(j, "files"); files && files->is_array()) {
    for (const auto& f : *files) v.files.push_back(str(f, "filename"));
  }
  v.raw = j;
}

void from_json(const Json& j, PullRequest& v) {
  require_object(j, "a pull request");
  v.id = i64(j, "id");
  v.number = i32(j, "number");
  v.state = str(j, "state");
  v.title = str(j, "title");
  v.user = obj(j, "user").get<User>();
  const Json& head = obj(j, "head");
  v.head_sha = str(head, "sha");
  v.head_ref = str(head, "ref");
  v.head_repo_full_name = str(obj(head, "repo"), "full_name");
  v.base_sha = str(obj(j, "base"), "sha");
  v.base_ref = str(obj(j, "base"), "ref");
  v.draft = boolean(j, "draft");
  v.merged_at = str(j, "merged_at");
  v.merged = boolean(j, "merged") || !v.merged_at.empty();
  v.merge_commit_sha = str(j, "merge_commit_sha");
  v.html_url = str(j, "html_url");
  v.raw = j;
}

void from_json(const Json& j, Review& v) {
  require_object(j, "a review");
  v.id = i64(j, "id");
  v.user = obj(j, "user").get<User>();
  v.state = str(j, "state");
  v.commit_id = str(j, "commit_id");
  v.submitted_at = str(j, "submitted_at");
  v.body = str(j, "body");
  v.author_association = str(j, "author_association");
  v.raw = j;
}

void from_json(const Json& j, IssueComment& v) {
  require_object(j, "an issue comment");
  v.id = i64(j, "id");
  v.body = str(j, "body");
  v.user = obj(j, "user").get<User>();
  v.created_at = str(j, "created_at");
  v.updated_at = str(j, "updated_at");
  v.author_association = str(j, "author_association");
  v.html_url = str(j, "html_url");
  v.issue_url = str(j, "issue_url");
  v.raw = j;
}

void from_json(const Json& j, Issue& v) {
  require_object(j, "an issue");
  v.id = i64(j, "id");
  v.number = i32(j, "number");
  v.title = str(j, "title");
  v.body = str(j, "body");
  v.state = str(j, "state");
  v.user = obj(j, "user").get<User>();
  v.labels.clear();
  if (const Json* labels = field(j, "labels"); labels && labels->is_array()) {
    for (const auto& l : *labels) v.labels.push_back(l.is_string() ? l.get<std::string>() : str(l, "name"));
  }
  v.is_pull_request = field(j, "pull_request") != nullptr;
  v.html_url = str(j, "html_url");
  v.raw = j;
}

void from_json(const Json& j, Reaction& v) {
  require_object(j, "a reaction");
  v.id = i64(j, "id");
  v.content = str(j, "content");
  v.user = obj(j, "user").get<User>();
  v.raw = j;
}

void from_json(const Json& j, CommitComment& v) {
  require_object(j, "a commit comment");
  v.id = i64(j, "id");
  v.body = str(j, "body");
  v.user = obj(j, "user").get<User>();
  v.commit_id = str(j, "commit_id");
  v.path = str(j, "path");
  v.created_at = str(j, "created_at");
  v.updated_at = str(j, "updated_at");
  v.author_association = str(j, "author_association");
  v.html_url = str(j, "html_url");
  v.raw = j;
}

void from_json(const Json& j, CommitStatus& v) {
  require_object(j, "a commit status");
  v.id = i64(j, "id");
  v.state = str(j, "state");
  v.context = str(j, "context");
  v.description = str(j, "description");
  v.target_url = str(j, "target_url");
  v.creator = user(j, "creator");
  v.created_at = str(j, "created_at");
  v.updated_at = str(j, "updated_at");
  v.raw = j;
}

void from_json(const Json& j, CombinedStatus& v) {
  require_object(j, "a combined status");
  v.state = str(j, "state");
  v.sha = str(j, "sha");
  v.total_count = i32(j, "total_count");
  v.statuses = array_of<CommitStatus>(j, "statuses");
  v.raw = j;
}

void from_json(const Json& j, CheckRun& v) {
  require_object(j, "a check run");
  v.id = i64(j, "id");
  v.name = str(j, "name");
  v.head_sha = str(j, "head_sha");
  v.status = str(j, "status");
  v.conclusion = str(j, "conclusion");
  v.external_id = str(j, "external_id");
  v.details_url = str(j, "details_url");
  v.html_url = str(j, "html_url");
  if (j.contains("app") && j["app"].is_object()) v.app_slug = str(j["app"], "slug");
  v.raw = j;
}

void from_json(const Json& j, Deployment& v) {
  require_object(j, "a deployment");
  v.id = i64(j, "id");
  v.sha = str(j, "sha");
  v.ref = str(j, "ref");
  v.task = str(j, "task");
  v.environment = str(j, "environment");
  v.original_environment = str(j, "original_environment");
  v.description = str(j, "description");
  const Json* payload = field(j, "payload");
  v.payload = payload ? *payload : Json::object();
  v.creator = user(j, "creator");
  v.production_environment = boolean(j, "production_environment");
  v.transient_environment = boolean(j, "transient_environment");
  v.created_at = str(j, "created_at");
  v.updated_at = str(j, "updated_at");
  v.raw = j;
}

void from_json(const Json& j, DeploymentStatus& v) {
  require_object(j, "a deployment status");
  v.id = i64(j, "id");
  v.state = str(j, "state");
  v.description = str(j, "description");
  v.environment = str(j, "environment");
  v.environment_url = str(j, "environment_url");
  v.log_url = str(j, "log_url");
  v.target_url = str(j, "target_url");
  v.creator = user(j, "creator");
  v.created_at = str(j, "created_at");
  v.updated_at = str(j, "updated_at");
  v.raw = j;
}

void from_json(const Json& j, Release& v) {
  require_object(j, "a release");
  v.id = i64(j, "id");
  v.tag_name = str(j, "tag_name");
  v.target_commitish = str(j, "target_commitish");
  v.name = str(j, "name");
  v.body = str(j, "body");
  v.draft = boolean(j, "draft");
  v.prerelease = boolean(j, "prerelease");
  v.author = user(j, "author");
  v.created_at = str(j, "created_at");
  v.published_at = str(j, "published_at");
  v.html_url = str(j, "html_url");
  v.raw = j;
}

void from_json(const Json& j, WorkflowRun& v) {
  require_object(j, "a workflow run");
  v.id = i64(j, "id");
  v.name = str(j, "name");
  v.display_title = str(j, "display_title");
  v.workflow_id = i64(j, "workflow_id");
  v.head_branch = str(j, "head_branch");
  v.head_sha = str(j, "head_sha");
  v.event = str(j, "event");
  v.status = str(j, "status");
  v.conclusion = str(j, "conclusion");
  v.run_number = i32(j, "run_number");
  v.run_attempt = i32(j, "run_attempt");
  v.actor = user(j, "actor");
  v.triggering_actor = user(j, "triggering_actor");
  v.html_url = str(j, "html_url");
  v.created_at = str(j, "created_at");
  v.raw = j;
}

void from_json(const Json& j, GitRef& v) {
  require_object(j, "a git ref");
  v.ref = str(j, "ref");
  v.object_sha = str(obj(j, "object"), "sha");
  v.object_type = str(obj(j, "object"), "type");
  v.raw = j;
}

void from_json(const Json& j, Tag& v) {
  require_object(j, "a tag");
  v.name = str(j, "name");
  v.commit_sha = str(obj(j, "commit"), "sha");
  v.raw = j;
}

void from_json(const Json& j, ProtectionRule& v) {
  require_object(j, "a protection rule");
  v.id = i64(j, "id");
  v.type = str(j, "type");
  v.raw = j;
}

void from_json(const Json& j, Environment& v) {
  require_object(j, "an environment");
  v.id = i64(j, "id");
  v.name = str(j, "name");
  v.html_url = str(j, "html_url");
  v.protection_rules = array_of<ProtectionRule>(j, "protection_rules");
  v.raw = j;
}

void from_json(const Json& j, App& v) {
  require_object(j, "an app");
  v.id = i64(j, "id");
  v.slug = str(j, "slug");
  v.name = str(j, "name");
  v.owner = user(j, "owner");
  v.raw = j;
}

void from_json(const Json& j, Installation& v) {
  require_object(j, "an installation");
  v.id = i64(j, "id");
  v.app_id = i64(j, "app_id");
  v.app_slug = str(j, "app_slug");
  v.account = user(j, "account");
  v.target_type = str(j, "target_type");
  v.repository_selection = str(j, "repository_selection");
  v.raw = j;
}

void from_json(const Json& j, RateLimitResource& v) {
  v.limit = i64(j, "limit");
  v.remaining = i64(j, "remaining");
  v.used = i64(j, "used");
  v.reset = i64(j, "reset");
}

void from_json(const Json& j, RateLimit& v) {
  require_object(j, "a rate limit");
  v.resources.clear();
  for (const auto& [name, resource] : obj(j, "resources").items()) {
    v.resources[name] = resource.get<RateLimitResource>();
  }
  if (auto it = v.resources.find("core"); it != v.resources.end()) {
    v.core = it->second;
  } else {
    v.core = obj(j, "rate").get<RateLimitResource>();
  }
  v.raw = j;
}

Json request_body(const NewCommitStatus& v) {
  Json j = {{"state", v.state}, {"context", v.context}};
  set(j, "description", v.description);
  set(j, "target_url", v.target_url);
  return j;
}

Json request_body(const NewCheckRun& v) {
  Json j = {{"name", v.name}, {"head_sha", v.head_sha}};
  set(j, "status", v.status);
  set(j, "conclusion", v.conclusion);
  set(j, "details_url", v.details_url);
  set(j, "external_id", v.external_id);
  set(j, "started_at", v.started_at);
  set(j, "completed_at", v.completed_at);
  if (v.output) j["output"] = output_json(*v.output);
  return j;
}

Json request_body(const CheckRunUpdate& v) {
  Json j = Json::object();
  set(j, "name", v.name);
  set(j, "status", v.status);
  set(j, "conclusion", v.conclusion);
  set(j, "details_url", v.details_url);
  set(j, "external_id", v.external_id);
  set(j, "started_at", v.started_at);
  set(j, "completed_at", v.completed_at);
  if (v.output) j["output"] = output_json(*v.output);
  return j;
}

Json request_body(const NewDeployment& v) {
  Json j = {{"ref", v.ref}};
  set(j, "task", v.task);
  set(j, "environment", v.environment);
  set(j, "description", v.description);
  set(j, "auto_merge", v.auto_merge);
  set(j, "required_contexts", v.required_contexts);
  set(j, "payload", v.payload);
  set(j, "production_environment", v.production_environment);
  set(j, "transient_environment", v.transient_environment);
  return j;
}

Json request_body(const NewDeploymentStatus& v) {
  Json j = {{"state", v.state}};
  set(j, "description", v.description);
  set(j, "environment", v.environment);
  set(j, "environment_url", v.environment_url);
  set(j, "log_url", v.log_url);
  set(j, "target_url", v.target_url);
  set(j, "auto_inactive", v.auto_inactive);
  return j;
}

Json request_body(const NewIssue& v) {
  Json j = {{"title", v.title}};
  set(j, "body", v.body);
  set(j, "labels", v.labels);
  set(j, "assignees", v.assignees);
  return j;
}

Json request_body(const IssueUpdate& v) {
  Json j = Json::object();
  set(j, "title", v.title);
  set(j, "body", v.body);
  set(j, "state", v.state);
  set(j, "state_reason", v.state_reason);
  set(j, "labels", v.labels);
  return j;
}

Json request_body(const NewRelease& v) {
  Json j = {{"tag_name", v.tag_name}};
  set(j, "target_commitish", v.target_commitish);
  set(j, "name", v.name);
  set(j, "body", v.body);
  set(j, "draft", v.draft);
  set(j, "prerelease", v.prerelease);
  set(j, "make_latest", v.make_latest);
  set(j, "generate_release_notes", v.generate_release_notes);
  return j;
}

Json request_body(const ReleaseUpdate& v) {
  Json j = Json::object();
  set(j, "tag_name", v.tag_name);
  set(j, "target_commitish", v.target_commitish);
  set(j, "name", v.name);
  set(j, "body", v.body);
  set(j, "draft", v.draft);
  set(j, "prerelease", v.prerelease);
  set(j, "make_latest", v.make_latest);
  return j;
}

Json request_body(const ProtectionRuleReview& v) {
  Json j = {{"environment_name", v.environment_name}};
  set(j, "state", v.state);
  set(j, "comment", v.comment);
  return j;
}

}  // namespace deploy::github
