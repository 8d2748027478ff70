// The one exception the GitHub client throws for a failed call: an HTTP error status after the
// retries it allows, a network failure, a rate-limit wait above the ceiling, a malformed answer.
// It carries what a person needs to act (status, method, path, GitHub's message, documentation
// link, validation errors, request id) and never a token: paths are rendered without their query,
// and the client scrubs the credential it sent from every field before throwing.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace deploy::github {

struct ErrorDetails {
  // Stable snake_case: "github_unauthorized" (401), "github_forbidden" (403, not rate limit),
  // "github_not_found" (404), "github_validation_failed" (422), "github_rate_limited" (rate limit
  // still hit after every attempt), "github_server_error" (5xx), "github_http_error" (other
  // status), "github_wait_ceiling" (a needed wait is above the configured ceiling or budget),
  // "github_network_error" (no HTTP response), "github_bad_response" (unparseable or unexpected
  // body, foreign Link host), "github_too_many_pages", "github_deployment_not_created" (202),
  // "github_app_installation_unknown" (App credentials without an installation for the call).
  std::string code{};
  int status = 0;  // 0 when there was no HTTP response
  std::string method{};
  std::string path{};     // URL path without query, e.g. "/repos/o/r/issues/1/comments"
  std::string message{};  // GitHub's "message", or what went wrong locally
  std::string documentation_url{};
  std::string errors{};      // summary of a 422's errors[], e.g. "Label.color: invalid"
  std::string request_id{};  // x-github-request-id, for GitHub support
  int attempts = 0;
  std::string hint{};  // what the user can do about it, when we know
  // A rate limit that said when to come back (retry-after, or x-ratelimit-reset + 1 s): the
  // earliest time a retry can succeed. primary_rate_limit: the hourly limit is used up.
  std::optional<std::chrono::system_clock::time_point> retry_at{};
  bool primary_rate_limit = false;
};

class GitHubError : public std::runtime_error {
 public:
  explicit GitHubError(ErrorDetails details);

  const ErrorDetails& details() const { return details_; }
  const std::string& code() const { return details_.code; }
  int status() const { return details_.status; }

  // "GitHub API POST /repos/o/r/issues/1/comments failed: 422 Validation Failed (Issue.body:
  // missing_field); request id ABCD; see https://docs...; 1 attempt"
  static std::string render(const ErrorDetails& details);

 private:
  ErrorDetails details_;
};

}  // namespace deploy::github
