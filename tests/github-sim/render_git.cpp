#include "render.hpp"

#include "crypto.hpp"
#include "encoding.hpp"
#include "git_model.hpp"

namespace deploy::sim {

namespace {

long long line_count(const std::string& text) {
  if (text.empty()) return 0;
  long long lines = 0;
  for (char c : text) {
    if (c == '\n') ++lines;
  }
  return text.back() == '\n' ? lines : lines + 1;
}

std::string patch_for(const git::FileChange& change) {
  auto prefixed = [](const std::string& text, char mark) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      out += mark + text.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return out;
  };
  long long removed = line_count(change.before);
  long long added = line_count(change.after);
  return "@@ -" + std::string(removed ? "1," : "0,") + std::to_string(removed) + " +" +
         std::string(added ? "1," : "0,") + std::to_string(added) + " @@\n" + prefixed(change.before, '-') +
         prefixed(change.after, '+');
}

json signature_json(const json& signature) {
  return {{"name", signature["name"]}, {"email", signature["email"]}, {"date", signature["date"]}};
}

}  // namespace

json render_commit(View& view, json& repo, const std::string& sha, bool with_files) {
  json& commit = *git::commit(repo, sha);
  std::string api = repo_api_url(view, repo);
  std::string html = repo_html_url(view, repo);
  long long comment_count = 0;
  for (auto& c : repo["commit_comments"]) {
    if (c["commit_id"] == sha) ++comment_count;
  }
  json parents = json::array();
  for (auto& parent : commit["parents"]) {
    std::string p = parent;
    parents.push_back({{"sha", p}, {"url", api + "/commits/" + p}, {"html_url", html + "/commit/" + p}});
  }
  auto account = [&view](const json& signature) -> json {
    if (signature.contains("login") && signature["login"].is_string())
      return render_user(view, signature["login"].get<std::string>());
    return nullptr;
  };
  std::string tree = git::tree_sha(repo, sha);
  json out = {{"sha", sha},
              {"node_id", base64_encode("04:Commit" + std::to_string(repo["id"].get<long long>()) + ":" + sha)},
              {"commit",
               {{"author", signature_json(commit["author"])},
                {"committer", signature_json(commit["committer"])},
                {"message", commit["message"]},
                {"tree", {{"sha", tree}, {"url", api + "/git/trees/" + tree}}},
                {"url", api + "/git/commits/" + sha},
                {"comment_count", comment_count},
                {"verification",
                 {{"verified", false},
                  {"reason", "unsigned"},
                  {"signature", nullptr},
                  {"payload", nullptr},
                  {"verified_at", nullptr}}}}},
              {"url", api + "/commits/" + sha},
              {"html_url", html + "/commit/" + sha},
              {"comments_url", api + "/commits/" + sha + "/comments"},
              {"author", account(commit["author"])},
              {"committer", account(commit["committer"])},
              {"parents", parents}};
  if (with_files) {
    std::string parent = commit["parents"].empty() ? "" : commit["parents"][0].get<std::string>();
    json files = json::array();
    long long additions = 0;
    long long deletions = 0;
    for (const auto& change : git::diff(repo, parent, sha)) {
      long long add = line_count(change.after);
      long long del = line_count(change.before);
      additions += add;
      deletions += del;
      std::string blob = git_blob_sha(change.status == "removed" ? change.before : change.after);
      files.push_back({{"sha", blob},
                       {"filename", change.filename},
                       {"status", change.status},
                       {"additions", add},
                       {"deletions", del},
                       {"changes", add + del},
                       {"blob_url", html + "/blob/" + sha + "/" + change.filename},
                       {"raw_url", html + "/raw/" + sha + "/" + change.filename},
                       {"contents_url", api + "/contents/" + change.filename + "?ref=" + sha},
                       {"patch", patch_for(change)}});
    }
    out["stats"] = {{"total", additions + deletions}, {"additions", additions}, {"deletions", deletions}};
    out["files"] = files;
  }
  return out;
}

json render_ref(View& view, json& repo, const std::string& name) {
  std::string target = repo["refs"][name];
  bool annotated = false;
  for (auto& tag : repo["tag_objects"]) {
    if (tag["sha"] == target) annotated = true;
  }
  std::string api = repo_api_url(view, repo);
  return {{"ref", name},
          {"node_id", base64_encode("03:Ref" + std::to_string(repo["id"].get<long long>()) + ":" + name)},
          {"url", api + "/git/" + name},
          {"object",
           {{"type", annotated ? "tag" : "commit"},
            {"sha", target},
            {"url", api + (annotated ? "/git/tags/" : "/git/commits/") + target}}}};
}

json render_blob(View& view, json& repo, const std::string& sha, const std::string& content) {
  return {{"sha", sha},
          {"node_id", base64_encode("04:Blob" + std::to_string(repo["id"].get<long long>()) + ":" + sha)},
          {"size", content.size()},
          {"url", repo_api_url(view, repo) + "/git/blobs/" + sha},
          {"content", base64_encode_wrapped(content)},
          {"encoding", "base64"}};
}

json render_tree(View& view, json& repo, const std::string& sha, const std::map<std::string, std::string>& files,
                 bool recursive) {
  std::string api = repo_api_url(view, repo);
  // Folders first appear when a file below them does; GitHub lists entries by path.
  std::map<std::string, json> entries;
  for (const auto& [path, content] : files) {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      std::string folder = path.substr(0, slash);
      if (!entries.contains(folder)) {
        std::string folder_sha = git::subtree_sha(files, folder);
        entries[folder] = {{"path", folder},
                           {"mode", "040000"},
                           {"type", "tree"},
                           {"sha", folder_sha},
                           {"url", api + "/git/trees/" + folder_sha}};
      }
      if (!recursive) break;
    }
    if (!recursive && path.find('/') != std::string::npos) continue;
    std::string blob_sha = git_blob_sha(content);
    entries[path] = {{"path", path},    {"mode", "100644"},       {"type", "blob"},
                     {"sha", blob_sha}, {"size", content.size()}, {"url", api + "/git/blobs/" + blob_sha}};
  }
  json tree = json::array();
  for (auto& [path, entry] : entries) tree.push_back(entry);
  return {{"sha", sha}, {"url", api + "/git/trees/" + sha}, {"tree", tree}, {"truncated", false}};
}

json render_git_commit(View& view, json& repo, const std::string& sha) {
  json& commit = *git::commit(repo, sha);
  std::string api = repo_api_url(view, repo);
  std::string html = repo_html_url(view, repo);
  json parents = json::array();
  for (auto& parent : commit["parents"]) {
    std::string p = parent;
    parents.push_back({{"sha", p}, {"url", api + "/git/commits/" + p}, {"html_url", html + "/commit/" + p}});
  }
  std::string tree = git::tree_sha(repo, sha);
  return {{"sha", sha},
          {"node_id", base64_encode("06:Commit" + std::to_string(repo["id"].get<long long>()) + ":" + sha)},
          {"url", api + "/git/commits/" + sha},
          {"html_url", html + "/commit/" + sha},
          {"author", signature_json(commit["author"])},
          {"committer", signature_json(commit["committer"])},
          {"message", commit["message"]},
          {"tree", {{"sha", tree}, {"url", api + "/git/trees/" + tree}}},
          {"parents", parents},
          {"verification",
           {{"verified", false},
            {"reason", "unsigned"},
            {"signature", nullptr},
            {"payload", nullptr},
            {"verified_at", nullptr}}}};
}

json render_file_entry(View& view, json& repo, const std::string& path, const std::string& type, const std::string& sha,
                       std::size_t size, const std::string& ref) {
  std::string api = repo_api_url(view, repo);
  std::string html = repo_html_url(view, repo);
  std::string self = api + "/contents/" + path + "?ref=" + ref;
  std::string git_url = api + (type == "dir" ? "/git/trees/" : "/git/blobs/") + sha;
  std::string html_url = html + (type == "dir" ? "/tree/" : "/blob/") + ref + "/" + path;
  auto slash = path.rfind('/');
  return {{"type", type},
          {"size", size},
          {"name", slash == std::string::npos ? path : path.substr(slash + 1)},
          {"path", path},
          {"sha", sha},
          {"url", self},
          {"git_url", git_url},
          {"html_url", html_url},
          {"download_url", type == "dir" ? json() : json(html + "/raw/" + ref + "/" + path)},
          {"_links", {{"self", self}, {"git", git_url}, {"html", html_url}}}};
}

json render_file(View& view, json& repo, const std::string& path, const std::string& content, const std::string& ref) {
  json out = render_file_entry(view, repo, path, "file", git_blob_sha(content), content.size(), ref);
  out["content"] = base64_encode_wrapped(content);
  out["encoding"] = "base64";
  return out;
}

}  // namespace deploy::sim
