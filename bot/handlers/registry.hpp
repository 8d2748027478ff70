// The handler registry: one entry per (event, actions) with its help line, each declared next to
// its handler in bot/handlers/*.cpp (Prow's plugin shape). The Dispatcher routes a stored delivery
// to the entry for its event and action; a delivery no entry wants is `ignored`; one whose payload
// is malformed (bot/events.hpp) fails with a PermanentError naming the field, before its handler.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/handlers/context.hpp"
#include "bot/worker.hpp"

namespace deploy::bot::handlers {

struct Entry {
  std::string_view event;
  std::vector<std::string_view> actions;     // empty = every action (and none)
  std::string_view help;                     // one line for `deploy-bot --help`
  HandleResult (*handle)(Context& context);  // null: the Dispatcher's cache invalidation is all it does
};

// Declared by each handler file.
std::vector<Entry> comment_entries();              // comment_commands.cpp
std::vector<Entry> pull_request_entries();         // pull_request.cpp
std::vector<Entry> pull_request_review_entries();  // pull_request_review.cpp
std::vector<Entry> release_entries();              // release.cpp
std::vector<Entry> workflow_run_entries();         // workflow_run.cpp
std::vector<Entry> protection_rule_entries();      // protection_rule.cpp
std::vector<Entry> repository_entries();           // repository_events.cpp: push, ping, installation
std::vector<Entry> cache_entries();                // cache_events.cpp: events that only make kept answers stale

const std::vector<Entry>& registry();
const Entry* find_entry(std::string_view event, std::string_view action);

// What the ingest path decides before any worker sees a delivery (deploy-bot serve hands it to
// Routes::triage): `ignored` when no entry wants (event, action), or when a new comment
// (issue_comment or commit_comment `created`) carries no command by the comment grammar
// (core/command), exactly as the Dispatcher and the comment handler would end; `queued` for
// everything else. `comment_body`: the payload's comment.body, nullopt when absent. Edited and
// deleted comments are always queued: an edit of an /approve must reach its handler. Pure.
store::DeliveryState state_at_ingest(std::string_view event, std::string_view action,
                                     const std::optional<std::string>& comment_body);

// Handles one repository's deliveries one at a time (other repositories in parallel): a decision
// reads state that the previous delivery of the same repository writes (approvals, the commit
// status), and two at once could let an older count's status land after a newer one.
class Dispatcher final : public Handler {
 public:
  explicit Dispatcher(Services& services) : services_(services) {}
  HandleResult handle(const store::Delivery& delivery) override;

 private:
  std::shared_ptr<std::mutex> repository_lock(const std::string& repository);

  Services& services_;
  std::mutex locks_mutex_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;  // by lowercased owner/name
};

}  // namespace deploy::bot::handlers
