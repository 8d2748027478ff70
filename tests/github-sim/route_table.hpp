// The one route table: every GitHub operation the simulator serves, with its method, path template
// (as in rest-api-subset.json), operationId, documentation URL (used in error bodies), which
// credentials it accepts, and its handler. `github-sim --list-routes` prints it and a test checks
// it against GitHub's description.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call.hpp"
#include "http_types.hpp"

namespace deploy::sim {

enum class AuthRule {
  app_jwt,  // only a GitHub App JWT (GET /app, access tokens, repository installation)
  token,    // user and installation tokens; anonymous callers get public data only
  any,      // anything, even a JWT (GET /rate_limit)
};

using Handler = Response (*)(Call&);

struct Route {
  std::string_view method;
  std::string_view path;
  std::string_view operation_id;
  std::string_view docs;
  AuthRule auth;
  Handler handler;
};

const std::vector<Route>& routes();
std::string docs_url(const Route& route);

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;  // percent-decoded
};

// The route for this method and normalised path, with its parameters, if any.
// The most specific route wins (most literal segments).
std::optional<RouteMatch> match_route(std::string_view method, std::string_view path);

}  // namespace deploy::sim
