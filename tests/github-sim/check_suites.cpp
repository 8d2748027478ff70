#include "check_suites.hpp"

#include <algorithm>
#include <vector>

#include "encoding.hpp"
#include "git_model.hpp"

namespace deploy::sim {

namespace {

const std::vector<std::string> kSeverity = {"action_required", "cancelled", "timed_out", "failure",
                                            "stale",           "success",   "neutral",   "skipped"};

json head_commit(json& repo, const std::string& sha) {
  json* commit = git::commit(repo, sha);
  if (commit == nullptr) return nullptr;
  return {{"id", sha},
          {"tree_id", git::tree_sha(repo, sha)},
          {"message", (*commit)["message"]},
          {"timestamp", (*commit)["committer"]["date"]},
          {"author", {{"name", (*commit)["author"]["name"]}, {"email", (*commit)["author"]["email"]}}},
          {"committer", {{"name", (*commit)["committer"]["name"]}, {"email", (*commit)["committer"]["email"]}}}};
}

// A branch whose tip is the commit (GitHub's head_branch), else null.
json branch_at(json& repo, const std::string& sha) {
  const std::string prefix = "refs/heads/";
  for (auto& [ref, target] : repo["refs"].items()) {
    if (ref.starts_with(prefix) && target == sha) return ref.substr(prefix.size());
  }
  return nullptr;
}

json app_of(View& view, const json& owner) {
  if (owner.contains("app") && owner["app"].is_object()) return owner["app"];  // e.g. GitHub Actions, seeded
  if (view.state.has_app() && owner.value("app_id", json()) == view.state.app()["id"]) return render_app(view);
  return nullptr;
}

}  // namespace

json& suite_for(State& state, json& repo, const std::string& head_sha, const json& app_id) {
  for (auto& suite : repo["check_suites"]) {
    if (suite["head_sha"] == head_sha && suite["app_id"] == app_id && suite["status"] != "completed") return suite;
  }
  std::string now = state.now_iso();
  repo["check_suites"].push_back({{"id", state.next_id()},
                                  {"head_sha", head_sha},
                                  {"head_branch", branch_at(repo, head_sha)},
                                  {"app_id", app_id},
                                  {"status", "queued"},
                                  {"conclusion", nullptr},
                                  {"created_at", now},
                                  {"updated_at", now}});
  return repo["check_suites"].back();
}

json* suite_of(json& repo, const json& run) {
  if (!run.contains("check_suite_id")) return nullptr;
  return State::find(repo["check_suites"], "id", run["check_suite_id"]);
}

bool settle_check_suite(State& state, json& repo, json& suite) {
  bool any = false, all_completed = true, any_started = false;
  std::size_t worst = kSeverity.size();
  for (auto& run : repo["check_runs"]) {
    if (run.value("check_suite_id", json()) != suite["id"]) continue;
    any = true;
    if (run["status"] != "queued") any_started = true;
    if (run["status"] != "completed") {
      all_completed = false;
      continue;
    }
    auto at = std::find(kSeverity.begin(), kSeverity.end(), run["conclusion"].get<std::string>());
    worst = std::min(worst, static_cast<std::size_t>(at - kSeverity.begin()));
  }
  const bool was_completed = suite["status"] == "completed";
  if (!any) return false;
  if (all_completed) {
    suite["status"] = "completed";
    suite["conclusion"] = worst < kSeverity.size() ? json(kSeverity[worst]) : json("neutral");
  } else {
    suite["status"] = any_started ? "in_progress" : "queued";
    suite["conclusion"] = nullptr;
  }
  suite["updated_at"] = state.now_iso();
  return !was_completed && suite["status"] == "completed";
}

json render_check_suite(View& view, json& repo, json& suite) {
  std::string api = repo_api_url(view, repo);
  long long id = suite["id"];
  std::string head_sha = suite["head_sha"];
  long long runs = 0;
  for (auto& run : repo["check_runs"]) {
    if (run.value("check_suite_id", json()) == suite["id"]) ++runs;
  }
  // `before` is the parent of the head commit (GitHub: the push's before).
  json before = nullptr;
  if (json* commit = git::commit(repo, head_sha); commit != nullptr && !(*commit)["parents"].empty())
    before = (*commit)["parents"][0];
  return {{"id", id},
          {"node_id", node_id("CheckSuite", id)},
          {"head_branch", suite["head_branch"]},
          {"head_sha", head_sha},
          {"status", suite["status"]},
          {"conclusion", suite["conclusion"]},
          {"url", api + "/check-suites/" + std::to_string(id)},
          {"before", before},
          {"after", head_sha},
          {"pull_requests", json::array()},
          {"app", app_of(view, suite)},
          {"repository", render_repo(view, repo)},
          {"created_at", suite["created_at"]},
          {"updated_at", suite["updated_at"]},
          {"head_commit", head_commit(repo, head_sha)},
          {"latest_check_runs_count", runs},
          {"check_runs_url", api + "/check-suites/" + std::to_string(id) + "/check-runs"},
          {"rerequestable", true},
          {"runs_rerequestable", true}};
}

json render_check_suite_for_webhook(View& view, json& repo, json& suite) {
  json out = render_check_suite(view, repo, suite);
  out.erase("repository");  // the payload's own repository says it
  // GitHub's check_suite webhook schema enumerates the App events it may list, and
  // deployment_protection_rule (which the bot subscribes to) is not among them.
  if (out["app"].is_object() && out["app"].contains("events") && out["app"]["events"].is_array()) {
    json events = json::array();
    for (const auto& e : out["app"]["events"]) {
      if (e != "deployment_protection_rule") events.push_back(e);
    }
    out["app"]["events"] = events;
  }
  return out;
}

json render_check_run_for_webhook(View& view, json& repo, json& run) {
  json out = render_check_run(view, repo, run);
  // The webhook always has a details_url: the run's page when the App gave none.
  if (out["details_url"].is_null()) out["details_url"] = out["html_url"];
  if (run.contains("app") && run["app"].is_object()) out["app"] = run["app"];
  if (json* suite = suite_of(repo, run)) {
    json rendered = render_check_suite(view, repo, *suite);
    rendered.erase("repository");
    rendered.erase("latest_check_runs_count");
    rendered.erase("check_runs_url");
    rendered.erase("head_commit");
    rendered.erase("rerequestable");
    rendered.erase("runs_rerequestable");
    out["check_suite"] = rendered;
  }
  return out;
}

std::string check_run_action(const json& before, const json& after) {
  if (before.is_null()) return "created";
  if (before["status"] != "completed" && after["status"] == "completed") return "completed";
  return "";
}

}  // namespace deploy::sim
