#include "admin_events.hpp"

#include <map>

#include "admin_event_support.hpp"
#include "git_model.hpp"
#include "workflow_runs.hpp"

namespace deploy::sim {

namespace {

using namespace admin;

SimEvent issue_comment(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  std::string action = text(input, "action", "created");
  std::string now = view.state.now_iso();
  json fields;
  json* comment = nullptr;
  if (action == "created") {
    json& issue = issue_of(repo, number(input, "issue"));
    repo["issue_comments"].push_back({{"id", view.state.next_id()},
                                      {"issue_number", issue["number"]},
                                      {"user", user},
                                      {"body", text(input, "body")},
                                      {"created_at", now},
                                      {"updated_at", now},
                                      {"reactions", json::array()}});
    issue["updated_at"] = now;
    comment = &repo["issue_comments"].back();
  } else if (action == "edited" || action == "deleted") {
    comment = State::find(repo["issue_comments"], "id", number(input, "comment_id"));
    if (comment == nullptr) throw AdminError("no issue comment " + std::to_string(number(input, "comment_id")), true);
    if (action == "edited") {
      fields["changes"] = {{"body", {{"from", (*comment)["body"]}}}};
      (*comment)["body"] = text(input, "body");
      (*comment)["updated_at"] = now;
    }
  } else {
    throw AdminError("issue_comment \"action\" must be created, edited or deleted");
  }
  json& issue = issue_of(repo, (*comment)["issue_number"].get<long long>());
  fields["issue"] = render_issue(view, repo, issue);
  fields["comment"] = render_issue_comment(view, repo, *comment);
  json result = {{"comment", fields["comment"]}};
  if (action == "deleted") {
    long long id = (*comment)["id"];
    auto& comments = repo["issue_comments"];
    for (std::size_t i = 0; i < comments.size(); ++i) {
      if (comments[i]["id"] == id) comments.erase(i);
    }
    fields["issue"] = render_issue(view, repo, issue);
  }
  return finish(view, repo, templates, "issue_comment", action, fields, user, result);
}

SimEvent commit_comment(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  auto sha = git::resolve(repo, text(input, "sha"));
  if (!sha) throw AdminError("\"sha\" names no commit, branch or tag of " + repo["name"].get<std::string>(), true);
  std::string now = view.state.now_iso();
  repo["commit_comments"].push_back({{"id", view.state.next_id()},
                                     {"commit_id", *sha},
                                     {"user", user},
                                     {"body", text(input, "body")},
                                     {"path", input.value("path", json())},
                                     {"position", input.value("position", json())},
                                     {"line", input.value("line", json())},
                                     {"created_at", now},
                                     {"updated_at", now},
                                     {"reactions", json::array()}});
  json comment = render_commit_comment(view, repo, repo["commit_comments"].back());
  return finish(view, repo, templates, "commit_comment", "created", {{"comment", comment}}, user,
                {{"comment", comment}});
}

SimEvent pull_request_review(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  std::string action = text(input, "action", "submitted");
  json* review = nullptr;
  json& pull = issue_of(repo, number(input, "pull"));
  if (!pull["pull_request"].is_object())
    throw AdminError("#" + std::to_string(number(input, "pull")) + " is an issue, not a pull request");
  if (action == "submitted") {
    std::string state = text(input, "state", "approved");
    static const std::map<std::string, std::string> states = {
        {"approved", "APPROVED"}, {"changes_requested", "CHANGES_REQUESTED"}, {"commented", "COMMENTED"}};
    if (!states.contains(state)) throw AdminError("review \"state\" must be approved, changes_requested or commented");
    repo["reviews"].push_back(
        {{"id", view.state.next_id()},
         {"pull_number", pull["number"]},
         {"user", user},
         {"body", input.value("body", "")},
         {"state", states.at(state)},
         {"commit_id", text(input, "commit_id", pull["pull_request"]["head"]["sha"].get<std::string>())},
         {"submitted_at", view.state.now_iso()}});
    review = &repo["reviews"].back();
  } else if (action == "dismissed") {
    review = State::find(repo["reviews"], "id", number(input, "review_id"));
    if (review == nullptr) throw AdminError("no review " + std::to_string(number(input, "review_id")), true);
    (*review)["state"] = "DISMISSED";
  } else {
    throw AdminError("pull_request_review \"action\" must be submitted or dismissed");
  }
  json rendered = render_review(view, repo, *review);
  json in_payload = rendered;
  in_payload["state"] = lower(rendered["state"].get<std::string>());  // webhooks spell review states in lower case
  json fields = {{"review", in_payload}, {"pull_request", render_pull(view, repo, pull)}};
  return finish(view, repo, templates, "pull_request_review", action, fields, user, {{"review", rendered}});
}

SimEvent release(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  std::string action = text(input, "action", "published");
  if (action != "published" && action != "created" && action != "released" && action != "prereleased") {
    throw AdminError("release \"action\" must be published, created, released or prereleased");
  }
  std::string tag = text(input, "tag_name");
  std::string now = view.state.now_iso();
  json* existing = State::find(repo["releases"], "tag_name", tag);
  if (existing == nullptr) {
    repo["releases"].push_back(
        {{"id", view.state.next_id()},
         {"tag_name", tag},
         {"target_commitish", text(input, "target_commitish", repo["default_branch"].get<std::string>())},
         {"name", input.value("name", tag)},
         {"body", input.value("body", "")},
         {"draft", action == "created" && input.value("draft", false)},
         {"prerelease", input.value("prerelease", action == "prereleased")},
         {"author", user},
         {"created_at", now},
         {"updated_at", now},
         {"published_at", nullptr}});
    existing = &repo["releases"].back();
  }
  json& rel = *existing;
  if (!rel["draft"].get<bool>()) {
    if (rel["published_at"].is_null()) rel["published_at"] = now;
    std::string tag_ref = git::tag_ref(tag);
    if (!repo["refs"].contains(tag_ref)) {
      auto target = git::resolve(repo, rel["target_commitish"].get<std::string>());
      if (!target)
        throw AdminError("target_commitish " + rel["target_commitish"].get<std::string>() + " does not resolve");
      repo["refs"][tag_ref] = *target;
    }
  }
  json rendered = render_release(view, repo, rel);
  return finish(view, repo, templates, "release", action, {{"release", rendered}}, user, {{"release", rendered}});
}

// A job waiting on environment `environment`: GitHub asks the App that provides the custom
// protection rule (deployment_protection_rule.requested) and waits for its review.
SimEvent deployment_protection_rule(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  std::string environment = text(input, "environment");
  std::string event = text(input, "event", "push");
  json* run = nullptr;
  if (input.contains("run_id")) {
    run = State::find(repo["workflow_runs"], "id", number(input, "run_id"));
    if (run == nullptr) throw AdminError("no workflow run " + std::to_string(number(input, "run_id")), true);
  } else {
    if (repo["workflows"].empty()) {
      repo["workflows"].push_back({{"id", view.state.next_id()},
                                   {"name", "Deploy"},
                                   {"path", ".github/workflows/deploy.yml"},
                                   {"state", "active"},
                                   {"created_at", view.state.now_iso()},
                                   {"updated_at", view.state.now_iso()}});
    }
    json* workflow = &repo["workflows"][0];
    if (input.contains("workflow_id")) {
      workflow = State::find(repo["workflows"], "id", number(input, "workflow_id"));
      if (workflow == nullptr) throw AdminError("no workflow " + std::to_string(number(input, "workflow_id")), true);
    }
    std::string ref = text(input, "ref", repo["default_branch"].get<std::string>());
    auto sha = git::resolve(repo, input.contains("sha") ? text(input, "sha") : ref);
    if (!sha) throw AdminError("\"ref\"/\"sha\" does not resolve", true);
    std::string branch = ref;
    for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
      if (branch.starts_with(prefix)) branch = branch.substr(std::string(prefix).size());
    }
    run = &create_workflow_run(view.state, repo, *workflow, event, branch, *sha, user, json());
  }
  (*run)["status"] = "waiting";
  (*run)["protection_rules"].push_back({{"environment", environment},
                                        {"state", "pending"},
                                        {"app_id", view.state.has_app() ? view.state.app()["id"] : json()},
                                        {"requested_at", view.state.now_iso()},
                                        {"reviews", json::array()}});
  std::string now = view.state.now_iso();
  repo["deployments"].push_back({{"id", view.state.next_id()},
                                 {"sha", (*run)["head_sha"]},
                                 {"ref", (*run)["head_branch"]},
                                 {"task", "deploy"},
                                 {"payload", json::object()},
                                 {"environment", environment},
                                 {"original_environment", environment},
                                 {"description", nullptr},
                                 {"creator", user},
                                 {"created_at", now},
                                 {"updated_at", now},
                                 {"transient_environment", false},
                                 {"production_environment", environment == "production"},
                                 {"statuses", json::array()},
                                 {"workflow_run_id", (*run)["id"]}});
  json deployment = render_deployment(view, repo, repo["deployments"].back());
  std::string callback = repo_api_url(view, repo) + "/actions/runs/" + std::to_string((*run)["id"].get<long long>()) +
                         "/deployment_protection_rule";
  json fields = {{"environment", environment},
                 {"event", event},
                 {"deployment_callback_url", callback},
                 {"deployment", deployment},
                 {"pull_requests", json::array()}};
  json result = {{"workflow_run", render_workflow_run(view, repo, *run)},
                 {"deployment", deployment},
                 {"deployment_callback_url", callback}};
  return finish(view, repo, templates, "deployment_protection_rule", "requested", fields, user, result);
}

using EventFn = SimEvent (*)(const json&, View&, const PayloadTemplates&);

const std::map<std::string, EventFn>& kinds() {
  static const std::map<std::string, EventFn> table = {{"issue_comment", issue_comment},
                                                       {"commit_comment", commit_comment},
                                                       {"pull_request_review", pull_request_review},
                                                       {"push", push_event},
                                                       {"release", release},
                                                       {"pull_request", pull_request_event},
                                                       {"deployment_protection_rule", deployment_protection_rule},
                                                       {"workflow_run", workflow_run_event},
                                                       {"check_run", check_run_event}};
  return table;
}

}  // namespace

bool is_event_kind(const std::string& kind) { return kinds().contains(kind); }

SimEvent run_event(const std::string& kind, const json& input, View& view, const PayloadTemplates& templates) {
  if (!input.is_object()) throw AdminError("the event body must be a JSON object");
  return kinds().at(kind)(input, view, templates);
}

}  // namespace deploy::sim
