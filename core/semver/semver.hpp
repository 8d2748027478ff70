// SemVer 2.0.0 (https://semver.org): parsing and precedence. Release tags carry an optional
// leading `v` (`v1.2.3`); the version itself never does.
//
// Only a lowercase `v` is accepted as a tag prefix: the release workflow triggers on `v*` tags
// and git tag globs are case-sensitive, so `V1.2.3` could never have been released by this
// action; rejecting it (with a message that says so) beats naming a version that cannot exist.
//
// Numbers: MAJOR, MINOR and PATCH must fit in uint64 (larger is an error). Numeric pre-release
// identifiers have no size limit; they are compared by value without converting them.
//
// Error messages quote the input, but they end up in pull-request comments and logs, so the
// quoted input is capped at 64 bytes and escaped as text::shown does (no control bytes, no broken
// code spans or quotes, no @mentions).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace deploy::semver {

struct Version {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers, e.g. {"alpha", "1"}
  std::vector<std::string> build;       // ignored by precedence

  // Canonical text without a `v`: "1.2.3-alpha.1+build.5".
  std::string to_string() const;
  // Precedence as semver.org section 11, which ignores build metadata: 1.0.0+a and 1.0.0+b are
  // equivalent (neither is less) but not equal, so the order is weak. Ordered containers keyed
  // by Version (std::set, std::map) therefore hold one of them only: key by to_string() to keep
  // both.
  std::weak_ordering operator<=>(const Version& other) const;
  // Same version: every field, build metadata included ("1.0.0+a" != "1.0.0+b").
  bool operator==(const Version& other) const = default;
};

// Equal precedence: neither version is newer (build metadata ignored), e.g. 1.0.0+a and 1.0.0+b.
bool same_precedence(const Version& a, const Version& b);

// Strict SemVer 2.0.0 text, no `v`. Error codes: "invalid_version".
Result<Version> parse(std::string_view text);
// A release tag: an optional single leading `v` then a strict version ("v1.2.3", "1.2.3").
// `V1.2.3` is refused (see above). Error codes: "invalid_version".
Result<Version> parse_tag(std::string_view tag);

}  // namespace deploy::semver
