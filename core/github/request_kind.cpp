#include "core/github/request_kind.hpp"

#include <array>
#include <vector>

namespace deploy::github {
namespace {

constexpr std::array<std::string_view, kRequestKinds> kNames = {"contents",
                                                                "permission",
                                                                "team_membership",
                                                                "repository",
                                                                "pulls",
                                                                "commit_pulls",
                                                                "reviews",
                                                                "commits",
                                                                "compare",
                                                                "comments",
                                                                "commit_comments",
                                                                "reactions",
                                                                "issues",
                                                                "statuses",
                                                                "check_runs",
                                                                "deployments",
                                                                "deployment_statuses",
                                                                "refs",
                                                                "git_data",
                                                                "tags",
                                                                "releases",
                                                                "workflow_runs",
                                                                "dispatches",
                                                                "gate_reviews",
                                                                "environments",
                                                                "app",
                                                                "installation_token",
                                                                "other"};

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Under /repos/{owner}/{repo}: `s` holds the segments after the repository's name.
RequestKind repository_kind(const std::vector<std::string_view>& s) {
  if (s.empty()) return RequestKind::repository;
  const auto at = [&](std::size_t i) { return i < s.size() ? s[i] : std::string_view(); };
  const auto first = s[0];
  if (s.back() == "reactions") return RequestKind::reactions;
  if (first == "contents") return RequestKind::contents;
  if (first == "collaborators") return at(2) == "permission" ? RequestKind::permission : RequestKind::other;
  if (first == "pulls") return at(2) == "reviews" ? RequestKind::reviews : RequestKind::pulls;
  if (first == "commits") {
    if (at(2) == "pulls") return RequestKind::commit_pulls;
    if (at(2) == "comments") return RequestKind::commit_comments;
    if (at(2) == "status" || at(2) == "statuses") return RequestKind::statuses;
    if (at(2) == "check-runs") return RequestKind::check_runs;
    return RequestKind::commits;
  }
  if (first == "compare") return RequestKind::compare;
  if (first == "comments") return RequestKind::commit_comments;
  if (first == "issues")
    return at(2) == "comments" || at(1) == "comments" ? RequestKind::comments : RequestKind::issues;
  if (first == "statuses") return RequestKind::statuses;
  if (first == "deployments") return at(2) == "statuses" ? RequestKind::deployment_statuses : RequestKind::deployments;
  if (first == "git") {
    if (at(1) == "ref" || at(1) == "refs" || at(1) == "matching-refs") return RequestKind::refs;
    return RequestKind::git_data;
  }
  if (first == "tags") return RequestKind::tags;
  if (first == "releases") return RequestKind::releases;
  if (first == "environments") return RequestKind::environments;
  if (first == "installation") return RequestKind::app;
  if (first == "actions") {
    if (at(1) == "runs")
      return at(3) == "deployment_protection_rule" ? RequestKind::gate_reviews : RequestKind::workflow_runs;
    if (at(1) == "workflows") {
      if (at(3) == "dispatches") return RequestKind::dispatches;
      if (at(3) == "runs") return RequestKind::workflow_runs;
    }
  }
  return RequestKind::other;
}

}  // namespace

std::string_view to_string(RequestKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kNames.size() ? kNames[i] : std::string_view("other");
}

RequestKind classify_request(std::string_view /*method*/, std::string_view path) {
  if (const auto query = path.find_first_of("?#"); query != std::string_view::npos) path = path.substr(0, query);
  const auto s = segments(path);
  if (s.empty()) return RequestKind::other;
  if (s[0] == "repos" && s.size() >= 3) return repository_kind({s.begin() + 3, s.end()});
  if (s[0] == "orgs" && s.size() == 6 && s[2] == "teams" && s[4] == "memberships") return RequestKind::team_membership;
  if (s[0] == "app") {
    if (s.size() == 4 && s[1] == "installations" && s[3] == "access_tokens") return RequestKind::installation_token;
    return RequestKind::app;
  }
  return RequestKind::other;
}

bool is_write(std::string_view method) { return method != "GET" && method != "HEAD"; }

bool cacheable(RequestKind kind) {
  switch (kind) {
    case RequestKind::app:
    case RequestKind::installation_token:
    case RequestKind::other:
    case RequestKind::count_:
      return false;
    default:
      return true;
  }
}

}  // namespace deploy::github
