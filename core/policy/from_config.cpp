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

policy::ApprovalRule to_policy(const config::ApprovalRule& rule) {
  return policy::ApprovalRule{rule.name, to_policy(rule.from), rule.count};
}

policy::ApprovalRequest approval_request(const config::Approvals& approvals) {
  policy::ApprovalRequest out;
  out.required = approvals.required;
  out.approvers = to_policy(approvals.from);
  out.allow_author = approvals.allow_author;
  for (const auto& rule : approvals.rules) out.rules.push_back(to_policy(rule));
  return out;
}

std::vector<policy::Principal> people_of_interest(const config::Environment& environment) {
  std::vector<policy::Principal> out = to_policy(environment.approvals.from);
  auto add = [&](const std::vector<config::Principal>& from) {
    for (const auto& p : to_policy(from)) out.push_back(p);
  };
  for (const auto& rule : environment.approvals.rules) add(rule.from);
  if (environment.freeze.override) add(environment.freeze.override->from);
  for (const auto& window : environment.freeze.windows) {
    if (window.override) add(window.override->from);
  }
  return out;
}

std::optional<std::vector<policy::ApprovalRule>> override_rules(const config::Environment& environment,
                                                                const std::vector<std::string>& frozen_by) {
  std::vector<policy::ApprovalRule> rules;
  for (const auto& name : frozen_by) {
    for (const auto& window : environment.freeze.windows) {
      if (window.name != name) continue;
      const auto& rule = window.override ? window.override : environment.freeze.override;
      if (!rule) return std::nullopt;
      auto converted = to_policy(*rule);
      converted.name = "override of " + window.name;
      rules.push_back(std::move(converted));
    }
  }
  return rules;
}

}  // namespace deploy::policy
