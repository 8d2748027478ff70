// workflow_run.completed for the deploy workflow: says how the deploy ended on the release's
// tracking issue, once per run (a keyed comment). The issue is the one whose approval dispatched
// the run (remembered at dispatch), else the one linked from the release of the run's tag.
#include "bot/handlers/approvals.hpp"
#include "bot/handlers/registry.hpp"
#include "core/release/tracking_issue.hpp"

namespace deploy::bot::handlers {
namespace {

std::string file_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

HandleResult on_workflow_run(Context& context) {
  const auto& run = context.event<events::WorkflowRun>();
  auto loaded = context.config();
  if (!loaded.config) return HandleResult::ignored;
  if (file_name(run.path) != loaded.config->bot.workflow) return HandleResult::ignored;
  const std::int64_t run_id = run.id;

  std::optional<DispatchedRun> dispatched = dispatched_run(context, run_id);
  if (!dispatched) {
    // A tag-triggered run: its head branch is the tag.
    const std::string& tag = run.head_branch;
    if (auto release = tag.empty() ? std::nullopt : context.ports().repository.release_by_tag(tag)) {
      if (auto number = release::find_release_link(release->body))
        dispatched = DispatchedRun{*number, tag, "", "deploy"};
    }
  }
  if (!dispatched) return HandleResult::ignored;
  const std::string& conclusion = run.conclusion;
  std::string body = "The " + dispatched->mode + " run";
  if (!dispatched->version.empty()) body += " for `" + dispatched->version + "`";
  if (!dispatched->environment.empty()) body += " on `" + dispatched->environment + "`";
  body += " finished: **" + conclusion + "**";
  const std::string& url = run.html_url;
  body += url.empty() ? std::string(".") : " (" + url + ").";
  context.comment(dispatched->issue, "run:" + std::to_string(run_id), body);
  return HandleResult::done;
}

}  // namespace

std::vector<Entry> workflow_run_entries() {
  return {
      {"workflow_run", {"completed"}, "says on the release's tracking issue how a deploy run ended", on_workflow_run}};
}

}  // namespace deploy::bot::handlers
