#include "action/release_gates.hpp"

#include <cctype>

#include <stdexcept>

#include "core/policy/from_config.hpp"
#include "core/tz/zone.hpp"

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

// The approval request of the release commit and its events (approvals and rejections), read
// once for the gates that judge them: approvals, rejection and a freeze override.
class ApprovalFacts {
 public:
  ApprovalFacts(github::Client& client, const github::Repo& repo, const GateContext& context)
      : client_(client), repo_(repo), context_(context) {}
  const policy::ApprovalRequest& get() {
    if (!request_) request_ = read();
    return *request_;
  }

 private:
  policy::ApprovalRequest read() {
    const auto& approvals = context_.environment.approvals;
    policy::ApprovalRequest request = policy::approval_request(approvals);
    request.sha = context_.release.sha;
    request.triggered_by = context_.actor;
    request.also_triggered_by = context_.also_triggered_by;
    // Whoever wrote part of the release may not approve it (unless allow_author): the release
    // commit's author, and the authors and committers of everything since the previous release
    // (deploy-bot reads them with the same function before it dispatches or approves a run).
    std::optional<std::string> previous;
    if (!approvals.allow_author && context_.release.previous) previous = context_.release.previous->sha;
    const auto authors = github::release_authors(client_, repo_, context_.release.sha, previous);
    request.author = authors.author;
    request.committers = authors.committers;

    github::People people(client_, repo_, policy::people_of_interest(context_.environment));
    github::ApprovalSources sources;
    sources.sha = context_.release.sha;
    sources.tracking_issue = context_.tracking_issue;
    sources.count_reviews = approvals.count_reviews;
    request.events = github::approval_events(client_, repo_, sources, people);
    return request;
  }

  github::Client& client_;
  const github::Repo& repo_;
  const GateContext& context_;
  std::optional<policy::ApprovalRequest> request_;
};

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
  ApprovalFacts facts(client, repo, context);
  std::vector<policy::Gate> gates;
  gates.push_back({"trigger", [&] { return trigger_gate(context); }});
  if (context.environment.approvals.required > 0 && !context.skip_approvals) {
    gates.push_back({"approvals", [&] {
                       const auto& request = facts.get();
                       results.approvals = policy::count_approvals(request);
                       results.needed = policy::describe_needed(request, *results.approvals);
                       return results.approvals->outcome;
                     }});
    gates.push_back({"rejection", [&] {
                       const auto& request = facts.get();
                       results.rejections = policy::decide_rejections(request.events, request.approvers, request.sha);
                       return results.rejections->outcome;
                     }});
  }
  if (!context.environment.freeze.windows.empty() && !context.rollback) {
    gates.push_back({"freeze", [&] {
                       auto windows = tz::freeze_windows(context.environment);
                       if (!windows) throw std::runtime_error(windows.error().message);
                       // Only an override needs the approvals: an open window reads nothing.
                       const bool frozen = !freeze::frozen_at(*windows, context.now).empty();
                       results.freeze_override_reason = context.freeze_override_reason;
                       results.freeze = policy::judge_freeze(context.environment, *windows, context.now,
                                                             context.freeze_override_reason,
                                                             frozen ? facts.get() : policy::ApprovalRequest{});
                       return results.freeze->outcome;
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
