#include "core/release/release.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/release/changelog.hpp"

using namespace deploy::release;

namespace {

std::string sha(char c) { return std::string(40, c); }

// A repository as facts. Default branch: 1 - 2 - 3 - 4 - 5 - 6 (6 is the head). Off it: x, y.
//   v1.0.0 @1 (annotated)   v1.1.0 @2        release-5 @2   v1.1.0+b @2 (same precedence as v1.1.0)
//   v1.2.0-rc.1 @3          v1.2.0-rc.2 @4   1.1.5 @4 (semver, but not matching `v*`)
//   v1.2.0 @5 (annotated, signed)            vnext @5 (matches `v*`, not semver)
//   v1.1.9 @x (off the default branch, above v1.1.0)   v2.0.0 @y (off the default branch)
//   v1.3.0 @6 (lightweight)
const std::set<std::string> kOnDefault = {sha('1'), sha('2'), sha('3'), sha('4'), sha('5'), sha('6')};

std::vector<Tag> repo_tags() {
  return {
      {"1.1.5", sha('4'), false},  {"release-5", sha('2'), false},  {"v1.0.0", sha('1'), true},
      {"v1.1.0", sha('2'), false}, {"v1.1.0+b", sha('2'), false},   {"v1.1.9", sha('x'), false},
      {"v1.2.0", sha('5'), true},  {"v1.2.0-rc.1", sha('3'), true}, {"v1.2.0-rc.2", sha('4'), true},
      {"v1.3.0", sha('6'), false}, {"v2.0.0", sha('y'), true},      {"vnext", sha('5'), false},
  };
}

Ref tag_ref(const std::string& name) {
  Ref ref;
  ref.kind = RefKind::tag;
  ref.name = name;
  ref.full_name = "refs/tags/" + name;
  for (const auto& tag : repo_tags()) {
    if (tag.name == name) {
      ref.sha = tag.sha;
      ref.annotated = tag.annotated;
    }
  }
  if (name == "v1.2.0") ref.signature = Signature::pgp;
  return ref;
}

struct Fixture {
  Request request;
  Facts facts;
  std::vector<std::string> asked;  // shas on_default_branch was asked about, in order
};

// The facts for a tag of the repository above, a request to deploy it to production.
Fixture fixture(const std::string& tag) {
  Fixture f;
  f.request.ref = "refs/tags/" + tag;
  f.request.environment = "production";
  f.request.default_branch = "main";
  f.facts.ref = tag_ref(tag);
  f.facts.default_branch_sha = sha('6');
  f.facts.tags = repo_tags();
  return f;
}

Decision run(Fixture& f) {
  f.facts.on_default_branch = [&f](const std::string& s) {
    f.asked.push_back(s);
    return kOnDefault.count(s) == 1;
  };
  return decide(f.request, f.facts);
}

struct RefusalCase {
  std::string name;
  std::string tag;
  std::function<void(Fixture&)> change;
  std::string reason;
  std::string message;
};

}  // namespace

TEST_CASE("decide: every refusal, with its reason code and message") {
  const std::string fetch = "set fetch-depth: 0 on actions/checkout";
  const std::vector<RefusalCase> cases = {
      {"tag outside the release pattern", "release-5", [](Fixture&) {}, "tag_pattern_mismatch",
       "tag release-5 does not match the release tag pattern v* (release.tag_pattern in "
       ".github/deploy.yml); release with a tag that does, for example v1.2.3"},
      {"semver tag outside a custom pattern", "v1.1.0", [](Fixture& f) { f.request.rules.pattern = "release/*"; },
       "tag_pattern_mismatch",
       "tag v1.1.0 does not match the release tag pattern release/* (release.tag_pattern in "
       ".github/deploy.yml); release with a tag that does, for example v1.2.3"},
      {"tag matching the pattern but not semver", "vnext", [](Fixture&) {}, "not_semver",
       "tag vnext is not a semver release tag such as v1.2.3 or v1.2.3-rc.1: "},
      {"pre-release not allowed", "v1.2.0-rc.1", [](Fixture&) {}, "prerelease_not_allowed",
       "tag v1.2.0-rc.1 is a pre-release and release.allow_prereleases is false in .github/deploy.yml; "
       "release a stable version such as v1.2.0, or allow pre-releases"},
      {"shallow clone", "v1.2.0", [](Fixture& f) { f.facts.shallow = true; }, "shallow_clone",
       "GITHUB_WORKSPACE is a shallow clone, so the previous release and the commits since it cannot be "
       "found; " +
           fetch},
      {"default branch missing", "v1.2.0", [](Fixture& f) { f.facts.default_branch_sha.reset(); },
       "default_branch_not_found",
       "the default branch main is not in GITHUB_WORKSPACE (neither refs/remotes/origin/main nor "
       "refs/heads/main); " +
           fetch + " so that every branch and tag is fetched"},
      {"tag off the default branch", "v2.0.0", [](Fixture&) {}, "tag_off_default_branch",
       "tag v2.0.0 points at yyyyyyy, which is not on the default branch main; releases are tagged on "
       "main: merge the change, then tag a commit of main"},
      {"lightweight tag when annotated is required", "v1.3.0",
       [](Fixture& f) { f.request.rules.require_annotated = true; }, "tag_not_annotated",
       "tag v1.3.0 is a lightweight tag and release.require_annotated is true; recreate it as an "
       "annotated tag (git tag -a)"},
      {"annotated tag without a signature", "v1.0.0", [](Fixture& f) { f.request.rules.require_signed = true; },
       "tag_not_signed",
       "tag v1.0.0 carries no signature and release.require_signed is true; recreate it signed (git tag -s)"},
      {"lightweight tag when signed is required", "v1.3.0", [](Fixture& f) { f.request.rules.require_signed = true; },
       "tag_not_signed",
       "tag v1.3.0 is a lightweight tag, so it carries no signature and release.require_signed is true; "
       "recreate it signed (git tag -s)"},
      {"older than the deployed version", "v1.0.0", [](Fixture& f) { f.request.deployed = "v1.1.0"; }, "not_newer",
       "v1.0.0 is not newer than v1.1.0, now deployed to production; to go back, use mode rollback"},
      {"the deployed version again", "v1.1.0", [](Fixture& f) { f.request.deployed = "1.1.0"; }, "not_newer",
       "v1.1.0 is not newer than 1.1.0, now deployed to production; to go back, use mode rollback"},
      {"deployed version has no tag", "v1.3.0", [](Fixture& f) { f.request.deployed = "v1.2.5"; }, "tags_missing",
       "v1.2.5, now deployed to production, has no tag in GITHUB_WORKSPACE, so tags are missing and the "
       "changelog would be wrong; " +
           fetch + " (or recreate the tag if it was deleted)"},
      {"tag not in the checkout", "v9.9.9", [](Fixture& f) { f.facts.ref.reset(); }, "tag_not_found",
       "tag v9.9.9 is not in GITHUB_WORKSPACE; push the tag, or " + fetch + " so that tags are fetched"},
      {"bare ref not in the checkout", "v9.9.9",
       [](Fixture& f) {
         f.facts.ref.reset();
         f.request.ref = "feature";
       },
       "ref_not_found",
       "ref feature is not in GITHUB_WORKSPACE (not a tag, a branch or a commit there); check the ref, or " + fetch},
      {"names shown escaped", "v1.2.0",
       [](Fixture& f) {
         f.facts.ref->name = "@team`x";
         f.request.rules.pattern = "*";
       },
       "not_semver", "tag \\x40team\\x60x is not a semver release tag such as v1.2.3 or v1.2.3-rc.1: "},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Fixture f = fixture(c.tag);
    c.change(f);
    const auto d = run(f);
    CHECK_FALSE(d.outcome.allowed);
    CHECK(d.outcome.reason == c.reason);
    if (c.reason == "not_semver") {
      CHECK(d.outcome.message.starts_with(c.message));  // followed by semver's own explanation
      CHECK(d.outcome.message.size() > c.message.size());
    } else {
      CHECK(d.outcome.message == c.message);
    }
    CHECK_FALSE(d.release.has_value());
  }
}

TEST_CASE("decide: a shallow clone is refused before anything is asked of the history") {
  Fixture f = fixture("v1.2.0");
  f.facts.shallow = true;
  CHECK(run(f).outcome.reason == "shallow_clone");
  CHECK(f.asked.empty());
}

struct PreviousCase {
  std::string tag;
  bool allow_prereleases;
  std::optional<Point> previous;
  std::vector<std::string> asked;  // the candidates asked about, after the tag itself
};

TEST_CASE("decide: the previous release is the highest reachable semver tag below, stable skips pre-releases") {
  const std::vector<PreviousCase> cases = {
      // v1.2.0-rc.2 and rc.1 are pre-releases, v1.1.9 is off the branch, 1.1.5 does not match v*.
      {"v1.2.0", false, Point{"1.1.0", "v1.1.0", sha('2')}, {sha('x'), sha('2')}},
      {"v1.2.0-rc.2", true, Point{"1.2.0-rc.1", "v1.2.0-rc.1", sha('3')}, {sha('3')}},
      {"v1.2.0-rc.1", true, Point{"1.1.0", "v1.1.0", sha('2')}, {sha('x'), sha('2')}},
      {"v1.3.0", false, Point{"1.2.0", "v1.2.0", sha('5')}, {sha('5')}},
      {"v1.1.0", false, Point{"1.0.0", "v1.0.0", sha('1')}, {sha('1')}},
      {"v1.0.0", false, std::nullopt, {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.tag);
    Fixture f = fixture(c.tag);
    f.request.rules.allow_prereleases = c.allow_prereleases;
    const auto d = run(f);
    REQUIRE(d.outcome.allowed);
    CHECK(d.outcome.reason == "resolved");
    REQUIRE(d.release.has_value());
    CHECK(d.release->previous == c.previous);
    std::vector<std::string> asked = {f.facts.ref->sha};
    asked.insert(asked.end(), c.asked.begin(), c.asked.end());
    CHECK(f.asked == asked);
  }
}

TEST_CASE("decide: a tag release, its fields and message") {
  Fixture f = fixture("v1.2.0");
  f.request.deployed = "v1.1.0";
  f.request.rules.require_annotated = true;
  f.request.rules.require_signed = true;
  const auto d = run(f);
  REQUIRE(d.outcome.allowed);
  CHECK(d.outcome.message ==
        "v1.2.0 at 5555555 on main; previous release v1.1.0; pgp signature present (not verified here)");
  REQUIRE(d.release);
  CHECK(d.release->kind == RefKind::tag);
  CHECK(d.release->version == "1.2.0");
  CHECK(d.release->tag == "v1.2.0");
  CHECK(d.release->branch.empty());
  CHECK(d.release->sha == sha('5'));
  CHECK_FALSE(d.release->prerelease);
  CHECK(d.release->commits.empty());
  CHECK(d.release->pull_requests.empty());

  Fixture first = fixture("v1.0.0");
  const auto d1 = run(first);
  REQUIRE(d1.outcome.allowed);
  CHECK(d1.outcome.message == "v1.0.0 at 1111111 on main; first release");
}

TEST_CASE("decide: deployed versions and modes") {
  struct Case {
    std::string name;
    std::string tag;
    std::optional<std::string> deployed;
    Mode mode;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"newer than deployed", "v1.3.0", "v1.2.0", Mode::deploy, true},
      {"nothing deployed yet", "v1.0.0", std::nullopt, Mode::deploy, true},
      {"older, rolling back", "v1.0.0", "v1.2.0", Mode::rollback, true},
      {"same, rolling back", "v1.2.0", "v1.2.0", Mode::rollback, true},
      {"older, deploying", "v1.0.0", "v1.2.0", Mode::deploy, false},
      {"pre-release deployed, stable of it is newer", "v1.2.0", "v1.2.0-rc.2", Mode::deploy, true},
      {"a branch build deployed: no order to keep", "v1.0.0", "main-abcdef0", Mode::deploy, true},
      {"build metadata does not make it newer", "v1.1.0+b", "v1.1.0", Mode::deploy, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Fixture f = fixture(c.tag);
    f.request.deployed = c.deployed;
    f.request.mode = c.mode;
    f.request.rules.allow_prereleases = true;
    const auto d = run(f);
    CHECK(d.outcome.allowed == c.allowed);
    CHECK(d.outcome.reason == (c.allowed ? "resolved" : "not_newer"));
  }
}

TEST_CASE("decide: equal precedence picks the smaller tag name, deterministically") {
  Fixture f = fixture("v1.2.0");
  std::swap(f.facts.tags[3], f.facts.tags[4]);  // v1.1.0+b before v1.1.0
  const auto d = run(f);
  REQUIRE(d.release);
  CHECK(d.release->previous == Point{"1.1.0", "v1.1.0", sha('2')});
}

TEST_CASE("decide: branch and commit deploys are resolved without release rules") {
  Fixture f;
  f.request.ref = "refs/heads/main";
  f.request.default_branch = "main";
  f.request.deployed = "v9.0.0";
  f.request.rules.require_signed = true;
  f.facts.shallow = true;
  f.facts.ref = Ref{RefKind::branch, "main", "refs/heads/main", sha('6'), false, Signature::none, {}, {}};
  auto d = run(f);
  REQUIRE(d.outcome.allowed);
  CHECK(d.outcome.message == "branch main at 6666666, version main-6666666");
  REQUIRE(d.release);
  CHECK(d.release->kind == RefKind::branch);
  CHECK(d.release->version == "main-6666666");
  CHECK(d.release->branch == "main");
  CHECK(d.release->tag.empty());
  CHECK_FALSE(d.release->previous);
  CHECK(f.asked.empty());

  f.facts.ref = Ref{RefKind::commit, sha('3'), "", sha('3'), false, Signature::none, {}, {}};
  d = run(f);
  REQUIRE(d.outcome.allowed);
  CHECK(d.outcome.message == "commit 3333333, version 3333333");
  CHECK(d.release->version == "3333333");
}

TEST_CASE("add_changelog: the commits and the pull requests they merged") {
  Release release;
  auto commit = [](char c, std::string message) {
    Commit out;
    out.sha = sha(c);
    out.message = std::move(message);
    out.summary = std::string(deploy::release::summary(out.message));
    return out;
  };
  std::vector<Commit> commits = {
      commit('a', "Merge pull request #12 from x/y\n\nAdd the thing\n"),
      commit('b', "Fix bug (#13)\n\n* fix\n* test\n"),
      commit('c', "Plain commit mentioning (#99) in the middle of a line\n"),
      commit('d', "Revert \"Fix bug (#13)\"\n"),
      commit('e', "Fix bug again (#13)"),
  };
  add_changelog(release, commits);
  CHECK(release.pull_requests == std::vector<std::uint64_t>{12, 13});
  CHECK(release.commits == commits);
}

TEST_CASE("changelog: pull request numbers from merge and squash summaries") {
  struct Case {
    std::string message;
    std::optional<std::uint64_t> pr;
  };
  const std::vector<Case> cases = {
      {"Merge pull request #12 from x/y", 12},
      {"Merge pull request #12 from x/y\r\n\r\nbody", 12},
      {"Merge pull request #7 from org/feature/deep/branch\n", 7},
      {"Merge pull request #12", std::nullopt},
      {"Merge pull request #12 from ", std::nullopt},
      {"Merge pull request #012 from x/y", std::nullopt},
      {"Merge pull request #abc from x/y", std::nullopt},
      {"Merge branch 'main' into feature", std::nullopt},
      {"Fix bug (#13)", 13},
      {"Fix bug (#13)  ", 13},
      {"Fix bug (#13)\n\nCo-authored-by: someone", 13},
      {"Revert \"Fix bug (#13)\" (#14)", 14},
      {"Fix bug (#13) and more", std::nullopt},
      {"(#13)", std::nullopt},
      {"Fix bug (#)", std::nullopt},
      {"Fix bug (#0)", std::nullopt},
      {"Fix bug (#1234567890123)", std::nullopt},
      {"Fix bug (#123456789012)", 123456789012ULL},
      {"Fix bug (# 13)", std::nullopt},
      {"Title\n\nbody line (#13)", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    CHECK(deploy::release::merged_pull_request(c.message) == c.pr);
  }
}

TEST_CASE("classify: the ref forms the action gets") {
  auto tag = classify("refs/tags/v1.2.0");
  REQUIRE(tag);
  CHECK(tag->kind == RefKind::tag);
  CHECK(tag->name == "v1.2.0");
  auto branch = classify("refs/heads/release/1.x");
  REQUIRE(branch);
  CHECK(branch->kind == RefKind::branch);
  CHECK(branch->name == "release/1.x");
  CHECK_FALSE(classify("v1.2.0"));
  CHECK_FALSE(classify("refs/pull/1/merge"));
  CHECK(to_string(RefKind::commit) == "commit");
  CHECK(to_string(Mode::rollback) == "rollback");
  CHECK(to_string(Signature::ssh) == "ssh");
}

TEST_CASE("tag_rules: deploy.yml's release section as the rules") {
  deploy::config::Release config;
  config.tag_pattern = "release-*";
  config.require_annotated = true;
  config.require_signed = true;
  config.allow_prereleases = true;
  const auto rules = tag_rules(config);
  CHECK(rules.pattern == "release-*");
  CHECK(rules.require_annotated);
  CHECK(rules.require_signed);
  CHECK(rules.allow_prereleases);
  const auto defaults = tag_rules(deploy::config::Release{});
  CHECK(defaults.pattern == TagRules{}.pattern);
  CHECK_FALSE(defaults.require_annotated);
}

TEST_CASE("about_the_release: refusals about the release, not about the checkout") {
  for (const char* reason : {"tag_pattern_mismatch", "not_semver", "prerelease_not_allowed", "tag_off_default_branch",
                             "tag_not_annotated", "tag_not_signed", "not_newer"}) {
    CAPTURE(reason);
    CHECK(about_the_release(reason));
  }
  for (const char* reason : {"shallow_clone", "default_branch_not_found", "tags_missing", "tag_not_found",
                             "ref_not_found", "resolved", ""}) {
    CAPTURE(reason);
    CHECK_FALSE(about_the_release(reason));
  }
}
