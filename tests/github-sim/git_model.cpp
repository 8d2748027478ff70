#include "git_model.hpp"

#include <deque>
#include <set>

#include "crypto.hpp"
#include "state.hpp"

namespace deploy::sim::git {

json* commit(json& repo, std::string_view sha) {
  if (sha.size() < 7) return nullptr;
  json* found = nullptr;
  for (auto& c : repo["commits"]) {
    const auto& full = c["sha"].get_ref<const std::string&>();
    if (full == sha) return &c;
    if (full.compare(0, sha.size(), sha) == 0) {
      if (found != nullptr) return nullptr;  // ambiguous prefix
      found = &c;
    }
  }
  return found;
}

std::string peel(json& repo, const std::string& sha) {
  for (auto& tag : repo["tag_objects"]) {
    if (tag["sha"] == sha) return tag["object_sha"].get<std::string>();
  }
  return sha;
}

std::string branch_ref(std::string_view branch) {
  if (branch.starts_with("refs/")) return std::string(branch);
  if (branch.starts_with("heads/")) return "refs/" + std::string(branch);
  return "refs/heads/" + std::string(branch);
}

std::string tag_ref(std::string_view tag) {
  if (tag.starts_with("refs/")) return std::string(tag);
  if (tag.starts_with("tags/")) return "refs/" + std::string(tag);
  return "refs/tags/" + std::string(tag);
}

std::optional<std::string> resolve(json& repo, std::string_view ref) {
  if (ref.empty()) return std::nullopt;
  auto& refs = repo["refs"];
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (refs.contains(name)) return peel(repo, refs[name].get<std::string>());
    return std::nullopt;
  };
  if (ref.starts_with("refs/")) return lookup(std::string(ref));
  if (ref.starts_with("heads/") || ref.starts_with("tags/")) return lookup("refs/" + std::string(ref));
  if (auto branch = lookup("refs/heads/" + std::string(ref))) return branch;
  if (auto tag = lookup("refs/tags/" + std::string(ref))) return tag;
  if (json* c = commit(repo, ref)) return c->at("sha").get<std::string>();
  return std::nullopt;
}

std::optional<std::string> file_at(json& repo, const std::string& sha, const std::string& path) {
  std::string current = sha;
  while (!current.empty()) {
    json* c = commit(repo, current);
    if (c == nullptr) return std::nullopt;
    auto& files = (*c)["files"];
    if (files.contains(path)) {
      if (files[path].is_null()) return std::nullopt;
      return files[path].get<std::string>();
    }
    auto& parents = (*c)["parents"];
    current = parents.empty() ? std::string() : parents[0].get<std::string>();
  }
  return std::nullopt;
}

std::map<std::string, std::string> tree_at(json& repo, const std::string& sha) {
  // Walk to the root, then apply changes forward so later commits win.
  std::vector<json*> chain;
  std::string current = sha;
  while (!current.empty()) {
    json* c = commit(repo, current);
    if (c == nullptr) break;
    chain.push_back(c);
    auto& parents = (*c)["parents"];
    current = parents.empty() ? std::string() : parents[0].get<std::string>();
  }
  std::map<std::string, std::string> tree;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (auto& [path, content] : (**it)["files"].items()) {
      if (content.is_null()) {
        tree.erase(path);
      } else {
        tree[path] = content.get<std::string>();
      }
    }
  }
  return tree;
}

namespace {
std::string listing_sha(const std::map<std::string, std::string>& files) {
  std::string listing;
  for (const auto& [path, content] : files) listing += path + '\0' + git_blob_sha(content) + '\n';
  return sha1_hex("tree " + listing);
}

std::map<std::string, std::string> under(const std::map<std::string, std::string>& files, const std::string& folder) {
  std::map<std::string, std::string> out;
  const std::string prefix = folder.empty() ? "" : folder + "/";
  for (const auto& [path, content] : files) {
    if (path.starts_with(prefix)) out[path.substr(prefix.size())] = content;
  }
  return out;
}
}  // namespace

std::string tree_sha(json& repo, const std::string& sha) { return listing_sha(tree_at(repo, sha)); }

std::string subtree_sha(const std::map<std::string, std::string>& files, const std::string& folder) {
  return listing_sha(under(files, folder));
}

std::string store_blob(json& repo, const std::string& content) {
  std::string sha = git_blob_sha(content);
  repo["blobs"][sha] = content;
  return sha;
}

std::optional<std::string> blob(json& repo, const std::string& sha) {
  if (repo.contains("blobs") && repo["blobs"].contains(sha)) return repo["blobs"][sha].get<std::string>();
  if (repo.contains("trees")) {
    for (auto& [tree, files] : repo["trees"].items()) {
      for (auto& [path, content] : files.items()) {
        if (git_blob_sha(content.get<std::string>()) == sha) return content.get<std::string>();
      }
    }
  }
  for (auto& c : repo["commits"]) {
    for (auto& [path, content] : c["files"].items()) {
      if (content.is_string() && git_blob_sha(content.get<std::string>()) == sha) return content.get<std::string>();
    }
  }
  return std::nullopt;
}

std::string store_tree(json& repo, const std::map<std::string, std::string>& files) {
  std::set<std::string> folders{""};
  for (const auto& [path, content] : files) {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      folders.insert(path.substr(0, slash));
    }
  }
  for (const auto& folder : folders) {
    auto inside = under(files, folder);
    repo["trees"][listing_sha(inside)] = inside;
  }
  return listing_sha(files);
}

std::optional<std::map<std::string, std::string>> tree_files(json& repo, const std::string& sha) {
  if (repo.contains("trees") && repo["trees"].contains(sha)) {
    return repo["trees"][sha].get<std::map<std::string, std::string>>();
  }
  for (auto& c : repo["commits"]) {
    const std::string commit_sha = c["sha"];
    if (tree_sha(repo, commit_sha) == sha) {
      auto files = tree_at(repo, commit_sha);
      store_tree(repo, files);
      return files;
    }
  }
  return std::nullopt;
}

std::vector<std::string> ancestors(json& repo, const std::string& sha) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::deque<std::string> queue{sha};
  while (!queue.empty()) {
    std::string current = queue.front();
    queue.pop_front();
    if (!seen.insert(current).second) continue;
    json* c = commit(repo, current);
    if (c == nullptr) continue;
    out.push_back(current);
    for (auto& parent : (*c)["parents"]) queue.push_back(parent.get<std::string>());
  }
  return out;
}

bool is_ancestor(json& repo, const std::string& ancestor, const std::string& of) {
  for (const auto& sha : ancestors(repo, of)) {
    if (sha == ancestor) return true;
  }
  return false;
}

std::vector<FileChange> diff(json& repo, const std::string& from_sha, const std::string& to_sha) {
  std::map<std::string, std::string> before =
      from_sha.empty() ? std::map<std::string, std::string>{} : tree_at(repo, from_sha);
  std::map<std::string, std::string> after = tree_at(repo, to_sha);
  std::vector<FileChange> changes;
  for (const auto& [path, content] : after) {
    auto old = before.find(path);
    if (old == before.end()) {
      changes.push_back({path, "added", "", content});
    } else if (old->second != content) {
      changes.push_back({path, "modified", old->second, content});
    }
  }
  for (const auto& [path, content] : before) {
    if (!after.contains(path)) changes.push_back({path, "removed", content, ""});
  }
  return changes;
}

json signature_for(State& state, const json& who) {
  if (who.is_string()) {
    json& account = state.ensure_user(who.get<std::string>());
    std::string login = account["login"];
    std::string name =
        account.contains("name") && account["name"].is_string() ? account["name"].get<std::string>() : login;
    std::string email =
        account.contains("email") && account["email"].is_string()
            ? account["email"].get<std::string>()
            : std::to_string(account["id"].get<long long>()) + "+" + login + "@users.noreply.github.com";
    return {{"name", name}, {"email", email}, {"date", state.now_iso()}, {"login", login}};
  }
  json out = who.is_object() ? who : json::object();
  if (out.contains("login") && out["login"].is_string()) {
    json base = signature_for(state, out["login"]);
    for (auto& [key, value] : out.items()) base[key] = value;
    out = base;
  }
  if (!out.contains("name")) out["name"] = "Unknown";
  if (!out.contains("email")) out["email"] = "unknown@example.com";
  if (!out.contains("date")) out["date"] = state.now_iso();
  return out;
}

std::string create_commit(State& state, json& repo, std::vector<std::string> parents, const std::string& message,
                          const std::string& author_login, const json& files) {
  json signature = signature_for(state, author_login);
  long long nonce = state.next_id();
  std::string material = repo["owner"].get<std::string>() + "/" + repo["name"].get<std::string>() + "\n" + message +
                         "\n" + files.dump() + "\n" + std::to_string(nonce);
  for (const auto& p : parents) material += "\nparent " + p;
  std::string sha = sha1_hex(material);
  repo["commits"].push_back({{"sha", sha},
                             {"message", message},
                             {"author", signature},
                             {"committer", signature},
                             {"parents", parents},
                             {"files", files.is_object() ? files : json::object()}});
  return sha;
}

}  // namespace deploy::sim::git
