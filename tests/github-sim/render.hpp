// GitHub's JSON shapes, built from the state: each function returns the object as the REST API
// (and the webhook payloads) show it, with URLs built from the address the client used. The
// required fields of rest-api-subset.json's schemas are all present; values are consistent with
// the state (counts, shas, logins).
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "call.hpp"
#include "state.hpp"

namespace deploy::sim {

struct View {
  State& state;
  Urls urls;
  Identity viewer;  // for repository `permissions`
};

using nlohmann::json;

// render_accounts.cpp
json render_user(View& view, const std::string& login);  // null for an empty login
json render_repo(View& view, json& repo);
json render_app(View& view);
json render_installation(View& view, json& installation);
json render_reactions(View& view, const std::string& url, const json& reactions);
json render_reaction(View& view, const json& reaction);
std::string repo_api_url(View& view, json& repo);
std::string repo_html_url(View& view, json& repo);
std::string author_association(View& view, json& repo, const std::string& login);

// render_issues.cpp
json render_issue(View& view, json& repo, json& issue);
json render_issue_comment(View& view, json& repo, json& comment);
json render_pull(View& view, json& repo, json& issue);
json render_review(View& view, json& repo, json& review);
json render_commit_comment(View& view, json& repo, json& comment);

// render_git.cpp
json render_commit(View& view, json& repo, const std::string& sha, bool with_files);
json render_ref(View& view, json& repo, const std::string& name);
json render_file(View& view, json& repo, const std::string& path, const std::string& content, const std::string& ref);
json render_blob(View& view, json& repo, const std::string& sha, const std::string& content);
json render_tree(View& view, json& repo, const std::string& sha, const std::map<std::string, std::string>& files,
                 bool recursive);
json render_git_commit(View& view, json& repo, const std::string& sha);
json render_file_entry(View& view, json& repo, const std::string& path, const std::string& type, const std::string& sha,
                       std::size_t size, const std::string& ref);

// render_deployments.cpp
json render_release(View& view, json& repo, json& release);
json render_deployment(View& view, json& repo, json& deployment);
json render_deployment_status(View& view, json& repo, json& deployment, json& status);
json render_commit_status(View& view, json& repo, json& status);
json render_check_run(View& view, json& repo, json& run);
json render_workflow_run(View& view, json& repo, json& run);
json render_workflow(View& view, json& repo, json& workflow);
json render_environment(View& view, json& repo, json& environment);

}  // namespace deploy::sim

namespace deploy::sim {
inline View view_of(Call& call) { return View{call.state, call.urls, call.identity}; }
}  // namespace deploy::sim
