// pull_request.opened/synchronize/reopened: `deploy/approvals` for the new head (approvals are
// bound to a commit, so a push starts from 0/N), and on a push that leaves earlier approvals
// behind, one comment saying they no longer count (once per head).
#include "bot/handlers/approvals.hpp"
#include "bot/handlers/registry.hpp"
#include "bot/status_report.hpp"
#include "bot/thread_target.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {
namespace {

HandleResult on_pull_request(Context& context) {
  const auto& pull = context.event<events::PullRequest>();
  const int number = pull.number;
  Subject subject;
  subject.number = number;
  subject.sha = text::to_lower(pull.head_sha);
  subject.author = pull.author;
  const std::string& base = pull.base_ref;
  const std::string& head_repo = pull.head_repo_full_name;

  auto loaded = context.config();
  if (!loaded.config) return HandleResult::ignored;  // said on the first command; nothing to set
  const auto& config = *loaded.config;
  if (!head_repo.empty() && !text::iequals(head_repo, context.repo.full_name()) &&
      !config.bot.allow_fork_pull_requests) {
    return HandleResult::ignored;
  }
  const auto* env = environment_for_pull_request(config, base);
  if (env == nullptr) return HandleResult::ignored;

  const auto count = count_approvals(context, subject, *env);
  set_approvals_status(context, subject, count);

  if (context.delivery.action == "synchronize" && pull.before) {
    const std::string before = text::to_lower(*pull.before);
    Subject old = subject;
    old.sha = before;
    const auto previous = count_approvals(context, old, *env);
    if (!previous.verdict.counted.empty()) {
      std::string who;
      for (const auto& c : previous.verdict.counted) who += (who.empty() ? "`@" : ", `@") + c.user + "`";
      context.comment(
          number, "stale:" + std::to_string(number) + ":" + subject.sha,
          "New commits were pushed: the approvals of " + who + " were for `" + before.substr(0, 7) +
              "` and no longer count for `" + subject.sha.substr(0, 7) + "` (" +
              approvals_status(static_cast<int>(count.verdict.counted.size()), count.verdict.required).description +
              "). Approve again with `/approve`.");
    }
  }
  return HandleResult::done;
}

}  // namespace

std::vector<Entry> pull_request_entries() {
  return {{"pull_request",
           {"opened", "synchronize", "reopened"},
           "sets deploy/approvals for the new head; says once when a push makes approvals stale",
           on_pull_request}};
}

}  // namespace deploy::bot::handlers
