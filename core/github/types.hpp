// Typed models of the GitHub REST responses the action and the bot read, and the request bodies
// they send. Each model carries the fields the project uses; the whole response object is kept in
// `raw` for anything else. from_json tolerates missing and null fields (GitHub omits or nulls many,
// and the simulator and GHES may lag behind api.github.com): they read as empty / 0 / false.
// from_json throws std::invalid_argument only when the value is not an object at all; the client
// turns that into a GitHubError with code "github_bad_response".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace deploy::github {

using Json = nlohmann::json;

struct User {
  std::string login{};
  std::int64_t id = 0;
  std::string type{};  // "User", "Bot", "Organization"; whether an account is a bot: github::is_bot_account
};

struct Repository {
  std::int64_t id = 0;
  std::string name{};
  std::string full_name{};
  User owner{};
  std::string default_branch{};
  bool is_private = false;
  bool archived = false;
  std::string html_url{};
  Json raw{};
};

struct CollaboratorPermission {
  std::string permission;   // legacy: "admin", "write", "read", "none" (maintain -> write, triage -> read)
  std::string role_name{};  // "admin", "maintain", "write", "triage", "read", or a custom role
  User user{};
  Json raw{};
};

struct TeamMembership {
  std::string state{};  // "active" or "pending"
  std::string role{};   // "member" or "maintainer"
  bool active() const { return state == "active"; }
  Json raw{};
};

struct Commit {
  std::string sha{};
  std::string message{};
  std::string author_name, author_email, author_date{};  // from the git commit
  std::string committer_name, committer_email, committer_date{};
  std::optional<User> author{};  // GitHub account, when the email maps to one
  std::optional<User> committer{};
  std::vector<std::string> parents{};  // SHAs
  bool verified = false;               // commit.verification.verified
  std::string html_url{};
  Json raw{};
};

struct Comparison {
  std::string status{};  // "diverged", "ahead", "behind", "identical"
  int ahead_by = 0;
  int behind_by = 0;
  int total_commits = 0;
  std::string merge_base_sha{};
  std::vector<Commit> commits;     // every page's commits, oldest first as GitHub returns them
  std::vector<std::string> files;  // filenames of the first page (GitHub caps files at 300)
  Json raw{};                      // the first page
};

struct PullRequest {
  std::int64_t id = 0;
  int number = 0;
  std::string state{};  // "open", "closed"
  std::string title{};
  User user{};
  std::string head_sha, head_ref, head_repo_full_name{};
  std::string base_sha, base_ref{};
  bool draft = false;
  bool merged = false;  // only in GET pulls/{n}; derived from merged_at in lists
  std::string merged_at{};
  std::string merge_commit_sha{};
  std::string html_url{};
  Json raw{};
};

struct Review {
  std::int64_t id = 0;
  User user{};
  std::string state{};  // "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"
  std::string commit_id{};
  std::string submitted_at{};
  std::string body{};
  std::string author_association{};
  Json raw{};
};

struct IssueComment {
  std::int64_t id = 0;
  std::string body{};
  User user{};
  std::string created_at, updated_at{};
  std::string author_association{};
  std::string html_url{};
  std::string issue_url{};
  Json raw{};
};

struct Issue {
  std::int64_t id = 0;
  int number = 0;
  std::string title{};
  std::string body{};
  std::string state{};  // "open", "closed"
  User user{};
  std::vector<std::string> labels{};  // names
  bool is_pull_request = false;
  std::string html_url{};
  Json raw{};
};

struct Reaction {
  std::int64_t id = 0;
  std::string content{};
  User user{};
  Json raw{};
};

struct CommitComment {
  std::int64_t id = 0;
  std::string body{};
  User user{};
  std::string commit_id{};
  std::string path{};  // empty for a comment on the whole commit
  std::string created_at, updated_at{};
  std::string author_association{};
  std::string html_url{};
  Json raw{};
};

struct CommitStatus {
  std::int64_t id = 0;
  std::string state{};  // "error", "failure", "pending", "success"
  std::string context{};
  std::string description{};
  std::string target_url{};
  std::optional<User> creator{};
  std::string created_at, updated_at{};
  Json raw{};
};

struct CombinedStatus {
  std::string state{};
  std::string sha{};
  int total_count = 0;
  std::vector<CommitStatus> statuses{};  // across every page
  Json raw{};                            // the first page
};

struct CheckRun {
  std::int64_t id = 0;
  std::string name{};
  std::string head_sha{};
  std::string status{};      // "queued", "in_progress", "completed", ...
  std::string conclusion{};  // empty until completed
  std::string external_id{};
  std::string details_url{};
  std::string html_url{};
  std::string app_slug{};  // the App that reported it ("github-actions" for workflow jobs); may be empty
  Json raw{};
};

struct Deployment {
  std::int64_t id = 0;
  std::string sha{};
  std::string ref{};
  std::string task{};
  std::string environment{};
  std::string original_environment{};
  std::string description{};
  Json payload;  // object (or string) as created
  std::optional<User> creator{};
  bool production_environment = false;
  bool transient_environment = false;
  std::string created_at, updated_at{};
  Json raw{};
};

struct DeploymentStatus {
  std::int64_t id = 0;
  std::string state{};  // "error", "failure", "inactive", "in_progress", "queued", "pending", "success"
  std::string description{};
  std::string environment{};
  std::string environment_url{};
  std::string log_url{};
  std::string target_url{};
  std::optional<User> creator{};
  std::string created_at, updated_at{};
  Json raw{};
};

struct Release {
  std::int64_t id = 0;
  std::string tag_name{};
  std::string target_commitish{};
  std::string name{};
  std::string body{};
  bool draft = false;
  bool prerelease = false;
  std::optional<User> author{};
  std::string created_at{};
  std::string published_at{};  // empty for drafts
  std::string html_url{};
  Json raw{};
};

struct WorkflowRun {
  std::int64_t id = 0;
  std::string name{};
  std::string display_title{};  // the run's name as shown: the workflow's run-name, evaluated
  std::int64_t workflow_id = 0;
  std::string head_branch{};
  std::string head_sha{};
  std::string event{};
  std::string status{};
  std::string conclusion{};
  int run_number = 0;
  int run_attempt = 0;
  std::optional<User> actor{};
  std::optional<User> triggering_actor{};
  std::string html_url{};
  std::string created_at{};
  Json raw{};
};

// POST .../dispatches answers 204 with no body, or 200 with the run when return_run_details.
struct WorkflowDispatchResult {
  std::optional<std::int64_t> workflow_run_id{};
  std::string run_url{};
  std::string html_url{};
};

struct Content {
  std::string type;  // "file" (directories, symlinks and submodules are refused by get_content)
  std::string path{};
  std::string sha{};  // blob SHA
  std::int64_t size = 0;
  std::string text{};  // decoded content
  Json raw{};
};

struct GitRef {
  std::string ref{};  // "refs/heads/main"
  std::string object_sha{};
  std::string object_type{};  // "commit", "tag"
  Json raw{};
};

// A repository tag as GET /repos/{owner}/{repo}/tags lists it: the commit is peeled (an
// annotated tag's commit, not the tag object).
struct Tag {
  std::string name{};
  std::string commit_sha{};
  Json raw{};
};

// One entry of a git tree (GET/POST .../git/trees): a file ("blob") or a folder ("tree").
struct GitTreeEntry {
  std::string path{};  // relative to the tree read; full paths with recursive=1
  std::string mode{};  // "100644" file, "040000" folder, ...
  std::string type{};  // "blob", "tree", "commit" (submodule)
  std::string sha{};
  std::int64_t size = 0;  // blobs only
};

struct GitTree {
  std::string sha{};
  std::vector<GitTreeEntry> entries{};
  bool truncated = false;  // GitHub cut a recursive listing short (over 100,000 entries or 7 MB)
};

// A file to put in a new tree: its path under the base tree and the blob it holds.
struct NewTreeFile {
  std::string path{};
  std::string blob_sha{};
};

struct ProtectionRule {
  std::int64_t id = 0;
  std::string type{};  // "required_reviewers", "wait_timer", "branch_policy", or custom
  Json raw{};
};

struct Environment {
  std::int64_t id = 0;
  std::string name{};
  std::string html_url{};
  std::vector<ProtectionRule> protection_rules{};
  Json raw{};
};

struct App {
  std::int64_t id = 0;
  std::string slug{};
  std::string name{};
  std::optional<User> owner{};
  Json raw{};
};

struct Installation {
  std::int64_t id = 0;
  std::int64_t app_id = 0;
  std::string app_slug{};
  std::optional<User> account{};
  std::string target_type{};  // "Organization", "User"
  std::string repository_selection{};
  Json raw{};
};

struct RateLimitResource {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t used = 0;
  std::int64_t reset = 0;  // epoch seconds
};

struct RateLimit {
  RateLimitResource core;                                // "rate" / resources.core
  std::map<std::string, RateLimitResource> resources{};  // every resource by name
  Json raw{};
};

void from_json(const Json& j, User& v);
void from_json(const Json& j, Repository& v);
void from_json(const Json& j, CollaboratorPermission& v);
void from_json(const Json& j, TeamMembership& v);
void from_json(const Json& j, Commit& v);
void from_json(const Json& j, Comparison& v);
void from_json(const Json& j, PullRequest& v);
void from_json(const Json& j, Review& v);
void from_json(const Json& j, IssueComment& v);
void from_json(const Json& j, Issue& v);
void from_json(const Json& j, Reaction& v);
void from_json(const Json& j, CommitComment& v);
void from_json(const Json& j, CommitStatus& v);
void from_json(const Json& j, CombinedStatus& v);
void from_json(const Json& j, CheckRun& v);
void from_json(const Json& j, Deployment& v);
void from_json(const Json& j, DeploymentStatus& v);
void from_json(const Json& j, Release& v);
void from_json(const Json& j, WorkflowRun& v);
void from_json(const Json& j, GitRef& v);
void from_json(const Json& j, Tag& v);
void from_json(const Json& j, ProtectionRule& v);
void from_json(const Json& j, Environment& v);
void from_json(const Json& j, App& v);
void from_json(const Json& j, Installation& v);
void from_json(const Json& j, RateLimitResource& v);
void from_json(const Json& j, RateLimit& v);
// Content needs base64 decoding that can fail; see Client::get_content.

// ---- request bodies: only the fields that are set are sent ----

struct NewCommitStatus {
  std::string state{};  // "error", "failure", "pending", "success"
  std::string context{};
  std::optional<std::string> description{};  // GitHub truncates nothing: keep it under 140 chars
  std::optional<std::string> target_url{};
};

struct CheckRunOutput {
  std::string title{};
  std::string summary{};
  std::optional<std::string> text{};
};

struct NewCheckRun {
  std::string name{};
  std::string head_sha{};
  std::optional<std::string> status{};
  std::optional<std::string> conclusion{};
  std::optional<std::string> details_url{};
  std::optional<std::string> external_id{};
  std::optional<std::string> started_at{};
  std::optional<std::string> completed_at{};
  std::optional<CheckRunOutput> output{};
};

struct CheckRunUpdate {
  std::optional<std::string> name{};
  std::optional<std::string> status{};
  std::optional<std::string> conclusion{};
  std::optional<std::string> details_url{};
  std::optional<std::string> external_id{};
  std::optional<std::string> started_at{};
  std::optional<std::string> completed_at{};
  std::optional<CheckRunOutput> output{};
};

struct NewDeployment {
  std::string ref{};
  std::optional<std::string> task{};
  std::optional<std::string> environment{};
  std::optional<std::string> description{};
  std::optional<bool> auto_merge{};  // GitHub's default true merges the default branch in: send false
  std::optional<std::vector<std::string>> required_contexts{};  // [] skips status checks
  std::optional<Json> payload{};
  std::optional<bool> production_environment{};
  std::optional<bool> transient_environment{};
};

struct DeploymentFilter {
  std::optional<std::string> sha{};
  std::optional<std::string> ref{};
  std::optional<std::string> task{};
  std::optional<std::string> environment{};
};

struct NewDeploymentStatus {
  std::string state{};
  std::optional<std::string> description{};
  std::optional<std::string> environment{};
  std::optional<std::string> environment_url{};
  std::optional<std::string> log_url{};
  std::optional<std::string> target_url{};
  std::optional<bool> auto_inactive{};
};

struct NewIssue {
  std::string title{};
  std::optional<std::string> body{};
  std::optional<std::vector<std::string>> labels{};
  std::optional<std::vector<std::string>> assignees{};
};

struct IssueUpdate {
  std::optional<std::string> title{};
  std::optional<std::string> body{};
  std::optional<std::string> state{};         // "open", "closed"
  std::optional<std::string> state_reason{};  // "completed", "not_planned", "reopened"
  std::optional<std::vector<std::string>> labels{};
};

struct NewRelease {
  std::string tag_name{};
  std::optional<std::string> target_commitish{};
  std::optional<std::string> name{};
  std::optional<std::string> body{};
  std::optional<bool> draft{};
  std::optional<bool> prerelease{};
  std::optional<std::string> make_latest{};  // "true", "false", "legacy"
  std::optional<bool> generate_release_notes{};
};

struct ReleaseUpdate {
  std::optional<std::string> tag_name{};
  std::optional<std::string> target_commitish{};
  std::optional<std::string> name{};
  std::optional<std::string> body{};
  std::optional<bool> draft{};
  std::optional<bool> prerelease{};
  std::optional<std::string> make_latest{};
};

// The answer to a custom deployment protection rule (deployment_protection_rule webhook).
struct ProtectionRuleReview {
  std::string environment_name{};
  std::optional<std::string> state{};  // "approved", "rejected"; absent = a progress comment only
  std::optional<std::string> comment{};
};

Json request_body(const NewCommitStatus& v);
Json request_body(const NewCheckRun& v);
Json request_body(const CheckRunUpdate& v);
Json request_body(const NewDeployment& v);
Json request_body(const NewDeploymentStatus& v);
Json request_body(const NewIssue& v);
Json request_body(const IssueUpdate& v);
Json request_body(const NewRelease& v);
Json request_body(const ReleaseUpdate& v);
Json request_body(const ProtectionRuleReview& v);

}  // namespace deploy::github
