#include "action/release_gates.hpp"

#include <cctype>

#include "core/policy_config.hpp"

namespace deploy::action {
namespace {

Outcome trigger_gate(const GateContext& context) {
  if (context.plan.ref_triggers) return Outcome::allow("ref_triggers", context.plan.trigger);
  return Outcome::deny("ref_not_allowed", context.plan.trigger + "; add it to environments." +
                                              context.environment.name + ".on in the config, or deploy a ref it lists");
}

policy::ApprovalVerdict count(github::Client& client, const facts::Repo& repo, const GateContext& context,
                              std::string& needed) {
  const auto& approvals = context.environment.approvals;
  policy::ApprovalRequest request = policy_config::approval_request(approvals);
  request.sha = context.release.sha;
  request.triggered_by = context.actor;
  // The release commit's author wrote (or merged) the change being released.
  auto commit = client.get_commit(repo.owner, repo.name, context.release.sha);
  if (commit.author) request.author = commit.author->login;

  facts::People people(client, repo, request.approvers);
  facts::ApprovalSources sources;
  sources.sha = context.release.sha;
  sources.tracking_issue = context.tracking_issue;
  sources.count_reviews = approvals.count_reviews;
  request.events = facts::approval_events(client, repo, sources, people);
  auto verdict = policy::count_approvals(request);
  needed = policy::describe_needed(request, verdict);
  return verdict;
}

Outcome reviewed_changes_gate(github::Client& client, const facts::Repo& repo, const GateContext& context) {
  const auto& release = context.release;
  if (!release.previous) {
    return Outcome::allow("changes_reviewed", "first release: there is no previous release to compare with");
  }
  std::vector<std::string> shas;
  for (const auto& commit : release.commits) shas.push_back(commit.sha);
  auto changes = facts::release_changes(client, repo, shas);
  return policy::check_reviewed_changes(changes, context.environment.reviewed_changes.required_reviews).outcome;
}

Outcome required_checks_gate(github::Client& client, const facts::Repo& repo, const GateContext& context) {
  auto observed = facts::check_observations(client, repo, context.release.sha);
  return policy::check_required_checks(context.environment.required_checks, observed).outcome;
}

}  // namespace

GateResults evaluate_release_gates(github::Client& client, const facts::Repo& repo, const GateContext& context) {
  GateResults results;
  std::vector<policy::Gate> gates;
  gates.push_back({"trigger", [&] { return trigger_gate(context); }});
  if (context.environment.approvals.required > 0 && !context.skip_approvals) {
    gates.push_back({"approvals", [&] {
                       results.approvals = count(client, repo, context, results.needed);
                       return results.approvals->outcome;
                     }});
  }
  if (context.environment.reviewed_changes.required_reviews > 0 && !context.rollback) {
    gates.push_back({"reviewed_changes", [&] { return reviewed_changes_gate(client, repo, context); }});
  }
  if (!context.environment.required_checks.empty()) {
    gates.push_back({"required_checks", [&] { return required_checks_gate(client, repo, context); }});
  }
  results.report = policy::evaluate_gates(gates);
  return results;
}

}  // namespace deploy::action
