#include "access.hpp"
#include "api_error.hpp"
#include "rate_limits.hpp"
#include "render.hpp"
#include "routes.hpp"

namespace deploy::sim::handlers {

Response get_app(Call& call) {
  View view = view_of(call);
  return Response::json(200, render_app(view));
}

Response create_installation_token(Call& call) {
  json body = call.body();
  json token = issue_installation_token(call.state, call.id_param("installation_id"), body);
  if (token.contains("repository_selection") && token["repository_selection"] == "selected" &&
      (body.contains("repositories") || body.contains("repository_ids"))) {
    View view = view_of(call);
    json repos = json::array();
    const auto& entry = call.state.doc()["tokens"][token["token"].get<std::string>()];
    for (const auto& full_name : entry["repositories"]) {
      std::string name = full_name;
      auto slash = name.find('/');
      if (json* repo = call.state.repo(name.substr(0, slash), name.substr(slash + 1)))
        repos.push_back(render_repo(view, *repo));
    }
    token["repositories"] = repos;
  }
  return Response::json(201, token);
}

Response get_repo_installation(Call& call) {
  json* repo = call.state.repo(call.param("owner"), call.param("repo"));
  if (repo == nullptr) throw_not_found();
  for (auto& installation : call.state.doc()["installations"]) {
    Identity probe;
    probe.kind = Identity::Kind::installation;
    probe.installation_id = installation["id"];
    if (installation_covers(call.state, probe, *repo)) {
      View view = view_of(call);
      return Response::json(200, render_installation(view, installation));
    }
  }
  throw_not_found();
}

Response get_rate_limit(Call& call) {
  json resources = rate_limit_resources(call.state, call.identity);
  return Response::json(200, {{"resources", resources}, {"rate", resources["core"]}});
}

Response get_team_membership(Call& call) {
  call.actor();
  json* org = call.state.organization(call.param("org"));
  if (org == nullptr) throw_not_found();
  json* team = nullptr;
  for (auto& t : (*org)["teams"]) {
    if (lower(t["slug"].get<std::string>()) == lower(call.param("team_slug"))) team = &t;
  }
  if (team == nullptr) throw_not_found();
  std::string who = lower(call.param("username"));
  for (auto& [login, role] : (*team)["members"].items()) {
    if (lower(login) != who) continue;
    bool org_owner = (*org)["members"].contains(login) && (*org)["members"][login] == "admin";
    std::string url = call.urls.api + "/organizations/" + std::to_string((*org)["id"].get<long long>()) + "/team/" +
                      std::to_string((*team)["id"].get<long long>()) + "/memberships/" + login;
    return Response::json(
        200, {{"url", url}, {"role", org_owner ? "maintainer" : role.get<std::string>()}, {"state", "active"}});
  }
  throw_not_found();
}

}  // namespace deploy::sim::handlers
