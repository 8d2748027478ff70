#include "bot/handlers/rejections.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/command/command.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {

namespace {

std::string key_of(Context& context, const std::string& sha) {
  return "rejections:" + context.repo.full_name() + ":" + text::to_lower(sha);
}

std::string comment_key(Context& context, std::int64_t event_id) {
  return "rejection-comment:" + context.repo.full_name() + ":" + std::to_string(event_id);
}

// Read-modify-write of one commit's list: one writer at a time in this process (one deploy-bot
// process owns a store).
std::mutex& list_guard() {
  static std::mutex guard;
  return guard;
}

nlohmann::json load(Context& context, const std::string& sha) {
  auto row = context.store().state(key_of(context, sha));
  if (!row) return nlohmann::json::array();
  auto json = nlohmann::json::parse(*row, nullptr, false);
  return json.is_array() ? json : nlohmann::json::array();
}

}  // namespace

std::unique_lock<std::mutex> commit_lock(const std::string& repository, const std::string& sha) {
  static std::mutex guard;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::mutex* lock = nullptr;
  {
    std::lock_guard held(guard);
    auto& slot = locks[repository + ":" + text::to_lower(sha)];
    if (!slot) slot = std::make_unique<std::mutex>();
    lock = slot.get();
  }
  return std::unique_lock<std::mutex>(*lock);
}

void record_rejection(Context& context, const std::string& sha, const RejectionRecord& record) {
  std::lock_guard held(list_guard());
  auto list = load(context, sha);
  for (const auto& entry : list) {
    // A redelivered comment is recorded once.
    if (entry.value("event_id", std::int64_t{0}) == record.event_id && entry.value("cancel", false) == record.cancel) {
      return;
    }
  }
  list.push_back({{"subject", record.subject},
                  {"login", record.login},
                  {"cancel", record.cancel},
                  {"edited", record.edited},
                  {"reason", record.reason},
                  {"event_id", record.event_id},
                  {"url", record.url},
                  {"created_at", record.created_at}});
  context.store().put_state(key_of(context, sha), list.dump());
  context.store().put_state(comment_key(context, record.event_id), text::to_lower(sha));
}

std::optional<std::string> revise_comment_rejections(Context& context, std::int64_t event_id,
                                                     const std::optional<std::string>& body) {
  std::lock_guard held(list_guard());
  const auto sha = context.store().state(comment_key(context, event_id));
  if (!sha) return std::nullopt;
  auto list = load(context, *sha);
  nlohmann::json kept = nlohmann::json::array();
  nlohmann::json template_entry;
  nlohmann::json before = nlohmann::json::array();
  for (auto& entry : list) {
    if (entry.value("event_id", std::int64_t{0}) != event_id) {
      kept.push_back(entry);
      continue;
    }
    if (template_entry.is_null()) template_entry = entry;
    before.push_back(entry);
  }
  if (template_entry.is_null()) return std::nullopt;
  nlohmann::json after = nlohmann::json::array();
  if (body) {
    const auto parsed = command::parse_comment(*body);
    if (parsed.type == command::ParseResult::Type::commands) {
      for (const auto& cmd : parsed.commands) {
        if (cmd.kind != command::Kind::reject && cmd.kind != command::Kind::reject_cancel) continue;
        nlohmann::json entry = template_entry;
        entry.erase("withdrawn");
        entry["cancel"] = cmd.kind == command::Kind::reject_cancel;
        entry["reason"] = cmd.reason;
        entry["edited"] = true;
        after.push_back(std::move(entry));
      }
    }
  }
  if (after.empty()) {
    // Kept as withdrawn rather than dropped: an edit that brings the /reject back finds the
    // comment's subject and time here, and blocks again as the action would read it.
    nlohmann::json withdrawn = template_entry;
    withdrawn["withdrawn"] = true;
    after.push_back(std::move(withdrawn));
  }
  if (after == before) return std::nullopt;
  for (auto& entry : after) kept.push_back(std::move(entry));
  context.store().put_state(key_of(context, *sha), kept.dump());
  return *sha;
}

std::vector<policy::ApprovalEvent> rejection_events(Context& context, std::int64_t subject, const std::string& sha,
                                                    const std::vector<policy::Principal>& lists) {
  nlohmann::json list;
  {
    std::lock_guard held(list_guard());
    list = load(context, sha);
  }
  std::vector<nlohmann::json> entries;
  for (const auto& entry : list) {
    if (entry.value("withdrawn", false)) continue;
    const auto on = entry.value("subject", std::int64_t{0});
    if (on == subject || on == 0) entries.push_back(entry);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("created_at", std::int64_t{0}) < b.value("created_at", std::int64_t{0});
  });
  std::vector<policy::ApprovalEvent> events;
  for (const auto& entry : entries) {
    policy::ApprovalEvent event;
    event.user = entry.value("login", "");
    if (event.user.empty()) continue;
    const auto actor = context.ports().people.actor(event.user, false, lists);
    event.sha = text::to_lower(sha);
    event.permission = actor.permission;
    event.teams = actor.teams;
    event.cancel = entry.value("cancel", false);
    event.edited = entry.value("edited", false);
    event.reject = true;
    event.reason = entry.value("reason", "");
    event.id = entry.value("url", "");
    if (event.id.empty()) event.id = std::to_string(entry.value("event_id", std::int64_t{0}));
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace deploy::bot::handlers
