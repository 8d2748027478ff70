#include "access.hpp"
#include "api_error.hpp"
#include "render.hpp"
#include "routes.hpp"

namespace deploy::sim::handlers {

Response get_repo(Call& call) {
  View view = view_of(call);
  return Response::json(200, render_repo(view, call.repo()));
}

// `permission` is the legacy base role (maintain -> write, triage -> read), `role_name` the role
// itself. Callers need push access. Unknown users are 404; a known user with no grant reads a
// public repository ("read") and has "none" on a private one.
Response get_collaborator_permission(Call& call) {
  json& repo = call.repo();
  if (!has_role(call.state, repo, call.identity, Role::write, "metadata") &&
      !(call.identity.kind == Identity::Kind::installation && installation_covers(call.state, call.identity, repo))) {
    throw_status(403, "Must have push access to view collaborator permission.");
  }
  json* account = call.state.user(call.param("username"));
  if (account == nullptr || (*account)["type"] == "Organization") throw_not_found();
  std::string login = (*account)["login"];
  Role role = granted_role(call.state, repo, login);
  if (role == Role::none && !repo["private"].get<bool>()) role = Role::read;
  View view = view_of(call);
  json user = render_user(view, login);
  user["permissions"] = {{"admin", role >= Role::admin},
                         {"maintain", role >= Role::maintain},
                         {"push", role >= Role::write},
                         {"triage", role >= Role::triage},
                         {"pull", role >= Role::read}};
  user["role_name"] = role_name(role);
  return Response::json(200, {{"permission", legacy_permission(role)}, {"role_name", role_name(role)}, {"user", user}});
}

Response get_environment(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "metadata");
  for (auto& environment : repo["environments"]) {
    if (environment["name"] == call.param("environment_name")) {
      View view = view_of(call);
      return Response::json(200, render_environment(view, repo, environment));
    }
  }
  throw_not_found();
}

}  // namespace deploy::sim::handlers
