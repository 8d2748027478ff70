#include "core/release/release.hpp"

#include <algorithm>

#include "core/config/glob.hpp"
#include "core/release/changelog.hpp"
#include "core/semver/semver.hpp"
#include "core/text/text.hpp"

namespace deploy::release {
namespace {

constexpr std::size_t kMaxShownBytes = 64;
constexpr std::size_t kShortSha = 7;
constexpr std::string_view kFetchAll = "set fetch-depth: 0 on actions/checkout";

// Tag and branch names come from whoever pushed them and end up in comments and logs: capped and
// escaped (no broken code spans, no @mentions) as everywhere else.
std::string shown(std::string_view text) { return text::shown(text, kMaxShownBytes); }

std::string short_sha(const std::string& sha) { return sha.substr(0, kShortSha); }

Decision deny(std::string reason, std::string message) {
  return {Outcome::deny(std::move(reason), std::move(message)), std::nullopt};
}

struct Candidate {
  const Tag* tag;
  semver::Version version;
};

// Release tags below `version` that could be its previous release, highest first.
std::vector<Candidate> previous_candidates(const std::vector<Tag>& tags, const TagRules& rules,
                                           const semver::Version& version) {
  const bool stable = version.prerelease.empty();
  std::vector<Candidate> out;
  for (const auto& tag : tags) {
    if (!config::glob_match(rules.pattern, tag.name)) continue;
    auto parsed = semver::parse_tag(tag.name);
    if (!parsed) continue;
    if (stable && !parsed->prerelease.empty()) continue;
    if (!(*parsed < version)) continue;
    out.push_back({&tag, std::move(parsed).value()});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    const auto order = a.version <=> b.version;
    if (order != 0) return order > 0;
    return a.tag->name < b.tag->name;
  });
  return out;
}

// Whether some release tag names the deployed version: if none does, tags are missing from the
// checkout (or the tag was deleted), and the previous release and changelog cannot be trusted.
bool has_tag_for(const std::vector<Tag>& tags, const TagRules& rules, const semver::Version& version) {
  return std::any_of(tags.begin(), tags.end(), [&](const Tag& tag) {
    if (!config::glob_match(rules.pattern, tag.name)) return false;
    auto parsed = semver::parse_tag(tag.name);
    return parsed && semver::same_precedence(*parsed, version);
  });
}

Decision not_found(const Request& request) {
  const auto named = classify(request.ref);
  if (named && named->kind == RefKind::tag) {
    return deny("tag_not_found", "tag " + shown(named->name) + " is not in GITHUB_WORKSPACE; push the tag, or " +
                                     std::string(kFetchAll) + " so that tags are fetched");
  }
  return deny("ref_not_found", "ref " + shown(request.ref) +
                                   " is not in GITHUB_WORKSPACE (not a tag, a branch or a commit "
                                   "there); check the ref, or " +
                                   std::string(kFetchAll));
}

Decision decide_untagged(const Ref& ref) {
  Release release;
  release.kind = ref.kind;
  release.sha = ref.sha;
  if (ref.kind == RefKind::branch) {
    release.branch = ref.name;
    release.version = ref.name + "-" + short_sha(ref.sha);
  } else {
    release.version = short_sha(ref.sha);
  }
  const std::string what = ref.kind == RefKind::branch ? "branch " + shown(ref.name) + " at " : "commit ";
  return {Outcome::allow("resolved", what + short_sha(ref.sha) + ", version " + shown(release.version)),
          std::move(release)};
}

Decision decide_tag(const Request& request, const Facts& facts, const Ref& ref) {
  const auto& rules = request.rules;
  const std::string tag = shown(ref.name);
  const std::string branch = shown(request.default_branch);

  if (!config::glob_match(rules.pattern, ref.name)) {
    return deny("tag_pattern_mismatch",
                "tag " + tag + " does not match the release tag pattern " + shown(rules.pattern) +
                    " (release.tag_pattern in .github/deploy.yml); release with a tag that does, "
                    "for example v1.2.3");
  }
  auto version = semver::parse_tag(ref.name);
  if (!version) {
    return deny("not_semver", "tag " + tag + " is not a semver release tag such as v1.2.3 or v1.2.3-rc.1: " +
                                  version.error().message);
  }
  const bool prerelease = !version->prerelease.empty();
  if (prerelease && !rules.allow_prereleases) {
    semver::Version stable = *version;
    stable.prerelease.clear();
    stable.build.clear();
    const std::string example = (ref.name.starts_with('v') ? "v" : "") + stable.to_string();
    return deny("prerelease_not_allowed", "tag " + tag +
                                              " is a pre-release and release.allow_prereleases is false in "
                                              ".github/deploy.yml; release a stable version such as " +
                                              example + ", or allow pre-releases");
  }
  if (facts.shallow) {
    return deny("shallow_clone",
                "GITHUB_WORKSPACE is a shallow clone, so the previous release and the commits since "
                "it cannot be found; " +
                    std::string(kFetchAll));
  }
  if (!facts.default_branch_sha) {
    return deny("default_branch_not_found", "the default branch " + branch +
                                                " is not in GITHUB_WORKSPACE (neither "
                                                "refs/remotes/origin/" +
                                                branch + " nor refs/heads/" + branch + "); " + std::string(kFetchAll) +
                                                " so that every branch and tag is fetched");
  }
  if (!facts.on_default_branch(ref.sha)) {
    return deny("tag_off_default_branch",
                "tag " + tag + " points at " + short_sha(ref.sha) + ", which is not on the default branch " + branch +
                    "; releases are tagged on " + branch + ": merge the change, then tag a commit of " + branch);
  }
  if (rules.require_annotated && !ref.annotated) {
    return deny("tag_not_annotated", "tag " + tag +
                                         " is a lightweight tag and release.require_annotated is true; "
                                         "recreate it as an annotated tag (git tag -a)");
  }
  if (rules.require_signed && ref.signature == Signature::none) {
    return deny("tag_not_signed",
                "tag " + tag +
                    (ref.annotated ? " carries no signature" : " is a lightweight tag, so it carries no signature") +
                    " and release.require_signed is true; recreate it signed (git tag -s)");
  }
  if (request.deployed) {
    auto deployed = semver::parse_tag(*request.deployed);
    // A version that is not semver came from a branch deploy: there is no order to keep.
    if (deployed) {
      const std::string deployed_shown = shown(*request.deployed);
      const std::string env = shown(request.environment);
      if (!has_tag_for(facts.tags, rules, *deployed)) {
        return deny("tags_missing", deployed_shown + ", now deployed to " + env +
                                        ", has no tag in GITHUB_WORKSPACE, "
                                        "so tags are missing and the changelog would be wrong; " +
                                        std::string(kFetchAll) + " (or recreate the tag if it was deleted)");
      }
      if (request.mode == Mode::deploy && !(*deployed < *version)) {
        return deny("not_newer", tag + " is not newer than " + deployed_shown + ", now deployed to " + env +
                                     "; to go back, use mode rollback");
      }
    }
  }

  Release release;
  release.kind = RefKind::tag;
  release.version = version->to_string();
  release.tag = ref.name;
  release.sha = ref.sha;
  release.prerelease = prerelease;
  for (const auto& candidate : previous_candidates(facts.tags, rules, *version)) {
    if (facts.on_default_branch(candidate.tag->sha)) {
      release.previous = Point{candidate.version.to_string(), candidate.tag->name, candidate.tag->sha};
      break;
    }
  }
  std::string message = tag + " at " + short_sha(ref.sha) + " on " + branch;
  message += release.previous ? "; previous release " + shown(release.previous->tag) : "; first release";
  if (ref.signature != Signature::none) {
    message += "; " + std::string(to_string(ref.signature)) + " signature present (not verified here)";
  }
  return {Outcome::allow("resolved", std::move(message)), std::move(release)};
}

}  // namespace

std::string_view to_string(Mode mode) { return mode == Mode::deploy ? "deploy" : "rollback"; }

std::string_view to_string(RefKind kind) {
  switch (kind) {
    case RefKind::tag:
      return "tag";
    case RefKind::branch:
      return "branch";
    case RefKind::commit:
      return "commit";
  }
  return "unknown";
}

std::string_view to_string(Signature signature) {
  switch (signature) {
    case Signature::none:
      return "none";
    case Signature::pgp:
      return "pgp";
    case Signature::x509:
      return "x509";
    case Signature::ssh:
      return "ssh";
  }
  return "unknown";
}

std::optional<RefName> classify(std::string_view ref) {
  constexpr std::string_view kTags = "refs/tags/";
  constexpr std::string_view kHeads = "refs/heads/";
  if (ref.starts_with(kTags)) return RefName{RefKind::tag, std::string(ref.substr(kTags.size()))};
  if (ref.starts_with(kHeads)) return RefName{RefKind::branch, std::string(ref.substr(kHeads.size()))};
  return std::nullopt;
}

TagRules tag_rules(const config::Release& release) {
  TagRules rules;
  rules.pattern = release.tag_pattern;
  rules.require_annotated = release.require_annotated;
  rules.require_signed = release.require_signed;
  rules.allow_prereleases = release.allow_prereleases;
  return rules;
}

Decision decide(const Request& request, const Facts& facts) {
  if (!facts.ref) return not_found(request);
  if (facts.ref->kind != RefKind::tag) return decide_untagged(*facts.ref);
  return decide_tag(request, facts, *facts.ref);
}

bool about_the_release(std::string_view reason) {
  static constexpr std::string_view kReasons[] = {
      "tag_pattern_mismatch", "not_semver", "prerelease_not_allowed", "tag_off_default_branch", "tag_not_annotated",
      "tag_not_signed",       "not_newer"};
  return std::find(std::begin(kReasons), std::end(kReasons), reason) != std::end(kReasons);
}

void add_changelog(Release& release, std::vector<Commit> commits) {
  std::vector<std::string_view> messages;
  messages.reserve(commits.size());
  for (const auto& commit : commits) messages.push_back(commit.message);
  release.pull_requests = release::merged_pull_requests(messages);
  release.commits = std::move(commits);
}

}  // namespace deploy::release
