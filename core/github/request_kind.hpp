// What a GitHub REST request is about, from its method and path: the kind the bot's metrics and
// the request-budget bench count requests by, and whether its answer may be kept for a conditional
// request (core/github/response_cache.hpp). A fixed set, so a metric labelled by kind has a bounded
// number of series whatever paths are called. Pure: no I/O.
#pragma once

#include <cstddef>
#include <string_view>

namespace deploy::github {

enum class RequestKind {
  contents,             // GET /repos/{o}/{r}/contents/{path}: .github/deploy.yml
  permission,           // /repos/{o}/{r}/collaborators/{user}/permission
  team_membership,      // /orgs/{org}/teams/{team}/memberships/{user}
  repository,           // /repos/{o}/{r}
  pulls,                // /repos/{o}/{r}/pulls[/{n}]
  commit_pulls,         // /repos/{o}/{r}/commits/{sha}/pulls
  reviews,              // /repos/{o}/{r}/pulls/{n}/reviews
  commits,              // /repos/{o}/{r}/commits/{ref}
  compare,              // /repos/{o}/{r}/compare/{base}...{head}
  comments,             // issue comments: /repos/{o}/{r}/issues/{n}/comments, /issues/comments/{id}
  commit_comments,      // /repos/{o}/{r}/commits/{sha}/comments, /comments/{id}
  reactions,            // .../reactions
  issues,               // /repos/{o}/{r}/issues[/{n}]
  statuses,             // /repos/{o}/{r}/statuses/{sha}, /commits/{ref}/status
  check_runs,           // /repos/{o}/{r}/commits/{ref}/check-runs
  deployments,          // /repos/{o}/{r}/deployments[/{id}]
  deployment_statuses,  // /repos/{o}/{r}/deployments/{id}/statuses
  refs,                 // /repos/{o}/{r}/git/ref(s)/...
  git_data,             // /repos/{o}/{r}/git/{blobs,trees,commits}
  tags,                 // /repos/{o}/{r}/tags
  releases,             // /repos/{o}/{r}/releases/...
  workflow_runs,        // /repos/{o}/{r}/actions/runs/{id}, /actions/workflows/{w}/runs
  dispatches,           // /repos/{o}/{r}/actions/workflows/{w}/dispatches
  gate_reviews,         // /repos/{o}/{r}/actions/runs/{id}/deployment_protection_rule
  environments,         // /repos/{o}/{r}/environments/{name}
  app,                  // /app, /repos/{o}/{r}/installation (as the App)
  installation_token,   // /app/installations/{id}/access_tokens
  other,
  count_  // number of kinds, not a kind
};

inline constexpr std::size_t kRequestKinds = static_cast<std::size_t>(RequestKind::count_);

// Stable snake_case name ("team_membership"), for metrics labels and the bench's table.
std::string_view to_string(RequestKind kind);

// `path`: the request's path under the API's base path (without "/api/v3" and without the query),
// e.g. "/repos/acme/app/pulls/2". Unknown shapes are `other`.
RequestKind classify_request(std::string_view method, std::string_view path);

// Whether GitHub counts a request as a write (anything but GET and HEAD).
bool is_write(std::string_view method);

// Whether a GET of this kind is kept with its validators (ETag, Last-Modified) and asked again
// conditionally: the reads the bot repeats. Not the App's own calls (tokens, installations).
bool cacheable(RequestKind kind);

}  // namespace deploy::github
