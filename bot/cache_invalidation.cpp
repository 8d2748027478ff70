#include "bot/cache_invalidation.hpp"

#include <array>
#include <string>

namespace deploy::bot {
namespace {

using github::RequestKind;
using nlohmann::json;

constexpr std::array<std::string_view, 9> kEvents = {
    "push",       "pull_request", "pull_request_review", "deployment", "deployment_status", "member",
    "membership", "team",         "organization"};

std::string string_at(const json& payload, std::initializer_list<const char*> path) {
  const json* at = &payload;
  for (const char* key : path) {
    if (!at->is_object()) return {};
    auto it = at->find(key);
    if (it == at->end()) return {};
    at = &*it;
  }
  return at->is_string() ? at->get<std::string>() : std::string();
}

}  // namespace

bool invalidates_cache(std::string_view event) {
  if (event == "repository") return true;
  for (auto e : kEvents) {
    if (e == event) return true;
  }
  return false;
}

std::optional<github::CacheInvalidation> cache_invalidation(std::string_view event, const json& payload) {
  github::CacheInvalidation what;
  what.owner = string_at(payload, {"repository", "owner", "login"});
  what.repository = string_at(payload, {"repository", "name"});
  if (event == "membership" || event == "team" || event == "organization") {
    // About the organization, not one repository (a team event may carry one: the org's rule still
    // applies to every repository the team reaches).
    what.owner = string_at(payload, {"organization", "login"});
    what.repository.clear();
    what.kinds = {RequestKind::permission, RequestKind::team_membership};
    if (what.owner.empty()) return std::nullopt;
    return what;
  }
  if (what.owner.empty() || what.repository.empty()) return std::nullopt;
  if (event == "push") {
    const std::string default_branch = string_at(payload, {"repository", "default_branch"});
    if (default_branch.empty() || string_at(payload, {"ref"}) != "refs/heads/" + default_branch) return std::nullopt;
    what.kinds = {RequestKind::contents, RequestKind::refs, RequestKind::commits, RequestKind::compare};
  } else if (event == "pull_request") {
    what.kinds = {RequestKind::pulls, RequestKind::commit_pulls, RequestKind::reviews, RequestKind::compare};
  } else if (event == "pull_request_review") {
    what.kinds = {RequestKind::reviews};
  } else if (event == "deployment" || event == "deployment_status") {
    what.kinds = {RequestKind::deployments, RequestKind::deployment_statuses};
  } else if (event == "member") {
    what.kinds = {RequestKind::permission};
  } else if (event == "repository") {
    what.kinds = {};  // everything about it
  } else {
    return std::nullopt;
  }
  return what;
}

}  // namespace deploy::bot
