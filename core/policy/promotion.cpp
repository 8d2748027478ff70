#include "core/policy/promotion.hpp"

namespace deploy::policy {
namespace {

constexpr std::size_t kMaxDescription = 140;

std::string cut_utf8(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back to the start of a code point: continuation bytes are 10xxxxxx.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  text.resize(end);
  return text;
}

std::string verb(PromotionDecision decision) { return decision == PromotionDecision::abort ? "abort" : "promote"; }

}  // namespace

std::string_view to_string(PromotionDecision decision) {
  switch (decision) {
    case PromotionDecision::waiting:
      return "waiting";
    case PromotionDecision::promote:
      return "promote";
    case PromotionDecision::abort:
      return "abort";
  }
  return "waiting";
}

std::string promotion_context(std::string_view environment) { return "deploy/promotion/" + std::string(environment); }

std::string promotion_state(PromotionDecision decision) {
  return decision == PromotionDecision::abort ? "failure" : "success";
}

std::string promotion_description(PromotionDecision decision, std::int64_t deployment_id, std::string_view by,
                                  std::string_view reason) {
  std::string out = verb(decision) + " deployment " + std::to_string(deployment_id) + " by @" + std::string(by);
  if (!reason.empty()) out += ": " + std::string(reason);
  return cut_utf8(std::move(out), kMaxDescription);
}

Promotion read_promotion(const std::vector<StatusSeen>& statuses, std::string_view environment,
                         std::int64_t deployment_id) {
  const std::string context = promotion_context(environment);
  for (const auto& status : statuses) {
    if (status.context != context || !status.creator_is_bot) continue;
    PromotionDecision decision = PromotionDecision::waiting;
    if (status.state == "success") decision = PromotionDecision::promote;
    if (status.state == "failure") decision = PromotionDecision::abort;
    if (decision == PromotionDecision::waiting) continue;
    const std::string head = verb(decision) + " deployment " + std::to_string(deployment_id) + " by @";
    if (!status.description.starts_with(head)) continue;
    Promotion found;
    found.decision = decision;
    std::string rest = status.description.substr(head.size());
    const auto colon = rest.find(": ");
    found.by = rest.substr(0, colon);
    if (colon != std::string::npos) found.reason = rest.substr(colon + 2);
    return found;
  }
  return {};
}

Outcome decide_promotion(PromotionDecision decision, const Actor& actor, const std::vector<Principal>& approvers,
                         bool run_waiting) {
  const std::string what = "/" + verb(decision);
  if (actor.is_bot || is_bot(actor.login, false)) return Outcome::deny("bot_not_allowed", "bots may not " + what);
  if (!admits(approvers, actor)) {
    return Outcome::deny("not_allowed", "@" + actor.login + " may not " + what + ": allowed are " +
                                            describe(approvers) + " (those who may approve the environment)");
  }
  if (!run_waiting) {
    return Outcome::deny("nothing_waiting",
                         "no run of this commit is in progress in an environment with a `pause: until-promoted` step");
  }
  return decision == PromotionDecision::abort ? Outcome::allow("aborted", "aborted by @" + actor.login)
                                              : Outcome::allow("promoted", "promoted by @" + actor.login);
}

}  // namespace deploy::policy
