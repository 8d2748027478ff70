#include "core/policy/from_config.hpp"

#include <chrono>
#include <stdexcept>

namespace deploy::policy {

policy::Principal to_policy(const config::Principal& principal) {
  switch (principal.kind) {
    case config::Principal::Kind::user:
      return policy::Principal::user(principal.name);
    case config::Principal::Kind::team:
      return policy::Principal::team(principal.name);
    case config::Principal::Kind::permission: {
      const auto permission = policy::parse_permission(principal.name);
      if (!permission || *permission < policy::Permission::write) {
        throw std::invalid_argument("config principal '" + principal.name +
                                    "' is not write, maintain or admin; config's parser never produces it");
      }
      return policy::Principal::at_least(*permission);
    }
  }
  throw std::invalid_argument("config principal '" + principal.name + "' has an unknown kind");
}

std::vector<policy::Principal> to_policy(const std::vector<config::Principal>& principals) {
  std::vector<policy::Principal> out;
  out.reserve(principals.size());
  for (const auto& p : principals) out.push_back(to_policy(p));
  return out;
}

namespace {
// A switch, so that a new config value fails to compile (-Wswitch) rather than map silently.
policy::OutsideWindow to_policy(config::RollbackPolicy::OutsideWindow outside) {
  switch (outside) {
    case config::RollbackPolicy::OutsideWindow::require_approval:
      return policy::OutsideWindow::require_approval;
    case config::RollbackPolicy::OutsideWindow::deny:
      return policy::OutsideWindow::deny;
  }
  return policy::OutsideWindow::deny;
}
}  // namespace

policy::RollbackPolicy to_policy(const config::RollbackPolicy& rollback) {
  policy::RollbackPolicy out;
  // Config reads whole minutes or more; floor keeps a sub-second remainder from widening the window.
  out.window = std::chrono::floor<std::chrono::seconds>(rollback.window);
  out.allowed = to_policy(rollback.allowed);
  out.outside_window = to_policy(rollback.outside_window);
  return out;
}

policy::ApprovalRequest approval_request(const config::Approvals& approvals) {
  policy::ApprovalRequest out;
  out.required = approvals.required;
  out.approvers = to_policy(approvals.from);
  out.allow_author = approvals.allow_author;
  return out;
}

}  // namespace deploy::policy
