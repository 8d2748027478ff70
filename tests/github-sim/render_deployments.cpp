#include "render.hpp"

#include "encoding.hpp"
#include "git_model.hpp"

namespace deploy::sim {

namespace {
json minimal_repo(View& view, json& repo) { return render_repo(view, repo); }
}  // namespace

json render_release(View& view, json& repo, json& release) {
  std::string api = repo_api_url(view, repo);
  std::string html = repo_html_url(view, repo);
  std::string id = std::to_string(release["id"].get<long long>());
  std::string tag = release["tag_name"];
  std::string host = view.urls.web;
  return {{"url", api + "/releases/" + id},
          {"html_url", html + "/releases/tag/" + tag},
          {"assets_url", api + "/releases/" + id + "/assets"},
          {"upload_url", host + "/uploads/repos/" + repo["owner"].get<std::string>() + "/" +
                             repo["name"].get<std::string>() + "/releases/" + id + "/assets{?name,label}"},
          {"tarball_url", api + "/tarball/" + tag},
          {"zipball_url", api + "/zipball/" + tag},
          {"id", release["id"]},
          {"node_id", node_id("Release", release["id"].get<long long>())},
          {"tag_name", tag},
          {"target_commitish", release["target_commitish"]},
          {"name", release["name"]},
          {"body", release["body"]},
          {"draft", release["draft"]},
          {"prerelease", release["prerelease"]},
          {"immutable", false},
          {"created_at", release["created_at"]},
          {"published_at", release["published_at"]},
          {"updated_at", release["updated_at"]},
          {"author", render_user(view, release["author"].get<std::string>())},
          {"assets", json::array()}};
}

json render_deployment(View& view, json& repo, json& deployment) {
  std::string api = repo_api_url(view, repo);
  std::string url = api + "/deployments/" + std::to_string(deployment["id"].get<long long>());
  return {{"url", url},
          {"id", deployment["id"]},
          {"node_id", node_id("Deployment", deployment["id"].get<long long>())},
          {"sha", deployment["sha"]},
          {"ref", deployment["ref"]},
          {"task", deployment["task"]},
          {"payload", deployment["payload"]},
          {"original_environment", deployment["original_environment"]},
          {"environment", deployment["environment"]},
          {"description", deployment["description"]},
          {"creator", render_user(view, deployment["creator"].get<std::string>())},
          {"created_at", deployment["created_at"]},
          {"updated_at", deployment["updated_at"]},
          {"statuses_url", url + "/statuses"},
          {"repository_url", api},
          {"transient_environment", deployment["transient_environment"]},
          {"production_environment", deployment["production_environment"]},
          {"performed_via_github_app",
           deployment.value("via_app", false) && view.state.has_app() ? render_app(view) : json()}};
}

json render_deployment_status(View& view, json& repo, json& deployment, json& status) {
  std::string api = repo_api_url(view, repo);
  std::string deployment_url = api + "/deployments/" + std::to_string(deployment["id"].get<long long>());
  return {
      {"url", deployment_url + "/statuses/" + std::to_string(status["id"].get<long long>())},
      {"id", status["id"]},
      {"node_id", node_id("DeploymentStatus", status["id"].get<long long>())},
      {"state", status["state"]},
      {"creator", render_user(view, status["creator"].get<std::string>())},
      {"description", status["description"]},
      {"environment", status["environment"]},
      {"target_url", status["target_url"]},
      {"created_at", status["created_at"]},
      {"updated_at", status["updated_at"]},
      {"deployment_url", deployment_url},
      {"repository_url", api},
      {"environment_url", status["environment_url"]},
      {"log_url", status["log_url"]},
      {"performed_via_github_app", status.value("via_app", false) && view.state.has_app() ? render_app(view) : json()}};
}

json render_commit_status(View& view, json& repo, json& status) {
  json creator = render_user(view, status["creator"].get<std::string>());
  return {{"url", repo_api_url(view, repo) + "/statuses/" + status["sha"].get<std::string>()},
          {"avatar_url", creator["avatar_url"]},
          {"id", status["id"]},
          {"node_id", node_id("StatusContext", status["id"].get<long long>())},
          {"state", status["state"]},
          {"description", status["description"]},
          {"target_url", status["target_url"]},
          {"context", status["context"]},
          {"created_at", status["created_at"]},
          {"updated_at", status["updated_at"]},
          {"creator", creator}};
}

json render_check_run(View& view, json& repo, json& run) {
  std::string api = repo_api_url(view, repo);
  std::string id = std::to_string(run["id"].get<long long>());
  json output = run["output"];
  json app = view.state.has_app() ? render_app(view) : json();
  return {{"id", run["id"]},
          {"head_sha", run["head_sha"]},
          {"node_id", node_id("CheckRun", run["id"].get<long long>())},
          {"external_id", run["external_id"].is_null() ? json("") : run["external_id"]},
          {"url", api + "/check-runs/" + id},
          {"html_url", repo_html_url(view, repo) + "/runs/" + id},
          {"details_url", run["details_url"]},
          {"status", run["status"]},
          {"conclusion", run["conclusion"]},
          {"started_at", run["started_at"]},
          {"completed_at", run["completed_at"]},
          {"output",
           {{"title", output.value("title", json())},
            {"summary", output.value("summary", json())},
            {"text", output.value("text", json())},
            {"annotations_count", output.contains("annotations") ? output["annotations"].size() : 0},
            {"annotations_url", api + "/check-runs/" + id + "/annotations"}}},
          {"name", run["name"]},
          {"check_suite", {{"id", run.value("check_suite_id", run["id"].get<long long>())}}},
          {"app", app},
          {"pull_requests", json::array()}};
}

json render_workflow(View& view, json& repo, json& workflow) {
  std::string api = repo_api_url(view, repo);
  std::string id = std::to_string(workflow["id"].get<long long>());
  return {
      {"id", workflow["id"]},
      {"node_id", node_id("Workflow", workflow["id"].get<long long>())},
      {"name", workflow["name"]},
      {"path", workflow["path"]},
      {"state", workflow["state"]},
      {"created_at", workflow["created_at"]},
      {"updated_at", workflow["updated_at"]},
      {"url", api + "/actions/workflows/" + id},
      {"html_url", repo_html_url(view, repo) + "/blob/" + repo["default_branch"].get<std::string>() + "/" +
                       workflow["path"].get<std::string>()},
      {"badge_url", repo_html_url(view, repo) + "/workflows/" + workflow["name"].get<std::string>() + "/badge.svg"}};
}

json render_workflow_run(View& view, json& repo, json& run) {
  std::string api = repo_api_url(view, repo);
  std::string id = std::to_string(run["id"].get<long long>());
  std::string url = api + "/actions/runs/" + id;
  json* workflow = State::find(repo["workflows"], "id", run["workflow_id"]);
  std::string head_sha = run["head_sha"];
  json head_commit = nullptr;
  if (json* commit = git::commit(repo, head_sha)) {
    head_commit = {
        {"id", head_sha},
        {"tree_id", git::tree_sha(repo, head_sha)},
        {"message", (*commit)["message"]},
        {"timestamp", (*commit)["committer"]["date"]},
        {"author", {{"name", (*commit)["author"]["name"]}, {"email", (*commit)["author"]["email"]}}},
        {"committer", {{"name", (*commit)["committer"]["name"]}, {"email", (*commit)["committer"]["email"]}}}};
  }
  long long suite = run.value("check_suite_id", run["id"].get<long long>() + 1);
  return {{"id", run["id"]},
          {"name", run["name"]},
          {"node_id", node_id("WorkflowRun", run["id"].get<long long>())},
          {"check_suite_id", suite},
          {"check_suite_node_id", node_id("CheckSuite", suite)},
          {"head_branch", run["head_branch"]},
          {"head_sha", head_sha},
          {"path", workflow != nullptr ? (*workflow)["path"] : json("")},
          {"display_title", run.value("display_title", run["name"].get<std::string>())},
          {"run_number", run["run_number"]},
          {"run_attempt", run["run_attempt"]},
          {"referenced_workflows", json::array()},
          {"event", run["event"]},
          {"status", run["status"]},
          {"conclusion", run["conclusion"]},
          {"workflow_id", run["workflow_id"]},
          {"url", url},
          {"html_url", repo_html_url(view, repo) + "/actions/runs/" + id},
          {"pull_requests", json::array()},
          {"created_at", run["created_at"]},
          {"updated_at", run["updated_at"]},
          {"actor", render_user(view, run["actor"].get<std::string>())},
          {"triggering_actor", render_user(view, run["triggering_actor"].get<std::string>())},
          {"run_started_at", run["run_started_at"]},
          {"jobs_url", url + "/jobs"},
          {"logs_url", url + "/logs"},
          {"check_suite_url", api + "/check-suites/" + std::to_string(suite)},
          {"artifacts_url", url + "/artifacts"},
          {"cancel_url", url + "/cancel"},
          {"rerun_url", url + "/rerun"},
          {"previous_attempt_url", nullptr},
          {"workflow_url", api + "/actions/workflows/" + std::to_string(run["workflow_id"].get<long long>())},
          {"head_commit", head_commit},
          {"repository", minimal_repo(view, repo)},
          {"head_repository", minimal_repo(view, repo)},
          {"head_repository_id", repo["id"]}};
}

json render_environment(View& view, json& repo, json& environment) {
  std::string name = environment["name"];
  json rules = json::array();
  for (auto& rule : environment["protection_rules"]) {
    json r = rule;
    if (!r.contains("node_id")) r["node_id"] = node_id("ProtectionRule", rule["id"].get<long long>());
    if (!r.contains("type")) r["type"] = "required_reviewers";
    rules.push_back(r);
  }
  return {
      {"id", environment["id"]},
      {"node_id", node_id("Environment", environment["id"].get<long long>())},
      {"name", name},
      {"url", repo_api_url(view, repo) + "/environments/" + percent_encode(name)},
      {"html_url", repo_html_url(view, repo) + "/deployments/activity_log?environments_filter=" + percent_encode(name)},
      {"created_at", environment["created_at"]},
      {"updated_at", environment["updated_at"]},
      {"protection_rules", rules},
      {"deployment_branch_policy", environment["deployment_branch_policy"]}};
}

}  // namespace deploy::sim
