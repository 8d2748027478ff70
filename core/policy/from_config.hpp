// The bridge from what deploy.yml says (config) to what policy decides on (policy). Config parses
// the text with its safe grammar (`@alice`, `@org/team`, bare `write|maintain|admin`); policy never
// parses deploy.yml. These conversions are the only place the two types meet, so their defaults
// and meanings cannot drift apart silently (tests/unit/policy_config_test.cpp pins them).
#pragma once

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

// An approval request with required, approvers and allow_author from config. The caller adds the
// facts known only at decision time: author, committers, triggered_by, sha and events.
policy::ApprovalRequest approval_request(const config::Approvals& approvals);

}  // namespace deploy::policy
