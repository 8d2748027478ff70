// Everything a route handler gets: the request, its path parameters, the caller, the URLs to build
// links from, and the state (its mutex is held for the whole call).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth.hpp"
#include "http_types.hpp"
#include "state.hpp"

namespace deploy::sim {

struct Urls {
  std::string api;  // e.g. http://127.0.0.1:PORT or http://127.0.0.1:PORT/api/v3
  std::string web;  // e.g. http://127.0.0.1:PORT (html_url)
};

// A webhook a change made through the API causes on github.com (delivered after the answer when
// the seed sets "webhook": {"api_events": true}).
struct Emitted {
  std::string event;
  std::string action;
  nlohmann::json fields;  // the event's subject objects, rendered
};

struct Call {
  const Request& request;
  std::string path;  // normalised: without /api/v3, /repositories/{id} resolved to /repos/{owner}/{repo}
  std::map<std::string, std::string> params;
  Identity identity;
  Urls urls;
  State& state;

  const std::string& param(const std::string& name) const { return params.at(name); }
  // A numeric path parameter; 404 when it is not a number (GitHub matches those routes on digits).
  long long id_param(const std::string& name) const;
  // The body as a JSON object: 400 "Problems parsing JSON" when it is not JSON, or not an object.
  nlohmann::json body() const;
  // The repository named by {owner}/{repo}, if the caller may see it; otherwise 404.
  nlohmann::json& repo();
  // The acting account's login; 401 "Requires authentication" for anonymous callers.
  std::string actor() const;

  std::vector<Emitted> emitted;
  void emit(std::string event, std::string action, nlohmann::json fields) {
    emitted.push_back({std::move(event), std::move(action), std::move(fields)});
  }
};

}  // namespace deploy::sim
