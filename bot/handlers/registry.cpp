#include "bot/handlers/registry.hpp"

#include <algorithm>

#include "bot/job_retry.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> all;
    for (auto part : {comment_entries(), pull_request_entries(), pull_request_review_entries(), release_entries(),
                      workflow_run_entries(), protection_rule_entries(), repository_entries()}) {
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

HandleResult Dispatcher::handle(const store::Delivery& delivery) {
  const Entry* entry = find_entry(delivery.event, delivery.action);
  if (entry == nullptr) return HandleResult::ignored;
  // Acknowledged and recorded (the delivery row is the record); nothing to do on GitHub.
  if (entry->event == "ping" || entry->event.starts_with("installation")) return HandleResult::done;
  // Parsed once, here: a payload without what its handler reads fails the delivery for good, with
  // the field named, before any effect (GitHub's "redeliver" queues it again).
  auto webhook = events::parse_webhook(delivery.event, delivery.body);
  if (!webhook) throw PermanentError(webhook.error().message);
  Context context(services_, delivery, std::move(webhook).value());
  auto lock = repository_lock(context.repo.full_name());
  std::lock_guard one_at_a_time(*lock);
  return entry->handle(context);
}

std::shared_ptr<std::mutex> Dispatcher::repository_lock(const std::string& repository) {
  std::lock_guard guard(locks_mutex_);
  auto& slot = locks_[text::to_lower(repository)];
  if (!slot) slot = std::make_shared<std::mutex>();
  return slot;
}

}  // namespace deploy::bot::handlers
