#include <algorithm>
#include <set>

#include "access.hpp"
#include "api_error.hpp"
#include "crypto.hpp"
#include "encoding.hpp"
#include "git_model.hpp"
#include "pagination.hpp"
#include "render.hpp"
#include "routes.hpp"

namespace deploy::sim::handlers {

namespace {
long long line_count(const std::string& text) {
  long long lines = 0;
  for (char c : text) {
    if (c == '\n') ++lines;
  }
  return !text.empty() && text.back() != '\n' ? lines + 1 : lines;
}

void require_not_empty(json& repo) {
  if (repo["commits"].empty()) throw_status(409, "Git Repository is empty.");
}
}  // namespace

Response get_commit(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  require_not_empty(repo);
  auto sha = git::resolve(repo, call.param("ref"));
  if (!sha) throw_unprocessable("No commit found for SHA: " + call.param("ref"));
  View view = view_of(call);
  return Response::json(200, render_commit(view, repo, *sha, true));
}

Response compare_commits(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  const std::string& basehead = call.param("basehead");
  auto dots = basehead.find("...");
  std::size_t dots_length = 3;
  if (dots == std::string::npos) {
    dots = basehead.find("..");
    dots_length = 2;
  }
  if (dots == std::string::npos) throw_not_found();
  auto base = git::resolve(repo, basehead.substr(0, dots));
  auto head = git::resolve(repo, basehead.substr(dots + dots_length));
  if (!base || !head) throw_not_found();

  std::vector<std::string> head_ancestors = git::ancestors(repo, *head);
  std::vector<std::string> base_ancestors = git::ancestors(repo, *base);
  std::set<std::string> in_base(base_ancestors.begin(), base_ancestors.end());
  std::set<std::string> in_head(head_ancestors.begin(), head_ancestors.end());
  std::string merge_base;
  for (const auto& sha : head_ancestors) {
    if (in_base.contains(sha)) {
      merge_base = sha;
      break;
    }
  }
  std::vector<std::string> ahead;
  for (const auto& sha : head_ancestors) {
    if (!in_base.contains(sha)) ahead.insert(ahead.begin(), sha);  // oldest first, as GitHub lists them
  }
  long long behind = 0;
  for (const auto& sha : base_ancestors) {
    if (!in_head.contains(sha)) ++behind;
  }
  std::string status = ahead.empty() ? (behind == 0 ? "identical" : "behind") : (behind == 0 ? "ahead" : "diverged");

  View view = view_of(call);
  json commits = json::array();
  Page page = page_of(call.request);
  bool paged = call.request.query_param("page") != nullptr || call.request.query_param("per_page") != nullptr;
  std::size_t begin = paged ? (page.page - 1) * page.per_page : (ahead.size() > 250 ? ahead.size() - 250 : 0);
  std::size_t end = paged ? begin + page.per_page : ahead.size();
  for (std::size_t i = begin; i < ahead.size() && i < end; ++i)
    commits.push_back(render_commit(view, repo, ahead[i], false));

  json files = json::array();
  if (!merge_base.empty()) {
    std::string api = repo_api_url(view, repo);
    std::string html = repo_html_url(view, repo);
    for (const auto& change : git::diff(repo, merge_base, *head)) {
      long long additions = line_count(change.after);
      long long deletions = line_count(change.before);
      files.push_back({{"sha", git_blob_sha(change.status == "removed" ? change.before : change.after)},
                       {"filename", change.filename},
                       {"status", change.status},
                       {"additions", additions},
                       {"deletions", deletions},
                       {"changes", additions + deletions},
                       {"blob_url", html + "/blob/" + *head + "/" + change.filename},
                       {"raw_url", html + "/raw/" + *head + "/" + change.filename},
                       {"contents_url", api + "/contents/" + change.filename + "?ref=" + *head}});
    }
  }
  std::string api = repo_api_url(view, repo);
  std::string html = repo_html_url(view, repo);
  json out = {{"url", api + "/compare/" + basehead},
              {"html_url", html + "/compare/" + basehead},
              {"permalink_url", html + "/compare/" + repo["owner"].get<std::string>() + ":" + base->substr(0, 7) +
                                    "..." + repo["owner"].get<std::string>() + ":" + head->substr(0, 7)},
              {"diff_url", html + "/compare/" + basehead + ".diff"},
              {"patch_url", html + "/compare/" + basehead + ".patch"},
              {"base_commit", render_commit(view, repo, *base, false)},
              {"merge_base_commit", merge_base.empty() ? json() : render_commit(view, repo, merge_base, false)},
              {"status", status},
              {"ahead_by", ahead.size()},
              {"behind_by", behind},
              {"total_commits", ahead.size()},
              {"commits", commits},
              {"files", files}};
  return Response::json(200, out);
}

Response get_content(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  std::string ref =
      call.request.query_param("ref") ? *call.request.query_param("ref") : repo["default_branch"].get<std::string>();
  auto sha = git::resolve(repo, ref);
  if (!sha) throw ApiError(404, {{"message", "No commit found for the ref " + ref}});
  std::string path = call.param("path");
  while (!path.empty() && path.back() == '/') path.pop_back();
  View view = view_of(call);
  if (auto content = git::file_at(repo, *sha, path))
    return Response::json(200, render_file(view, repo, path, *content, ref));
  // A directory: its direct entries, directories first as GitHub lists them alphabetically.
  std::map<std::string, json> entries;
  std::string prefix = path.empty() ? "" : path + "/";
  for (const auto& [file, content] : git::tree_at(repo, *sha)) {
    if (!file.starts_with(prefix)) continue;
    std::string rest = file.substr(prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) {
      entries[rest] = render_file_entry(view, repo, file, "file", git_blob_sha(content), content.size(), ref);
    } else {
      std::string dir = rest.substr(0, slash);
      if (!entries.contains(dir))
        entries[dir] = render_file_entry(view, repo, prefix + dir, "dir", sha1_hex(prefix + dir), 0, ref);
    }
  }
  if (entries.empty()) throw_not_found();
  json list = json::array();
  for (auto& [name, entry] : entries) list.push_back(entry);
  return Response::json(200, list);
}

Response get_ref(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  require_not_empty(repo);
  const std::string& ref = call.param("ref");
  // Any ref under refs/ (GitHub serves custom namespaces such as refs/deploy-locks/ too).
  if (ref.empty() || ref.starts_with("refs/")) throw_not_found();
  std::string name = "refs/" + ref;
  if (!repo["refs"].contains(name)) throw_not_found();
  View view = view_of(call);
  return Response::json(200, render_ref(view, repo, name));
}

// Every tag, each with the commit it points at (annotated tags peeled), names in descending order.
Response list_tags(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  View view = view_of(call);
  const std::string api = repo_api_url(view, repo);
  const std::string html = repo_html_url(view, repo);
  std::vector<std::string> names;
  for (auto& [ref, target] : repo["refs"].items()) {
    if (ref.starts_with("refs/tags/")) names.push_back(ref.substr(10));
  }
  std::sort(names.rbegin(), names.rend());
  json items = json::array();
  for (const auto& name : names) {
    const std::string commit = git::peel(repo, repo["refs"]["refs/tags/" + name].get<std::string>());
    items.push_back({{"name", name},
                     {"commit", {{"sha", commit}, {"url", api + "/commits/" + commit}}},
                     {"zipball_url", api + "/zipball/refs/tags/" + name},
                     {"tarball_url", api + "/tarball/refs/tags/" + name},
                     {"node_id", base64_encode("03:Tag" + std::to_string(repo["id"].get<long long>()) + ":" + name)}});
  }
  return paginated(call, items);
}

}  // namespace deploy::sim::handlers
