// The pure part of core/github_release_facts: which deployed version the release rules compare with.
#include "core/github/release_facts.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using deploy::github::deployed_version;
using deploy::github::DeploymentSeen;
using deploy::policy::DeploymentState;

namespace {
DeploymentSeen seen(const std::string& version, DeploymentState state) {
  DeploymentSeen d;
  d.record.version = version;
  d.record.state = state;
  return d;
}
}  // namespace

TEST_CASE("deployed_version: the newest successful deployment's version, when it is semver") {
  struct Case {
    const char* what;
    std::vector<DeploymentSeen> history;  // newest first
    std::optional<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"nothing deployed", {}, std::nullopt},
      {"a tag", {seen("v1.2.0", DeploymentState::success)}, "v1.2.0"},
      {"semver without v", {seen("1.2.0", DeploymentState::success)}, "1.2.0"},
      {"newer failures and runs in progress are skipped",
       {seen("v1.3.0", DeploymentState::failure), seen("v1.4.0", DeploymentState::in_progress),
        seen("v1.2.0", DeploymentState::success), seen("v1.1.0", DeploymentState::success)},
       "v1.2.0"},
      {"inactive ones are not live", {seen("v1.1.0", DeploymentState::inactive)}, std::nullopt},
      {"a branch deploy has no order",
       {seen("main-1a2b3c4", DeploymentState::success), seen("v1.0.0", DeploymentState::success)},
       std::nullopt},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    CHECK(deployed_version(c.history) == c.expected);
  }
}
