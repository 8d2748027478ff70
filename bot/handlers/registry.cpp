#include "bot/handlers/registry.hpp"

#include <algorithm>

#include "bot/cache_invalidation.hpp"
#include "bot/job_retry.hpp"
#include "core/command/command.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> all;
    // cache_entries last: they take what the others leave of an event (find_entry takes the first).
    for (auto part : {comment_entries(), pull_request_entries(), pull_request_review_entries(), release_entries(),
                      workflow_run_entries(), protection_rule_entries(), repository_entries(), cache_entries()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return entries;
}

const Entry* find_entry(std::string_view event, std::string_view action) {
  for (const auto& entry : registry()) {
    if (entry.event != event) continue;
    if (entry.actions.empty() || std::find(entry.actions.begin(), entry.actions.end(), action) != entry.actions.end()) {
      return &entry;
    }
  }
  return nullptr;
}

store::DeliveryState state_at_ingest(std::string_view event, std::string_view action,
                                     const std::optional<std::string>& comment_body) {
  if (find_entry(event, action) == nullptr) return store::DeliveryState::ignored;
  const bool new_comment = (event == "issue_comment" || event == "commit_comment") && action == "created";
  if (new_comment && command::parse_comment(comment_body.value_or("")).type == command::ParseResult::Type::ignore) {
    return store::DeliveryState::ignored;
  }
  return store::DeliveryState::queued;
}

HandleResult Dispatcher::handle(const store::Delivery& delivery) {
  // First, so the handler below (and every delivery after) reads what changed without a validator.
  if (services_.cache != nullptr && invalidates_cache(delivery.event)) {
    const auto payload = nlohmann::json::parse(delivery.body, nullptr, false);
    if (auto stale = cache_invalidation(delivery.event, payload)) services_.cache->invalidate(*stale);
  }
  const Entry* entry = find_entry(delivery.event, delivery.action);
  if (entry == nullptr) return HandleResult::ignored;
  // Acknowledged and recorded (the delivery row is the record); nothing to do on GitHub.
  if (entry->event == "ping" || entry->event.starts_with("installation")) return HandleResult::done;
  // Only the cache's (above): some of these events carry no repository to parse.
  if (entry->handle == nullptr) return HandleResult::done;
  // Parsed once, here: a payload without what its handler reads fails the delivery for good, with
  // the field named, before any effect (GitHub's "redeliver" queues it again).
  auto webhook = events::parse_webhook(delivery.event, delivery.body);
  if (!webhook) throw PermanentError(webhook.error().message);
  Context context(services_, delivery, std::move(webhook).value());
  auto lock = repository_lock(context.repo.full_name());
  std::lock_guard one_at_a_time(*lock);
  if (!services_.on_handled) return entry->handle(context);
  try {
    const auto result = entry->handle(context);
    services_.on_handled(context.command, context.requests);
    return result;
  } catch (...) {
    services_.on_handled(context.command, context.requests);
    throw;
  }
}

std::shared_ptr<std::mutex> Dispatcher::repository_lock(const std::string& repository) {
  std::lock_guard guard(locks_mutex_);
  auto& slot = locks_[text::to_lower(repository)];
  if (!slot) slot = std::make_shared<std::mutex>();
  return slot;
}

}  // namespace deploy::bot::handlers
