// Who is calling: a user token from the seed, an installation token (seeded or issued by
// POST /app/installations/{id}/access_tokens), a GitHub App JWT, or nobody. Credentials never leave
// this file: the rest of the simulator sees an Identity, and the log sees only its kind.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state.hpp"

namespace deploy::sim {

struct Identity {
  enum class Kind { none, token, installation, jwt };
  Kind kind = Kind::none;
  std::string login;                // acting account: the user, "<slug>[bot]" for installations, empty for a JWT
  long long installation_id = 0;    // installation tokens
  nlohmann::json repositories;      // installation token narrowed to these full names; null = the installation's
  nlohmann::json permissions;       // installation token permissions (object)
  std::vector<std::string> scopes;  // user token scopes (reported in x-oauth-scopes)
  std::string rate_key;             // rate-limit bucket
};

const char* kind_name(Identity::Kind kind);

// Reads an Authorization header value ("Bearer X" / "token X"). `attempted` is set to the kind of
// credential it looked like, so a refused request is still logged with its kind. Throws ApiError
// 401 for bad, unknown or expired credentials.
Identity authenticate(State& state, const std::string& authorization, Identity::Kind& attempted);

// POST /app/installations/{id}/access_tokens: the 201 body. Throws ApiError 404/422.
nlohmann::json issue_installation_token(State& state, long long installation_id, const nlohmann::json& request);

// Makes installation tokens expire now (all, or the one given); returns how many.
int expire_installation_tokens(State& state, const std::optional<std::string>& token);

}  // namespace deploy::sim
