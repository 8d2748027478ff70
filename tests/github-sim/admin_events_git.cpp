// Admin events about git: pushes and pull requests.
#include <map>
#include <set>

#include "admin_event_support.hpp"
#include "git_model.hpp"

namespace deploy::sim::admin {

namespace {

const std::string kZeroSha(40, '0');

json push_commit_json(View& view, json& repo, const std::string& sha) {
  json& commit = *git::commit(repo, sha);
  json added = json::array();
  json removed = json::array();
  json modified = json::array();
  std::string parent = commit["parents"].empty() ? "" : commit["parents"][0].get<std::string>();
  for (const auto& change : git::diff(repo, parent, sha)) {
    (change.status == "added" ? added : change.status == "removed" ? removed : modified).push_back(change.filename);
  }
  auto person = [](const json& signature) {
    json p = {{"name", signature["name"]}, {"email", signature["email"]}};
    if (signature.contains("login")) p["username"] = signature["login"];
    return p;
  };
  return {{"id", sha},
          {"tree_id", git::tree_sha(repo, sha)},
          {"distinct", true},
          {"message", commit["message"]},
          {"timestamp", commit["committer"]["date"]},
          {"url", repo_html_url(view, repo) + "/commit/" + sha},
          {"author", person(commit["author"])},
          {"committer", person(commit["committer"])},
          {"added", added},
          {"removed", removed},
          {"modified", modified}};
}

}  // namespace

SimEvent push_event(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  std::string ref = text(input, "ref");
  if (!ref.starts_with("refs/")) ref = git::branch_ref(ref);
  bool is_branch = ref.starts_with("refs/heads/");
  std::string before = repo["refs"].contains(ref) ? repo["refs"][ref].get<std::string>() : kZeroSha;
  std::string after;
  std::vector<std::string> new_commits;
  bool deleted = input.value("delete", false);
  if (deleted) {
    if (before == kZeroSha) throw AdminError(ref + " does not exist");
    repo["refs"].erase(ref);
    after = kZeroSha;
  } else if (input.contains("commits")) {
    std::string parent = before != kZeroSha ? git::peel(repo, before) : "";
    if (parent.empty()) {
      std::string from = text(input, "from", repo["default_branch"].get<std::string>());
      parent = git::resolve(repo, from).value_or("");
    }
    new_commits = add_commits(view, repo, parent, input["commits"], user);
    after = new_commits.back();
  } else if (input.contains("sha")) {
    auto sha = git::resolve(repo, text(input, "sha"));
    if (!sha) throw AdminError("\"sha\" names no commit of this repository", true);
    after = *sha;
  } else {
    throw AdminError(
        "push needs \"commits\": [{message, files}], \"sha\" (move or create the ref), or \"delete\": true");
  }
  if (!deleted) repo["refs"][ref] = after;
  repo["pushed_at"] = view.state.now_iso();
  if (is_branch && !deleted) follow_branch(repo, ref.substr(std::string("refs/heads/").size()), after);

  bool forced = before != kZeroSha && !deleted && !git::is_ancestor(repo, git::peel(repo, before), after);
  json commits = json::array();
  for (const auto& sha : new_commits) commits.push_back(push_commit_json(view, repo, sha));
  json& sender = view.state.ensure_user(user);
  std::string html = repo_html_url(view, repo);
  json fields = {
      {"ref", ref},
      {"before", before},
      {"after", after},
      {"created", before == kZeroSha},
      {"deleted", deleted},
      {"forced", forced},
      {"base_ref", nullptr},
      {"compare", before == kZeroSha ? html + "/commit/" + after.substr(0, 12)
                                     : html + "/compare/" + before.substr(0, 12) + "..." + after.substr(0, 12)},
      {"commits", commits},
      {"head_commit", deleted ? json() : push_commit_json(view, repo, git::peel(repo, after))},
      {"pusher", {{"name", sender["login"]}, {"email", git::signature_for(view.state, user)["email"]}}}};
  json result = {{"ref", ref}, {"before", before}, {"after", after}, {"commits", new_commits}};
  return finish(view, repo, templates, "push", "none", fields, user, result);
}

SimEvent pull_request_event(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  std::string action = text(input, "action");
  std::string now = view.state.now_iso();
  json fields;
  json* issue = nullptr;

  // The new head: an explicit sha, or new commits on the head branch.
  auto new_head = [&](const std::string& branch, const std::string& base_ref) -> std::string {
    if (input.contains("head_sha")) {
      auto sha = git::resolve(repo, text(input, "head_sha"));
      if (!sha) throw AdminError("\"head_sha\" names no commit of this repository", true);
      repo["refs"][git::branch_ref(branch)] = *sha;
      return *sha;
    }
    std::string parent = git::resolve(repo, git::branch_ref(branch))
                             .value_or(git::resolve(repo, git::branch_ref(base_ref)).value_or(""));
    json commits =
        input.contains("commits")
            ? input["commits"]
            : json::array({{{"message", input.value("title", "Change")},
                            {"files",
                             {{"CHANGE-" + std::to_string(view.state.doc()["next_id"].get<long long>()) + ".md",
                               "change\n"}}}}});
    std::string sha = add_commits(view, repo, parent, commits, user).back();
    repo["refs"][git::branch_ref(branch)] = sha;
    return sha;
  };

  if (action == "opened") {
    std::string head = text(input, "head");
    std::string base = text(input, "base", repo["default_branch"].get<std::string>());
    std::string sha = new_head(head, base);
    json head_side = {{"ref", head}, {"sha", sha}};
    // From a fork: the head branch is the fork's (head_repo: OWNER/NAME), its commits kept here.
    if (input.contains("head_repo")) {
      std::string fork = text(input, "head_repo");
      if (fork.find('/') == std::string::npos) throw AdminError("\"head_repo\" must be OWNER/NAME (the fork)");
      view.state.ensure_user(fork.substr(0, fork.find('/')));
      head_side["repo"] = fork;
    }
    long long n = 1;
    for (auto& i : repo["issues"]) n = std::max(n, i["number"].get<long long>() + 1);
    repo["issues"].push_back(
        {{"number", n},
         {"id", view.state.next_id()},
         {"title", text(input, "title", "Pull request from " + head)},
         {"body", input.value("body", json())},
         {"user", user},
         {"state", "open"},
         {"state_reason", nullptr},
         {"locked", false},
         {"labels", json::array()},
         {"assignees", json::array()},
         {"created_at", now},
         {"updated_at", now},
         {"closed_at", nullptr},
         {"pull_request",
          {{"id", view.state.next_id()},
           {"head", head_side},
           {"base", {{"ref", base}, {"sha", git::resolve(repo, git::branch_ref(base)).value_or("")}}},
           {"merged", false},
           {"merged_at", nullptr},
           {"merge_commit_sha", nullptr},
           {"merged_by", nullptr},
           {"draft", input.value("draft", false)},
           {"commits", json::array()}}}});
    issue = &repo["issues"].back();
    follow_branch(repo, head, sha);
  } else {
    issue = &issue_of(repo, number(input, "number"));
    if (!(*issue)["pull_request"].is_object())
      throw AdminError("#" + std::to_string(number(input, "number")) + " is not a pull request");
    json& pr = (*issue)["pull_request"];
    if (action == "synchronize") {
      std::string before = pr["head"]["sha"];
      std::string sha = new_head(pr["head"]["ref"].get<std::string>(), pr["base"]["ref"].get<std::string>());
      follow_branch(repo, pr["head"]["ref"].get<std::string>(), sha);
      pr["head"]["sha"] = sha;
      fields["before"] = before;
      fields["after"] = sha;
    } else if (action == "reopened") {
      (*issue)["state"] = "open";
      (*issue)["closed_at"] = nullptr;
      (*issue)["state_reason"] = "reopened";
    } else if (action == "closed") {
      (*issue)["state"] = "closed";
      (*issue)["closed_at"] = now;
      if (input.value("merged", false)) {
        std::string base_ref = git::branch_ref(pr["base"]["ref"].get<std::string>());
        std::string base_sha = git::resolve(repo, base_ref).value_or("");
        std::vector<std::string> parents;
        if (!base_sha.empty()) parents.push_back(base_sha);
        parents.push_back(pr["head"]["sha"]);
        std::string merge =
            git::create_commit(view.state, repo, parents,
                               "Merge pull request #" + std::to_string((*issue)["number"].get<long long>()) + " from " +
                                   pr["head"]["ref"].get<std::string>(),
                               user, json::object());
        repo["refs"][base_ref] = merge;
        pr["merged"] = true;
        pr["merged_at"] = now;
        pr["merge_commit_sha"] = merge;
        pr["merged_by"] = user;
      }
    } else {
      throw AdminError("pull_request \"action\" must be opened, synchronize, reopened or closed");
    }
  }
  (*issue)["updated_at"] = now;
  json rendered = render_pull(view, repo, *issue);
  fields["number"] = (*issue)["number"];
  fields["pull_request"] = rendered;
  return finish(view, repo, templates, "pull_request", action, fields, user, {{"pull_request", rendered}});
}

}  // namespace deploy::sim::admin
