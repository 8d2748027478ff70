// /reject and /reject cancel as the bot keeps them: the events of one commit in the store's state
// (key "rejections:REPO:SHA"), recorded as the comment arrives and judged by
// policy::decide_rejections with people resolved at decision time, like approvals. The action
// reads the same commands from the thread's comments (github::approval_events), so both see a
// rejection without the other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/handlers/context.hpp"
#include "core/policy/policy.hpp"

namespace deploy::bot::handlers {

struct RejectionRecord {
  std::int64_t subject = 0;  // pull request or tracking issue; 0 = a commit comment
  std::string login;
  bool cancel = false;
  bool edited = false;
  std::string reason;
  std::int64_t event_id = 0;  // the comment's id
  std::string url;            // the comment's URL
  std::int64_t created_at = 0;
};

// Records one /reject or /reject cancel of `sha` (once per comment id and line).
void record_rejection(Context& context, const std::string& sha, const RejectionRecord& record);
// After the comment `event_id` was edited (`body`: its new text) or deleted (nullopt), its events
// become what the action will read in the thread: an edit keeps the /reject and /reject cancel lines
// still in the text, marked edited (an edited /reject still blocks; an edited cancel withdraws
// nothing); a deletion leaves none, so a deleted /reject no longer blocks, in the bot as in the
// action. Returns the commit the comment's events were for, when it had any and they changed.
std::optional<std::string> revise_comment_rejections(Context& context, std::int64_t event_id,
                                                     const std::optional<std::string>& body);
// The events of `sha` on `subject` and on the commit itself, oldest first, each a
// policy::ApprovalEvent with reject set, permission and teams resolved now against `lists`.
std::vector<policy::ApprovalEvent> rejection_events(Context& context, std::int64_t subject, const std::string& sha,
                                                    const std::vector<policy::Principal>& lists);

// Held while a comment's approval or rejection is recorded, counted and its status set: two
// comments on one commit handled at once by two workers must not leave the older count's status
// last (the final status is the count after both).
std::unique_lock<std::mutex> commit_lock(const std::string& repository, const std::string& sha);

}  // namespace deploy::bot::handlers
