#include "bot/event_fields.hpp"

#include <array>
#include <utility>

namespace deploy::bot {
namespace {

using Keep = FieldNode::Keep;

FieldNode value(std::string_view name) { return {name, Keep::value, {}}; }
FieldNode object(std::string_view name, std::vector<FieldNode> members) {
  return {name, Keep::members, std::move(members)};
}

// Every stored delivery keeps what the ingest path and `deliveries list` show, and the repository
// every handler reads.
std::vector<FieldNode> common(std::vector<FieldNode> members) {
  members.push_back(value("action"));
  members.push_back(object("installation", {value("id")}));
  members.push_back(object(
      "repository", {object("owner", {value("login")}), value("name"), value("full_name"), value("default_branch")}));
  return members;
}

FieldNode user(std::string_view name) { return object(name, {value("login"), value("type")}); }

FieldNode comment(bool on_commit) {
  std::vector<FieldNode> members = {value("id"), user("user"), value("body"), value("html_url"), value("created_at")};
  if (on_commit) {
    members.push_back(value("commit_id"));
    members.push_back(value("path"));
  }
  return object("comment", std::move(members));
}

FieldNode pull_request() {
  return object("pull_request", {value("number"), object("head", {value("sha"), object("repo", {value("full_name")})}),
                                 object("base", {value("ref")}), object("user", {value("login")})});
}

FieldNode changed_paths(std::string_view name) {
  return object(name, {value("added"), value("modified"), value("removed")});
}

struct Table {
  std::string_view event;
  FieldNode root;
};

const std::vector<Table>& tables() {
  static const std::vector<Table> all = [] {
    FieldNode issue =
        object("issue", {value("number"), value("body"), FieldNode{"pull_request", Keep::presence, {}}, user("user")});
    issue.members[1].unless_sibling = "pull_request";
    std::vector<Table> t;
    t.push_back({"issue_comment", object("", common({comment(false), issue}))});
    t.push_back({"commit_comment", object("", common({comment(true)}))});
    t.push_back({"pull_request", object("", common({value("number"), value("before"), pull_request()}))});
    t.push_back(
        {"pull_request_review", object("", common({object("review", {value("id"), value("state"), user("user"),
                                                                     value("commit_id"), value("submitted_at")}),
                                                   pull_request()}))});
    t.push_back({"release", object("", common({object("release", {value("tag_name"), value("draft")})}))});
    t.push_back(
        {"workflow_run", object("", common({object("workflow_run", {value("id"), value("path"), value("head_branch"),
                                                                    value("conclusion"), value("html_url")})}))});
    t.push_back({"deployment_protection_rule",
                 object("", common({value("environment"), object("deployment", {value("sha"), value("ref")}),
                                    value("deployment_callback_url"), object("sender", {value("login")})}))});
    t.push_back({"push", object("", common({value("ref"), changed_paths("commits"), changed_paths("head_commit")}))});
    return t;
  }();
  return all;
}

}  // namespace

const FieldNode* fields_read(std::string_view event) {
  for (const auto& table : tables()) {
    if (table.event == event) return &table.root;
  }
  return nullptr;
}

}  // namespace deploy::bot
