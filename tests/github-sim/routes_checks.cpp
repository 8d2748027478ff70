#include <map>
#include <set>

#include "access.hpp"
#include "api_error.hpp"
#include "check_suites.hpp"
#include "git_model.hpp"
#include "pagination.hpp"
#include "render.hpp"
#include "routes.hpp"
#include "validation.hpp"

namespace deploy::sim::handlers {

namespace {

const std::initializer_list<const char*> kConclusions = {"action_required", "cancelled", "failure", "neutral",
                                                         "success",         "skipped",   "stale",   "timed_out"};

// Applies the writable check-run fields of a create or update body.
void apply_check_run(Call& call, const json& body, json& run) {
  for (const char* key : {"name", "details_url", "external_id", "started_at", "completed_at"}) {
    if (auto value = optional_string(body, key, "CheckRun")) run[key] = *value;
  }
  if (auto status = optional_string(body, "status", "CheckRun")) {
    require_enum(*status, {"queued", "in_progress", "completed", "waiting", "requested", "pending"}, "status",
                 "CheckRun");
    run["status"] = *status;
  }
  if (auto conclusion = optional_string(body, "conclusion", "CheckRun")) {
    require_enum(*conclusion, kConclusions, "conclusion", "CheckRun");
    run["conclusion"] = *conclusion;
    run["status"] = "completed";  // providing a conclusion completes the run
  }
  if (run["status"] == "completed") {
    if (run["conclusion"].is_null()) throw_validation("CheckRun", "conclusion", "missing_field");
    if (run["completed_at"].is_null()) run["completed_at"] = call.state.now_iso();
  }
  if (run["status"] == "in_progress" && run["started_at"].is_null()) run["started_at"] = call.state.now_iso();
  if (body.contains("output")) {
    const json& output = body["output"];
    if (!output.is_object()) throw_validation("CheckRun", "output", "invalid");
    required_string(output, "title", "CheckRun");
    required_string(output, "summary", "CheckRun");
    run["output"] = output;
  }
}

// A run's change may complete its suite: GitHub then sends check_suite.completed.
void emit_suite_change(Call& call, json& repo, json& run) {
  json* suite = suite_of(repo, run);
  if (suite == nullptr || !settle_check_suite(call.state, repo, *suite)) return;
  View view = view_of(call);
  call.emit("check_suite", "completed", {{"check_suite", render_check_suite_for_webhook(view, repo, *suite)}});
}

}  // namespace

Response create_commit_status(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "statuses");
  json body = call.body();
  std::string state = required_string(body, "state", "Status");
  require_enum(state, {"error", "failure", "pending", "success"}, "state", "Status");
  json* commit = git::commit(repo, call.param("sha"));
  if (commit == nullptr) throw_unprocessable("No commit found for SHA: " + call.param("sha"));
  auto description = optional_string(body, "description", "Status");
  if (description && description->size() > 140) throw_validation("Status", "description", "invalid");
  std::string context = optional_string(body, "context", "Status").value_or("default");
  std::string sha = (*commit)["sha"];
  long long same = 0;
  for (auto& status : repo["statuses"]) {
    if (status["sha"] == sha && status["context"] == context) ++same;
  }
  if (same >= 1000) throw_unprocessable("This SHA and context has reached the maximum number of statuses.");
  std::string now = call.state.now_iso();
  repo["statuses"].push_back({{"id", call.state.next_id()},
                              {"sha", sha},
                              {"state", state},
                              {"context", context},
                              {"description", description ? json(*description) : json()},
                              {"target_url", body.contains("target_url") ? body["target_url"] : json()},
                              {"creator", call.actor()},
                              {"created_at", now},
                              {"updated_at", now}});
  View view = view_of(call);
  json rendered = render_commit_status(view, repo, repo["statuses"].back());
  Response response = Response::json(201, rendered);
  response.set_header("location", rendered["url"].get<std::string>());
  return response;
}

// failure if any latest context is error/failure; pending if there are none or any is pending;
// success when every latest context is success.
Response get_combined_status(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "statuses");
  auto sha = git::resolve(repo, call.param("ref"));
  if (!sha) throw_not_found();
  std::map<std::string, json*> latest;
  std::vector<std::string> order;
  for (auto& status : repo["statuses"]) {
    if (status["sha"] != *sha) continue;
    std::string context = status["context"];
    if (!latest.contains(context)) order.push_back(context);
    latest[context] = &status;
  }
  std::string combined = latest.empty() ? "pending" : "success";
  for (auto& [context, status] : latest) {
    std::string s = (*status)["state"];
    if (s == "error" || s == "failure")
      combined = "failure";
    else if (s == "pending" && combined != "failure")
      combined = "pending";
  }
  View view = view_of(call);
  json statuses = json::array();
  Page page = page_of(call.request);
  std::size_t begin = (page.page - 1) * page.per_page;
  for (std::size_t i = begin; i < order.size() && i < begin + page.per_page; ++i) {
    json s = render_commit_status(view, repo, *latest[order[i]]);
    s.erase("creator");
    statuses.push_back(s);
  }
  std::string api = repo_api_url(view, repo);
  return Response::json(200, {{"state", combined},
                              {"statuses", statuses},
                              {"sha", *sha},
                              {"total_count", latest.size()},
                              {"repository", render_repo(view, repo)},
                              {"commit_url", api + "/commits/" + *sha},
                              {"url", api + "/commits/" + *sha + "/status"}});
}

// GET /repos/{owner}/{repo}/commits/{ref}/statuses: every status of the commit, newest first, each
// with its creator (which the combined status leaves out), paged like every list.
Response list_commit_statuses_for_ref(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "statuses");
  auto sha = git::resolve(repo, call.param("ref"));
  if (!sha) throw_not_found();
  View view = view_of(call);
  json items = json::array();
  auto& statuses = repo["statuses"];
  for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
    if ((*it)["sha"] == *sha) items.push_back(render_commit_status(view, repo, *it));
  }
  return paginated(call, items);
}

// GET /repos/{owner}/{repo}/commits/{ref}/check-runs: {total_count, check_runs}, newest first.
// filter=latest (the default) keeps the most recent run of each name, as GitHub does; check_name,
// status and app_id narrow the list. Pages like every list, with the object around the page.
Response list_check_runs_for_ref(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "checks");
  auto sha = git::resolve(repo, call.param("ref"));
  if (!sha) throw_not_found();
  std::string filter = "latest", check_name, status, app_id;
  for (const auto& [key, value] : call.request.query) {
    if (key == "filter")
      filter = value;
    else if (key == "check_name")
      check_name = value;
    else if (key == "status")
      status = value;
    else if (key == "app_id")
      app_id = value;
  }
  if (filter != "latest" && filter != "all") throw_unprocessable("filter must be one of: latest, all");
  std::vector<json*> runs;
  std::set<std::string> seen_names;
  auto& all = repo["check_runs"];
  for (auto it = all.rbegin(); it != all.rend(); ++it) {  // newest first: created in id order
    json& run = *it;
    if (run["head_sha"] != *sha) continue;
    const std::string name = run["name"];
    if (filter == "latest" && !seen_names.insert(name).second) continue;
    if (!check_name.empty() && name != check_name) continue;
    if (!status.empty() && run["status"] != status) continue;
    if (!app_id.empty() && (run["app_id"].is_null() || std::to_string(run["app_id"].get<long long>()) != app_id))
      continue;
    runs.push_back(&run);
  }
  View view = view_of(call);
  json items = json::array();
  for (json* run : runs) {
    json rendered = render_check_run(view, repo, *run);
    // A seeded run may name the App that reported it (GitHub Actions for workflow jobs).
    if ((*run).contains("app") && (*run)["app"].is_object()) rendered["app"] = (*run)["app"];
    items.push_back(std::move(rendered));
  }
  Response page = paginated(call, items);
  Response response = Response::json(200, {{"total_count", items.size()}, {"check_runs", json::parse(page.body)}});
  if (auto link = page.header("link"); !link.empty()) response.set_header("Link", link);
  return response;
}

Response create_check_run(Call& call) {
  json& repo = call.repo();
  if (call.identity.kind != Identity::Kind::installation) throw_status(403, "You must authenticate via a GitHub App.");
  require_write(call.state, repo, call.identity, "checks");
  json body = call.body();
  std::string name = required_string(body, "name", "CheckRun");
  std::string head_sha = required_string(body, "head_sha", "CheckRun");
  json* commit = git::commit(repo, head_sha);
  if (commit == nullptr) throw_unprocessable("No commit found for SHA: " + head_sha);
  std::string now = call.state.now_iso();
  json run = {{"id", call.state.next_id()},
              {"head_sha", (*commit)["sha"]},
              {"name", name},
              {"status", "queued"},
              {"conclusion", nullptr},
              {"details_url", nullptr},
              {"external_id", nullptr},
              {"started_at", now},
              {"completed_at", nullptr},
              {"output", {{"title", nullptr}, {"summary", nullptr}, {"text", nullptr}}},
              {"app_id", call.state.has_app() ? call.state.app()["id"] : json()},
              {"created_at", now},
              {"updated_at", now}};
  apply_check_run(call, body, run);
  run["check_suite_id"] = suite_for(call.state, repo, run["head_sha"], run["app_id"])["id"];
  repo["check_runs"].push_back(run);
  json& stored = repo["check_runs"].back();
  View view = view_of(call);
  call.emit("check_run", check_run_action(nullptr, stored),
            {{"check_run", render_check_run_for_webhook(view, repo, stored)}});
  emit_suite_change(call, repo, stored);
  return Response::json(201, render_check_run(view, repo, stored));
}

Response update_check_run(Call& call) {
  json& repo = call.repo();
  if (call.identity.kind != Identity::Kind::installation) throw_status(403, "You must authenticate via a GitHub App.");
  require_write(call.state, repo, call.identity, "checks");
  json* run = State::find(repo["check_runs"], "id", call.id_param("check_run_id"));
  if (run == nullptr) throw_not_found();
  json updated = *run;
  apply_check_run(call, call.body(), updated);
  updated["updated_at"] = call.state.now_iso();
  const std::string action = check_run_action(*run, updated);
  *run = updated;
  View view = view_of(call);
  if (!action.empty()) call.emit("check_run", action, {{"check_run", render_check_run_for_webhook(view, repo, *run)}});
  emit_suite_change(call, repo, *run);
  return Response::json(200, render_check_run(view, repo, *run));
}

// GET /repos/{owner}/{repo}/commits/{ref}/check-suites: {total_count, check_suites}, oldest first;
// app_id and check_name (a suite with a run of that name) narrow the list.
Response list_check_suites_for_ref(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "checks");
  auto sha = git::resolve(repo, call.param("ref"));
  if (!sha) throw_not_found();
  std::string app_id, check_name;
  for (const auto& [key, value] : call.request.query) {
    if (key == "app_id")
      app_id = value;
    else if (key == "check_name")
      check_name = value;
  }
  View view = view_of(call);
  json items = json::array();
  for (auto& suite : repo["check_suites"]) {
    if (suite["head_sha"] != *sha) continue;
    if (!app_id.empty() && (suite["app_id"].is_null() || std::to_string(suite["app_id"].get<long long>()) != app_id))
      continue;
    if (!check_name.empty()) {
      bool has = false;
      for (auto& run : repo["check_runs"])
        has = has || (run.value("check_suite_id", json()) == suite["id"] && run["name"] == check_name);
      if (!has) continue;
    }
    items.push_back(render_check_suite(view, repo, suite));
  }
  Response page = paginated(call, items);
  Response response = Response::json(200, {{"total_count", items.size()}, {"check_suites", json::parse(page.body)}});
  if (auto link = page.header("link"); !link.empty()) response.set_header("Link", link);
  return response;
}

}  // namespace deploy::sim::handlers
