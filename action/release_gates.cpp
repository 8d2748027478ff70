#include "action/release_gates.hpp"

#include <cctype>

#include "core/policy/from_config.hpp"

namespace deploy::action {
namespace {

Outcome trigger_gate(const GateContext& context) {
  if (context.plan.ref_triggers) return Outcome::allow("ref_triggers", context.plan.trigger);
  return Outcome::deny("ref_not_allowed", context.plan.trigger + "; add it to environments." +
                                              context.environment.name + ".on in the config, or deploy a ref it lists");
}

// The pull requests and direct commits of a release, read once for the gates that need them.
class ReleaseChanges {
 public:
  ReleaseChanges(github::Client& client, const github::Repo& repo, const release::Release& release)
      : client_(client), repo_(repo), release_(release) {}
  const policy::ReleaseChanges& get() {
    if (!changes_) {
      std::vector<std::string> shas;
      for (const auto& commit : release_.commits) shas.push_back(commit.sha);
      changes_ = github::release_changes(client_, repo_, shas);
    }
    return *changes_;
  }

 private:
  github::Client& client_;
  const github::Repo& repo_;
  const release::Release& release_;
  std::optional<policy::ReleaseChanges> changes_;
};

policy::ApprovalVerdict count(github::Client& client, const github::Repo& repo, const GateContext& context,
                              std::string& needed) {
  const auto& approvals = context.environment.approvals;
  policy::ApprovalRequest request = policy::approval_request(approvals);
  request.sha = context.release.sha;
  request.triggered_by = context.actor;
  request.also_triggered_by = context.also_triggered_by;
  // Whoever wrote part of the release may not approve it (unless allow_author): the release
  // commit's author, and the authors and committers of everything since the previous release
  // (deploy-bot reads them with the same function before it dispatches or approves a run).
  std::optional<std::string> previous;
  if (!approvals.allow_author && context.release.previous) previous = context.release.previous->sha;
  const auto authors = github::release_authors(client, repo, context.release.sha, previous);
  request.author = authors.author;
  request.committers = authors.committers;

  github::People people(client, repo, request.approvers);
  github::ApprovalSources sources;
  sources.sha = context.release.sha;
  sources.tracking_issue = context.tracking_issue;
  sources.count_reviews = approvals.count_reviews;
  request.events = github::approval_events(client, repo, sources, people);
  auto verdict = policy::count_approvals(request);
  needed = policy::describe_needed(request, verdict);
  return verdict;
}

Outcome reviewed_changes_gate(const GateContext& context, ReleaseChanges& changes) {
  if (!context.release.previous) {
    return Outcome::allow("changes_reviewed", "first release: there is no previous release to compare with");
  }
  return policy::check_reviewed_changes(changes.get(), context.environment.reviewed_changes.required_reviews).outcome;
}

Outcome required_checks_gate(github::Client& client, const github::Repo& repo, const GateContext& context) {
  auto observed = github::check_observations(client, repo, context.release.sha);
  return policy::check_required_checks(context.environment.required_checks, observed).outcome;
}

}  // namespace

GateResults evaluate_release_gates(github::Client& client, const github::Repo& repo, const GateContext& context) {
  GateResults results;
  ReleaseChanges changes(client, repo, context.release);
  std::vector<policy::Gate> gates;
  gates.push_back({"trigger", [&] { return trigger_gate(context); }});
  if (context.environment.approvals.required > 0 && !context.skip_approvals) {
    gates.push_back({"approvals", [&] {
                       results.approvals = count(client, repo, context, results.needed);
                       return results.approvals->outcome;
                     }});
  }
  if (context.environment.reviewed_changes.required_reviews > 0 && !context.rollback) {
    gates.push_back({"reviewed_changes", [&] { return reviewed_changes_gate(context, changes); }});
  }
  if (!context.environment.required_checks.empty()) {
    gates.push_back({"required_checks", [&] { return required_checks_gate(client, repo, context); }});
  }
  results.report = policy::evaluate_gates(gates);
  for (const auto& result : results.report.results) {
    if (result.outcome.reason == "gate_error") results.gate_error = true;
  }
  return results;
}

}  // namespace deploy::action
