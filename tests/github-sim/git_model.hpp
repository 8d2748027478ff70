// Git as the REST API exposes it: commits with parents and file changes, refs, annotated tags, and
// the questions the routes ask of them (resolve a ref, read a file at a commit, compare two
// commits). Commits store only the files they change; a commit's tree is its first-parent chain.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace deploy::sim {

class State;

namespace git {

using nlohmann::json;

json* commit(json& repo, std::string_view sha);  // full sha, or a unique prefix of 7+ characters
// A commit sha for: a sha, "refs/heads/B", "heads/B", "B" (branch), "refs/tags/T", "tags/T", "T".
std::optional<std::string> resolve(json& repo, std::string_view ref);
// Annotated tag objects resolve to the commit they point at.
std::string peel(json& repo, const std::string& sha);
std::optional<std::string> file_at(json& repo, const std::string& sha, const std::string& path);
std::map<std::string, std::string> tree_at(json& repo, const std::string& sha);
std::string tree_sha(json& repo, const std::string& sha);
// The commit and all its ancestors, nearest first.
std::vector<std::string> ancestors(json& repo, const std::string& sha);
bool is_ancestor(json& repo, const std::string& ancestor, const std::string& of);

struct FileChange {
  std::string filename;
  std::string status;  // "added", "modified", "removed"
  std::string before;
  std::string after;
};
std::vector<FileChange> diff(json& repo, const std::string& from_sha, const std::string& to_sha);

// A commit identity: {"name","email","date"} plus "login" when it is a known account.
json signature_for(State& state, const json& who);

// Appends a new commit (sha computed from its content) and returns its sha.
std::string create_commit(State& state, json& repo, std::vector<std::string> parents, const std::string& message,
                          const std::string& author_login, const json& files);

// --- the Git Data API's objects ---
// Blobs written through the API live in repo["blobs"] (sha -> content); trees in repo["trees"]
// (sha -> {path relative to the tree: content}), every subtree registered too, so any tree sha
// GitHub would show can be read back. Tree SHAs use the same formula as tree_sha(), so a commit
// made from a tree reports that tree.
std::string store_blob(json& repo, const std::string& content);
std::optional<std::string> blob(json& repo, const std::string& sha);
std::string store_tree(json& repo, const std::map<std::string, std::string>& files);
// The files of a tree sha (registered, or the tree of some commit); nullopt when unknown.
std::optional<std::map<std::string, std::string>> tree_files(json& repo, const std::string& sha);
// The sha of the subtree at `folder` ("a/b") of `files` (paths relative to the same root).
std::string subtree_sha(const std::map<std::string, std::string>& files, const std::string& folder);

// The full ref name for a branch or tag name given either way ("main" -> "refs/heads/main").
std::string branch_ref(std::string_view branch);
std::string tag_ref(std::string_view tag);

}  // namespace git
}  // namespace deploy::sim
