#include "auth.hpp"

#include <cctype>

#include "api_error.hpp"
#include "crypto.hpp"
#include "jwt.hpp"

namespace deploy::sim {

const char* kind_name(Identity::Kind kind) {
  switch (kind) {
    case Identity::Kind::none:
      return "none";
    case Identity::Kind::token:
      return "token";
    case Identity::Kind::installation:
      return "installation";
    case Identity::Kind::jwt:
      return "jwt";
  }
  return "none";
}

namespace {

[[noreturn]] void bad_credentials(const std::string& message = "Bad credentials") {
  throw ApiError(401, {{"message", message}});
}

std::string app_bot_login(State& state) {
  return state.has_app() ? state.app()["slug"].get<std::string>() + "[bot]" : "github-actions[bot]";
}

}  // namespace

Identity authenticate(State& state, const std::string& authorization, Identity::Kind& attempted) {
  Identity who;
  attempted = Identity::Kind::none;
  if (authorization.empty()) {
    who.rate_key = "anonymous";
    return who;
  }
  auto space = authorization.find(' ');
  std::string scheme = lower(authorization.substr(0, space));
  std::string credential = space == std::string::npos ? "" : authorization.substr(space + 1);
  while (!credential.empty() && credential.front() == ' ') credential.erase(0, 1);
  if ((scheme != "bearer" && scheme != "token") || credential.empty()) {
    attempted = Identity::Kind::token;
    bad_credentials();
  }

  if (looks_like_jwt(credential)) {
    attempted = Identity::Kind::jwt;
    if (auto error = verify_app_jwt(credential, state.app(), state.now())) bad_credentials(*error);
    who.kind = Identity::Kind::jwt;
    who.rate_key = "app:" + std::to_string(state.app()["id"].get<long long>());
    return who;
  }

  auto& tokens = state.doc()["tokens"];
  if (!tokens.contains(credential)) {
    attempted = credential.starts_with("ghs_") ? Identity::Kind::installation : Identity::Kind::token;
    bad_credentials();
  }
  const auto& entry = tokens[credential];
  if (entry.contains("installation_id")) {
    attempted = Identity::Kind::installation;
    if (entry.contains("expires_at") && entry["expires_at"].is_string()) {
      auto expires = parse_iso8601(entry["expires_at"].get<std::string>());
      if (!expires || *expires <= state.now()) bad_credentials();
    }
    long long id = entry["installation_id"].get<long long>();
    json* installation = state.installation(id);
    if (installation == nullptr) bad_credentials();
    who.kind = Identity::Kind::installation;
    who.installation_id = id;
    who.login = app_bot_login(state);
    state.ensure_user(who.login);
    who.repositories = entry.contains("repositories") ? entry["repositories"] : json();
    who.permissions = entry.contains("permissions") ? entry["permissions"] : (*installation)["permissions"];
    who.rate_key = "installation:" + std::to_string(id);
    return who;
  }
  attempted = Identity::Kind::token;
  who.kind = Identity::Kind::token;
  who.login = entry["login"].get<std::string>();
  for (const auto& scope : entry.value("scopes", json::array())) who.scopes.push_back(scope.get<std::string>());
  who.rate_key = "user:" + lower(who.login);
  return who;
}

json issue_installation_token(State& state, long long installation_id, const json& request) {
  json* installation = state.installation(installation_id);
  if (installation == nullptr) throw_not_found();
  json narrowed;
  if (request.contains("repositories")) {
    if (!request["repositories"].is_array()) throw_validation("Installation", "repositories", "invalid");
    narrowed = json::array();
    std::string account = (*installation)["account"];
    for (const auto& name : request["repositories"]) {
      if (!name.is_string()) throw_validation("Installation", "repositories", "invalid");
      json* repo = state.repo(account, name.get<std::string>());
      if (repo == nullptr)
        throw_unprocessable(
            "There is at least one repository that does not exist or is not accessible to the parent installation.");
      narrowed.push_back(account + "/" + (*repo)["name"].get<std::string>());
    }
  }
  if (request.contains("repository_ids")) {
    if (!request["repository_ids"].is_array()) throw_validation("Installation", "repository_ids", "invalid");
    if (narrowed.is_null()) narrowed = json::array();
    for (const auto& id : request["repository_ids"]) {
      json* repo = id.is_number_integer() ? state.repo_by_id(id.get<long long>()) : nullptr;
      if (repo == nullptr)
        throw_unprocessable(
            "There is at least one repository that does not exist or is not accessible to the parent installation.");
      narrowed.push_back((*repo)["owner"].get<std::string>() + "/" + (*repo)["name"].get<std::string>());
    }
  }
  json permissions = (*installation)["permissions"];
  if (request.contains("permissions")) {
    if (!request["permissions"].is_object()) throw_validation("Installation", "permissions", "invalid");
    for (const auto& [name, level] : request["permissions"].items()) {
      std::string granted = permissions.value(name, "");
      if (granted.empty() || (granted == "read" && level == "write")) {
        throw_unprocessable("The permissions requested are not granted to this installation.");
      }
    }
    permissions = request["permissions"];
  }
  long long lifetime = state.has_app() ? state.app().value("installation_token_lifetime_seconds", 3600LL) : 3600LL;
  std::string token = "ghs_" + random_alphanumeric(36);
  std::string expires_at = iso8601(state.now() + std::chrono::seconds(lifetime));
  json entry = {{"installation_id", installation_id},
                {"expires_at", expires_at},
                {"permissions", permissions},
                {"issued_at", state.now_iso()}};
  if (!narrowed.is_null()) entry["repositories"] = narrowed;
  state.doc()["tokens"][token] = entry;
  json out = {
      {"token", token},
      {"expires_at", expires_at},
      {"permissions", permissions},
      {"repository_selection", narrowed.is_null() ? (*installation)["repository_selection"] : json("selected")}};
  return out;
}

int expire_installation_tokens(State& state, const std::optional<std::string>& token) {
  int count = 0;
  std::string past = iso8601(state.now() - std::chrono::seconds(1));
  for (auto& [key, entry] : state.doc()["tokens"].items()) {
    if (!entry.contains("installation_id")) continue;
    if (token && key != *token) continue;
    entry["expires_at"] = past;
    ++count;
  }
  return count;
}

}  // namespace deploy::sim
