#include "access.hpp"
#include "api_error.hpp"
#include "pagination.hpp"
#include "reactions.hpp"
#include "render.hpp"
#include "routes.hpp"
#include "validation.hpp"

namespace deploy::sim::handlers {

namespace {

// Anyone who can read a repository may open issues and comment; an installation needs issues:write.
void require_participation(Call& call, json& repo) {
  call.actor();
  if (call.identity.kind == Identity::Kind::installation) require_write(call.state, repo, call.identity, "issues");
}

json& issue_or_404(json& repo, long long number) {
  json* issue = State::find(repo["issues"], "number", number);
  if (issue == nullptr) throw_not_found();
  return *issue;
}

json& comment_or_404(json& repo, long long id) {
  json* comment = State::find(repo["issue_comments"], "id", id);
  if (comment == nullptr) throw_not_found();
  return *comment;
}

json labels_from(Call& call, const json& body) {
  json labels = json::array();
  if (!body.contains("labels") || body["labels"].is_null()) return labels;
  if (!body["labels"].is_array()) throw_validation("Issue", "labels", "invalid");
  for (const auto& label : body["labels"]) {
    std::string name;
    if (label.is_string()) {
      name = label;
    } else if (label.is_object() && label.contains("name") && label["name"].is_string()) {
      name = label["name"];
    } else {
      throw_validation("Issue", "labels", "invalid");
    }
    labels.push_back({{"id", call.state.next_id()},
                      {"name", name},
                      {"color", "ededed"},
                      {"description", nullptr},
                      {"default", false}});
  }
  return labels;
}

json assignees_from(Call& call, const json& body) {
  json assignees = json::array();
  if (body.contains("assignee") && body["assignee"].is_string()) assignees.push_back(body["assignee"]);
  if (body.contains("assignees") && !body["assignees"].is_null()) {
    if (!body["assignees"].is_array()) throw_validation("Issue", "assignees", "invalid");
    for (const auto& a : body["assignees"]) {
      std::string login = a.is_string() ? a.get<std::string>() : a.value("login", "");
      if (call.state.user(login) == nullptr) throw_validation("Issue", "assignees", "invalid");
      assignees.push_back(login);
    }
  }
  return assignees;
}

}  // namespace

Response create_issue(Call& call) {
  json& repo = call.repo();
  require_participation(call, repo);
  json body = call.body();
  if (!body.contains("title") || body["title"].is_null()) throw_validation("Issue", "title", "missing_field");
  std::string title;
  if (body["title"].is_string()) {
    title = body["title"];
  } else if (body["title"].is_number_integer()) {
    title = std::to_string(body["title"].get<long long>());
  } else {
    throw_validation("Issue", "title", "invalid");
  }
  if (title.empty()) throw_validation("Issue", "title", "missing_field");
  long long number = 1;
  for (auto& issue : repo["issues"]) number = std::max(number, issue["number"].get<long long>() + 1);
  std::string now = call.state.now_iso();
  repo["issues"].push_back({{"number", number},
                            {"id", call.state.next_id()},
                            {"title", title},
                            {"body", optional_string(body, "body", "Issue") ? body["body"] : json()},
                            {"user", call.actor()},
                            {"state", "open"},
                            {"state_reason", nullptr},
                            {"locked", false},
                            {"labels", labels_from(call, body)},
                            {"assignees", assignees_from(call, body)},
                            {"created_at", now},
                            {"updated_at", now},
                            {"closed_at", nullptr},
                            {"pull_request", nullptr},
                            {"via_app", call.identity.kind == Identity::Kind::installation}});
  View view = view_of(call);
  json rendered = render_issue(view, repo, repo["issues"].back());
  Response response = Response::json(201, rendered);
  response.set_header("location", rendered["url"].get<std::string>());
  return response;
}

Response get_issue(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "issues");
  View view = view_of(call);
  return Response::json(200, render_issue(view, repo, issue_or_404(repo, call.id_param("issue_number"))));
}

Response update_issue(Call& call) {
  json& repo = call.repo();
  json& issue = issue_or_404(repo, call.id_param("issue_number"));
  std::string login = call.actor();
  bool author = lower(issue["user"].get<std::string>()) == lower(login);
  if (!author && !has_role(call.state, repo, call.identity, Role::triage, "issues")) {
    throw_status(403, call.identity.kind == Identity::Kind::installation
                          ? "Resource not accessible by integration"
                          : "Must have triage access to update this issue.");
  }
  json body = call.body();
  if (body.contains("title")) {
    if (body["title"].is_string()) {
      issue["title"] = body["title"];
    } else if (body["title"].is_number_integer()) {
      issue["title"] = std::to_string(body["title"].get<long long>());
    } else {
      throw_validation("Issue", "title", "invalid");
    }
  }
  if (body.contains("body")) {
    if (!body["body"].is_null() && !body["body"].is_string()) throw_validation("Issue", "body", "invalid");
    issue["body"] = body["body"];
  }
  if (auto state = optional_string(body, "state", "Issue")) {
    require_enum(*state, {"open", "closed"}, "state", "Issue");
    if (*state != issue["state"]) {
      issue["state"] = *state;
      issue["closed_at"] = *state == "closed" ? json(call.state.now_iso()) : json();
      if (*state == "closed") issue["closed_by"] = login;
      issue["state_reason"] = *state == "closed" ? json("completed") : json("reopened");
    }
  }
  if (auto reason = optional_string(body, "state_reason", "Issue")) {
    require_enum(*reason, {"completed", "not_planned", "duplicate", "reopened"}, "state_reason", "Issue");
    issue["state_reason"] = *reason;
  }
  if (body.contains("labels")) issue["labels"] = labels_from(call, body);
  if (body.contains("assignees") || body.contains("assignee")) issue["assignees"] = assignees_from(call, body);
  issue["updated_at"] = call.state.now_iso();
  View view = view_of(call);
  return Response::json(200, render_issue(view, repo, issue));
}

Response list_issue_comments(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "issues");
  json& issue = issue_or_404(repo, call.id_param("issue_number"));
  std::optional<TimePoint> since;
  if (const std::string* text = call.request.query_param("since")) {
    since = parse_iso8601(*text);
    if (!since) throw_validation("IssueComment", "since", "invalid");
  }
  View view = view_of(call);
  json items = json::array();
  for (auto& comment : repo["issue_comments"]) {
    if (comment["issue_number"] != issue["number"]) continue;
    if (since) {
      auto updated = parse_iso8601(comment["updated_at"].get<std::string>());
      if (updated && *updated < *since) continue;
    }
    items.push_back(render_issue_comment(view, repo, comment));
  }
  return paginated(call, items);
}

Response create_issue_comment(Call& call) {
  json& repo = call.repo();
  require_participation(call, repo);
  json& issue = issue_or_404(repo, call.id_param("issue_number"));
  json body = call.body();
  std::string text = required_string(body, "body", "IssueComment");
  if (issue["locked"].get<bool>() && !has_role(call.state, repo, call.identity, Role::write, "issues")) {
    throw_status(403, "Unable to create comment because issue is locked.");
  }
  std::string now = call.state.now_iso();
  repo["issue_comments"].push_back({{"id", call.state.next_id()},
                                    {"issue_number", issue["number"]},
                                    {"user", call.actor()},
                                    {"body", text},
                                    {"created_at", now},
                                    {"updated_at", now},
                                    {"reactions", json::array()},
                                    {"via_app", call.identity.kind == Identity::Kind::installation}});
  issue["updated_at"] = now;
  View view = view_of(call);
  json rendered = render_issue_comment(view, repo, repo["issue_comments"].back());
  call.emit("issue_comment", "created", {{"issue", render_issue(view, repo, issue)}, {"comment", rendered}});
  Response response = Response::json(201, rendered);
  response.set_header("location", rendered["url"].get<std::string>());
  return response;
}

Response get_issue_comment(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "issues");
  View view = view_of(call);
  return Response::json(200, render_issue_comment(view, repo, comment_or_404(repo, call.id_param("comment_id"))));
}

Response update_issue_comment(Call& call) {
  json& repo = call.repo();
  json& comment = comment_or_404(repo, call.id_param("comment_id"));
  std::string login = call.actor();
  bool author = lower(comment["user"].get<std::string>()) == lower(login);
  if (!author && !has_role(call.state, repo, call.identity, Role::write, "issues")) {
    throw_status(403, call.identity.kind == Identity::Kind::installation
                          ? "Resource not accessible by integration"
                          : "Must have push access to edit this comment.");
  }
  json body = call.body();
  json previous = comment["body"];
  comment["body"] = required_string(body, "body", "IssueComment");
  comment["updated_at"] = call.state.now_iso();
  View view = view_of(call);
  json rendered = render_issue_comment(view, repo, comment);
  call.emit("issue_comment", "edited",
            {{"changes", {{"body", {{"from", previous}}}}},
             {"issue", render_issue(view, repo, issue_or_404(repo, comment["issue_number"].get<long long>()))},
             {"comment", rendered}});
  return Response::json(200, rendered);
}

Response create_issue_comment_reaction(Call& call) {
  json& repo = call.repo();
  require_participation(call, repo);
  return add_reaction(call, comment_or_404(repo, call.id_param("comment_id")));
}

}  // namespace deploy::sim::handlers
