#include "render.hpp"

#include "access.hpp"
#include "encoding.hpp"

namespace deploy::sim {

json render_user(View& view, const std::string& login) {
  if (login.empty()) return nullptr;
  json& account = view.state.ensure_user(login);
  std::string name = account["login"];
  long long id = account["id"];
  std::string type = account["type"];
  // A bot's login ends in "[bot]": brackets are not allowed in a URL path, GitHub escapes them.
  std::string escaped;
  for (char c : name) escaped += c == '[' ? "%5B" : c == ']' ? "%5D" : std::string(1, c);
  std::string api_user = view.urls.api + "/users/" + escaped;
  json out = {{"login", name},
              {"id", id},
              {"node_id", node_id(type, id)},
              {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(id) + "?v=4"},
              {"gravatar_id", ""},
              {"url", type == "Organization" ? view.urls.api + "/orgs/" + name : api_user},
              {"html_url", view.urls.web + "/" + (type == "Bot" ? "apps/" + name.substr(0, name.size() - 5) : name)},
              {"followers_url", api_user + "/followers"},
              {"following_url", api_user + "/following{/other_user}"},
              {"gists_url", api_user + "/gists{/gist_id}"},
              {"starred_url", api_user + "/starred{/owner}{/repo}"},
              {"subscriptions_url", api_user + "/subscriptions"},
              {"organizations_url", api_user + "/orgs"},
              {"repos_url", api_user + "/repos"},
              {"events_url", api_user + "/events{/privacy}"},
              {"received_events_url", api_user + "/received_events"},
              {"type", type},
              {"user_view_type", "public"},
              {"site_admin", account.value("site_admin", false)}};
  if (account.contains("name")) out["name"] = account["name"];
  if (account.contains("email")) out["email"] = account["email"];
  return out;
}

std::string repo_api_url(View& view, json& repo) {
  return view.urls.api + "/repos/" + repo["owner"].get<std::string>() + "/" + repo["name"].get<std::string>();
}

std::string repo_html_url(View& view, json& repo) {
  return view.urls.web + "/" + repo["owner"].get<std::string>() + "/" + repo["name"].get<std::string>();
}

json render_repo(View& view, json& repo) {
  std::string owner = repo["owner"];
  std::string name = repo["name"];
  std::string full_name = owner + "/" + name;
  std::string api = repo_api_url(view, repo);
  std::string html = repo_html_url(view, repo);
  std::string host = view.urls.web.substr(view.urls.web.find("://") + 3);
  long long open_issues = 0;
  for (auto& issue : repo["issues"]) {
    if (issue["state"] == "open") ++open_issues;
  }
  bool is_private = repo["private"];
  json out = {
      {"id", repo["id"]},
      {"node_id", node_id("Repository", repo["id"].get<long long>())},
      {"name", name},
      {"full_name", full_name},
      {"private", is_private},
      {"owner", render_user(view, owner)},
      {"html_url", html},
      {"description", repo["description"]},
      {"fork", false},
      {"url", api},
      {"forks_url", api + "/forks"},
      {"keys_url", api + "/keys{/key_id}"},
      {"collaborators_url", api + "/collaborators{/collaborator}"},
      {"teams_url", api + "/teams"},
      {"hooks_url", api + "/hooks"},
      {"issue_events_url", api + "/issues/events{/number}"},
      {"events_url", api + "/events"},
      {"assignees_url", api + "/assignees{/user}"},
      {"branches_url", api + "/branches{/branch}"},
      {"tags_url", api + "/tags"},
      {"blobs_url", api + "/git/blobs{/sha}"},
      {"git_tags_url", api + "/git/tags{/sha}"},
      {"git_refs_url", api + "/git/refs{/sha}"},
      {"trees_url", api + "/git/trees{/sha}"},
      {"statuses_url", api + "/statuses/{sha}"},
      {"languages_url", api + "/languages"},
      {"stargazers_url", api + "/stargazers"},
      {"contributors_url", api + "/contributors"},
      {"subscribers_url", api + "/subscribers"},
      {"subscription_url", api + "/subscription"},
      {"commits_url", api + "/commits{/sha}"},
      {"git_commits_url", api + "/git/commits{/sha}"},
      {"comments_url", api + "/comments{/number}"},
      {"issue_comment_url", api + "/issues/comments{/number}"},
      {"contents_url", api + "/contents/{+path}"},
      {"compare_url", api + "/compare/{base}...{head}"},
      {"merges_url", api + "/merges"},
      {"archive_url", api + "/{archive_format}{/ref}"},
      {"downloads_url", api + "/downloads"},
      {"issues_url", api + "/issues{/number}"},
      {"pulls_url", api + "/pulls{/number}"},
      {"milestones_url", api + "/milestones{/number}"},
      {"notifications_url", api + "/notifications{?since,all,participating}"},
      {"labels_url", api + "/labels{/name}"},
      {"releases_url", api + "/releases{/id}"},
      {"deployments_url", api + "/deployments"},
      {"created_at", repo["created_at"]},
      {"updated_at", repo["updated_at"]},
      {"pushed_at", repo["pushed_at"]},
      {"git_url", "git://" + host + "/" + full_name + ".git"},
      {"ssh_url", "git@" + host.substr(0, host.find(':')) + ":" + full_name + ".git"},
      {"clone_url", html + ".git"},
      {"svn_url", html},
      {"homepage", nullptr},
      {"mirror_url", nullptr},
      {"size", 1},
      {"stargazers_count", 0},
      {"watchers_count", 0},
      {"language", nullptr},
      {"has_issues", true},
      {"has_projects", true},
      {"has_downloads", true},
      {"has_wiki", true},
      {"has_pages", false},
      {"has_discussions", false},
      {"forks_count", 0},
      {"archived", false},
      {"disabled", false},
      {"open_issues_count", open_issues},
      {"license", nullptr},
      {"allow_forking", true},
      {"is_template", false},
      {"web_commit_signoff_required", false},
      {"topics", json::array()},
      {"visibility", is_private ? "private" : "public"},
      {"forks", 0},
      {"open_issues", open_issues},
      {"watchers", 0},
      {"default_branch", repo["default_branch"]},
      {"network_count", 0},
      {"subscribers_count", 0},
  };
  if (view.viewer.kind == Identity::Kind::token) {
    Role role = granted_role(view.state, repo, view.viewer.login);
    if (role == Role::none && !is_private) role = Role::read;
    out["permissions"] = {{"admin", role >= Role::admin},
                          {"maintain", role >= Role::maintain},
                          {"push", role >= Role::write},
                          {"triage", role >= Role::triage},
                          {"pull", role >= Role::read}};
  }
  if (json* org = view.state.organization(owner)) {
    (void)org;
    out["organization"] = render_user(view, owner);
  }
  return out;
}

json render_app(View& view) {
  json& app = view.state.app();
  std::string slug = app["slug"];
  return {{"id", app["id"]},
          {"slug", slug},
          {"node_id", node_id("Integration", app["id"].get<long long>())},
          {"client_id", app["client_id"]},
          {"owner", render_user(view, app["owner"].get<std::string>())},
          {"name", app["name"]},
          {"description", app["description"]},
          {"external_url", app["external_url"]},
          {"html_url", view.urls.web + "/apps/" + slug},
          {"created_at", app["created_at"]},
          {"updated_at", app["created_at"]},
          {"permissions", app["permissions"]},
          {"events", app["events"]},
          {"installations_count", view.state.doc()["installations"].size()}};
}

json render_installation(View& view, json& installation) {
  long long id = installation["id"];
  std::string account = installation["account"];
  json& account_json = view.state.ensure_user(account);
  json out = {{"id", id},
              {"account", render_user(view, account)},
              {"repository_selection", installation["repository_selection"]},
              {"access_tokens_url", view.urls.api + "/app/installations/" + std::to_string(id) + "/access_tokens"},
              {"repositories_url", view.urls.api + "/installation/repositories"},
              {"html_url", view.urls.web + "/settings/installations/" + std::to_string(id)},
              {"app_id", view.state.has_app() ? view.state.app()["id"] : json(0)},
              {"app_slug", view.state.has_app() ? view.state.app()["slug"] : json("")},
              {"target_id", account_json["id"]},
              {"target_type", account_json["type"]},
              {"permissions", installation["permissions"]},
              {"events", installation["events"]},
              {"created_at", installation["created_at"]},
              {"updated_at", installation["created_at"]},
              {"single_file_name", nullptr},
              {"has_multiple_single_files", false},
              {"single_file_paths", json::array()},
              {"suspended_by", nullptr},
              {"suspended_at", nullptr}};
  if (view.state.has_app()) out["client_id"] = view.state.app()["client_id"];
  return out;
}

json render_reactions(View&, const std::string& url, const json& reactions) {
  json out = {{"url", url}, {"total_count", reactions.size()}};
  for (const char* content : {"+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"}) {
    int count = 0;
    for (const auto& r : reactions) {
      if (r["content"] == content) ++count;
    }
    out[content] = count;
  }
  return out;
}

json render_reaction(View& view, const json& reaction) {
  return {{"id", reaction["id"]},
          {"node_id", node_id("Reaction", reaction["id"].get<long long>())},
          {"user", render_user(view, reaction["user"].get<std::string>())},
          {"content", reaction["content"]},
          {"created_at", reaction["created_at"]}};
}

std::string author_association(View& view, json& repo, const std::string& login) {
  std::string who = lower(login);
  if (lower(repo["owner"].get<std::string>()) == who) return "OWNER";
  if (json* org = view.state.organization(repo["owner"].get<std::string>())) {
    for (auto& [member, role] : (*org)["members"].items()) {
      if (lower(member) == who) return "MEMBER";
    }
  }
  for (auto& [collaborator, role] : repo["collaborators"].items()) {
    if (lower(collaborator) == who) return "COLLABORATOR";
  }
  for (auto& commit : repo["commits"]) {
    if (commit["author"].contains("login") && lower(commit["author"]["login"].get<std::string>()) == who)
      return "CONTRIBUTOR";
  }
  return "NONE";
}

}  // namespace deploy::sim
