// release.published: the release tracking issue, opened if the action has not opened it yet
// (found through the release's link line and the issue's marker; never duplicated).
#include "bot/handlers/registry.hpp"
#include "bot/thread_target.hpp"
#include "core/release/tracking_issue.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {
namespace {

HandleResult on_release(Context& context) {
  const auto& release = context.event<events::Release>();
  if (release.draft) return HandleResult::ignored;
  const std::string& tag = release.tag;
  auto loaded = context.config();
  if (!loaded.config) return HandleResult::ignored;
  const auto* env = environment_for_tag(*loaded.config, tag);
  if (env == nullptr) return HandleResult::ignored;  // not a tag any environment deploys

  // The commit the tag points at (an annotated tag peels to its commit).
  const auto commit = context.ports().repository.commit(tag);
  release::IssueText text;
  text.marker = {tag, text::to_lower(commit.sha)};
  text.environment = env->name;
  if (env->approvals.required > 0) {
    text.needed = "needs " + std::to_string(env->approvals.required) + " approval" +
                  (env->approvals.required == 1 ? "" : "s") + " with `/approve` on this issue";
  }
  context.once(context.key("tracking-issue:" + tag + ":" + text.marker.sha), Repeat::safe, [&] {
    // Run with a user token, the bot opens issues as that user: trust its own issues as well.
    std::vector<std::string> trusted;
    if (!context.services.own_login.empty()) trusted.push_back(context.services.own_login);
    const auto issue = context.ports().comments.tracking_issue(text, trusted);
    return nlohmann::json{{"issue", issue.number}, {"opened", issue.opened}}.dump();
  });
  return HandleResult::done;
}

}  // namespace

std::vector<Entry> release_entries() {
  return {{"release", {"published"}, "opens the release tracking issue unless the action did", on_release}};
}

}  // namespace deploy::bot::handlers
