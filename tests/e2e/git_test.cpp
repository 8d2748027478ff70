// The git edge against real repositories built with the git CLI in a temporary directory
// (deterministic: no system config, HOME in the temp dir, fixed dates), then release resolution
// end to end over them.
#include "core/git/git.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace fs = std::filesystem;
namespace git = deploy::git;
namespace release = deploy::release;
using deploy::test::TempDir;

namespace {

// Runs git with a hermetic environment and returns its stdout without the trailing newline;
// fails the test (with git's stderr) when git fails.
class GitCli {
 public:
  explicit GitCli(fs::path home) : home_(std::move(home)) {}

  // Commit and tag dates: day N of January 2024, noon UTC, so each step has its own time.
  void set_day(int day) {
    date_ = "2024-01-" + std::string(day < 10 ? "0" : "") + std::to_string(day) + "T12:00:00+0000";
  }

  std::string operator()(const fs::path& dir, std::vector<std::string> args,
                         const fs::path& input = "/dev/null") const {
    std::vector<std::string> argv = {"git",
                                     "-C",
                                     dir.string(),
                                     "-c",
                                     "user.name=Test User",
                                     "-c",
                                     "user.email=test@example.com",
                                     "-c",
                                     "init.defaultBranch=main",
                                     "-c",
                                     "commit.gpgsign=false",
                                     "-c",
                                     "tag.gpgsign=false",
                                     "-c",
                                     "protocol.file.allow=always"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = {"HOME=" + home_.string(),   "GIT_CONFIG_NOSYSTEM=1",       "LC_ALL=C",
                                    "GIT_AUTHOR_DATE=" + date_, "GIT_COMMITTER_DATE=" + date_, "GIT_TERMINAL_PROMPT=0"};
    if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);

    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    std::vector<char*> c_env;
    for (auto& e : env) c_env.push_back(e.data());
    c_env.push_back(nullptr);

    const fs::path err = home_ / "git-stderr.txt";
    int out[2];
    REQUIRE(::pipe(out) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, out[1]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input.c_str(), O_RDONLY, 0);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, "git", &actions, nullptr, c_argv.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    REQUIRE_MESSAGE(rc == 0, "could not start git");
    std::string output;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::ifstream err_in(err);
    std::stringstream err_text;
    err_text << err_in.rdbuf();
    std::string command;
    for (const auto& a : args) command += a + " ";
    INFO("git ", command, "\n", err_text.str());
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return output;
  }

 private:
  fs::path home_;
  std::string date_ = "2024-01-01T12:00:00+0000";
};

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

const std::string kPgpBlock =
    "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEEfakefakefakefakefakefakefakefakeFAmW\n=fake\n"
    "-----END PGP SIGNATURE-----\n";
const std::string kSshBlock =
    "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgfake\n-----END SSH SIGNATURE-----\n";

// The repository every test reads:
//
//   main:  c1 --- c2 ------------ m1 --- c3 --- c4         (m1: "Merge pull request #12 from x/y")
//                  \             /         \ (experiment)
//   feature:        f1 ---------            e1
//
//   v1.0.0 @c1 annotated   v1.1.0 @m1 lightweight   v1.2.0 @c3 annotated, fake PGP signature
//   v1.3.0 @c4 annotated via mktag, fake SSH signature   release-5 @c4   vnext @c4
//   v2.0.0 @e1 annotated (off the default branch)   `both`: a branch and a tag
struct Fixture {
  TempDir tmp;
  GitCli git{tmp.path()};
  fs::path repo = tmp.path() / "repo";
  std::string c1, c2, f1, m1, c3, c4, e1;

  std::string commit(const std::string& message, int day) {
    git.set_day(day);
    git(repo, {"commit", "-q", "--allow-empty", "-m", message});
    return git(repo, {"rev-parse", "HEAD"});
  }

  Fixture() {
    fs::create_directories(repo);
    git(repo, {"init", "-q"});
    c1 = commit("Initial commit", 1);
    git(repo, {"tag", "-a", "v1.0.0", "-m", "Release 1.0.0"});
    c2 = commit("Add feature", 2);
    git(repo, {"checkout", "-q", "-b", "feature"});
    f1 = commit("Feature work", 3);
    git(repo, {"checkout", "-q", "main"});
    git.set_day(4);
    git(repo, {"merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #12 from x/y\n\nFeature work"});
    m1 = git(repo, {"rev-parse", "HEAD"});
    git(repo, {"tag", "v1.1.0"});
    c3 = commit("Fix bug (#13)", 5);
    write(tmp.path() / "v1.2.0.msg", "Release 1.2.0\n\nNotes.\n" + kPgpBlock);
    git(repo, {"tag", "-a", "v1.2.0", "-F", (tmp.path() / "v1.2.0.msg").string()});
    git(repo, {"checkout", "-q", "-b", "experiment"});
    e1 = commit("Experiment", 6);
    git(repo, {"tag", "-a", "v2.0.0", "-m", "Not on main"});
    git(repo, {"checkout", "-q", "main"});
    c4 = commit("Chore", 7);
    write(tmp.path() / "v1.3.0.tag", "object " + c4 +
                                         "\ntype commit\ntag v1.3.0\n"
                                         "tagger Test User <test@example.com> 1704456000 +0100\n\nRelease 1.3.0\n" +
                                         kSshBlock);
    const std::string tag_object = git(repo, {"mktag"}, tmp.path() / "v1.3.0.tag");
    git(repo, {"update-ref", "refs/tags/v1.3.0", tag_object});
    git(repo, {"tag", "release-5"});
    git(repo, {"tag", "vnext"});
    git(repo, {"branch", "both", c1});
    git(repo, {"tag", "both", c2});
  }

  git::Repository open(const fs::path& path) const {
    auto opened = git::Repository::open(path.string());
    INFO((opened ? std::string() : opened.error().message));
    REQUIRE(opened.ok());
    return std::move(opened).value();
  }
  git::Repository open() const { return open(repo); }
};

release::Request request(const std::string& ref) {
  release::Request r;
  r.ref = ref;
  r.environment = "production";
  r.default_branch = "main";
  return r;
}

std::vector<std::string> shas(const std::vector<release::Commit>& commits) {
  std::vector<std::string> out;
  for (const auto& c : commits) out.push_back(c.sha);
  return out;
}

}  // namespace

TEST_CASE("open: a directory that is not a repository says to add actions/checkout") {
  TempDir tmp;
  auto opened = git::Repository::open(tmp.path().string());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == "not_a_repository");
  CHECK(opened.error().message == "GITHUB_WORKSPACE (" + tmp.path().string() +
                                      ") is not a git repository: add actions/checkout before deploy-action, "
                                      "with fetch-depth: 0");
  // Not searched upwards: a subdirectory of a repository is not the checkout.
  Fixture f;
  fs::create_directories(f.repo / "sub");
  auto sub = git::Repository::open((f.repo / "sub").string());
  REQUIRE_FALSE(sub.ok());
  CHECK(sub.error().code == "not_a_repository");
}

TEST_CASE("resolve: tags, branches and SHAs as the action gets them") {
  Fixture f;
  const auto repo = f.open();
  CHECK_FALSE(repo.is_shallow());
  // The checkout is main's last commit, as the action compares it with the release.
  CHECK(repo.head_commit() == f.c4);

  auto resolved = [&](const std::string& ref) {
    auto r = repo.resolve(ref);
    INFO(ref, ": ", (r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    return **r;
  };

  SUBCASE("annotated tag, full ref") {
    const auto ref = resolved("refs/tags/v1.0.0");
    CHECK(ref.kind == release::RefKind::tag);
    CHECK(ref.name == "v1.0.0");
    CHECK(ref.full_name == "refs/tags/v1.0.0");
    CHECK(ref.sha == f.c1);
    CHECK(ref.annotated);
    CHECK(ref.signature == release::Signature::none);
    REQUIRE(ref.tagger);
    CHECK(*ref.tagger == release::Person{"Test User", "test@example.com", 1704110400, 0});
    CHECK(ref.message == "Release 1.0.0\n");
  }
  SUBCASE("lightweight tag, bare name") {
    const auto ref = resolved("v1.1.0");
    CHECK(ref.kind == release::RefKind::tag);
    CHECK(ref.full_name == "refs/tags/v1.1.0");
    CHECK(ref.sha == f.m1);
    CHECK_FALSE(ref.annotated);
    CHECK_FALSE(ref.tagger);
    CHECK(ref.message.empty());
  }
  SUBCASE("annotated tag with a PGP signature block (git tag -a -F)") {
    const auto ref = resolved("refs/tags/v1.2.0");
    CHECK(ref.sha == f.c3);
    CHECK(ref.annotated);
    CHECK(ref.signature == release::Signature::pgp);
    CHECK(ref.message == "Release 1.2.0\n\nNotes.\n");
  }
  SUBCASE("annotated tag with an SSH signature block (git mktag)") {
    const auto ref = resolved("v1.3.0");
    CHECK(ref.sha == f.c4);
    CHECK(ref.signature == release::Signature::ssh);
    CHECK(ref.message == "Release 1.3.0\n");
    REQUIRE(ref.tagger);
    CHECK(*ref.tagger == release::Person{"Test User", "test@example.com", 1704456000, 60});
  }
  SUBCASE("branches, full and bare") {
    const auto main = resolved("refs/heads/main");
    CHECK(main.kind == release::RefKind::branch);
    CHECK(main.name == "main");
    CHECK(main.full_name == "refs/heads/main");
    CHECK(main.sha == f.c4);
    CHECK_FALSE(main.annotated);
    const auto experiment = resolved("experiment");
    CHECK(experiment.kind == release::RefKind::branch);
    CHECK(experiment.sha == f.e1);
  }
  SUBCASE("commit SHAs, full and abbreviated") {
    const auto full = resolved(f.c2);
    CHECK(full.kind == release::RefKind::commit);
    CHECK(full.sha == f.c2);
    CHECK(full.name == f.c2);
    CHECK(full.full_name.empty());
    CHECK(resolved(f.m1.substr(0, 7)).sha == f.m1);
  }
  SUBCASE("refs that are not there") {
    for (const std::string ref : {"refs/tags/v9.9.9", "refs/heads/nope", "nope", "v9.9.9",
                                  "0000000000000000000000000000000000000000", "abcdef0"}) {
      CAPTURE(ref);
      auto r = repo.resolve(ref);
      REQUIRE(r.ok());
      CHECK_FALSE(r->has_value());
    }
  }
  SUBCASE("refs that cannot be") {
    struct Case {
      std::string ref;
      std::string code;
    };
    for (const auto& c : std::vector<Case>{{"refs/pull/1/merge", "invalid_ref"},
                                           {"", "invalid_ref"},
                                           {"bad..name", "invalid_ref"},
                                           {"refs/tags/a b", "invalid_ref"},
                                           {"both", "ambiguous_ref"}}) {
      CAPTURE(c.ref);
      auto r = repo.resolve(c.ref);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == c.code);
    }
    CHECK(resolved("refs/tags/both").sha == f.c2);
    CHECK(resolved("refs/heads/both").sha == f.c1);
  }
}

TEST_CASE("tags, ancestry and the commits between two releases") {
  Fixture f;
  const auto repo = f.open();

  CHECK(repo.tags() == std::vector<release::Tag>{
                           {"both", f.c2, false},
                           {"release-5", f.c4, false},
                           {"v1.0.0", f.c1, true},
                           {"v1.1.0", f.m1, false},
                           {"v1.2.0", f.c3, true},
                           {"v1.3.0", f.c4, true},
                           {"v2.0.0", f.e1, true},
                           {"vnext", f.c4, false},
                       });

  CHECK(repo.branch_commit("main") == f.c4);  // no remote here: refs/heads/main
  CHECK(repo.branch_commit("feature") == f.f1);
  CHECK_FALSE(repo.branch_commit("nope"));

  CHECK(repo.is_ancestor(f.c1, f.c4));
  CHECK(repo.is_ancestor(f.f1, f.c4));  // merged
  CHECK(repo.is_ancestor(f.c4, f.c4));
  CHECK_FALSE(repo.is_ancestor(f.e1, f.c4));
  CHECK_FALSE(repo.is_ancestor(f.c4, f.c1));

  auto between = repo.commits_between(f.c1, f.m1);
  REQUIRE(between.ok());
  CHECK(shas(*between) == std::vector<std::string>{f.m1, f.f1, f.c2});
  const auto& merge = between->front();
  CHECK(merge.summary == "Merge pull request #12 from x/y");
  CHECK(merge.message == "Merge pull request #12 from x/y\n\nFeature work\n");
  CHECK(merge.author == release::Person{"Test User", "test@example.com", 1704369600, 0});
  CHECK(merge.committer == merge.author);

  auto all = repo.commits_between("", f.c4);
  REQUIRE(all.ok());
  CHECK(shas(*all) == std::vector<std::string>{f.c4, f.c3, f.m1, f.f1, f.c2, f.c1});

  auto capped = repo.commits_between(f.c1, f.m1, 2);
  REQUIRE_FALSE(capped.ok());
  CHECK(capped.error().code == "too_many_commits");
  auto exact = repo.commits_between(f.c1, f.m1, 3);
  CHECK(exact.ok());

  auto unknown = repo.commits_between(f.c1, std::string(40, 'a'));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "unknown_commit");
}

TEST_CASE("resolve_release: each tag of the repository") {
  Fixture f;
  const auto repo = f.open();

  auto decide = [&](release::Request r) {
    auto d = git::resolve_release(repo, r);
    INFO(r.ref, ": ", (d ? std::string() : d.error().message));
    REQUIRE(d.ok());
    return std::move(d).value();
  };

  SUBCASE("v1.1.0: the merged pull request since v1.0.0") {
    const auto d = decide(request("refs/tags/v1.1.0"));
    REQUIRE(d.outcome.allowed);
    REQUIRE(d.release);
    CHECK(d.release->version == "1.1.0");
    CHECK(d.release->sha == f.m1);
    CHECK(d.release->previous == release::Point{"1.0.0", "v1.0.0", f.c1});
    CHECK(shas(d.release->commits) == std::vector<std::string>{f.m1, f.f1, f.c2});
    CHECK(d.release->pull_requests == std::vector<std::uint64_t>{12});
  }
  SUBCASE("v1.2.0 signed, required: the squash merge since v1.1.0") {
    auto r = request("v1.2.0");
    r.deployed = "v1.1.0";
    r.rules.require_annotated = true;
    r.rules.require_signed = true;
    const auto d = decide(r);
    REQUIRE(d.outcome.allowed);
    CHECK(d.outcome.message == "v1.2.0 at " + f.c3.substr(0, 7) +
                                   " on main; previous release v1.1.0; pgp signature present (not verified here)");
    CHECK(d.release->previous == release::Point{"1.1.0", "v1.1.0", f.m1});
    CHECK(shas(d.release->commits) == std::vector<std::string>{f.c3});
    CHECK(d.release->pull_requests == std::vector<std::uint64_t>{13});
  }
  SUBCASE("v1.3.0: v2.0.0 is off the branch and does not count") {
    const auto d = decide(request("refs/tags/v1.3.0"));
    REQUIRE(d.outcome.allowed);
    CHECK(d.release->previous == release::Point{"1.2.0", "v1.2.0", f.c3});
    CHECK(shas(d.release->commits) == std::vector<std::string>{f.c4});
    CHECK(d.release->pull_requests.empty());
  }
  SUBCASE("v1.0.0: first release, no changelog") {
    const auto d = decide(request("refs/tags/v1.0.0"));
    REQUIRE(d.outcome.allowed);
    CHECK_FALSE(d.release->previous);
    CHECK(d.release->commits.empty());
  }
  SUBCASE("refusals") {
    struct Case {
      std::string ref;
      std::function<void(release::Request&)> change;
      std::string reason;
    };
    const std::vector<Case> cases = {
        {"refs/tags/v2.0.0", [](release::Request&) {}, "tag_off_default_branch"},
        {"refs/tags/release-5", [](release::Request&) {}, "tag_pattern_mismatch"},
        {"refs/tags/vnext", [](release::Request&) {}, "not_semver"},
        {"refs/tags/v1.0.0", [](release::Request& r) { r.deployed = "v1.1.0"; }, "not_newer"},
        {"refs/tags/v1.1.0", [](release::Request& r) { r.rules.require_annotated = true; }, "tag_not_annotated"},
        {"refs/tags/v1.0.0", [](release::Request& r) { r.rules.require_signed = true; }, "tag_not_signed"},
        {"refs/tags/v1.3.0", [](release::Request& r) { r.deployed = "v1.2.5"; }, "tags_missing"},
        {"refs/tags/v9.9.9", [](release::Request&) {}, "tag_not_found"},
        {"refs/tags/v1.3.0", [](release::Request& r) { r.default_branch = "trunk"; }, "default_branch_not_found"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.ref);
      CAPTURE(c.reason);
      auto r = request(c.ref);
      c.change(r);
      const auto d = decide(r);
      CHECK_FALSE(d.outcome.allowed);
      CHECK(d.outcome.reason == c.reason);
      CHECK_FALSE(d.release);
    }
    auto older = request("refs/tags/v1.0.0");
    older.deployed = "v1.1.0";
    CHECK(decide(older).outcome.message ==
          "v1.0.0 is not newer than v1.1.0, now deployed to production; to go back, use mode rollback");
  }
  SUBCASE("a branch deploy") {
    const auto d = decide(request("refs/heads/main"));
    REQUIRE(d.outcome.allowed);
    CHECK(d.release->kind == release::RefKind::branch);
    CHECK(d.release->version == "main-" + f.c4.substr(0, 7));
  }
  SUBCASE("malformed refs are errors, not decisions") {
    auto d = git::resolve_release(repo, request("both"));
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().code == "ambiguous_ref");
  }
}

TEST_CASE("a clone: the default branch comes from origin, other branches too") {
  Fixture f;
  const fs::path clone = f.tmp.path() / "clone";
  f.git(f.tmp.path(), {"clone", "-q", "file://" + f.repo.string(), clone.string()});
  // The local main is moved away: origin/main is what actions/checkout fetched.
  f.git(clone, {"update-ref", "refs/heads/main", f.c1});
  const auto repo = f.open(clone);
  CHECK_FALSE(repo.is_shallow());
  CHECK(repo.branch_commit("main") == f.c4);
  auto experiment = repo.resolve("refs/heads/experiment");
  REQUIRE(experiment.ok());
  REQUIRE(experiment->has_value());
  CHECK((*experiment)->full_name == "refs/remotes/origin/experiment");
  CHECK((*experiment)->sha == f.e1);

  auto d = git::resolve_release(repo, request("refs/tags/v1.2.0"));
  REQUIRE(d.ok());
  CHECK(d->outcome.allowed);
  CHECK(d->release->pull_requests == std::vector<std::uint64_t>{13});
}

TEST_CASE("a shallow clone is refused: the previous release and changelog would be wrong") {
  Fixture f;
  const fs::path clone = f.tmp.path() / "shallow";
  f.git(f.tmp.path(), {"clone", "-q", "--depth", "1", "file://" + f.repo.string(), clone.string()});
  const auto repo = f.open(clone);
  CHECK(repo.is_shallow());
  auto d = git::resolve_release(repo, request("refs/tags/v1.3.0"));
  REQUIRE(d.ok());
  CHECK_FALSE(d->outcome.allowed);
  CHECK(d->outcome.reason == "shallow_clone");
  CHECK(d->outcome.message ==
        "GITHUB_WORKSPACE is a shallow clone, so the previous release and the commits since it cannot be "
        "found; set fetch-depth: 0 on actions/checkout");
}

TEST_CASE("a workspace owned by another user opens (the container runs as root over the runner's files)") {
  if (::geteuid() != 0) {
    MESSAGE("not root: cannot give the repository another owner; skipped");
    return;
  }
  Fixture f;
  for (const auto& entry : fs::recursive_directory_iterator(f.repo)) {
    REQUIRE(::lchown(entry.path().c_str(), 1001, 1001) == 0);
  }
  REQUIRE(::chown(f.repo.c_str(), 1001, 1001) == 0);
  const auto repo = f.open();
  auto ref = repo.resolve("v1.0.0");
  REQUIRE(ref.ok());
  REQUIRE(ref->has_value());
  CHECK((*ref)->sha == f.c1);
}

TEST_CASE("find_signature: the last line that starts a signature block, as git finds it") {
  struct Case {
    std::string message;
    release::Signature kind;
    std::size_t offset;
  };
  const std::vector<Case> cases = {
      {"Release\n", release::Signature::none, std::string::npos},
      {"Release\n" + kPgpBlock, release::Signature::pgp, 8},
      {"Release\n" + kSshBlock, release::Signature::ssh, 8},
      {"R\n-----BEGIN SIGNED MESSAGE-----\nx\n", release::Signature::x509, 2},
      {"R\n-----BEGIN PGP MESSAGE-----\nx\n", release::Signature::pgp, 2},
      {"quoted -----BEGIN PGP SIGNATURE----- mid-line\n", release::Signature::none, std::string::npos},
      {"-----BEGIN SSH SIGNATURE-----\nx\n-----BEGIN PGP SIGNATURE-----\ny\n", release::Signature::pgp, 32},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    const auto found = git::find_signature(c.message);
    CHECK(found.kind == c.kind);
    CHECK(found.offset == c.offset);
  }
}
