// The git edge: facts about the checkout in GITHUB_WORKSPACE, read with libgit2 (never by running
// git). The rules over these facts are in core/release.hpp; this file only reads.
//
// Failures of the user's set-up (no repository, an ambiguous or malformed ref, too many commits)
// are Results with a code and a message that says what to do. Failures of the repository itself
// (unreadable objects, a corrupt pack) throw git::Failure, with libgit2's message and what was
// being read.
//
// A Repository is not safe for concurrent use from several threads (libgit2's rule).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/release/release.hpp"
#include "core/result.hpp"

struct git_repository;

namespace deploy::git {

class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One reference on libgit2's global state (git_libgit2_init / git_libgit2_shutdown, which libgit2
// counts itself). Every Repository holds one, so libgit2 is initialised exactly while a handle may
// use it, whatever the order of destruction at exit.
class Library {
 public:
  Library();
  ~Library();
  Library(const Library&);
  Library& operator=(const Library&) { return *this; }
};

class Repository {
 public:
  // Opens the repository at exactly this path (no search in parent directories: a workspace
  // inside some other repository must not be mistaken for the checkout). Error code:
  // "not_a_repository".
  static Result<Repository> open(const std::string& workspace);

  Repository(Repository&&) noexcept = default;
  Repository& operator=(Repository&&) noexcept = default;
  ~Repository();

  const std::string& path() const { return path_; }
  bool is_shallow() const;
  // The commit checked out (HEAD, attached or detached); nullopt in a repository without commits.
  std::optional<std::string> head_commit() const;

  // The ref as the action gets it: "refs/tags/v1.2.0", "refs/heads/main" (the local branch, else
  // refs/remotes/origin/main), or a bare name: a tag, a branch, or a commit SHA (7 to 40 hex
  // digits). nullopt when there is no such ref. Error codes: "invalid_ref" (not a valid ref name,
  // or a refs/ prefix other than tags and heads), "ambiguous_ref" (a bare name that is both a tag
  // and a branch, or a SHA prefix of several objects), "tag_not_commit" (a tag of a tree or blob).
  Result<std::optional<release::Ref>> resolve(std::string_view ref) const;

  // The commit of a branch: refs/remotes/origin/<name> (what actions/checkout fetched), else
  // refs/heads/<name>. nullopt when neither exists.
  std::optional<std::string> branch_commit(std::string_view branch) const;

  // Whether `sha` is `head` or an ancestor of it. Both must be full SHAs of commits.
  bool is_ancestor(const std::string& sha, const std::string& head) const;

  // Every tag peeled to its commit, sorted by name. Tags of trees and blobs are left out.
  std::vector<release::Tag> tags() const;

  // The commits reachable from `to` and not from `from` (empty `from`: all ancestors of `to`),
  // newest first in topological order (children before parents). Both are full SHAs (anything
  // else is a caller bug: std::invalid_argument). Error codes: "unknown_commit",
  // "too_many_commits" (more than `cap`).
  Result<std::vector<release::Commit>> commits_between(const std::string& from, const std::string& to,
                                                       std::size_t cap = kMaxCommits) const;

  static constexpr std::size_t kMaxCommits = 10000;

 private:
  struct Close {
    void operator()(git_repository* repo) const;
  };
  Repository(std::string path, git_repository* repo);

  Library library_;  // first: released last, after the handle below
  std::string path_;
  std::unique_ptr<git_repository, Close> repo_;
};

// The facts release::decide needs, for request.ref and request.default_branch. The returned
// Facts asks `repo` for ancestry, so it must not outlive `repo`. Errors: those of resolve().
Result<release::Facts> gather_facts(const Repository& repo, const release::Request& request);

// gather_facts, release::decide, and for an allowed tag release with a previous release, the
// commits between the two (release::add_changelog). Errors: those of gather_facts and
// commits_between; rule refusals are in the Decision.
Result<release::Decision> resolve_release(const Repository& repo, const release::Request& request);

// The signature block of an annotated tag's message: the last line that starts a PGP, X.509 or
// SSH signature, as git finds it. Pure; exposed for tests.
struct SignatureBlock {
  release::Signature kind = release::Signature::none;
  std::size_t offset = std::string::npos;  // where the block starts in the message
};
SignatureBlock find_signature(std::string_view message);

}  // namespace deploy::git
