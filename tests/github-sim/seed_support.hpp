// Helpers shared by the seed normalisation files (seed.cpp, seed_issues.cpp).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace deploy::sim::seed {

using nlohmann::json;

// Throws std::runtime_error naming where in the seed and what is wrong.
[[noreturn]] void seed_error(const std::string& where, const std::string& what);
long long max_id(const json& value);
bool is_role(const json& role);
std::string required_string(const json& object, const char* key, const std::string& where);
// A commit named by sha (or a unique 7+ character prefix), "@N" (the N-th entry of "commits",
// from 1), or a branch or tag name.
std::optional<std::string> seed_commit(json& repo, const json& target);
json array_or_empty(json& object, const char* key, const std::string& where);

}  // namespace deploy::sim::seed
