// Reactions on issue and commit comments: one per (user, content); adding an existing one answers
// 200 with it, a new one 201 — as GitHub documents.
#pragma once

#include <nlohmann/json.hpp>

#include "call.hpp"
#include "http_types.hpp"

namespace deploy::sim {

Response add_reaction(Call& call, nlohmann::json& subject);

}  // namespace deploy::sim
