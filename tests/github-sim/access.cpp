#include "access.hpp"

#include "api_error.hpp"

namespace deploy::sim {

Role parse_role(const std::string& name) {
  if (name == "admin") return Role::admin;
  if (name == "maintain") return Role::maintain;
  if (name == "write" || name == "push") return Role::write;
  if (name == "triage") return Role::triage;
  if (name == "read" || name == "pull") return Role::read;
  return Role::none;
}

std::string role_name(Role role) {
  switch (role) {
    case Role::admin:
      return "admin";
    case Role::maintain:
      return "maintain";
    case Role::write:
      return "write";
    case Role::triage:
      return "triage";
    case Role::read:
      return "read";
    case Role::none:
      return "none";
  }
  return "none";
}

std::string legacy_permission(Role role) {
  switch (role) {
    case Role::admin:
      return "admin";
    case Role::maintain:
    case Role::write:
      return "write";
    case Role::triage:
    case Role::read:
      return "read";
    case Role::none:
      return "none";
  }
  return "none";
}

Role granted_role(State& state, json& repo, const std::string& login) {
  if (login.empty()) return Role::none;
  std::string who = lower(login);
  std::string owner = repo["owner"];
  if (lower(owner) == who) return Role::admin;
  Role best = Role::none;
  auto raise = [&best](Role role) {
    if (role > best) best = role;
  };
  for (auto& [collaborator, role] : repo["collaborators"].items()) {
    if (lower(collaborator) == who) raise(parse_role(role.get<std::string>()));
  }
  if (json* org = state.organization(owner)) {
    std::string full_name = lower(owner + "/" + repo["name"].get<std::string>());
    for (auto& [member, role] : (*org)["members"].items()) {
      if (lower(member) == who && role == "admin") raise(Role::admin);
    }
    for (auto& team : (*org)["teams"]) {
      bool member = false;
      for (auto& [login_in_team, unused] : team["members"].items()) {
        if (lower(login_in_team) == who) member = true;
      }
      if (!member) continue;
      for (auto& [repo_name, role] : team["repositories"].items()) {
        if (lower(repo_name) == full_name) raise(parse_role(role.get<std::string>()));
      }
    }
  }
  return best;
}

bool installation_covers(State& state, const Identity& who, json& repo) {
  json* installation = state.installation(who.installation_id);
  if (installation == nullptr) return false;
  std::string owner = repo["owner"];
  std::string full_name = lower(owner + "/" + repo["name"].get<std::string>());
  if (lower((*installation)["account"].get<std::string>()) != lower(owner)) return false;
  auto listed = [&full_name](const json& names) {
    for (const auto& name : names) {
      if (lower(name.get<std::string>()) == full_name) return true;
    }
    return false;
  };
  if ((*installation)["repository_selection"] == "selected" && !listed((*installation)["repositories"])) return false;
  if (who.repositories.is_array() && !listed(who.repositories)) return false;
  return true;
}

bool can_read(State& state, json& repo, const Identity& who) {
  switch (who.kind) {
    case Identity::Kind::installation:
      return installation_covers(state, who, repo);
    case Identity::Kind::jwt:
      return false;
    case Identity::Kind::none:
      return !repo["private"].get<bool>();
    case Identity::Kind::token:
      return !repo["private"].get<bool>() || granted_role(state, repo, who.login) >= Role::read;
  }
  return false;
}

namespace {
std::string installation_level(const Identity& who, const std::string& permission) {
  if (!who.permissions.is_object()) return "";
  auto it = who.permissions.find(permission);
  return it == who.permissions.end() || !it->is_string() ? "" : it->get<std::string>();
}
}  // namespace

bool has_role(State& state, json& repo, const Identity& who, Role role, const std::string& permission) {
  if (who.kind == Identity::Kind::installation) {
    if (!installation_covers(state, who, repo)) return false;
    std::string level = installation_level(who, permission);
    return role <= Role::read ? !level.empty() : level == "write" || level == "admin";
  }
  if (who.kind != Identity::Kind::token) return false;
  return granted_role(state, repo, who.login) >= role;
}

void require_write(State& state, json& repo, const Identity& who, const std::string& permission) {
  if (!can_read(state, repo, who)) throw_not_found();
  if (who.kind == Identity::Kind::none) throw_status(401, "Requires authentication");
  if (has_role(state, repo, who, Role::write, permission)) return;
  if (who.kind == Identity::Kind::installation) throw_status(403, "Resource not accessible by integration");
  throw_status(403, "Must have push access to repository");
}

void require_read(State& state, json& repo, const Identity& who, const std::string& permission) {
  if (!can_read(state, repo, who)) throw_not_found();
  if (who.kind == Identity::Kind::installation && installation_level(who, permission).empty()) {
    throw_status(403, "Resource not accessible by integration");
  }
}

}  // namespace deploy::sim
