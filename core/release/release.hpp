// Release resolution: what is being deployed, decided from facts about the checkout.
//
// The git layer (core/git.hpp) gathers the facts (the requested ref resolved to a commit, the
// tags, whether the clone is shallow, what is on the default branch); this file holds the rules and
// is pure: no libgit2, no files, no environment. The flow is
//   facts = git::gather_facts(repo, request)      (edge)
//   decision = release::decide(request, facts)    (pure: the rules below)
//   commits = repo.commits_between(previous, sha) (edge)
//   release::add_changelog(*decision.release, commits)  (pure)
// and git::resolve_release does all four.
//
// A tag release must: match the release tag pattern (release.tag_pattern, e.g. `v*`), parse as a
// semver tag, be a pre-release only if release.allow_prereleases, come from a full clone (a shallow
// clone cannot show the previous release or the commits since), point at a commit on the default
// branch, be annotated / signed when the config requires it, and be newer than the version now
// deployed to the environment, unless the mode is rollback. "Signed" means the annotated tag
// carries a PGP, X.509 or SSH signature block; the signature is NOT verified here: verification
// needs the signer's keys and belongs to a later step.
//
// The previous release of a tag is the highest semver tag matching the pattern, strictly below
// this version, whose commit is on the default branch. A stable release skips pre-releases
// (v1.2.0 follows v1.1.0, not v1.2.0-rc.2), so its changelog covers everything since the last
// stable release; a pre-release considers both (v1.2.0-rc.2 follows v1.2.0-rc.1). Tags that do not
// match the pattern or are not semver are ignored. Ties in precedence (v1.1.0 and v1.1.0+b) go to
// the smaller tag name. A first release (no previous) has an empty changelog.
//
// A branch deploy (e.g. staging from main) is resolved, not judged: version = "<branch>-<sha7>",
// no semver rules, no changelog. Whether the branch may deploy to the environment is the caller's
// trigger check. A bare commit SHA resolves the same way with version = "<sha7>".
//
// Refusal reason codes (stable): tag_pattern_mismatch, not_semver, prerelease_not_allowed,
// shallow_clone, default_branch_not_found, tag_off_default_branch, tag_not_annotated,
// tag_not_signed, tags_missing, not_newer, tag_not_found, ref_not_found. Success: "resolved".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/outcome.hpp"

namespace deploy::release {

enum class Mode { deploy, rollback };
enum class RefKind { tag, branch, commit };
// A signature block found in an annotated tag's message (not verified, see above).
enum class Signature { none, pgp, x509, ssh };

std::string_view to_string(Mode mode);
std::string_view to_string(RefKind kind);
std::string_view to_string(Signature signature);

// deploy.yml's `release:` rules for tags.
struct TagRules {
  std::string pattern = "v*";  // glob (core/config_glob.hpp): tags that are releases
  bool require_annotated = false;
  bool require_signed = false;
  bool allow_prereleases = false;
};

// The rules as .github/deploy.yml's `release:` gives them (the action and the bot read them alike).
TagRules tag_rules(const config::Release& release);

struct Request {
  std::string ref;                      // as the action got it: "refs/tags/v1.2.0", "v1.2.0", "refs/heads/main", a SHA
  std::string environment;              // for messages: "production"
  std::string default_branch;           // "main", from the event payload or the GitHub API
  std::optional<std::string> deployed;  // the version now deployed to the environment, if any
  Mode mode = Mode::deploy;
  TagRules rules;
};

struct Person {
  std::string name;
  std::string email;
  std::int64_t time = 0;   // seconds since the Unix epoch
  int offset_minutes = 0;  // the person's UTC offset at that time
  bool operator==(const Person&) const = default;
};

// The requested ref, resolved.
struct Ref {
  RefKind kind = RefKind::commit;
  std::string name;       // "v1.2.0", "main", or the full SHA for a commit
  std::string full_name;  // "refs/tags/v1.2.0", "refs/remotes/origin/main"; empty for a commit
  std::string sha;        // the commit (annotated tags peeled)
  // Tags only:
  bool annotated = false;
  Signature signature = Signature::none;
  std::optional<Person> tagger;  // annotated tags that record one
  std::string message;           // annotated tag message, without the signature block
};

// A tag of the repository, peeled to its commit (tags of trees or blobs are left out).
struct Tag {
  std::string name;  // without refs/tags/
  std::string sha;
  bool annotated = false;
  bool operator==(const Tag&) const = default;
};

struct Facts {
  bool shallow = false;
  std::optional<Ref> ref;                         // nullopt: the requested ref is not in the checkout
  std::optional<std::string> default_branch_sha;  // nullopt: the default branch is not in the checkout
  std::vector<Tag> tags;                          // every tag
  // Whether a commit is the default branch's head or an ancestor of it. Asked only for the
  // requested tag and for previous-release candidates, highest first, until one is on it, so a
  // repository with thousands of tags costs a handful of graph walks. May throw on I/O failure.
  std::function<bool(const std::string& sha)> on_default_branch;
};

struct Commit {
  std::string sha;
  std::string summary;  // first line of the message
  std::string message;
  Person author;
  Person committer;
  bool operator==(const Commit&) const = default;
};

// A release point: the previous release of a tag.
struct Point {
  std::string version;  // "1.1.0" (semver text, no `v`)
  std::string tag;      // "v1.1.0"
  std::string sha;
  bool operator==(const Point&) const = default;
};

struct Release {
  RefKind kind = RefKind::tag;
  std::string version;  // "1.2.0" (no `v`), "main-1a2b3c4", or "1a2b3c4"
  std::string tag;      // tag releases: "v1.2.0"
  std::string branch;   // branch deploys: "main"
  std::string sha;
  bool prerelease = false;
  std::optional<Point> previous;  // tag releases that have one
  // Filled by add_changelog: the commits after previous up to sha, newest first (topological),
  // and the pull requests they merged, ascending, each once.
  std::vector<Commit> commits;
  std::vector<std::uint64_t> pull_requests;
};

struct Decision {
  Outcome outcome;
  std::optional<Release> release;  // set exactly when outcome.allowed
};

Decision decide(const Request& request, const Facts& facts);

// Whether a refusal is about the release itself (its tag, its rules, its place in the default
// branch's history and the environment's), so that facts read from GitHub instead of a checkout
// (core/github_release_facts.hpp) refuse it just the same: tag_pattern_mismatch, not_semver,
// prerelease_not_allowed, tag_off_default_branch, tag_not_annotated, tag_not_signed, not_newer.
// The others describe the checkout (shallow_clone, default_branch_not_found, tags_missing,
// tag_not_found, ref_not_found): only the run's own checkout can decide them.
bool about_the_release(std::string_view reason);

// Sets release.commits and the pull requests they merged (core/changelog.hpp).
void add_changelog(Release& release, std::vector<Commit> commits);

// "refs/tags/v1.2.0" -> tag "v1.2.0"; "refs/heads/main" -> branch "main"; anything else ->
// nullopt (a bare name, whose kind only the repository can tell).
struct RefName {
  RefKind kind;
  std::string name;
};
std::optional<RefName> classify(std::string_view ref);

}  // namespace deploy::release
