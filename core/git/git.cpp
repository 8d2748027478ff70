#include "core/git/git.hpp"

#include <git2.h>

#include <algorithm>
#include <array>

namespace deploy::git {
namespace {

// One owning handle type per libgit2 object kind, each freed by its own function.
template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Freer<T, Free>>;

using Reference = Handle<git_reference, git_reference_free>;
using ReferenceIterator = Handle<git_reference_iterator, git_reference_iterator_free>;
using Object = Handle<git_object, git_object_free>;
using Commit = Handle<git_commit, git_commit_free>;
using TagObject = Handle<git_tag, git_tag_free>;
using Revwalk = Handle<git_revwalk, git_revwalk_free>;

std::string last_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw Failure(what + " in " + path + ": " + last_error());
}

std::string to_hex(const git_oid* oid) {
  std::array<char, GIT_OID_HEXSZ + 1> buf{};
  git_oid_tostr(buf.data(), buf.size(), oid);
  return buf.data();
}

git_oid to_oid(const std::string& sha) {
  git_oid oid;
  if (sha.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, sha.c_str()) != 0) {
    throw std::invalid_argument("not a full commit SHA: " + sha.substr(0, 64));
  }
  return oid;
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); });
}

release::Person person(const git_signature* sig) {
  if (!sig) return {};
  return {sig->name ? sig->name : "", sig->email ? sig->email : "", static_cast<std::int64_t>(sig->when.time),
          sig->when.offset};
}

bool valid_ref_name(const std::string& name) {
  int valid = 0;
  return git_reference_name_is_valid(&valid, name.c_str()) == 0 && valid != 0;
}

// The reference, or null when it does not exist (symbolic references resolved).
Reference lookup_ref(git_repository* repo, const std::string& name, const std::string& path) {
  git_reference* raw = nullptr;
  const int rc = git_reference_lookup(&raw, repo, name.c_str());
  if (rc == GIT_ENOTFOUND) return nullptr;
  if (rc != 0) fail("reading " + name, path);
  Reference ref(raw);
  if (git_reference_type(ref.get()) == GIT_REFERENCE_DIRECT) return ref;
  git_reference* resolved = nullptr;
  const int rrc = git_reference_resolve(&resolved, ref.get());
  if (rrc == GIT_ENOTFOUND) return nullptr;  // a dangling symbolic reference
  if (rrc != 0) fail("resolving " + name, path);
  return Reference(resolved);
}

// The object a direct reference names, and the commit it peels to (null when it peels to a tree
// or blob).
struct Peeled {
  Object target;
  Object commit;
};

Peeled peel(git_repository* repo, const git_reference* ref, const std::string& path) {
  const std::string name = git_reference_name(ref);
  git_object* target = nullptr;
  if (git_object_lookup(&target, repo, git_reference_target(ref), GIT_OBJECT_ANY) != 0) {
    fail("reading the object " + name + " points at", path);
  }
  Peeled out{Object(target), nullptr};
  git_object* commit = nullptr;
  const int rc = git_object_peel(&commit, out.target.get(), GIT_OBJECT_COMMIT);
  if (rc == 0) {
    out.commit.reset(commit);
  } else if (rc != GIT_EINVALIDSPEC && rc != GIT_EPEEL && rc != GIT_ENOTFOUND) {
    fail("peeling " + name + " to a commit", path);
  }
  return out;
}

Result<std::optional<release::Ref>> tag_ref(git_repository* repo, const Reference& ref, const std::string& name,
                                            const std::string& path) {
  auto peeled = peel(repo, ref.get(), path);
  if (!peeled.commit) {
    return Error{"tag_not_commit",
                 "tag " + name.substr(0, 64) + " does not point at a commit; release tags must tag a commit"};
  }
  release::Ref out;
  out.kind = release::RefKind::tag;
  out.name = name;
  out.full_name = git_reference_name(ref.get());
  out.sha = to_hex(git_object_id(peeled.commit.get()));
  if (git_object_type(peeled.target.get()) == GIT_OBJECT_TAG) {
    git_tag* raw = nullptr;
    if (git_tag_lookup(&raw, repo, git_object_id(peeled.target.get())) != 0) fail("reading tag " + name, path);
    TagObject tag(raw);
    out.annotated = true;
    if (const git_signature* tagger = git_tag_tagger(tag.get())) out.tagger = person(tagger);
    const std::string message = git_tag_message(tag.get()) ? git_tag_message(tag.get()) : "";
    const auto block = find_signature(message);
    out.signature = block.kind;
    out.message = message.substr(0, block.offset);
  }
  return std::optional<release::Ref>(std::move(out));
}

std::optional<release::Ref> commit_ref(const Peeled& peeled, release::RefKind kind, const std::string& name,
                                       const git_reference* ref) {
  release::Ref out;
  out.kind = kind;
  out.name = name;
  out.full_name = git_reference_name(ref);
  out.sha = to_hex(git_object_id(peeled.commit.get()));
  return out;
}

}  // namespace

Library::Library() {
  if (git_libgit2_init() < 0) throw Failure("initialising libgit2: " + last_error());
}
Library::Library(const Library&) : Library() {}
Library::~Library() { git_libgit2_shutdown(); }

void Repository::Close::operator()(git_repository* repo) const { git_repository_free(repo); }

Repository::Repository(std::string path, git_repository* repo) : path_(std::move(path)), repo_(repo) {}
Repository::~Repository() = default;

Result<Repository> Repository::open(const std::string& workspace) {
  Library library;  // libgit2 must be initialised before the first call
  // The action runs as root in its container over a workspace the runner's user owns, so
  // libgit2's ownership check (safe.directory) would refuse every run. The check guards against a
  // repository's config making git run programs (hooks, fsmonitor, filters); nothing here runs
  // any: we only read refs and objects. The setting is process-wide; libgit2 is used only here.
  if (git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0) != 0) {
    throw Failure("disabling libgit2's ownership check: " + last_error());
  }
  git_repository* raw = nullptr;
  const int rc = git_repository_open_ext(&raw, workspace.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  if (rc == GIT_ENOTFOUND) {
    return Error{"not_a_repository", "GITHUB_WORKSPACE (" + workspace +
                                         ") is not a git repository: add actions/checkout before "
                                         "deploy-action, with fetch-depth: 0"};
  }
  if (rc == GIT_EOWNER) {
    return Error{"not_a_repository", "the git repository in GITHUB_WORKSPACE (" + workspace +
                                         ") is owned by another user: " + last_error() +
                                         "; add it to safe.directory in the global git config"};
  }
  if (rc != 0) {
    return Error{"not_a_repository",
                 "cannot open the git repository in GITHUB_WORKSPACE (" + workspace + "): " + last_error()};
  }
  return Repository(workspace, raw);
}

bool Repository::is_shallow() const {
  const int rc = git_repository_is_shallow(repo_.get());
  if (rc < 0) fail("checking whether the clone is shallow", path_);
  return rc == 1;
}

std::optional<std::string> Repository::head_commit() const {
  git_oid oid;
  const int rc = git_reference_name_to_id(&oid, repo_.get(), "HEAD");
  if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return std::nullopt;
  if (rc < 0) fail("reading HEAD", path_);
  return to_hex(&oid);
}

Result<std::optional<release::Ref>> Repository::resolve(std::string_view text) const {
  const std::string ref_text(text);
  auto invalid = [&] {
    return Error{"invalid_ref", "ref " + ref_text.substr(0, 64) +
                                    " is not a tag, a branch or a commit SHA that deploy-action can "
                                    "deploy; use refs/tags/<tag>, refs/heads/<branch>, a name or a SHA"};
  };
  // A pull request's head (deploy-bot's /deploy ENV): refs/pull/N/head as GitHub names it, or
  // where actions/checkout fetches it (refs/remotes/pull/N/head). Deployed as its commit.
  if (text.starts_with("refs/pull/") && text.ends_with("/head")) {
    if (!valid_ref_name(ref_text)) return invalid();
    const std::string remote = "refs/remotes/" + ref_text.substr(5);
    for (const std::string& full : {ref_text, remote}) {
      Reference pull = lookup_ref(repo_.get(), full, path_);
      if (!pull) continue;
      auto peeled = peel(repo_.get(), pull.get(), path_);
      if (!peeled.commit) fail(ref_text + " does not point at a commit", path_);
      auto out = commit_ref(peeled, release::RefKind::commit, "", pull.get());
      out->name = out->sha;
      return out;
    }
    return std::optional<release::Ref>();
  }
  std::string tag_name;
  std::string branch_name;
  if (auto named = release::classify(text)) {
    (named->kind == release::RefKind::tag ? tag_name : branch_name) = named->name;
  } else if (text.starts_with("refs/") || text.empty()) {
    return invalid();
  } else {
    tag_name = branch_name = ref_text;
  }

  Reference tag;
  if (!tag_name.empty()) {
    if (!valid_ref_name("refs/tags/" + tag_name)) return invalid();
    tag = lookup_ref(repo_.get(), "refs/tags/" + tag_name, path_);
  }
  Reference branch;
  if (!branch_name.empty()) {
    if (!valid_ref_name("refs/heads/" + branch_name)) return invalid();
    branch = lookup_ref(repo_.get(), "refs/heads/" + branch_name, path_);
    if (!branch) branch = lookup_ref(repo_.get(), "refs/remotes/origin/" + branch_name, path_);
  }
  if (tag && branch) {
    return Error{"ambiguous_ref", ref_text.substr(0, 64) + " is both a tag and a branch; give refs/tags/" +
                                      ref_text.substr(0, 64) + " or refs/heads/" + ref_text.substr(0, 64)};
  }
  if (tag) return tag_ref(repo_.get(), tag, tag_name, path_);
  if (branch) {
    auto peeled = peel(repo_.get(), branch.get(), path_);
    if (!peeled.commit) fail("branch " + branch_name + " does not point at a commit", path_);
    return commit_ref(peeled, release::RefKind::branch, branch_name, branch.get());
  }

  // A bare name that is no ref: a commit SHA, full or abbreviated.
  if (release::classify(text) || text.size() < 7 || text.size() > GIT_OID_HEXSZ || !is_hex(text)) {
    return std::optional<release::Ref>();
  }
  git_oid prefix;
  if (git_oid_fromstrn(&prefix, ref_text.data(), ref_text.size()) != 0) return invalid();
  git_object* raw = nullptr;
  const int rc = git_object_lookup_prefix(&raw, repo_.get(), &prefix, ref_text.size(), GIT_OBJECT_ANY);
  if (rc == GIT_ENOTFOUND) return std::optional<release::Ref>();
  if (rc == GIT_EAMBIGUOUS) {
    return Error{"ambiguous_ref", "SHA " + ref_text + " is a prefix of several objects; give the full SHA"};
  }
  if (rc != 0) fail("looking up commit " + ref_text, path_);
  Object object(raw);
  git_object* commit = nullptr;
  if (git_object_peel(&commit, object.get(), GIT_OBJECT_COMMIT) != 0) {
    return Error{"invalid_ref", ref_text + " is not a commit; give a commit SHA, a tag or a branch"};
  }
  Object owned(commit);
  release::Ref out;
  out.kind = release::RefKind::commit;
  out.sha = to_hex(git_object_id(owned.get()));
  out.name = out.sha;
  return std::optional<release::Ref>(std::move(out));
}

std::optional<std::string> Repository::branch_commit(std::string_view branch) const {
  const std::string name(branch);
  for (const std::string& full : {"refs/remotes/origin/" + name, "refs/heads/" + name}) {
    if (!valid_ref_name(full)) return std::nullopt;
    auto ref = lookup_ref(repo_.get(), full, path_);
    if (!ref) continue;
    auto peeled = peel(repo_.get(), ref.get(), path_);
    if (!peeled.commit) fail(full + " does not point at a commit", path_);
    return to_hex(git_object_id(peeled.commit.get()));
  }
  return std::nullopt;
}

bool Repository::is_ancestor(const std::string& sha, const std::string& head) const {
  const git_oid commit = to_oid(sha);
  const git_oid tip = to_oid(head);
  if (git_oid_equal(&commit, &tip)) return true;
  const int rc = git_graph_descendant_of(repo_.get(), &tip, &commit);
  if (rc < 0) fail("checking whether " + sha + " is an ancestor of " + head, path_);
  return rc == 1;
}

std::vector<release::Tag> Repository::tags() const {
  git_reference_iterator* raw = nullptr;
  if (git_reference_iterator_glob_new(&raw, repo_.get(), "refs/tags/*") != 0) fail("listing tags", path_);
  ReferenceIterator iterator(raw);
  std::vector<release::Tag> out;
  while (true) {
    git_reference* next = nullptr;
    const int rc = git_reference_next(&next, iterator.get());
    if (rc == GIT_ITEROVER) break;
    if (rc != 0) fail("listing tags", path_);
    Reference ref(next);
    if (git_reference_type(ref.get()) != GIT_REFERENCE_DIRECT) continue;  // symbolic tags: none in practice
    auto peeled = peel(repo_.get(), ref.get(), path_);
    if (!peeled.commit) continue;
    constexpr std::string_view kPrefix = "refs/tags/";
    out.push_back({std::string(git_reference_name(ref.get())).substr(kPrefix.size()),
                   to_hex(git_object_id(peeled.commit.get())), git_object_type(peeled.target.get()) == GIT_OBJECT_TAG});
  }
  std::sort(out.begin(), out.end(), [](const release::Tag& a, const release::Tag& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<release::Commit>> Repository::commits_between(const std::string& from, const std::string& to,
                                                                 std::size_t cap) const {
  git_revwalk* raw = nullptr;
  if (git_revwalk_new(&raw, repo_.get()) != 0) fail("starting a history walk", path_);
  Revwalk walk(raw);
  if (git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL) != 0) fail("sorting a history walk", path_);
  const git_oid to_id = to_oid(to);
  if (git_revwalk_push(walk.get(), &to_id) != 0) {
    return Error{"unknown_commit", "commit " + to + " is not in " + path_ + ": " + last_error()};
  }
  if (!from.empty()) {
    const git_oid from_id = to_oid(from);
    if (git_revwalk_hide(walk.get(), &from_id) != 0) {
      return Error{"unknown_commit", "commit " + from + " is not in " + path_ + ": " + last_error()};
    }
  }
  std::vector<release::Commit> out;
  git_oid id;
  while (true) {
    const int rc = git_revwalk_next(&id, walk.get());
    if (rc == GIT_ITEROVER) break;
    if (rc != 0) fail("walking the history from " + to, path_);
    if (out.size() == cap) {
      return Error{"too_many_commits", "more than " + std::to_string(cap) + " commits between " +
                                           (from.empty() ? std::string("the root") : from) + " and " + to +
                                           "; the changelog is capped, release more often"};
    }
    git_commit* rawc = nullptr;
    if (git_commit_lookup(&rawc, repo_.get(), &id) != 0) fail("reading commit " + to_hex(&id), path_);
    Commit commit(rawc);
    release::Commit c;
    c.sha = to_hex(&id);
    const char* message = git_commit_message(commit.get());
    c.message = message ? message : "";
    const char* summary = git_commit_summary(commit.get());
    c.summary = summary ? summary : "";
    c.author = person(git_commit_author(commit.get()));
    c.committer = person(git_commit_committer(commit.get()));
    out.push_back(std::move(c));
  }
  return out;
}

Result<release::Facts> gather_facts(const Repository& repo, const release::Request& request) {
  auto ref = repo.resolve(request.ref);
  if (!ref) return ref.error();
  release::Facts facts;
  facts.shallow = repo.is_shallow();
  facts.ref = *ref;
  facts.default_branch_sha = repo.branch_commit(request.default_branch);
  facts.tags = repo.tags();
  if (facts.default_branch_sha) {
    facts.on_default_branch = [&repo, head = *facts.default_branch_sha](const std::string& sha) {
      return repo.is_ancestor(sha, head);
    };
  } else {
    facts.on_default_branch = [](const std::string&) { return false; };
  }
  return facts;
}

Result<release::Decision> resolve_release(const Repository& repo, const release::Request& request) {
  auto facts = gather_facts(repo, request);
  if (!facts) return facts.error();
  auto decision = release::decide(request, *facts);
  if (decision.release && decision.release->previous) {
    auto commits = repo.commits_between(decision.release->previous->sha, decision.release->sha);
    if (!commits) return commits.error();
    release::add_changelog(*decision.release, std::move(commits).value());
  }
  return decision;
}

SignatureBlock find_signature(std::string_view message) {
  static constexpr std::array<std::pair<std::string_view, release::Signature>, 4> kMarkers = {{
      {"-----BEGIN PGP SIGNATURE-----", release::Signature::pgp},
      {"-----BEGIN PGP MESSAGE-----", release::Signature::pgp},
      {"-----BEGIN SIGNED MESSAGE-----", release::Signature::x509},
      {"-----BEGIN SSH SIGNATURE-----", release::Signature::ssh},
  }};
  SignatureBlock found;
  std::size_t line = 0;
  while (line < message.size()) {
    const auto rest = message.substr(line);
    for (const auto& [marker, kind] : kMarkers) {
      if (rest.starts_with(marker)) found = {kind, line};  // git takes the last one
    }
    const auto eol = message.find('\n', line);
    if (eol == std::string_view::npos) break;
    line = eol + 1;
  }
  return found;
}

}  // namespace deploy::git
