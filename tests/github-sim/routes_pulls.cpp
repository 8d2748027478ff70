#include "access.hpp"
#include "api_error.hpp"
#include "git_model.hpp"
#include "pagination.hpp"
#include "render.hpp"
#include "routes.hpp"

namespace deploy::sim::handlers {

namespace {
json& pull_or_404(json& repo, long long number) {
  json* issue = State::find(repo["issues"], "number", number);
  if (issue == nullptr || !(*issue)["pull_request"].is_object()) throw_not_found();
  return *issue;
}
}  // namespace

Response get_pull(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "pull_requests");
  View view = view_of(call);
  return Response::json(200, render_pull(view, repo, pull_or_404(repo, call.id_param("pull_number"))));
}

Response list_reviews(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "pull_requests");
  json& pull = pull_or_404(repo, call.id_param("pull_number"));
  View view = view_of(call);
  json items = json::array();
  for (auto& review : repo["reviews"]) {
    if (review["pull_number"] == pull["number"] && review["state"] != "PENDING")
      items.push_back(render_review(view, repo, review));
  }
  return paginated(call, items);
}

// The merged pull request that brought a default-branch commit in; for other commits, the open
// and merged pull requests that contain it. A branch name stands for its head commit.
Response list_pulls_for_commit(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "pull_requests");
  auto sha = git::resolve(repo, call.param("commit_sha"));
  View view = view_of(call);
  json items = json::array();
  if (sha) {
    auto default_head = git::resolve(repo, git::branch_ref(repo["default_branch"].get<std::string>()));
    bool on_default = default_head && git::is_ancestor(repo, *sha, *default_head);
    for (auto& issue : repo["issues"]) {
      if (!issue["pull_request"].is_object()) continue;
      json& pr = issue["pull_request"];
      bool merged = pr["merged"].get<bool>();
      bool contains = pr["merge_commit_sha"] == *sha || pr["head"]["sha"] == *sha;
      for (auto& commit : pr["commits"]) {
        if (commit == *sha) contains = true;
      }
      if (!contains) continue;
      if (on_default && !merged) continue;
      if (!on_default && !merged && issue["state"] != "open") continue;
      items.push_back(render_pull(view, repo, issue));
    }
  }
  return paginated(call, items);
}

}  // namespace deploy::sim::handlers
