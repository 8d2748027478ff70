// Canary control: a traffic step with `pause: until-promoted` holds the run until a person decides.
// deploy-bot records the decision (/promote, /abort) as a commit status on the release commit,
// context `deploy/promotion/ENV`, naming the GitHub deployment it is for; the waiting action reads
// the commit's statuses, newest first with their creators (one request per poll), and acts on a
// status for its own deployment only, set by a bot account: a person who may set statuses (any
// writer) cannot promote by hand. Pure: the statuses and the person are read by the caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"
#include "core/policy/policy.hpp"

namespace deploy::policy {

enum class PromotionDecision { waiting, promote, abort };
std::string_view to_string(PromotionDecision decision);  // "waiting", "promote", "abort"

struct Promotion {
  PromotionDecision decision = PromotionDecision::waiting;
  std::string by;      // login of who decided
  std::string reason;  // abort: as given
};

// "deploy/promotion/production".
std::string promotion_context(std::string_view environment);
// The status that records a decision: state "success" (promote) or "failure" (abort), and a
// description "promote deployment 123 by @alice" / "abort deployment 123 by @alice: REASON", at most
// 140 bytes (GitHub's limit), cut on a UTF-8 boundary.
std::string promotion_state(PromotionDecision decision);
std::string promotion_description(PromotionDecision decision, std::int64_t deployment_id, std::string_view by,
                                  std::string_view reason);

// A commit status as the action reads it.
struct StatusSeen {
  std::string context;
  std::string state;
  std::string description;
  bool creator_is_bot = false;
};
// The decision for `deployment_id` among a commit's latest statuses: waiting unless a status of the
// environment's context, set by a bot account, names this deployment with a decision state.
Promotion read_promotion(const std::vector<StatusSeen>& statuses, std::string_view environment,
                         std::int64_t deployment_id);

// Whether `actor` may /promote or /abort: whoever may approve the environment (`approvers`:
// approvals.from; empty = anyone with write permission). Reasons: "promoted", "aborted"; refused:
// "bot_not_allowed", "not_allowed", "nothing_waiting" (no run of this thread's commit is waiting).
Outcome decide_promotion(PromotionDecision decision, const Actor& actor, const std::vector<Principal>& approvers,
                         bool run_waiting);

}  // namespace deploy::policy
