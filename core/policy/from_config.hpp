// The bridge from what deploy.yml says (config) to what policy decides on (policy). Config parses
// the text with its safe grammar (`@alice`, `@org/team`, bare `write|maintain|admin`); policy never
// parses deploy.yml. These conversions are the only place the two types meet, so their defaults
// and meanings cannot drift apart silently (tests/unit/policy_config_test.cpp pins them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/policy/policy.hpp"

namespace deploy::policy {

// A permission principal whose name is not write, maintain or admin cannot come from config's
// parser; one built by hand throws std::invalid_argument rather than grant anything.
policy::Principal to_policy(const config::Principal& principal);
std::vector<policy::Principal> to_policy(const std::vector<config::Principal>& principals);

// window, allowed and outside_window; `automatic` is the deploy engine's concern, not policy's.
policy::RollbackPolicy to_policy(const config::RollbackPolicy& rollback);

policy::ApprovalRule to_policy(const config::ApprovalRule& rule);

// An approval request with required, approvers, allow_author and rules from config. The caller adds
// the facts known only at decision time: author, committers, triggered_by, sha and events.
policy::ApprovalRequest approval_request(const config::Approvals& approvals);

// Every "who may" list an environment's approval decisions read (approvals.from, the rules', the
// freeze overrides'): the teams whose membership github::People must resolve.
std::vector<policy::Principal> people_of_interest(const config::Environment& environment);

// The override rules of the windows named in `frozen_by` (a window's own, else freeze.override),
// each named "override of WINDOW"; nullopt when one of them has none (it cannot be overridden).
std::optional<std::vector<policy::ApprovalRule>> override_rules(const config::Environment& environment,
                                                                const std::vector<std::string>& frozen_by);

}  // namespace deploy::policy
