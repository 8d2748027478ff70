// Typed GitHub REST client shared by the action and the bot.
//
// - Base URL from options: https://api.github.com, or GHES https://HOST/api/v3 (paths are appended
//   to the base path). Link-header URLs are followed verbatim (same origin only: the token is
//   never sent to another host).
// - Every request sends Accept: application/vnd.github+json, X-GitHub-Api-Version: 2022-11-28,
//   User-Agent: deploy-action/<version> and Authorization: Bearer <token>.
// - Credentials: a static token (GITHUB_TOKEN, a PAT) or a GitHub App (JWT -> installation token,
//   cached and refreshed, see github_auth.hpp). A 401 on an installation token drops it from the
//   cache and the request is sent once more with a new one.
// - Retries and rate limits as decided by github_retry.hpp; every wait goes through Clock.
// - List calls send per_page=100 and follow rel="next" up to options.max_pages.
// - Failures throw GitHubError (github_error.hpp). The few calls whose 404 is an ordinary answer
//   ("not a member", "no such release") return std::optional instead.
//
// Idempotency (whether a 5xx or lost connection is retried): GET always; PATCH updates here set
// absolute values, so they are retried; POSTs are marked per method below. Rate-limit answers
// (403/429) are retried for every method, since GitHub did not process the request.
//
// - Conditional requests (options.cache set: the bot): a GET of a cacheable kind whose earlier
//   answer is kept is sent with If-None-Match / If-Modified-Since; on 304 Not Modified (which does
//   not count against the primary rate limit) the kept body is the answer. Every 2xx GET with an
//   ETag or Last-Modified is kept (core/github/response_cache.hpp). Without a cache (the action) no
//   validator is ever sent.
// - Every HTTP exchange (each retry too) is told to options.on_request and to the observers added
//   with observed(): its kind, whether it was a write, conditional, answered 304.
//
// Thread-safety: a Client holds no mutable state of its own (AppAuth locks its caches, the
// ResponseCache its entries), so one Client may be used from several threads if its Transport,
// RandomSource and observers allow it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/github/auth.hpp"
#include "core/github/error.hpp"
#include "core/github/request_kind.hpp"
#include "core/github/response_cache.hpp"
#include "core/github/retry.hpp"
#include "core/github/types.hpp"
#include "core/http/client.hpp"

namespace deploy::github {

struct TokenCredentials {
  std::string token{};
};

struct AppCredentials {
  std::shared_ptr<AppAuth> app{};
  // The installation to act as. When absent, repository calls find theirs with
  // GET /repos/{owner}/{repo}/installation; org-level calls (team membership) then
  // throw github_app_installation_unknown. The bot takes it from the webhook's installation.id.
  std::optional<std::int64_t> installation_id{};
};

using Credentials = std::variant<TokenCredentials, AppCredentials>;

// One HTTP exchange with GitHub, as the client saw it.
struct RequestSeen {
  RequestKind kind = RequestKind::other;
  std::string_view method;
  int status = 0;             // 0: no response (a network error)
  bool write = false;         // not a GET/HEAD: GitHub counts it as a write
  bool conditional = false;   // sent with a validator (If-None-Match / If-Modified-Since)
  bool not_modified = false;  // answered 304: the kept body was used, the rate limit not charged
};
using RequestObserver = std::function<void(const RequestSeen&)>;

struct ClientOptions {
  std::string base_url = "https://api.github.com";
  std::string user_agent{};  // empty = "deploy-action/<project version>"
  RetryPolicy retry;
  int max_pages = 100;  // 10,000 items at per_page=100; more is an error, not a silent truncation
  // Told about every retry and its wait before it happens, and about token refreshes after a 401
  // (for the log); the text never contains a credential.
  std::function<void(const std::string&)> on_wait;
  // Kept answers for conditional requests; null: none (every read is a plain one).
  std::shared_ptr<ResponseCache> cache{};
  // Told about every HTTP exchange (metrics).
  RequestObserver on_request{};
};

// Which identity a request is made as; only matters for App credentials.
struct Scope {
  enum class Kind { app, repository, installation };
  Kind kind = Kind::installation;
  std::string owner{};
  std::string repo{};

  static Scope app() { return {Kind::app, {}, {}}; }
  static Scope repository(std::string owner, std::string repo) {
    return {Kind::repository, std::move(owner), std::move(repo)};
  }
  static Scope installation() { return {Kind::installation, {}, {}}; }
};

using Query = std::vector<std::pair<std::string, std::string>>;  // values are encoded by the client

struct ApiRequest {
  std::string method = "GET";
  std::string path;  // already-encoded path under the base URL ("/repos/o/r"), or an absolute URL
  Query query;
  std::optional<Json> body{};
  std::optional<bool> idempotent;  // default: idempotent_by_method(method)
  Scope scope;
};

struct ApiResponse {
  int status = 0;
  http::Headers headers;
  Json body{};  // null when the body is empty
  std::optional<std::string> header(std::string_view name) const;
};

class Client final : private AppApi {
 public:
  Client(http::Transport& transport, Clock& clock, RandomSource random, Credentials credentials,
         ClientOptions options = {});

  // The same client acting as another installation of the same App (the bot: one per delivery).
  Client for_installation(std::int64_t installation_id) const;
  // The same client, also telling `observer` about every exchange (after options.on_request and
  // any earlier observer): the bot counts one delivery's requests with it.
  Client observed(RequestObserver observer) const;
  // The kept answers (options.cache), or null.
  ResponseCache* cache() const { return options_.cache.get(); }

  // ---- generic calls, for endpoints without a typed method ----
  // One logical call with retries; throws GitHubError unless the final status is 2xx (redirects are
  // not followed: GitHub answers 301 for a renamed repository, and the error says so).
  ApiResponse send(const ApiRequest& request);
  // Every page of a list call (per_page=100 added), until no rel="next" or `on_page` returns false.
  void for_each_page(const ApiRequest& request, const std::function<bool(const ApiResponse&)>& on_page);
  // The concatenated arrays of every page, at most `limit` items (stops fetching once reached).
  std::vector<Json> list(const ApiRequest& request, std::optional<std::size_t> limit = std::nullopt);

  // ---- repositories, permissions ----
  Repository get_repository(const std::string& owner, const std::string& repo);
  // nullopt on 404 (no such user).
  std::optional<CollaboratorPermission> get_collaborator_permission(const std::string& owner, const std::string& repo,
                                                                    const std::string& username);
  // nullopt on 404 (not a member, or the team is not visible). Needs an installation (see AppCredentials).
  std::optional<TeamMembership> get_team_membership(const std::string& org, const std::string& team_slug,
                                                    const std::string& username);

  // ---- commits, refs, contents ----
  Commit get_commit(const std::string& owner, const std::string& repo, const std::string& ref);
  // base...head; commits of every page (GitHub pages a comparison's commits).
  Comparison compare(const std::string& owner, const std::string& repo, const std::string& base,
                     const std::string& head);
  std::vector<PullRequest> list_pull_requests_for_commit(const std::string& owner, const std::string& repo,
                                                         const std::string& sha);
  // ref as "heads/main" or "tags/v1.2.0"; nullopt on 404.
  std::optional<GitRef> get_ref(const std::string& owner, const std::string& repo, const std::string& ref);
  // Every tag with its (peeled) commit, all pages.
  std::vector<Tag> list_tags(const std::string& owner, const std::string& repo);
  // A file's decoded text and blob SHA; nullopt on 404; GitHubError github_bad_response for a
  // directory, symlink or submodule, or content GitHub did not inline (files over 1 MB).
  std::optional<Content> get_content(const std::string& owner, const std::string& repo, const std::string& path,
                                     const std::optional<std::string>& ref = std::nullopt);

  // ---- the Git Data API (objects written by content: a repeat writes the same object) ----
  // `content` must be UTF-8 text (sent as encoding utf-8). Idempotent: a blob's SHA is its content's.
  std::string create_blob(const std::string& owner, const std::string& repo, const std::string& content);
  // The decoded content of a blob.
  std::string get_blob(const std::string& owner, const std::string& repo, const std::string& sha);
  // `tree_sha` may also be a ref or commit (GitHub accepts both); recursive lists every entry
  // below it with full paths. nullopt on 404.
  std::optional<GitTree> get_tree(const std::string& owner, const std::string& repo, const std::string& tree_sha,
                                  bool recursive = false);
  // A tree of `base_tree` (empty: no base) with `files` added or replaced; returns its SHA.
  // Idempotent: the same input is the same tree.
  std::string create_tree(const std::string& owner, const std::string& repo, const std::string& base_tree,
                          const std::vector<NewTreeFile>& files);
  // A commit of `tree` with `parents` (none: a root commit); returns its SHA. Idempotent enough:
  // a repeat makes a second commit that no ref points at, which git collects.
  std::string create_git_commit(const std::string& owner, const std::string& repo, const std::string& message,
                                const std::string& tree, const std::vector<std::string>& parents);
  // ref as "refs/heads/NAME". Not idempotent: a repeat is 422 "Reference already exists".
  GitRef create_ref(const std::string& owner, const std::string& repo, const std::string& ref, const std::string& sha);
  // ref as "heads/NAME" or "refs/heads/NAME"; never forced: GitHub answers 422 "Update is not a
  // fast forward" unless `sha` descends from the ref's commit. Idempotent (it sets the ref).
  GitRef update_ref(const std::string& owner, const std::string& repo, const std::string& ref, const std::string& sha);
  // ref as "deploy-locks/NAME" or "refs/deploy-locks/NAME". false: there was no such ref (422
  // "Reference does not exist"). Idempotent.
  bool delete_ref(const std::string& owner, const std::string& repo, const std::string& ref);
  // Every ref whose name starts with `prefix` ("deploy-locks/" or "refs/deploy-locks/"); [] when none.
  std::vector<GitRef> list_matching_refs(const std::string& owner, const std::string& repo, const std::string& prefix);

  // ---- pull requests, issues, comments, reactions ----
  PullRequest get_pull_request(const std::string& owner, const std::string& repo, int number);
  std::vector<Review> list_reviews(const std::string& owner, const std::string& repo, int number);
  std::vector<IssueComment> list_issue_comments(const std::string& owner, const std::string& repo, int issue_number,
                                                const std::optional<std::string>& since = std::nullopt);
  // Not idempotent: a retry after a lost answer could post the comment twice.
  IssueComment create_issue_comment(const std::string& owner, const std::string& repo, int issue_number,
                                    const std::string& body);
  // Idempotent: sets the body.
  IssueComment update_issue_comment(const std::string& owner, const std::string& repo, std::int64_t comment_id,
                                    const std::string& body);
  // Not idempotent: a retry could open a second issue.
  Issue create_issue(const std::string& owner, const std::string& repo, const NewIssue& issue);
  Issue get_issue(const std::string& owner, const std::string& repo, int number);
  // Idempotent: sets the given fields.
  Issue update_issue(const std::string& owner, const std::string& repo, int number, const IssueUpdate& update);
  // Idempotent: GitHub answers 200 with the existing reaction when it is already there.
  Reaction create_issue_comment_reaction(const std::string& owner, const std::string& repo, std::int64_t comment_id,
                                         const std::string& content);
  Reaction create_commit_comment_reaction(const std::string& owner, const std::string& repo, std::int64_t comment_id,
                                          const std::string& content);
  std::vector<CommitComment> list_commit_comments(const std::string& owner, const std::string& repo,
                                                  const std::string& sha);
  // Not idempotent.
  CommitComment create_commit_comment(const std::string& owner, const std::string& repo, const std::string& sha,
                                      const std::string& body);

  // ---- statuses and checks ----
  // Idempotent: the latest status per context wins, so a repeat changes nothing.
  CommitStatus create_commit_status(const std::string& owner, const std::string& repo, const std::string& sha,
                                    const NewCommitStatus& status);
  // Statuses of every page.
  CombinedStatus get_combined_status(const std::string& owner, const std::string& repo, const std::string& ref);
  // Every status of `ref`, newest first, each with its creator (the combined status has none), at
  // most `limit` (pages of 100).
  std::vector<CommitStatus> list_commit_statuses(const std::string& owner, const std::string& repo,
                                                 const std::string& ref,
                                                 std::optional<std::size_t> limit = std::nullopt);
  // The latest check run of each name on `ref` (filter=latest), every page; newest first.
  std::vector<CheckRun> list_check_runs_for_ref(const std::string& owner, const std::string& repo,
                                                const std::string& ref);

  // ---- deployments ----
  // Not idempotent: a repeat creates a second deployment. A 202 (GitHub merged the default
  // branch instead of deploying) throws github_deployment_not_created.
  Deployment create_deployment(const std::string& owner, const std::string& repo, const NewDeployment& deployment);
  // Newest first, at most `limit`.
  std::vector<Deployment> list_deployments(const std::string& owner, const std::string& repo,
                                           const DeploymentFilter& filter = {},
                                           std::optional<std::size_t> limit = std::nullopt);
  // Idempotent: a duplicate status with the same state is harmless, a lost one leaves the
  // deployment shown as stuck.
  DeploymentStatus create_deployment_status(const std::string& owner, const std::string& repo,
                                            std::int64_t deployment_id, const NewDeploymentStatus& status);
  std::vector<DeploymentStatus> list_deployment_statuses(const std::string& owner, const std::string& repo,
                                                         std::int64_t deployment_id,
                                                         std::optional<std::size_t> limit = std::nullopt);

  // ---- releases ----
  std::optional<Release> get_release_by_tag(const std::string& owner, const std::string& repo, const std::string& tag);
  // Not idempotent (a repeat fails with 422 already_exists after the first succeeded).
  Release create_release(const std::string& owner, const std::string& repo, const NewRelease& release);
  // Idempotent.
  Release update_release(const std::string& owner, const std::string& repo, std::int64_t release_id,
                         const ReleaseUpdate& update);

  // ---- actions ----
  // Not idempotent: a repeat starts a second run (a second rollback). workflow is the file name
  // ("deploy.yml") or the numeric ID.
  WorkflowDispatchResult create_workflow_dispatch(const std::string& owner, const std::string& repo,
                                                  const std::string& workflow, const std::string& ref,
                                                  const std::map<std::string, std::string>& inputs = {},
                                                  bool return_run_details = false);
  WorkflowRun get_workflow_run(const std::string& owner, const std::string& repo, std::int64_t run_id);
  // Runs of one workflow (id or file name) that `event` triggered, created at or after
  // `created_since` (RFC 3339), newest first, every page.
  std::vector<WorkflowRun> list_workflow_runs(const std::string& owner, const std::string& repo,
                                              const std::string& workflow, const std::string& event,
                                              const std::string& created_since);
  // Idempotent: approving or rejecting twice leaves the same decision; the bot must not leave a
  // protection rule waiting because one callback was lost.
  void review_custom_gate(const std::string& owner, const std::string& repo, std::int64_t run_id,
                          const ProtectionRuleReview& review);
  // nullopt on 404 (no such environment).
  std::optional<Environment> get_environment(const std::string& owner, const std::string& repo,
                                             const std::string& environment);

  // ---- apps (JWT) ----
  App get_app();
  Installation get_repo_installation(const std::string& owner, const std::string& repo);
  // Idempotent: a spare token is harmless and expires by itself.
  InstallationToken create_installation_token(std::int64_t installation_id);

 private:
  struct Auth {
    std::string token{};
    std::optional<std::int64_t> installation_id{};  // set when the token is an installation token
  };

  Auth authorize(const Scope& scope, const std::string& method, const std::string& path);
  // One logical request to `url` (retries included); `bearer` overrides the scope's credential.
  ApiResponse send_with_budget(const ApiRequest& request, const std::string& url, std::chrono::milliseconds& waited,
                               const std::string* bearer = nullptr);
  std::string url_for(const ApiRequest& request) const;
  template <class T>
  std::vector<T> list_of(const ApiRequest& request, std::optional<std::size_t> limit = std::nullopt);
  template <class T>
  std::optional<T> get_or_not_found(const ApiRequest& request);

  // AppApi, used by AppAuth to refresh tokens through this client's request loop.
  InstallationToken exchange_installation_token(std::int64_t installation_id, const std::string& jwt) override;
  std::int64_t find_repo_installation_id(const std::string& owner, const std::string& repo,
                                         const std::string& jwt) override;

  http::Transport* transport_;
  Clock* clock_;
  RandomSource random_;
  Credentials credentials_;
  ClientOptions options_;
  std::string origin_;     // scheme://host[:port] of base_url, lowercased
  std::string base_path_;  // base_url's path without trailing '/', e.g. "/api/v3" or ""
};

}  // namespace deploy::github
