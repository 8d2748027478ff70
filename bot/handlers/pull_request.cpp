// pull_request.opened/synchronize/reopened: `deploy/approvals` for the new head (approvals are
// bound to a commit, so a push starts from 0/N), and on a push that leaves earlier approvals
// behind, one comment saying they no longer count (once per head).
#include "bot/handlers/approvals.hpp"
#include "bot/handlers/registry.hpp"
#include "bot/status_report.hpp"
#include "bot/thread_target.hpp"
#include "core/text.hpp"

namespace deploy::bot::handlers {
namespace {

HandleResult on_pull_request(Context& context) {
  const auto& pull = context.payload.at("pull_request");
  const int number = context.payload.contains("number") ? context.payload.at("number").get<int>() : pull.at("number").get<int>();
  Subject subject;
  subject.number = number;
  subject.sha = text::to_lower(pull.at("head").at("sha").get<std::string>());
  subject.author = pull.at("user").at("login").get<std::string>();
  const std::string base = pull.at("base").at("ref").get<std::string>();
  const std::string head_repo = pull.at("head").contains("repo") && pull.at("head").at("repo").is_object()
                                    ? pull.at("head").at("repo").value("full_name", "")
                                    : std::string();

  auto loaded = context.config();
  if (!loaded.config) return HandleResult::ignored;  // said on the first command; nothing to set
  const auto& config = *loaded.config;
  if (!head_repo.empty() && !text::iequals(head_repo, context.repo.full_name()) && !config.bot.allow_fork_pull_requests) {
    return HandleResult::ignored;
  }
  const auto* env = environment_for_pull_request(config, base);
  if (env == nullptr) return HandleResult::ignored;

  const auto count = count_approvals(context, subject, *env);
  set_approvals_status(context, subject, count);

  if (context.delivery.action == "synchronize" && context.payload.contains("before") && context.payload["before"].is_string()) {
    const std::string before = text::to_lower(context.payload["before"].get<std::string>());
    Subject old = subject;
    old.sha = before;
    const auto previous = count_approvals(context, old, *env);
    if (!previous.verdict.counted.empty()) {
      std::string who;
      for (const auto& c : previous.verdict.counted) who += (who.empty() ? "`@" : ", `@") + c.user + "`";
      context.comment(number, "stale:" + std::to_string(number) + ":" + subject.sha,
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
  return {{"pull_request", {"opened", "synchronize", "reopened"},
           "sets deploy/approvals for the new head; says once when a push makes approvals stale", on_pull_request}};
}

}  // namespace deploy::bot::handlers
