#include "bot/admin_commands.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include "core/audit/audit.hpp"
#include "core/store/store.hpp"

namespace deploy::bot {
namespace {

// Read-only, so the commands also work while `deploy-bot serve` holds the store.
std::optional<store::Store> open(const std::string& location, std::ostream& err) {
  store::Options options = store::options_for(location);
  if (options.postgres_url.empty() && !std::filesystem::exists(options.path)) {
    err << "deploy-bot: no store at " << location << " (set DEPLOY_BOT_STORE or pass --store)\n";
    return std::nullopt;
  }
  options.read_only = true;
  options.read_connections = 1;
  options.pool_size = 1;
  return std::optional<store::Store>(std::in_place, options);
}

std::vector<nlohmann::json> records(store::Store& db) {
  constexpr int kPage = 1000;
  std::vector<nlohmann::json> out;
  for (std::int64_t next = 0;;) {
    const auto page = db.audit().records(next, kPage);
    for (const auto& entry : page) {
      auto record = nlohmann::json::parse(entry.record, nullptr, false);
      if (record.is_discarded()) record = nlohmann::json{{"seq", entry.seq}, {"unreadable", true}};
      out.push_back(std::move(record));
      next = entry.seq + 1;
    }
    if (page.size() < static_cast<std::size_t>(kPage)) return out;
  }
}

}  // namespace

int audit_export(const std::string& store, std::ostream& out, std::ostream& err) {
  auto db = open(store, err);
  if (!db) return 1;
  for (const auto& record : records(*db)) {
    auto line = audit::to_jsonl_line(record);
    out << (line ? *line : record.dump() + "\n");
  }
  return 0;
}

int audit_verify(const std::string& store, std::ostream& out, std::ostream& err) {
  auto db = open(store, err);
  if (!db) return 1;
  const auto all = records(*db);
  const auto result = audit::verify_chain(all);
  if (!result.ok) {
    out << "broken: " << result.reason << ": " << result.message << " (" << result.verified
        << " records verified before it)\n";
    return 1;
  }
  out << "ok: " << all.size() << " records, hash chain intact\n";
  return 0;
}

int deliveries_list(const std::string& store, const std::optional<std::string>& state, std::ostream& out,
                    std::ostream& err) {
  std::optional<store::DeliveryState> wanted;
  if (state) {
    wanted = store::parse_delivery_state(*state);
    if (!wanted) {
      err << "deploy-bot: --state must be one of queued, running, done, failed, ignored\n";
      return 2;
    }
  }
  auto db = open(store, err);
  if (!db) return 1;
  db->queue().list(wanted, [&](const store::Delivery& d) {
    nlohmann::json row = {
        {"delivery_id", d.delivery_id},
        {"event", d.event},
        {"action", d.action},
        {"installation_id", d.installation_id},
        {"repository", d.repository},
        {"received_at", audit::format_timestamp(d.received_at)},
        {"state", store::to_string(d.state)},
        {"attempts", d.attempts},
        {"last_error", d.last_error ? nlohmann::json(*d.last_error) : nlohmann::json()},
        {"finished_at", d.finished_at ? nlohmann::json(audit::format_timestamp(*d.finished_at)) : nlohmann::json()},
        {"redeliveries", d.redeliveries}};
    out << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  });
  return 0;
}

int deliveries_prune(const std::string& store, unsigned days, std::ostream& out, std::ostream& err) {
  const store::Options options = store::options_for(store);
  if (options.postgres_url.empty() && !std::filesystem::exists(options.path)) {
    err << "deploy-bot: no store at " << store << " (set DEPLOY_BOT_STORE or pass --store)\n";
    return 1;
  }
  try {
    store::Store opened(options);
    const auto before = std::chrono::system_clock::now() - std::chrono::hours(24) * days;
    const auto pruned = opened.queue().prune_bodies(before);
    out << "pruned the bodies of " << pruned << " finished deliver" << (pruned == 1 ? "y" : "ies")
        << " received before " << audit::format_timestamp(before) << "; their ids and the audit trail are kept\n";
    return 0;
  } catch (const std::exception& error) {
    err << "deploy-bot: deliveries prune: " << error.what()
        << " (while deploy-bot serve runs it prunes by itself: DEPLOY_BOT_DELIVERY_BODY_RETENTION_DAYS)\n";
    return 1;
  }
}

}  // namespace deploy::bot
