#include "render.hpp"

#include "encoding.hpp"
#include "git_model.hpp"

namespace deploy::sim {

namespace {

json render_labels(View& view, json& repo, json& issue) {
  json out = json::array();
  for (auto& label : issue["labels"]) {
    std::string name = label["name"];
    out.push_back({{"id", label["id"]},
                   {"node_id", node_id("Label", label["id"].get<long long>())},
                   {"url", repo_api_url(view, repo) + "/labels/" + percent_encode(name)},
                   {"name", name},
                   {"color", label["color"]},
                   {"default", label["default"]},
                   {"description", label["description"]}});
  }
  return out;
}

json render_users(View& view, const json& logins) {
  json out = json::array();
  for (const auto& login : logins) out.push_back(render_user(view, login.get<std::string>()));
  return out;
}

long long comment_count(json& repo, const json& number) {
  long long count = 0;
  for (auto& comment : repo["issue_comments"]) {
    if (comment["issue_number"] == number) ++count;
  }
  return count;
}

std::string issue_html_url(View& view, json& repo, json& issue) {
  bool is_pull = issue["pull_request"].is_object();
  return repo_html_url(view, repo) + (is_pull ? "/pull/" : "/issues/") +
         std::to_string(issue["number"].get<long long>());
}

json app_if(View& view, const json& object) {
  if (object.value("via_app", false) && view.state.has_app()) return render_app(view);
  return nullptr;
}

// A fork of `repo` named `full_name` (OWNER/NAME), as GitHub shows it in a pull request's head:
// the same repository under the fork owner's name, with fork true. Forks are not repositories of
// the state; their id is derived from the base's so it stays the same from call to call.
json render_fork(View& view, json& repo, const std::string& full_name) {
  json out = render_repo(view, repo);
  const std::string base_name = repo["owner"].get<std::string>() + "/" + repo["name"].get<std::string>();
  for (auto& [key, value] : out.items()) {
    if (!value.is_string() || key == "description") continue;
    std::string text = value;
    for (auto at = text.find(base_name); at != std::string::npos; at = text.find(base_name, at + full_name.size())) {
      text.replace(at, base_name.size(), full_name);
    }
    value = text;
  }
  const std::string owner = full_name.substr(0, full_name.find('/'));
  long long id = repo["id"].get<long long>() + 1'000'000'000LL;
  out["id"] = id;
  out["node_id"] = node_id("Repository", id);
  out["name"] = full_name.substr(full_name.find('/') + 1);
  out["owner"] = render_user(view, owner);
  out["fork"] = true;
  out["private"] = false;
  out["visibility"] = "public";
  out.erase("organization");
  out.erase("permissions");
  return out;
}

json head_or_base(View& view, json& repo, const json& side) {
  std::string ref = side["ref"];
  const std::string full_name = repo["owner"].get<std::string>() + "/" + repo["name"].get<std::string>();
  if (side.contains("repo") && side["repo"].is_string() && side["repo"] != full_name) {
    std::string fork = side["repo"];
    std::string owner = fork.substr(0, fork.find('/'));
    return {{"label", owner + ":" + ref},
            {"ref", ref},
            {"sha", side["sha"]},
            {"user", render_user(view, owner)},
            {"repo", render_fork(view, repo, fork)}};
  }
  return {{"label", repo["owner"].get<std::string>() + ":" + ref},
          {"ref", ref},
          {"sha", side["sha"]},
          {"user", render_user(view, repo["owner"].get<std::string>())},
          {"repo", render_repo(view, repo)}};
}

}  // namespace

json render_issue(View& view, json& repo, json& issue) {
  std::string api = repo_api_url(view, repo);
  std::string number = std::to_string(issue["number"].get<long long>());
  std::string url = api + "/issues/" + number;
  std::string user = issue["user"];
  json assignees = render_users(view, issue["assignees"]);
  json out = {
      {"id", issue["id"]},
      {"node_id", node_id("Issue", issue["id"].get<long long>())},
      {"url", url},
      {"repository_url", api},
      {"labels_url", url + "/labels{/name}"},
      {"comments_url", url + "/comments"},
      {"events_url", url + "/events"},
      {"html_url", issue_html_url(view, repo, issue)},
      {"number", issue["number"]},
      {"state", issue["state"]},
      {"state_reason", issue["state_reason"]},
      {"title", issue["title"]},
      {"body", issue["body"]},
      {"user", render_user(view, user)},
      {"labels", render_labels(view, repo, issue)},
      {"assignee", assignees.empty() ? json() : assignees[0]},
      {"assignees", assignees},
      {"milestone", nullptr},
      {"locked", issue["locked"]},
      {"active_lock_reason", nullptr},
      {"comments", comment_count(repo, issue["number"])},
      {"closed_at", issue["closed_at"]},
      {"created_at", issue["created_at"]},
      {"updated_at", issue["updated_at"]},
      {"closed_by", issue.contains("closed_by") ? render_user(view, issue["closed_by"].get<std::string>()) : json()},
      {"author_association", author_association(view, repo, user)},
      {"reactions", render_reactions(view, url + "/reactions", json::array())},
      {"timeline_url", url + "/timeline"},
      {"performed_via_github_app", app_if(view, issue)}};
  if (issue["pull_request"].is_object()) {
    std::string html = issue_html_url(view, repo, issue);
    out["pull_request"] = {{"url", api + "/pulls/" + number},
                           {"html_url", html},
                           {"diff_url", html + ".diff"},
                           {"patch_url", html + ".patch"},
                           {"merged_at", issue["pull_request"]["merged_at"]}};
    out["draft"] = issue["pull_request"]["draft"];
  }
  return out;
}

json render_issue_comment(View& view, json& repo, json& comment) {
  std::string api = repo_api_url(view, repo);
  json* issue = State::find(repo["issues"], "number", comment["issue_number"]);
  std::string id = std::to_string(comment["id"].get<long long>());
  std::string url = api + "/issues/comments/" + id;
  std::string user = comment["user"];
  return {{"id", comment["id"]},
          {"node_id", node_id("IssueComment", comment["id"].get<long long>())},
          {"url", url},
          {"html_url", issue_html_url(view, repo, *issue) + "#issuecomment-" + id},
          {"body", comment["body"]},
          {"user", render_user(view, user)},
          {"created_at", comment["created_at"]},
          {"updated_at", comment["updated_at"]},
          {"issue_url", api + "/issues/" + std::to_string(comment["issue_number"].get<long long>())},
          {"author_association", author_association(view, repo, user)},
          {"performed_via_github_app", app_if(view, comment)},
          {"reactions", render_reactions(view, url + "/reactions", comment["reactions"])}};
}

json render_commit_comment(View& view, json& repo, json& comment) {
  std::string api = repo_api_url(view, repo);
  std::string id = std::to_string(comment["id"].get<long long>());
  std::string url = api + "/comments/" + id;
  std::string user = comment["user"];
  return {{"html_url",
           repo_html_url(view, repo) + "/commit/" + comment["commit_id"].get<std::string>() + "#commitcomment-" + id},
          {"url", url},
          {"id", comment["id"]},
          {"node_id", node_id("CommitComment", comment["id"].get<long long>())},
          {"body", comment["body"]},
          {"path", comment["path"]},
          {"position", comment["position"]},
          {"line", comment["line"]},
          {"commit_id", comment["commit_id"]},
          {"user", render_user(view, user)},
          {"created_at", comment["created_at"]},
          {"updated_at", comment["updated_at"]},
          {"author_association", author_association(view, repo, user)},
          {"reactions", render_reactions(view, url + "/reactions", comment["reactions"])}};
}

json render_pull(View& view, json& repo, json& issue) {
  json& pr = issue["pull_request"];
  std::string api = repo_api_url(view, repo);
  std::string number = std::to_string(issue["number"].get<long long>());
  std::string url = api + "/pulls/" + number;
  std::string html = issue_html_url(view, repo, issue);
  std::string head_sha = pr["head"]["sha"];
  std::string user = issue["user"];
  json assignees = render_users(view, issue["assignees"]);
  auto href = [](const std::string& link) { return json{{"href", link}}; };
  long long additions = 0;
  long long deletions = 0;
  long long changed = 0;
  if (pr["base"]["sha"].is_string()) {
    for (const auto& change : git::diff(repo, pr["base"]["sha"].get<std::string>(), head_sha)) {
      ++changed;
      additions += change.after.empty() ? 0 : 1;
      deletions += change.before.empty() ? 0 : 1;
    }
  }
  return {{"url", url},
          {"id", pr["id"]},
          {"node_id", node_id("PullRequest", pr["id"].get<long long>())},
          {"html_url", html},
          {"diff_url", html + ".diff"},
          {"patch_url", html + ".patch"},
          {"issue_url", api + "/issues/" + number},
          {"commits_url", url + "/commits"},
          {"review_comments_url", url + "/comments"},
          {"review_comment_url", api + "/pulls/comments{/number}"},
          {"comments_url", api + "/issues/" + number + "/comments"},
          {"statuses_url", api + "/statuses/" + head_sha},
          {"number", issue["number"]},
          {"state", issue["state"]},
          {"locked", issue["locked"]},
          {"title", issue["title"]},
          {"user", render_user(view, user)},
          {"body", issue["body"]},
          {"labels", render_labels(view, repo, issue)},
          {"milestone", nullptr},
          {"active_lock_reason", nullptr},
          {"created_at", issue["created_at"]},
          {"updated_at", issue["updated_at"]},
          {"closed_at", issue["closed_at"]},
          {"merged_at", pr["merged_at"]},
          {"merge_commit_sha", pr["merge_commit_sha"]},
          {"assignee", assignees.empty() ? json() : assignees[0]},
          {"assignees", assignees},
          {"requested_reviewers", json::array()},
          {"requested_teams", json::array()},
          {"head", head_or_base(view, repo, pr["head"])},
          {"base", head_or_base(view, repo, pr["base"])},
          {"_links",
           {{"self", href(url)},
            {"html", href(html)},
            {"issue", href(api + "/issues/" + number)},
            {"comments", href(api + "/issues/" + number + "/comments")},
            {"review_comments", href(url + "/comments")},
            {"review_comment", href(api + "/pulls/comments{/number}")},
            {"commits", href(url + "/commits")},
            {"statuses", href(api + "/statuses/" + head_sha)}}},
          {"author_association", author_association(view, repo, user)},
          {"auto_merge", nullptr},
          {"draft", pr["draft"]},
          {"merged", pr["merged"]},
          {"mergeable", issue["state"] == "open" ? json(true) : json()},
          {"rebaseable", issue["state"] == "open" ? json(true) : json()},
          {"mergeable_state", issue["state"] == "open" ? "clean" : "unknown"},
          {"merged_by", pr["merged_by"].is_string() ? render_user(view, pr["merged_by"].get<std::string>()) : json()},
          {"comments", comment_count(repo, issue["number"])},
          {"review_comments", 0},
          {"maintainer_can_modify", false},
          {"commits", pr["commits"].size()},
          {"additions", additions},
          {"deletions", deletions},
          {"changed_files", changed}};
}

json render_review(View& view, json& repo, json& review) {
  std::string api = repo_api_url(view, repo);
  std::string number = std::to_string(review["pull_number"].get<long long>());
  std::string id = std::to_string(review["id"].get<long long>());
  std::string html = repo_html_url(view, repo) + "/pull/" + number + "#pullrequestreview-" + id;
  std::string user = review["user"];
  return {{"id", review["id"]},
          {"node_id", node_id("PullRequestReview", review["id"].get<long long>())},
          {"user", render_user(view, user)},
          {"body", review["body"]},
          {"state", review["state"]},
          {"html_url", html},
          {"pull_request_url", api + "/pulls/" + number},
          {"_links", {{"html", {{"href", html}}}, {"pull_request", {{"href", api + "/pulls/" + number}}}}},
          {"submitted_at", review["submitted_at"]},
          {"commit_id", review["commit_id"]},
          {"author_association", author_association(view, repo, user)}};
}

}  // namespace deploy::sim
