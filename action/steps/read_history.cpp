#include "action/steps/steps.hpp"

namespace deploy::action {

History read_history(const RunRecord& record, const Connection& github) {
  History found;
  found.deployments = github::deployment_history(github.github(), github.repo, record.inputs.environment);
  for (const auto& seen : found.deployments) {
    if (!found.current && seen.record.state == policy::DeploymentState::success) found.current = seen;
    if (!found.chain_head && seen.audit_hash) found.chain_head = github::AuditLink{*seen.audit_seq, *seen.audit_hash};
  }
  return found;
}

}  // namespace deploy::action
