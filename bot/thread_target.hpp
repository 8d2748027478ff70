// Which environment's approval rules a comment thread is about. Pure.
//
// - A release tracking issue (its marker names a tag): the first environment, in file order, whose
//   `on.tags` matches the tag and that requires approvals; else the first whose `on.tags` matches.
//   With the usual config that is production.
// - A pull request: the first environment that requires approvals and whose `on.branches` matches
//   the PR's base branch (the PR's head is what that branch deploys after the merge); else the first
//   environment that requires approvals at all (approving a PR's head commit is then approving the
//   commit a later release tag will point at). nullptr when no environment requires approvals.
#pragma once

#include <string_view>

#include "core/config/config.hpp"

namespace deploy::bot {

const config::Environment* environment_for_tag(const config::Config& config, std::string_view tag);
const config::Environment* environment_for_pull_request(const config::Config& config, std::string_view base_branch);

}  // namespace deploy::bot
