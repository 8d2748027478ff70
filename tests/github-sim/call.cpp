#include "call.hpp"

#include "access.hpp"
#include "api_error.hpp"

namespace deploy::sim {

long long Call::id_param(const std::string& name) const {
  const std::string& text = params.at(name);
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) throw_not_found();
  return std::stoll(text);
}

nlohmann::json Call::body() const {
  if (request.body.empty()) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(request.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) throw ApiError(400, {{"message", "Problems parsing JSON"}});
  return parsed;
}

nlohmann::json& Call::repo() {
  json* found = state.repo(params.at("owner"), params.at("repo"));
  if (found == nullptr || !can_read(state, *found, identity)) throw_not_found();
  return *found;
}

std::string Call::actor() const {
  if (identity.login.empty()) throw_status(401, "Requires authentication");
  return identity.login;
}

}  // namespace deploy::sim
