// GitHub App JWTs (RS256), checked the way GitHub describes them: signed with the App's private
// key, `iss` is the App id, `exp` in the future and at most 10 minutes after `iat` (and at most 10
// minutes from now), `iat` not in the future beyond 60 s of clock skew.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sim_time.hpp"

namespace deploy::sim {

bool looks_like_jwt(std::string_view credential);

// nullopt when valid; otherwise GitHub's message for the 401.
std::optional<std::string> verify_app_jwt(std::string_view token, const nlohmann::json& app, TimePoint now);

}  // namespace deploy::sim
