#include "access.hpp"
#include "api_error.hpp"
#include "git_model.hpp"
#include "pagination.hpp"
#include "reactions.hpp"
#include "render.hpp"
#include "routes.hpp"
#include "validation.hpp"

namespace deploy::sim::handlers {

Response list_commit_comments(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  auto sha = git::resolve(repo, call.param("commit_sha"));
  View view = view_of(call);
  json items = json::array();
  if (sha) {
    for (auto& comment : repo["commit_comments"]) {
      if (comment["commit_id"] == *sha) items.push_back(render_commit_comment(view, repo, comment));
    }
  }
  return paginated(call, items);
}

Response create_commit_comment(Call& call) {
  json& repo = call.repo();
  call.actor();
  if (call.identity.kind == Identity::Kind::installation) require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  std::string text = required_string(body, "body", "CommitComment");
  json* commit = git::commit(repo, call.param("commit_sha"));
  if (commit == nullptr) throw_unprocessable("No commit found for SHA: " + call.param("commit_sha"));
  std::string now = call.state.now_iso();
  json comment = {{"id", call.state.next_id()},
                  {"commit_id", (*commit)["sha"]},
                  {"user", call.actor()},
                  {"body", text},
                  {"path", body.contains("path") ? body["path"] : json()},
                  {"position", body.contains("position") ? body["position"] : json()},
                  {"line", body.contains("line") ? body["line"] : json()},
                  {"created_at", now},
                  {"updated_at", now},
                  {"reactions", json::array()}};
  repo["commit_comments"].push_back(comment);
  View view = view_of(call);
  json rendered = render_commit_comment(view, repo, repo["commit_comments"].back());
  call.emit("commit_comment", "created", {{"comment", rendered}});
  Response response = Response::json(201, rendered);
  response.set_header("location", rendered["url"].get<std::string>());
  return response;
}

Response create_commit_comment_reaction(Call& call) {
  json& repo = call.repo();
  call.actor();
  if (call.identity.kind == Identity::Kind::installation) require_write(call.state, repo, call.identity, "contents");
  json* comment = State::find(repo["commit_comments"], "id", call.id_param("comment_id"));
  if (comment == nullptr) throw_not_found();
  return add_reaction(call, *comment);
}

}  // namespace deploy::sim::handlers
