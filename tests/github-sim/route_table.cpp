#include "route_table.hpp"

#include "routes.hpp"

namespace deploy::sim {

namespace {
constexpr std::string_view kDocs = "https://docs.github.com/rest/";
}

const std::vector<Route>& routes() {
  using A = AuthRule;
  namespace r = handlers;
  // clang-format off
  static const std::vector<Route> table = {
    {"GET",   "/app", "apps/get-authenticated", "apps/apps#get-the-authenticated-app", A::app_jwt, r::get_app},
    {"POST",  "/app/installations/{installation_id}/access_tokens", "apps/create-installation-access-token", "apps/apps#create-an-installation-access-token-for-an-app", A::app_jwt, r::create_installation_token},
    {"GET",   "/orgs/{org}/teams/{team_slug}/memberships/{username}", "teams/get-membership-for-user-in-org", "teams/members#get-team-membership-for-a-user", A::token, r::get_team_membership},
    {"GET",   "/rate_limit", "rate-limit/get", "rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user", A::any, r::get_rate_limit},
    {"GET",   "/repos/{owner}/{repo}", "repos/get", "repos/repos#get-a-repository", A::token, r::get_repo},
    {"GET",   "/repos/{owner}/{repo}/actions/runs/{run_id}", "actions/get-workflow-run", "actions/workflow-runs#get-a-workflow-run", A::token, r::get_workflow_run},
    {"POST",  "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", "actions/review-custom-gates-for-run", "actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run", A::token, r::review_custom_gates},
    {"POST",  "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", "actions/create-workflow-dispatch", "actions/workflows#create-a-workflow-dispatch-event", A::token, r::create_workflow_dispatch},
    {"GET",   "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", "actions/list-workflow-runs", "actions/workflow-runs#list-workflow-runs-for-a-workflow", A::token, r::list_workflow_runs},
    {"POST",  "/repos/{owner}/{repo}/check-runs", "checks/create", "reference/checks#create-a-check-run", A::token, r::create_check_run},
    {"PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "checks/update", "checks/runs#update-a-check-run", A::token, r::update_check_run},
    {"GET",   "/repos/{owner}/{repo}/collaborators/{username}/permission", "repos/get-collaborator-permission-level", "collaborators/collaborators#get-repository-permissions-for-a-user", A::token, r::get_collaborator_permission},
    {"POST",  "/repos/{owner}/{repo}/comments/{comment_id}/reactions", "reactions/create-for-commit-comment", "reactions/reactions#create-reaction-for-a-commit-comment", A::token, r::create_commit_comment_reaction},
    {"GET",   "/repos/{owner}/{repo}/commits/{commit_sha}/comments", "repos/list-comments-for-commit", "commits/comments#list-commit-comments", A::token, r::list_commit_comments},
    {"POST",  "/repos/{owner}/{repo}/commits/{commit_sha}/comments", "repos/create-commit-comment", "commits/comments#create-a-commit-comment", A::token, r::create_commit_comment},
    {"GET",   "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", "repos/list-pull-requests-associated-with-commit", "commits/commits#list-pull-requests-associated-with-a-commit", A::token, r::list_pulls_for_commit},
    {"GET",   "/repos/{owner}/{repo}/commits/{ref}", "repos/get-commit", "commits/commits#get-a-commit", A::token, r::get_commit},
    {"GET",   "/repos/{owner}/{repo}/commits/{ref}/check-runs", "checks/list-for-ref", "checks/runs#list-check-runs-for-a-git-reference", A::token, r::list_check_runs_for_ref},
    {"GET",   "/repos/{owner}/{repo}/commits/{ref}/check-suites", "checks/list-suites-for-ref", "checks/suites#list-check-suites-for-a-git-reference", A::token, r::list_check_suites_for_ref},
    {"GET",   "/repos/{owner}/{repo}/commits/{ref}/status", "repos/get-combined-status-for-ref", "commits/statuses#get-the-combined-status-for-a-specific-reference", A::token, r::get_combined_status},
    {"GET",   "/repos/{owner}/{repo}/commits/{ref}/statuses", "repos/list-commit-statuses-for-ref", "commits/statuses#list-commit-statuses-for-a-reference", A::token, r::list_commit_statuses_for_ref},
    {"GET",   "/repos/{owner}/{repo}/compare/{basehead}", "repos/compare-commits-with-basehead", "commits/commits#compare-two-commits", A::token, r::compare_commits},
    {"GET",   "/repos/{owner}/{repo}/contents/{path}", "repos/get-content", "repos/contents#get-repository-content", A::token, r::get_content},
    {"GET",   "/repos/{owner}/{repo}/deployments", "repos/list-deployments", "deployments/deployments#list-deployments", A::token, r::list_deployments},
    {"POST",  "/repos/{owner}/{repo}/deployments", "repos/create-deployment", "deployments/deployments#create-a-deployment", A::token, r::create_deployment},
    {"GET",   "/repos/{owner}/{repo}/deployments/{deployment_id}", "repos/get-deployment", "deployments/deployments#get-a-deployment", A::token, r::get_deployment},
    {"GET",   "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", "repos/list-deployment-statuses", "deployments/statuses#list-deployment-statuses", A::token, r::list_deployment_statuses},
    {"POST",  "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", "repos/create-deployment-status", "deployments/statuses#create-a-deployment-status", A::token, r::create_deployment_status},
    {"POST",  "/repos/{owner}/{repo}/dispatches", "repos/create-dispatch-event", "repos/repos#create-a-repository-dispatch-event", A::token, r::create_repository_dispatch},
    {"GET",   "/repos/{owner}/{repo}/environments/{environment_name}", "repos/get-environment", "deployments/environments#get-an-environment", A::token, r::get_environment},
    {"POST",  "/repos/{owner}/{repo}/git/blobs", "git/create-blob", "git/blobs#create-a-blob", A::token, r::create_blob},
    {"GET",   "/repos/{owner}/{repo}/git/blobs/{file_sha}", "git/get-blob", "git/blobs#get-a-blob", A::token, r::get_blob},
    {"POST",  "/repos/{owner}/{repo}/git/commits", "git/create-commit", "git/commits#create-a-commit", A::token, r::create_git_commit},
    {"GET",   "/repos/{owner}/{repo}/git/ref/{ref}", "git/get-ref", "git/refs#get-a-reference", A::token, r::get_ref},
    {"POST",  "/repos/{owner}/{repo}/git/refs", "git/create-ref", "git/refs#create-a-reference", A::token, r::create_ref},
    {"PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", "git/update-ref", "git/refs#update-a-reference", A::token, r::update_ref},
    {"DELETE", "/repos/{owner}/{repo}/git/refs/{ref}", "git/delete-ref", "git/refs#delete-a-reference", A::token, r::delete_ref},
    {"GET",   "/repos/{owner}/{repo}/git/matching-refs/{ref}", "git/list-matching-refs", "git/refs#list-matching-references", A::token, r::list_matching_refs},
    {"POST",  "/repos/{owner}/{repo}/git/trees", "git/create-tree", "git/trees#create-a-tree", A::token, r::create_tree},
    {"GET",   "/repos/{owner}/{repo}/git/trees/{tree_sha}", "git/get-tree", "git/trees#get-a-tree", A::token, r::get_tree},
    {"GET",   "/repos/{owner}/{repo}/installation", "apps/get-repo-installation", "apps/apps#get-a-repository-installation-for-the-authenticated-app", A::app_jwt, r::get_repo_installation},
    {"POST",  "/repos/{owner}/{repo}/issues", "issues/create", "issues/issues#create-an-issue", A::token, r::create_issue},
    {"GET",   "/repos/{owner}/{repo}/issues/comments/{comment_id}", "issues/get-comment", "issues/comments#get-an-issue-comment", A::token, r::get_issue_comment},
    {"PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", "issues/update-comment", "issues/comments#update-an-issue-comment", A::token, r::update_issue_comment},
    {"POST",  "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", "reactions/create-for-issue-comment", "reactions/reactions#create-reaction-for-an-issue-comment", A::token, r::create_issue_comment_reaction},
    {"GET",   "/repos/{owner}/{repo}/issues/{issue_number}", "issues/get", "issues/issues#get-an-issue", A::token, r::get_issue},
    {"PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", "issues/update", "issues/issues#update-an-issue", A::token, r::update_issue},
    {"GET",   "/repos/{owner}/{repo}/issues/{issue_number}/comments", "issues/list-comments", "issues/comments#list-issue-comments", A::token, r::list_issue_comments},
    {"POST",  "/repos/{owner}/{repo}/issues/{issue_number}/comments", "issues/create-comment", "issues/comments#create-an-issue-comment", A::token, r::create_issue_comment},
    {"GET",   "/repos/{owner}/{repo}/pulls/{pull_number}", "pulls/get", "pulls/pulls#get-a-pull-request", A::token, r::get_pull},
    {"GET",   "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", "pulls/list-reviews", "pulls/reviews#list-reviews-for-a-pull-request", A::token, r::list_reviews},
    {"GET",   "/repos/{owner}/{repo}/releases", "repos/list-releases", "releases/releases#list-releases", A::token, r::list_releases},
    {"POST",  "/repos/{owner}/{repo}/releases", "repos/create-release", "releases/releases#create-a-release", A::token, r::create_release},
    {"GET",   "/repos/{owner}/{repo}/releases/tags/{tag}", "repos/get-release-by-tag", "releases/releases#get-a-release-by-tag-name", A::token, r::get_release_by_tag},
    {"GET",   "/repos/{owner}/{repo}/releases/{release_id}", "repos/get-release", "releases/releases#get-a-release", A::token, r::get_release},
    {"PATCH", "/repos/{owner}/{repo}/releases/{release_id}", "repos/update-release", "releases/releases#update-a-release", A::token, r::update_release},
    {"POST",  "/repos/{owner}/{repo}/statuses/{sha}", "repos/create-commit-status", "commits/statuses#create-a-commit-status", A::token, r::create_commit_status},
    {"GET",   "/repos/{owner}/{repo}/tags", "repos/list-tags", "repos/repos#list-repository-tags", A::token, r::list_tags},
  };
  // clang-format on
  return table;
}

std::string docs_url(const Route& route) { return std::string(kDocs) + std::string(route.docs); }

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// Parameters that name refs, tags or file paths may contain "/" and so span several segments.
bool spans_segments(std::string_view name) {
  return name == "ref" || name == "path" || name == "basehead" || name == "tag";
}

bool match_from(const std::vector<std::string_view>& pattern, std::size_t i, const std::vector<std::string_view>& parts,
                std::size_t j, std::map<std::string, std::string>& params) {
  if (i == pattern.size()) return j == parts.size();
  if (j == parts.size()) return false;
  std::string_view segment = pattern[i];
  if (!(segment.starts_with('{') && segment.ends_with('}'))) {
    return segment == parts[j] && match_from(pattern, i + 1, parts, j + 1, params);
  }
  std::string name(segment.substr(1, segment.size() - 2));
  if (parts[j].empty()) return false;
  std::size_t max_take = spans_segments(name) ? parts.size() - j : 1;
  for (std::size_t take = max_take; take >= 1; --take) {
    std::string raw;
    for (std::size_t k = 0; k < take; ++k) {
      if (k > 0) raw += '/';
      raw += parts[j + k];
    }
    if (match_from(pattern, i + 1, parts, j + take, params)) {
      params[name] = percent_decode(raw, false);
      return true;
    }
  }
  return false;
}

int literal_count(std::string_view path) {
  int count = 0;
  for (auto part : split_path(path)) {
    if (!part.starts_with('{')) ++count;
  }
  return count;
}

}  // namespace

std::optional<RouteMatch> match_route(std::string_view method, std::string_view path) {
  auto parts = split_path(path);
  std::optional<RouteMatch> best;
  int best_literals = -1;
  for (const auto& route : routes()) {
    if (route.method != method) continue;
    std::map<std::string, std::string> params;
    if (!match_from(split_path(route.path), 0, parts, 0, params)) continue;
    int literals = literal_count(route.path);
    if (literals > best_literals) {
      best_literals = literals;
      best = RouteMatch{&route, std::move(params)};
    }
  }
  return best;
}

}  // namespace deploy::sim
