#include "api_handler.hpp"

#include <iostream>
#include <thread>

#include "admin_events.hpp"
#include "api_error.hpp"
#include "auth.hpp"
#include "call.hpp"
#include "conditional.hpp"
#include "crypto.hpp"
#include "rate_limits.hpp"
#include "route_table.hpp"

namespace deploy::sim {

namespace {

constexpr const char* kApiPrefix = "/api/v3";
constexpr const char* kRestDocs = "https://docs.github.com/rest";

std::string request_id() {
  std::string hex = random_hex(32);
  for (auto& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex.substr(0, 4) + ":" + hex.substr(4, 5) + ":" + hex.substr(9, 7) + ":" + hex.substr(16, 7) + ":" +
         hex.substr(23, 8);
}

// Query parameters that could carry a credential are never logged.
nlohmann::json loggable_query(const Request& request) {
  nlohmann::json query = nlohmann::json::object();
  for (const auto& [key, value] : request.query) {
    bool secret = key == "access_token" || key == "client_secret" || key == "token" || key == "jwt";
    query[key] = secret ? "[redacted]" : value;
  }
  return query;
}

nlohmann::json loggable_body(const Request& request) {
  if (request.body.empty()) return nullptr;
  nlohmann::json parsed = nlohmann::json::parse(request.body, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(request.body) : parsed;
}

Response error_response(const ApiError& error, std::string_view docs) {
  nlohmann::json body = error.body();
  if (!body.contains("documentation_url")) body["documentation_url"] = std::string(docs);
  Response response = Response::json(error.status(), body);
  for (const auto& [name, value] : error.headers()) response.set_header(name, value);
  return response;
}

// /repositories/{id}/rest -> /repos/{owner}/{name}/rest (the form GitHub's Link headers use).
std::string resolve_repository_alias(State& state, const std::string& path) {
  const std::string prefix = "/repositories/";
  if (!path.starts_with(prefix)) return path;
  auto end = path.find('/', prefix.size());
  std::string id = path.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) return path;
  std::lock_guard lock(state.mutex());
  json* repo = state.repo_by_id(std::stoll(id));
  if (repo == nullptr) return path;
  return "/repos/" + (*repo)["owner"].get<std::string>() + "/" + (*repo)["name"].get<std::string>() +
         (end == std::string::npos ? "" : path.substr(end));
}

}  // namespace

std::vector<SimEvent> ApiHandler::webhooks_for(Call& call) {
  std::vector<SimEvent> out;
  json* repo = call.state.repo(call.params.at("owner"), call.params.at("repo"));
  View view{call.state, call.urls, call.identity};
  for (const auto& emitted : call.emitted) {
    SimEvent event;
    event.event = emitted.event;
    event.action = emitted.action;
    event.payload =
        build_payload(templates_, view, *repo, emitted.event, emitted.action, emitted.fields, call.identity.login);
    event.installation_id = installation_for(call.state, *repo);
    out.push_back(std::move(event));
  }
  return out;
}

ApiHandler::~ApiHandler() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(late_mutex_);
    stopping_ = true;
    threads.swap(late_);
  }
  late_wake_.notify_all();
  for (auto& thread : threads) thread.join();
}

void ApiHandler::handle_late(const Request& request, std::chrono::milliseconds late) {
  std::lock_guard lock(late_mutex_);
  if (stopping_) return;
  late_.emplace_back([this, request, late] {
    {
      std::unique_lock wait(late_mutex_);
      if (late_wake_.wait_for(wait, late, [this] { return stopping_; })) return;
    }
    handle(request);
  });
}

Response ApiHandler::handle(const Request& request) {
  std::string prefix;
  std::string path = request.path;
  if (path == kApiPrefix || path.starts_with(std::string(kApiPrefix) + "/")) {
    prefix = kApiPrefix;
    path = path.substr(prefix.size());
    if (path.empty()) path = "/";
  }
  path = resolve_repository_alias(state_, path);
  Urls urls{request.origin + prefix, request.origin};
  std::string id = request_id();

  nlohmann::json entry = {{"time", iso8601(std::chrono::system_clock::now())},
                          {"request_id", id},
                          {"method", request.method},
                          {"path", request.path},
                          {"query", loggable_query(request)},
                          {"body", loggable_body(request)}};
  Identity::Kind attempted = Identity::Kind::none;
  Identity identity;
  std::optional<RateBucket> bucket;
  Response response;
  std::vector<SimEvent> caused;

  std::optional<Fault> fault = faults_.take(request.method, path);
  if (fault) entry["fault"] = fault->kind;
  if (fault && fault->kind == "delay") {
    std::this_thread::sleep_for(std::chrono::milliseconds(fault->spec["delay_ms"].get<int>()));
    fault.reset();
  }
  if (fault && fault->kind == "late") {
    // The fault is used up: the request is handled normally, later, on its own thread.
    const auto late = std::chrono::milliseconds(fault->spec["late_ms"].get<int>());
    handle_late(request, late);
    entry["status"] = nullptr;
    entry["route"] = nullptr;
    log_.append(entry);
    Response dropped;
    dropped.drop = true;
    return dropped;
  }
  // Handled like any request; only its answer is lost (below).
  const bool drop_answer = fault && fault->kind == "drop_after";
  if (drop_answer) fault.reset();
  auto match = match_route(request.method, path);
  entry["route"] = match ? nlohmann::json(std::string(match->route->path)) : nlohmann::json();
  std::string docs = match ? docs_url(*match->route) : kRestDocs;

  if (fault && fault->kind == "drop") {
    response.drop = true;
  } else if (fault) {
    // Faults are validated when added, but a failure here must still answer (and log), never kill
    // the connection silently.
    try {
      response = fault_response(*fault, state_.now());
    } catch (const std::exception& error) {
      std::cerr << "github-sim: internal error building fault " << fault->spec.dump() << " for " << request.method
                << " " << request.path << ": " << error.what() << "\n";
      response = Response::json(
          500, {{"message", std::string("github-sim internal error: ") + error.what()}, {"documentation_url", docs}});
    }
  } else {
    std::lock_guard lock(state_.mutex());
    try {
      identity = authenticate(state_, request.header("authorization"), attempted);
      if (!match) throw_not_found();
      const Route& route = *match->route;
      if (route.auth == AuthRule::app_jwt && identity.kind != Identity::Kind::jwt) {
        throw_status(401, identity.kind == Identity::Kind::none ? "Requires authentication"
                                                                : "A JSON web token could not be decoded");
      }
      if (route.auth == AuthRule::token && identity.kind == Identity::Kind::jwt) {
        throw_status(403, "Resource not accessible by integration");
      }
      RateBucket& counted = count_request(state_, identity, route.path != "/rate_limit");
      bucket = counted;
      Call call{request, path, match->params, identity, urls, state_, {}};
      response = route.handler(call);
      // A 304 is not counted against the rate limit: the request it counted above is given back.
      if (answer_conditionally(request, response) && route.path != "/rate_limit") {
        --counted.used;
        bucket = counted;
      }
      if (!call.emitted.empty() && state_.doc()["webhook"].value("api_events", false)) caused = webhooks_for(call);
    } catch (const ApiError& error) {
      response = error_response(error, docs);
    } catch (const std::exception& error) {
      // A simulator bug: answer 500 so the test sees it, and say where on stderr.
      std::cerr << "github-sim: internal error on " << request.method << " " << request.path << ": " << error.what()
                << "\n";
      response = Response::json(
          500, {{"message", std::string("github-sim internal error: ") + error.what()}, {"documentation_url", docs}});
    }
    if (!bucket) bucket = count_request(state_, identity, false);
  }

  if (drop_answer) response.drop = true;
  for (auto& event : caused)
    deliveries_.enqueue(event.event, event.action, std::move(event.payload), event.installation_id);

  entry["status"] = response.drop ? nlohmann::json() : nlohmann::json(response.status);
  if (is_conditional(request)) entry["conditional"] = true;
  entry["auth"] = kind_name(identity.kind != Identity::Kind::none ? identity.kind : attempted);
  if (!identity.login.empty()) entry["actor"] = identity.login;
  log_.append(entry);
  if (response.drop) return response;

  if (!response.body.empty() && response.header("content-type").empty()) {
    response.set_header("content-type", "application/json; charset=utf-8");
  }
  if (bucket) add_rate_limit_headers(response, *bucket);
  response.set_header("x-github-request-id", id);
  response.set_header("x-github-media-type", "github.v3; format=json");
  response.set_header("x-github-api-version-selected", "2022-11-28");
  response.set_header("date", http_date(state_.now()));
  response.set_header("server", "github-sim");
  if (identity.kind == Identity::Kind::token) {
    std::string scopes;
    for (const auto& scope : identity.scopes) scopes += (scopes.empty() ? "" : ", ") + scope;
    response.set_header("x-oauth-scopes", scopes);
    response.set_header("x-accepted-oauth-scopes", "repo");
  }
  return response;
}

}  // namespace deploy::sim
