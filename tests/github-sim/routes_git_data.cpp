// The Git Data API: blobs, trees, commits and refs written directly, as a program appends to a
// branch without a checkout (deploy-action's audit branch). Refs move only forward unless forced.
#include <algorithm>

#include "access.hpp"
#include "api_error.hpp"
#include "encoding.hpp"
#include "git_model.hpp"
#include "render.hpp"
#include "routes.hpp"
#include "validation.hpp"

namespace deploy::sim::handlers {

namespace {

// Standard base64 (GitHub wraps it in lines) through the base64url decoder.
std::optional<std::string> base64_decode(std::string text) {
  std::string url;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '=') continue;
    url += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return base64url_decode(url);
}

bool is_sha(const std::string& text) {
  if (text.size() != 40) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Response create_blob(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  if (!body.contains("content") || !body["content"].is_string()) throw_validation("Blob", "content", "missing_field");
  std::string encoding = optional_string(body, "encoding", "Blob").value_or("utf-8");
  require_enum(encoding, {"utf-8", "base64"}, "encoding", "Blob");
  std::string content = body["content"].get<std::string>();
  if (encoding == "base64") {
    auto decoded = base64_decode(content);
    if (!decoded) throw_validation("Blob", "content", "invalid");
    content = *decoded;
  }
  std::string sha = git::store_blob(repo, content);
  View view = view_of(call);
  return Response::json(201, {{"sha", sha}, {"url", repo_api_url(view, repo) + "/git/blobs/" + sha}});
}

Response get_blob(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  auto content = git::blob(repo, call.param("file_sha"));
  if (!content) throw_not_found();
  View view = view_of(call);
  return Response::json(200, render_blob(view, repo, call.param("file_sha"), *content));
}

Response get_tree(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  const std::string& name = call.param("tree_sha");
  auto files = git::tree_files(repo, name);
  std::string sha = name;
  if (!files) {
    // GitHub also takes a ref or a commit here and answers with that commit's tree.
    auto commit = git::resolve(repo, name);
    if (!commit) throw_not_found();
    sha = git::tree_sha(repo, *commit);
    files = git::tree_at(repo, *commit);
    git::store_tree(repo, *files);
  }
  const auto* recursive = call.request.query_param("recursive");
  View view = view_of(call);
  return Response::json(200, render_tree(view, repo, sha, *files, recursive != nullptr && !recursive->empty()));
}

Response create_tree(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  std::map<std::string, std::string> files;
  if (auto base = optional_string(body, "base_tree", "Tree")) {
    auto base_files = git::tree_files(repo, *base);
    if (!base_files) throw_unprocessable("base_tree is not a valid tree oid");
    files = *base_files;
  }
  if (!body.contains("tree") || !body["tree"].is_array()) throw_validation("Tree", "tree", "missing_field");
  for (const auto& entry : body["tree"]) {
    if (!entry.is_object()) throw_validation("Tree", "tree", "invalid");
    std::string path = required_string(entry, "path", "Tree");
    std::string type = optional_string(entry, "type", "Tree").value_or("blob");
    if (type != "blob") throw_unprocessable("tree.type: only blob entries are simulated");
    if (entry.contains("sha") && entry["sha"].is_null()) {
      files.erase(path);
    } else if (entry.contains("content") && entry["content"].is_string()) {
      files[path] = entry["content"].get<std::string>();
      git::store_blob(repo, files[path]);
    } else {
      std::string sha = required_string(entry, "sha", "Tree");
      auto content = git::blob(repo, sha);
      if (!content) throw_unprocessable("tree.sha " + sha + " is not a valid blob");
      files[path] = *content;
    }
  }
  std::string sha = git::store_tree(repo, files);
  View view = view_of(call);
  return Response::json(201, render_tree(view, repo, sha, files, false));
}

Response create_git_commit(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  std::string message = required_string(body, "message", "Commit");
  std::string tree = required_string(body, "tree", "Commit");
  auto files = git::tree_files(repo, tree);
  if (!files) throw_unprocessable("Tree SHA does not exist");
  std::vector<std::string> parents;
  if (body.contains("parents")) {
    if (!body["parents"].is_array()) throw_validation("Commit", "parents", "invalid");
    for (const auto& parent : body["parents"]) {
      if (!parent.is_string() || !is_sha(parent.get<std::string>()) ||
          git::commit(repo, parent.get<std::string>()) == nullptr) {
        throw_unprocessable("Parent SHA does not exist or is not a commit object");
      }
      parents.push_back(parent.get<std::string>());
    }
  }
  // The sim keeps a commit as its changes against its first parent.
  std::map<std::string, std::string> before;
  if (!parents.empty()) before = git::tree_at(repo, parents.front());
  json changes = json::object();
  for (const auto& [path, content] : *files) {
    auto it = before.find(path);
    if (it == before.end() || it->second != content) changes[path] = content;
  }
  for (const auto& [path, content] : before) {
    if (!files->contains(path)) changes[path] = nullptr;
  }
  std::string sha = git::create_commit(call.state, repo, parents, message, call.actor(), changes);
  View view = view_of(call);
  return Response::json(201, render_git_commit(view, repo, sha));
}

Response create_ref(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  std::string ref = required_string(body, "ref", "Reference");
  std::string sha = required_string(body, "sha", "Reference");
  if (!ref.starts_with("refs/") || std::count(ref.begin(), ref.end(), '/') < 2) {
    throw_unprocessable("Reference name must start with 'refs/' and have at least two slashes.");
  }
  if (git::commit(repo, sha) == nullptr || !is_sha(sha)) throw_unprocessable("Object does not exist");
  if (repo["refs"].contains(ref)) throw_unprocessable("Reference already exists");
  repo["refs"][ref] = sha;
  View view = view_of(call);
  return Response::json(201, render_ref(view, repo, ref));
}

Response update_ref(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  std::string sha = required_string(body, "sha", "Reference");
  bool force = optional_bool(body, "force", "Reference").value_or(false);
  std::string name = "refs/" + call.param("ref");
  if (!repo["refs"].contains(name)) throw_unprocessable("Reference does not exist");
  if (git::commit(repo, sha) == nullptr || !is_sha(sha)) throw_unprocessable("Object does not exist");
  const std::string current = repo["refs"][name];
  if (!force && !git::is_ancestor(repo, current, sha)) throw_unprocessable("Update is not a fast forward");
  repo["refs"][name] = sha;
  View view = view_of(call);
  return Response::json(200, render_ref(view, repo, name));
}

// As GitHub: 204, or 422 "Reference does not exist" (deploy-action's and deploy-bot's locks rely
// on a deleted ref being free for the next atomic create).
Response delete_ref(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  std::string name = "refs/" + call.param("ref");
  if (!repo["refs"].contains(name)) throw_unprocessable("Reference does not exist");
  repo["refs"].erase(name);
  return Response::empty(204);
}

// Every ref whose full name starts with refs/{ref}, in name order; [] when none (not 404).
Response list_matching_refs(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  const std::string prefix = "refs/" + call.param("ref");
  View view = view_of(call);
  json out = json::array();
  std::vector<std::string> names;
  for (const auto& item : repo["refs"].items()) {
    if (item.key().starts_with(prefix)) names.push_back(item.key());
  }
  for (const auto& name : names) out.push_back(render_ref(view, repo, name));
  return Response::json(200, out);
}

}  // namespace deploy::sim::handlers
