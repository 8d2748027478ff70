// Which kept GitHub answers (github::ResponseCache) a webhook makes stale, so the read after it is
// a plain one rather than a conditional one GitHub could answer from a stale cache of its own:
//
//   push to the default branch         contents (.github/deploy.yml), refs, commits, compare
//   pull_request (any action)          pulls, commit_pulls, reviews, compare of that repository
//   pull_request_review                reviews
//   deployment, deployment_status      deployments, deployment_statuses
//   member (a collaborator added, removed, their permission changed)   permission of that repository
//   membership, team, organization     permission and team_membership of every repository of the
//                                      organization (a team's access or a member's role changed)
//   repository (renamed, transferred, visibility...)                   everything of that repository
//
// Pure: no I/O. The Dispatcher applies the result before it routes the delivery.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/github/response_cache.hpp"

namespace deploy::bot {

// Whether `event` can make kept answers stale (a cheap test before reading the payload).
bool invalidates_cache(std::string_view event);

// nullopt: the delivery changes nothing the bot keeps (or the payload lacks the owner it needs).
std::optional<github::CacheInvalidation> cache_invalidation(std::string_view event, const nlohmann::json& payload);

}  // namespace deploy::bot
