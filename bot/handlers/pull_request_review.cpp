// pull_request_review.submitted/dismissed: when the environment's approvals say count_reviews, an
// approving review counts like `/approve` for the commit it was submitted on, and a dismissal
// withdraws it. Other reviews (commented, changes requested) are not approvals.
#include "bot/handlers/approvals.hpp"
#include "bot/handlers/registry.hpp"
#include "bot/thread_target.hpp"
#include "core/github/time.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {
namespace {

HandleResult on_review(Context& context) {
  const auto& review = context.event<events::Review>();
  const auto& pull = review.pull_request;
  const std::string state = text::to_lower(review.state);
  const bool dismissed = context.delivery.action == "dismissed";
  if (!dismissed && state != "approved") return HandleResult::ignored;

  auto loaded = context.config();
  if (!loaded.config) return HandleResult::ignored;
  const auto* env = environment_for_pull_request(*loaded.config, pull.base_ref);
  if (env == nullptr || !env->approvals.count_reviews) return HandleResult::ignored;
  const std::string& head_repo = pull.head_repo_full_name;
  if (!head_repo.empty() && !text::iequals(head_repo, context.repo.full_name()) &&
      !loaded.config->bot.allow_fork_pull_requests) {
    return HandleResult::ignored;
  }

  const std::string& login = review.user.login;
  store::ApprovalRecord record;
  record.repository = context.repo.full_name();
  record.subject = pull.number;
  record.sha = text::to_lower(review.commit_id.empty() ? pull.head_sha : review.commit_id);
  record.login = login;
  record.source = store::ApprovalSource::review;
  // A dismissal is its own event (a cancel), recorded next to the review it withdraws.
  record.event_id = review.id * (dismissed ? -1 : 1);
  record.is_bot = github::is_bot_account(login, review.user.type, context.services.own_login);
  record.cancel = dismissed;
  const auto at = github::parse_rfc3339(review.submitted_at);
  record.created_at = dismissed || !at ? context.services.clock.now() : *at;
  context.ports().approvals.record_approval(record);

  Subject subject;
  subject.number = record.subject;
  subject.sha = text::to_lower(pull.head_sha);
  subject.author = pull.author;
  const auto count = count_approvals(context, subject, *env);
  set_approvals_status(context, subject, count);
  context.audit("review:" + std::to_string(record.event_id), approval_record(subject, *env, count, login));
  return HandleResult::done;
}

}  // namespace

std::vector<Entry> pull_request_review_entries() {
  return {{"pull_request_review",
           {"submitted", "dismissed"},
           "approving reviews count like /approve when approvals.count_reviews is set",
           on_review}};
}

}  // namespace deploy::bot::handlers
