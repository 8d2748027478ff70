#include "admin_event_support.hpp"

#include <set>

#include "git_model.hpp"

namespace deploy::sim::admin {

std::string text(const json& input, const char* key, const std::string& fallback) {
  if (!input.contains(key) || input[key].is_null()) {
    if (fallback.empty()) throw AdminError(std::string("\"") + key + "\" is required");
    return fallback;
  }
  if (!input[key].is_string()) throw AdminError(std::string("\"") + key + "\" must be a string");
  return input[key];
}

long long number(const json& input, const char* key) {
  if (!input.contains(key) || !input[key].is_number_integer())
    throw AdminError(std::string("\"") + key + "\" must be an integer");
  return input[key];
}

json& repo_of(View& view, const json& input) {
  std::string full_name = text(input, "repo");
  auto slash = full_name.find('/');
  if (slash == std::string::npos) throw AdminError("\"repo\" must be OWNER/NAME");
  json* repo = view.state.repo(full_name.substr(0, slash), full_name.substr(slash + 1));
  if (repo == nullptr) throw AdminError("no repository " + full_name + " in the state", true);
  return *repo;
}

std::string user_of(View& view, const json& input) {
  std::string login = text(input, "user");
  return view.state.ensure_user(login)["login"];
}

json& issue_of(json& repo, long long n) {
  json* issue = State::find(repo["issues"], "number", n);
  if (issue == nullptr) throw AdminError("no issue or pull request #" + std::to_string(n), true);
  return *issue;
}

SimEvent finish(View& view, json& repo, const PayloadTemplates& templates, const std::string& event,
                const std::string& action, const json& fields, const std::string& sender, json result) {
  SimEvent out;
  out.event = event;
  out.action = action;
  out.payload = build_payload(templates, view, repo, event, action, fields, sender);
  out.installation_id = installation_for(view.state, repo);
  out.result = std::move(result);
  return out;
}

// Commits on top of `parent`, from [{"message", "files", "author"}]; returns their shas in order.
std::vector<std::string> add_commits(View& view, json& repo, std::string parent, const json& commits,
                                     const std::string& user) {
  if (!commits.is_array() || commits.empty())
    throw AdminError("\"commits\" must be a non-empty array of {message, files}");
  std::vector<std::string> shas;
  for (const auto& c : commits) {
    if (!c.is_object()) throw AdminError("each commit is {\"message\", \"files\": {PATH: CONTENT or null}}");
    std::string author = c.contains("author") && c["author"].is_string() ? c["author"].get<std::string>() : user;
    std::vector<std::string> parents;
    if (!parent.empty()) parents.push_back(parent);
    parent = git::create_commit(view.state, repo, parents, c.value("message", "commit"), author,
                                c.value("files", json::object()));
    shas.push_back(parent);
  }
  return shas;
}

// Keeps open pull requests whose head is this branch in step with it.
void follow_branch(json& repo, const std::string& branch, const std::string& sha) {
  for (auto& issue : repo["issues"]) {
    if (!issue["pull_request"].is_object() || issue["state"] != "open") continue;
    json& pr = issue["pull_request"];
    if (pr["head"]["ref"] != branch) continue;
    pr["head"]["sha"] = sha;
    std::set<std::string> in_base;
    if (auto base = git::resolve(repo, git::branch_ref(pr["base"]["ref"].get<std::string>()))) {
      for (auto& s : git::ancestors(repo, *base)) in_base.insert(s);
      pr["base"]["sha"] = *base;
    }
    json commits = json::array();
    for (auto& s : git::ancestors(repo, sha)) {
      if (!in_base.contains(s)) commits.insert(commits.begin(), s);
    }
    pr["commits"] = commits;
  }
}

}  // namespace deploy::sim::admin
