// Admin events about runs: workflow runs moving on (as GitHub Actions runs them) and check runs an
// App or GitHub Actions reports, with the workflow_run, check_run and check_suite webhooks GitHub
// sends for them.
#include <algorithm>
#include <stdexcept>

#include "admin_event_support.hpp"
#include "check_suites.hpp"
#include "git_model.hpp"
#include "workflow_runs.hpp"

namespace deploy::sim::admin {

namespace {

std::string branch_name(std::string ref) {
  for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
    if (ref.starts_with(prefix)) ref = ref.substr(std::string(prefix).size());
  }
  return ref;
}

}  // namespace

// {repo, user, run_id, status: in_progress|completed, conclusion?}: the run moves on;
// {repo, user, workflow_id?, ref?, sha?, event?}: a new queued run (workflow_run.requested).
SimEvent workflow_run_event(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  json* run = nullptr;
  if (input.contains("run_id")) {
    run = State::find(repo["workflow_runs"], "id", number(input, "run_id"));
    if (run == nullptr) throw AdminError("no workflow run " + std::to_string(number(input, "run_id")), true);
    std::string status = text(input, "status", input.contains("conclusion") ? "completed" : "in_progress");
    try {
      advance_workflow_run(view.state, *run, status, input.value("conclusion", json()));
    } catch (const std::invalid_argument& error) {
      throw AdminError(std::string("workflow_run: ") + error.what());
    }
  } else {
    if (repo["workflows"].empty()) throw AdminError("the repository has no workflow; seed \"workflows\"");
    json* workflow = &repo["workflows"][0];
    if (input.contains("workflow_id")) {
      workflow = State::find(repo["workflows"], "id", number(input, "workflow_id"));
      if (workflow == nullptr) throw AdminError("no workflow " + std::to_string(number(input, "workflow_id")), true);
    }
    std::string ref = text(input, "ref", repo["default_branch"].get<std::string>());
    auto sha = git::resolve(repo, input.contains("sha") ? text(input, "sha") : ref);
    if (!sha) throw AdminError("\"ref\"/\"sha\" does not resolve", true);
    run = &create_workflow_run(view.state, repo, *workflow, text(input, "event", "push"), branch_name(ref), *sha, user,
                               json());
  }
  json fields = workflow_run_fields(view, repo, *run);
  return finish(view, repo, templates, "workflow_run", workflow_run_action(*run), fields, user,
                {{"workflow_run", fields["workflow_run"]}});
}

// {repo, user, name, head_sha (sha, branch or tag), status?, conclusion?, app?}: a new check run
// (app: the reporting App's object, e.g. GitHub Actions'; default the seeded App);
// {repo, user, check_run_id, status?, conclusion?}: an update. check_run.created/completed, and
// check_suite.completed when the run completes its suite; an update GitHub reports no event for
// answers "delivery": null.
SimEvent check_run_event(const json& input, View& view, const PayloadTemplates& templates) {
  json& repo = repo_of(view, input);
  std::string user = user_of(view, input);
  std::string now = view.state.now_iso();
  json before;
  json* run = nullptr;
  if (input.contains("check_run_id")) {
    run = State::find(repo["check_runs"], "id", number(input, "check_run_id"));
    if (run == nullptr) throw AdminError("no check run " + std::to_string(number(input, "check_run_id")), true);
    before = *run;
  } else {
    auto sha = git::resolve(repo, text(input, "head_sha"));
    if (!sha) throw AdminError("\"head_sha\" names no commit, branch or tag", true);
    json app_id = view.state.has_app() ? view.state.app()["id"] : json();
    if (input.contains("app")) {
      if (!input["app"].is_object() || !input["app"].contains("id"))
        throw AdminError("\"app\" must be an App object with an \"id\"");
      app_id = input["app"]["id"];
    }
    repo["check_runs"].push_back({{"id", view.state.next_id()},
                                  {"head_sha", *sha},
                                  {"name", text(input, "name")},
                                  {"status", "queued"},
                                  {"conclusion", nullptr},
                                  {"details_url", nullptr},
                                  {"external_id", nullptr},
                                  {"started_at", now},
                                  {"completed_at", nullptr},
                                  {"output", {{"title", nullptr}, {"summary", nullptr}, {"text", nullptr}}},
                                  {"app_id", app_id},
                                  {"created_at", now},
                                  {"updated_at", now}});
    run = &repo["check_runs"].back();
    if (input.contains("app")) (*run)["app"] = input["app"];
    json& suite = suite_for(view.state, repo, *sha, app_id);
    if (input.contains("app")) suite["app"] = input["app"];
    (*run)["check_suite_id"] = suite["id"];
  }
  static const std::initializer_list<const char*> statuses = {"queued", "in_progress", "completed"};
  static const std::initializer_list<const char*> conclusions = {"success", "failure",   "neutral",         "cancelled",
                                                                 "skipped", "timed_out", "action_required", "stale"};
  if (input.contains("status")) {
    std::string status = text(input, "status");
    if (std::find(statuses.begin(), statuses.end(), status) == statuses.end())
      throw AdminError("\"status\" must be queued, in_progress or completed");
    (*run)["status"] = status;
  }
  if (input.contains("conclusion")) {
    std::string conclusion = text(input, "conclusion");
    if (std::find(conclusions.begin(), conclusions.end(), conclusion) == conclusions.end()) {
      throw AdminError(
          "\"conclusion\" must be one of success, failure, neutral, cancelled, skipped, timed_out, action_required, "
          "stale");
    }
    (*run)["conclusion"] = conclusion;
    (*run)["status"] = "completed";
  }
  if ((*run)["status"] == "completed") {
    if ((*run)["conclusion"].is_null()) throw AdminError("a completed check run needs \"conclusion\"");
    if ((*run)["completed_at"].is_null()) (*run)["completed_at"] = now;
  }
  (*run)["updated_at"] = now;
  std::string action = check_run_action(before, *run);
  json rendered = render_check_run_for_webhook(view, repo, *run);
  SimEvent out;
  if (action.empty()) {
    out.result = {{"check_run", rendered}};
  } else {
    out =
        finish(view, repo, templates, "check_run", action, {{"check_run", rendered}}, user, {{"check_run", rendered}});
  }
  json* suite = suite_of(repo, *run);
  if (suite != nullptr && settle_check_suite(view.state, repo, *suite)) {
    json in_payload = render_check_suite_for_webhook(view, repo, *suite);
    out.then.push_back(
        finish(view, repo, templates, "check_suite", "completed", {{"check_suite", in_payload}}, user, json()));
  }
  return out;
}

}  // namespace deploy::sim::admin
