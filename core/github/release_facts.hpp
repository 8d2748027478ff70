// The release rules' facts (core/release.hpp) read from GitHub instead of a checkout, so that
// deploy-bot, which has no checkout, judges a release with the same pure function the action
// uses (release::decide) and refuses what the action would refuse.
//
// What GitHub cannot tell without a checkout is left out, not guessed: whether an annotated tag
// carries a signature (Ref::signature stays none, so a caller must not ask require_signed of these
// facts). Facts that describe the checkout rather than the release (shallow clone, a missing
// default branch or tag) cannot be wrong here in the way they can in a checkout; see
// release::about_the_release for which refusals mean the same on both sides.
//
// Edge: calls GitHub through github::Client and may throw github::GitHubError.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/release/release.hpp"

namespace deploy::github {

// The version now deployed to the environment as the release rules compare it
// (release::Request::deployed): the newest successful deployment's version when it is semver,
// else nothing (a branch deploy has no order to keep). `history` newest first, as
// deployment_history returns it. Pure.
std::optional<std::string> deployed_version(const std::vector<DeploymentSeen>& history);

// release::Facts for request.ref ("refs/tags/v1.2.0", "refs/heads/main", or a bare name, tried as
// a tag and then as a branch, as the checkout resolves it) and request.default_branch, from the
// repository's tags, refs and comparisons on GitHub. A bare name that is neither gives no ref.
release::Facts release_facts(github::Client& client, const Repo& repo, const release::Request& request);

}  // namespace deploy::github
