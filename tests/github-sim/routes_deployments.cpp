#include <algorithm>
#include <map>

#include "access.hpp"
#include "api_error.hpp"
#include "git_model.hpp"
#include "pagination.hpp"
#include "render.hpp"
#include "routes.hpp"
#include "validation.hpp"

namespace deploy::sim::handlers {

namespace {

json& deployment_or_404(Call& call, json& repo) {
  json* deployment = State::find(repo["deployments"], "id", call.id_param("deployment_id"));
  if (deployment == nullptr) throw_not_found();
  return *deployment;
}

// Latest state per context for the commit, in the order the contexts were first reported.
std::map<std::string, std::string> latest_states(json& repo, const std::string& sha) {
  std::map<std::string, std::string> latest;
  for (auto& status : repo["statuses"]) {
    if (status["sha"] == sha) latest[status["context"].get<std::string>()] = status["state"].get<std::string>();
  }
  return latest;
}

}  // namespace

Response list_deployments(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "deployments");
  View view = view_of(call);
  json items = json::array();
  auto& deployments = repo["deployments"];
  for (std::size_t i = deployments.size(); i-- > 0;) {  // newest first
    json& deployment = deployments[i];
    bool keep = true;
    for (const char* filter : {"sha", "ref", "task", "environment"}) {
      const std::string* wanted = call.request.query_param(filter);
      if (wanted != nullptr && *wanted != "none" && deployment[filter] != *wanted) keep = false;
    }
    if (keep) items.push_back(render_deployment(view, repo, deployment));
  }
  return paginated(call, items);
}

Response create_deployment(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "deployments");
  json body = call.body();
  std::string ref = required_string(body, "ref", "Deployment");
  auto sha = git::resolve(repo, ref);
  if (!sha) throw_unprocessable("No ref found for: " + ref);
  std::string environment = optional_string(body, "environment", "Deployment").value_or("production");
  std::string task = optional_string(body, "task", "Deployment").value_or("deploy");

  // Every reported context must be success unless required_contexts says which ones must be.
  std::map<std::string, std::string> latest = latest_states(repo, *sha);
  std::vector<std::string> failing;
  if (body.contains("required_contexts") && !body["required_contexts"].is_null()) {
    if (!body["required_contexts"].is_array()) throw_validation("Deployment", "required_contexts", "invalid");
    for (const auto& context : body["required_contexts"]) {
      if (!context.is_string()) throw_validation("Deployment", "required_contexts", "invalid");
      auto it = latest.find(context.get<std::string>());
      if (it == latest.end() || it->second != "success") failing.push_back(context.get<std::string>());
    }
  } else {
    for (const auto& [context, state] : latest) {
      if (state != "success") failing.push_back(context);
    }
  }
  if (!failing.empty()) {
    json errors = json::array();
    for (const auto& context : failing) {
      errors.push_back(
          {{"contexts",
            json::array({{{"context", context}, {"state", latest.contains(context) ? latest[context] : "missing"}}})},
           {"resource", "Deployment"},
           {"field", "required_contexts"},
           {"code", "invalid"}});
    }
    throw ApiError(409, {{"message", "Conflict: Commit status checks failed for " + ref + "."}, {"errors", errors}});
  }

  json payload = json::object();
  if (body.contains("payload")) {
    payload = body["payload"];
    if (payload.is_string()) {
      json parsed = json::parse(payload.get<std::string>(), nullptr, false);
      if (!parsed.is_discarded()) payload = parsed;
    }
  }
  std::string now = call.state.now_iso();
  bool production = optional_bool(body, "production_environment", "Deployment").value_or(environment == "production");
  repo["deployments"].push_back(
      {{"id", call.state.next_id()},
       {"sha", *sha},
       {"ref", ref},
       {"task", task},
       {"payload", payload},
       {"environment", environment},
       {"original_environment", environment},
       {"description", optional_string(body, "description", "Deployment") ? body["description"] : json()},
       {"creator", call.actor()},
       {"created_at", now},
       {"updated_at", now},
       {"transient_environment", optional_bool(body, "transient_environment", "Deployment").value_or(false)},
       {"production_environment", production},
       {"statuses", json::array()},
       {"via_app", call.identity.kind == Identity::Kind::installation}});
  View view = view_of(call);
  json rendered = render_deployment(view, repo, repo["deployments"].back());
  // Deployments made through the API belong to no workflow run (GitHub sends both as null).
  call.emit("deployment", "created", {{"deployment", rendered}, {"workflow", nullptr}, {"workflow_run", nullptr}});
  Response response = Response::json(201, rendered);
  response.set_header("location", rendered["url"].get<std::string>());
  return response;
}

Response get_deployment(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "deployments");
  View view = view_of(call);
  return Response::json(200, render_deployment(view, repo, deployment_or_404(call, repo)));
}

Response list_deployment_statuses(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "deployments");
  json& deployment = deployment_or_404(call, repo);
  View view = view_of(call);
  json items = json::array();
  auto& statuses = deployment["statuses"];
  for (auto it = statuses.rbegin(); it != statuses.rend(); ++it)
    items.push_back(render_deployment_status(view, repo, deployment, *it));
  return paginated(call, items);
}

Response create_deployment_status(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "deployments");
  json& deployment = deployment_or_404(call, repo);
  json body = call.body();
  std::string state = required_string(body, "state", "DeploymentStatus");
  require_enum(state, {"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}, "state",
               "DeploymentStatus");
  if (auto environment = optional_string(body, "environment", "DeploymentStatus"))
    deployment["environment"] = *environment;
  std::string now = call.state.now_iso();
  std::string login = call.actor();
  bool via_app = call.identity.kind == Identity::Kind::installation;
  std::string target_url = optional_string(body, "target_url", "DeploymentStatus").value_or("");
  std::string log_url = optional_string(body, "log_url", "DeploymentStatus").value_or(target_url);
  auto status_of = [&](const std::string& s, const std::string& description) {
    return json{{"id", call.state.next_id()},
                {"state", s},
                {"creator", login},
                {"description", description},
                {"environment", deployment["environment"]},
                {"target_url", target_url},
                {"log_url", log_url},
                {"environment_url", optional_string(body, "environment_url", "DeploymentStatus").value_or("")},
                {"created_at", now},
                {"updated_at", now},
                {"via_app", via_app}};
  };
  std::string description = optional_string(body, "description", "DeploymentStatus").value_or("");
  if (description.size() > 140) throw_validation("DeploymentStatus", "description", "invalid");
  deployment["statuses"].push_back(status_of(state, description));
  deployment["updated_at"] = now;

  // auto_inactive (default true): a success marks earlier successful deployments to the same
  // environment inactive, unless they are transient or production ones.
  bool auto_inactive = optional_bool(body, "auto_inactive", "DeploymentStatus").value_or(true);
  if (state == "success" && auto_inactive) {
    for (auto& other : repo["deployments"]) {
      if (other["id"] == deployment["id"] || other["environment"] != deployment["environment"]) continue;
      if (other["transient_environment"].get<bool>() || other["production_environment"].get<bool>()) continue;
      if (other["statuses"].empty() || other["statuses"].back()["state"] != "success") continue;
      json inactive = status_of("inactive", "");
      inactive["environment"] = other["environment"];
      other["statuses"].push_back(inactive);
    }
  }
  View view = view_of(call);
  json rendered = render_deployment_status(view, repo, deployment, deployment["statuses"].back());
  // The webhook leaves out the URLs the REST answer gives as "" (its schema wants a URI or nothing).
  json in_payload = rendered;
  for (const char* key : {"environment_url", "log_url"}) {
    if (in_payload.contains(key) && in_payload[key] == "") in_payload.erase(key);
  }
  call.emit("deployment_status", "created",
            {{"deployment", render_deployment(view, repo, deployment)}, {"deployment_status", in_payload}});
  return Response::json(201, rendered);
}

}  // namespace deploy::sim::handlers
