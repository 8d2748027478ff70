// deployment_protection_rule.requested: GitHub holds a job for an environment until this App
// reviews it. The waiting run is remembered; it is approved once the approvals for its commit
// reach the environment's count, now or on a later /approve. Nothing is posted before that.
// A failed callback fails the delivery with a retry (a 5xx is retried by the worker).
#include "bot/handlers/approvals.hpp"
#include "bot/handlers/registry.hpp"
#include "core/text.hpp"
#include "core/tracking_issue.hpp"

namespace deploy::bot::handlers {
namespace {

// ".../actions/runs/123/deployment_protection_rule" -> 123.
std::int64_t run_id_of(const std::string& callback_url) {
  const std::string marker = "/actions/runs/";
  const auto at = callback_url.find(marker);
  if (at == std::string::npos) throw PermanentError("deployment_callback_url has no run id: " + callback_url);
  std::int64_t id = 0;
  for (std::size_t i = at + marker.size(); i < callback_url.size() && callback_url[i] >= '0' && callback_url[i] <= '9'; ++i) {
    id = id * 10 + (callback_url[i] - '0');
  }
  if (id == 0) throw PermanentError("deployment_callback_url has no run id: " + callback_url);
  return id;
}

HandleResult on_protection_rule(Context& context) {
  const auto& payload = context.payload;
  const std::string environment = payload.at("environment").get<std::string>();
  const auto& deployment = payload.at("deployment");
  WaitingGate gate;
  gate.run_id = run_id_of(payload.at("deployment_callback_url").get<std::string>());
  gate.environment = environment;
  gate.sha = text::to_lower(deployment.at("sha").get<std::string>());
  // Whoever started the run may not approve it: the action in that job would not count them.
  gate.started_by = facts::run_starters(context.gh().get_workflow_run(context.repo.owner, context.repo.name, gate.run_id));
  remember_gate(context, gate);

  auto loaded = context.config();
  if (!loaded.config) return HandleResult::done;  // stays waiting; a person sees why on /approve
  const auto* env = loaded.config->environment(environment);
  if (env == nullptr) return HandleResult::done;

  // Approvals of this commit: on its release's tracking issue (found through the release of the
  // tag that was deployed) and on the commit itself.
  Subject subject;
  subject.sha = gate.sha;
  subject.started_by = gate.started_by;
  std::string ref = deployment.value("ref", "");
  if (ref.starts_with("refs/tags/")) ref = ref.substr(10);
  subject.tag = ref;  // its committers are those since the release before it, as the action reads them
  if (auto release = context.gh().get_release_by_tag(context.repo.owner, context.repo.name, ref)) {
    if (auto number = tracking::find_release_link(release->body)) {
      subject.number = *number;
      subject.tracking_issue = true;
    }
  }
  const auto count = count_approvals(context, subject, *env);
  if (count.verdict.met) approve_gate(context, gate, count);
  return HandleResult::done;
}

}  // namespace

std::vector<Entry> protection_rule_entries() {
  return {{"deployment_protection_rule", {"requested"},
           "approves a waiting deploy once the commit has its approvals", on_protection_rule}};
}

}  // namespace deploy::bot::handlers
