#include "access.hpp"
#include "api_error.hpp"
#include "git_model.hpp"
#include "pagination.hpp"
#include "render.hpp"
#include "routes.hpp"
#include "validation.hpp"
#include "workflow_runs.hpp"

namespace deploy::sim::handlers {

namespace {

json& run_or_404(Call& call, json& repo) {
  json* run = State::find(repo["workflow_runs"], "id", call.id_param("run_id"));
  if (run == nullptr) throw_not_found();
  return *run;
}

json& workflow_or_404(Call& call, json& repo) {
  const std::string& wanted = call.param("workflow_id");
  for (auto& workflow : repo["workflows"]) {
    std::string path = workflow["path"];
    std::string file = path.substr(path.rfind('/') + 1);
    if (std::to_string(workflow["id"].get<long long>()) == wanted || file == wanted) return workflow;
  }
  throw_not_found();
}

}  // namespace

Response get_workflow_run(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "actions");
  View view = view_of(call);
  return Response::json(200, render_workflow_run(view, repo, run_or_404(call, repo)));
}

// GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs: {total_count, workflow_runs},
// newest first. event, status, branch, actor, head_sha and created (">=TIME", "<=TIME",
// "TIME..TIME" or a date prefix) narrow the list; pages like every list.
Response list_workflow_runs(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "actions");
  json& workflow = workflow_or_404(call, repo);
  std::string event, status, branch, actor, head_sha, created;
  for (const auto& [key, value] : call.request.query) {
    if (key == "event")
      event = value;
    else if (key == "status")
      status = value;
    else if (key == "branch")
      branch = value;
    else if (key == "actor")
      actor = value;
    else if (key == "head_sha")
      head_sha = value;
    else if (key == "created")
      created = value;
  }
  // Timestamps are ISO 8601 in UTC with the same shape, so they compare as text.
  auto created_matches = [&](const std::string& at) {
    if (created.empty()) return true;
    if (created.starts_with(">=")) return at >= created.substr(2);
    if (created.starts_with("<=")) return at <= created.substr(2);
    if (created.starts_with(">")) return at > created.substr(1);
    if (created.starts_with("<")) return at < created.substr(1);
    if (auto dots = created.find(".."); dots != std::string::npos) {
      return at >= created.substr(0, dots) && at.substr(0, created.size() - dots - 2) <= created.substr(dots + 2);
    }
    return at.starts_with(created);
  };
  View view = view_of(call);
  json items = json::array();
  auto& all = repo["workflow_runs"];
  for (auto it = all.rbegin(); it != all.rend(); ++it) {  // newest first: created in id order
    json& run = *it;
    if (run["workflow_id"] != workflow["id"]) continue;
    if (!event.empty() && run["event"] != event) continue;
    if (!status.empty() && run["status"] != status && run["conclusion"] != status) continue;
    if (!branch.empty() && run["head_branch"] != branch) continue;
    if (!actor.empty() && run["actor"] != actor) continue;
    if (!head_sha.empty() && run["head_sha"] != head_sha) continue;
    if (!created_matches(run["created_at"].get<std::string>())) continue;
    items.push_back(render_workflow_run(view, repo, run));
  }
  Response page = paginated(call, items);
  Response response = Response::json(200, {{"total_count", items.size()}, {"workflow_runs", json::parse(page.body)}});
  if (auto link = page.header("link"); !link.empty()) response.set_header("Link", link);
  return response;
}

Response create_workflow_dispatch(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "actions");
  json& workflow = workflow_or_404(call, repo);
  json body = call.body();
  std::string ref = required_string(body, "ref", "WorkflowDispatch");
  json inputs = body.contains("inputs") && !body["inputs"].is_null() ? body["inputs"] : json::object();
  if (!inputs.is_object()) throw_validation("WorkflowDispatch", "inputs", "invalid");
  if (inputs.size() > 25) throw_unprocessable("you may only define up to 25 `inputs` for a `workflow_dispatch` event");
  // A branch or a tag, not a bare sha.
  std::string name = ref;
  for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
    if (name.starts_with(prefix)) name = name.substr(std::string(prefix).size());
  }
  std::string full_ref = repo["refs"].contains(git::branch_ref(name)) ? git::branch_ref(name) : git::tag_ref(name);
  std::optional<std::string> sha;
  if (repo["refs"].contains(full_ref)) sha = git::resolve(repo, full_ref);
  if (!sha) throw_unprocessable("No ref found for: " + ref);

  json& run = create_workflow_run(call.state, repo, workflow, "workflow_dispatch", name, *sha, call.actor(), inputs);
  repo["workflow_dispatches"].push_back({{"workflow_id", workflow["id"]},
                                         {"ref", ref},
                                         {"inputs", inputs},
                                         {"actor", call.actor()},
                                         {"run_id", run["id"]},
                                         {"created_at", call.state.now_iso()}});
  call.emit("workflow_dispatch", "none",
            {{"inputs", inputs.empty() ? json() : inputs}, {"ref", full_ref}, {"workflow", workflow["path"]}});
  {
    View view = view_of(call);
    call.emit("workflow_run", "requested", workflow_run_fields(view, repo, run));
  }
  if (optional_bool(body, "return_run_details", "WorkflowDispatch").value_or(false)) {
    View view = view_of(call);
    json rendered = render_workflow_run(view, repo, run);
    return Response::json(
        200, {{"workflow_run_id", run["id"]}, {"run_url", rendered["url"]}, {"html_url", rendered["html_url"]}});
  }
  return Response::empty(204);
}

Response create_repository_dispatch(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  std::string event_type = required_string(body, "event_type", "RepositoryDispatch");
  if (event_type.size() > 100) throw_validation("RepositoryDispatch", "event_type", "invalid");
  json payload =
      body.contains("client_payload") && !body["client_payload"].is_null() ? body["client_payload"] : json::object();
  if (!payload.is_object()) throw_validation("RepositoryDispatch", "client_payload", "invalid");
  if (payload.size() > 10)
    throw_unprocessable("No more than 10 properties are allowed; " + std::to_string(payload.size()) +
                        " were supplied.");
  repo["repository_dispatches"].push_back({{"event_type", event_type},
                                           {"client_payload", payload},
                                           {"actor", call.actor()},
                                           {"created_at", call.state.now_iso()}});
  return Response::empty(204);
}

// A GitHub App answers the deployment_protection_rule request it received: approve or reject the
// environment's gate (state), or only comment on it.
Response review_custom_gates(Call& call) {
  json& repo = call.repo();
  if (call.identity.kind != Identity::Kind::installation) {
    throw_status(403, "Resource not accessible by personal access token");
  }
  require_write(call.state, repo, call.identity, "deployments");
  json& run = run_or_404(call, repo);
  json body = call.body();
  std::string environment = required_string(body, "environment_name", "DeploymentProtectionRule");
  auto state = optional_string(body, "state", "DeploymentProtectionRule");
  auto comment = optional_string(body, "comment", "DeploymentProtectionRule");
  if (state) {
    require_enum(*state, {"approved", "rejected"}, "state", "DeploymentProtectionRule");
  } else if (!comment) {
    throw_validation("DeploymentProtectionRule", "comment", "missing_field");
  }
  json* gate = nullptr;
  for (auto& rule : run["protection_rules"]) {
    if (rule["environment"] == environment) gate = &rule;
  }
  if (gate == nullptr)
    throw_unprocessable("No pending custom deployment protection rule for environment " + environment + ".");
  if (state && (*gate)["state"] != "pending") {
    throw_unprocessable("The deployment protection rule for environment " + environment + " was already " +
                        (*gate)["state"].get<std::string>() + ".");
  }
  (*gate)["reviews"].push_back({{"state", state ? json(*state) : json()},
                                {"comment", comment ? json(*comment) : json()},
                                {"reviewer", call.actor()},
                                {"created_at", call.state.now_iso()}});
  if (state) {
    (*gate)["state"] = *state;
    const std::string before = workflow_run_action(run);
    settle_workflow_run(call.state, run);
    if (const std::string after = workflow_run_action(run); after != before && !after.empty()) {
      View view = view_of(call);
      call.emit("workflow_run", after, workflow_run_fields(view, repo, run));
    }
  }
  return Response::empty(204);
}

}  // namespace deploy::sim::handlers
