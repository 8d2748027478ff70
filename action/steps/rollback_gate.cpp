#include "action/steps/steps.hpp"
#include "core/policy/from_config.hpp"
#include "core/semver/semver.hpp"

namespace deploy::action {

policy::RollbackRequest rollback_request(const RunRecord& record, const Connection& github, const Clock& clock,
                                         const std::optional<semver::Version>& version) {
  const auto& in = record.inputs;
  const auto& environment = record.config->environment;
  github::People people(github.github(), github.repo, policy::to_policy(environment.rollback.allowed));
  policy::RollbackRequest request;
  // A bot the config names by login in rollback.allowed (the deploy-bot that checked a /rollback)
  // is admitted by core/policy; any other bot is refused there.
  request.user = people.actor(in.actor, github::is_bot_account(in.actor));
  request.environment = in.environment;
  request.version = version;
  for (const auto& seen : record.history->deployments) request.history.push_back(seen.record);
  request.now = clock.now();
  request.policy = policy::to_policy(environment.rollback);
  return request;
}

// A rollback needs no approvals when the rollback policy admits the actor within the window;
// otherwise it passes the approvals gate like a deploy (core/policy decides which, and refuses a
// target that never went live, runs now, or whose tag moved).
policy::RollbackGate decide_rollback_gate(const RunRecord& record, const Connection& github, const Clock& clock) {
  const auto& release = record.release->release;
  auto parsed = semver::parse_tag(release.tag);
  const auto version = parsed ? std::optional(*parsed) : std::nullopt;
  auto decision = policy::decide_rollback(rollback_request(record, github, clock, version));
  const int approvals_required = record.config->environment.approvals.required;
  return policy::decide_rollback_gate(decision, approvals_required, release.tag, release.sha);
}

}  // namespace deploy::action
