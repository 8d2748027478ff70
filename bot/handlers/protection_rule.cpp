// deployment_protection_rule.requested: GitHub holds a job for an environment until this App
// reviews it. The waiting run is remembered. A release the action would refuse (release::decide
// over the same facts, read from GitHub: not semver, not newer than what is deployed, off the
// default branch...) is rejected at once with the action's reason. Otherwise the run is approved
// once the approvals for its commit reach the environment's count, now or on a later /approve;
// until then each change of the count is posted on the run as a review comment without a state
// (n of N and who may still approve).
// A failed callback fails the delivery with a retry (a 5xx is retried by the worker).
#include "bot/handlers/approvals.hpp"
#include "bot/handlers/registry.hpp"
#include "bot/handlers/rejections.hpp"
#include "core/github/release_facts.hpp"  // github::deployed_version
#include "core/release/release.hpp"
#include "core/release/tracking_issue.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {
namespace {

// ".../actions/runs/123/deployment_protection_rule" -> 123.
std::int64_t run_id_of(const std::string& callback_url) {
  const std::string marker = "/actions/runs/";
  const auto at = callback_url.find(marker);
  if (at == std::string::npos) throw PermanentError("deployment_callback_url has no run id: " + callback_url);
  std::int64_t id = 0;
  for (std::size_t i = at + marker.size(); i < callback_url.size() && callback_url[i] >= '0' && callback_url[i] <= '9';
       ++i) {
    id = id * 10 + (callback_url[i] - '0');
  }
  if (id == 0) throw PermanentError("deployment_callback_url has no run id: " + callback_url);
  return id;
}

// The action's verdict on the release this run deploys, when it is one the action refuses
// whatever the checkout (release::about_the_release); nullopt when the release passes.
std::optional<Outcome> refused_release(Context& context, const config::Config& config, const std::string& environment,
                                       const std::string& ref, std::int64_t run_id) {
  release::Request request;
  request.ref = ref;
  request.environment = environment;
  request.default_branch = context.default_branch;
  request.deployed =
      github::deployed_version(context.ports().deployments.deployments(environment, kDeploymentHistoryLimit));
  // A rollback the bot dispatched goes back on purpose; any other run deploys.
  const auto dispatched = dispatched_run(context, run_id);
  request.mode = dispatched && dispatched->mode == "rollback" ? release::Mode::rollback : release::Mode::deploy;
  request.rules = release::tag_rules(config.release);
  // GitHub does not show a tag's signature without its object: the action's own check decides it.
  request.rules.require_signed = false;
  const auto decision = release::decide(request, context.ports().repository.release_facts(request));
  if (decision.outcome.allowed || !release::about_the_release(decision.outcome.reason)) return std::nullopt;
  return decision.outcome;
}

HandleResult on_protection_rule(Context& context) {
  const auto& event = context.event<events::ProtectionRule>();
  const std::string& environment = event.environment;
  WaitingGate gate;
  gate.run_id = run_id_of(event.callback_url);
  gate.environment = environment;
  gate.sha = text::to_lower(event.sha);
  // A redelivery of a run already reviewed changes nothing: a gate is settled once.
  if (auto known = waiting_gate(context, gate.sha, environment); known && known->run_id == gate.run_id) {
    if (!known->settled.empty()) return HandleResult::done;
  }
  // Whoever started the run may not approve it: the action in that job would not count them.
  gate.started_by = github::run_starters(context.ports().repository.workflow_run(gate.run_id));
  remember_gate(context, gate);

  auto loaded = context.config();
  if (!loaded.config) return HandleResult::done;  // stays waiting; a person sees why on /approve
  const auto* env = loaded.config->environment(environment);
  if (env == nullptr) return HandleResult::done;

  std::string ref = event.ref;
  if (auto refusal = refused_release(context, *loaded.config, environment, ref, gate.run_id)) {
    reject_gate(context, gate, *refusal);
    audit::Record record;
    record.kind = audit::Kind::deploy;
    record.environment = environment;
    record.actor = event.sender;
    record.version = ref;
    record.commit_sha = gate.sha;
    record.gates.push_back(audit::Gate::from("release", *refusal));
    record.outcome = {audit::Status::refused, refusal->reason, refusal->message};
    context.audit("gate-rejected:" + std::to_string(gate.run_id) + ":" + environment, record);
    return HandleResult::done;
  }

  // Approvals of this commit: on its release's tracking issue (found through the release of the
  // tag that was deployed) and on the commit itself.
  Subject subject;
  subject.sha = gate.sha;
  subject.started_by = gate.started_by;
  if (ref.starts_with("refs/tags/")) ref = ref.substr(10);
  subject.tag = ref;  // its committers are those since the release before it, as the action reads them
  if (auto release = context.ports().repository.release_by_tag(ref)) {
    if (auto number = release::find_release_link(release->body)) {
      subject.number = *number;
      subject.tracking_issue = true;
    }
  }
  const auto held = commit_lock(context.repo.full_name(), subject.sha);
  const auto count = count_approvals(context, subject, *env);
  if (count.rejected()) {
    // A /reject stands: the action would refuse the run, so it is rejected now, saying who and why.
    reject_gate(context, gate, count.rejections.outcome);
    audit::Record record = approval_record(subject, *env, count, event.sender);
    record.kind = audit::Kind::deploy;
    context.audit("gate-rejected:" + std::to_string(gate.run_id) + ":" + environment, record);
  } else if (count.verdict.met && count.frozen()) {
    // Not approved while frozen (the action would refuse it); approving again after the window, or
    // a run started then, deploys.
    report_gate_blocked(context, gate, count.freeze->outcome);
  } else if (count.verdict.met) {
    approve_gate(context, gate, count);
  } else {
    report_gate_progress(context, gate, subject, count);
  }
  return HandleResult::done;
}

}  // namespace

std::vector<Entry> protection_rule_entries() {
  return {{"deployment_protection_rule",
           {"requested"},
           "approves a waiting deploy once the commit has its approvals, says n of N until then, rejects a release the "
           "action would refuse",
           on_protection_rule}};
}

}  // namespace deploy::bot::handlers
