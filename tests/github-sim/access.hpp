// Who may see and change what, computed as GitHub describes it: the highest role from ownership,
// organisation ownership, teams and direct collaboration; public repositories are readable by all;
// an installation sees the repositories it was granted, with the permissions it was granted.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "auth.hpp"
#include "state.hpp"

namespace deploy::sim {

enum class Role { none = 0, read, triage, write, maintain, admin };

Role parse_role(const std::string& name);
std::string role_name(Role role);
// The legacy base role GitHub reports in `permission`: maintain -> write, triage -> read.
std::string legacy_permission(Role role);

// A user's granted role on a repository (none when only public visibility lets them read).
Role granted_role(State& state, nlohmann::json& repo, const std::string& login);

bool installation_covers(State& state, const Identity& who, nlohmann::json& repo);
bool can_read(State& state, nlohmann::json& repo, const Identity& who);

// Throws ApiError 403 (GitHub's wording for users and for integrations) unless the caller may
// write `permission` (an App permission name: "issues", "statuses", "deployments", ...) here.
void require_write(State& state, nlohmann::json& repo, const Identity& who, const std::string& permission);
// The same for reading a permission-scoped resource (e.g. "contents", "actions").
void require_read(State& state, nlohmann::json& repo, const Identity& who, const std::string& permission);
// True when the caller has at least `role` (users) or write on `permission` (installations).
bool has_role(State& state, nlohmann::json& repo, const Identity& who, Role role, const std::string& permission);

}  // namespace deploy::sim
