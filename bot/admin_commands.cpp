#include "bot/admin_commands.hpp"

#include <nlohmann/json.hpp>

#include <vector>

#include "core/audit.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"

namespace deploy::bot {
namespace {

std::optional<sqlite::Connection> open(const std::filesystem::path& store, std::ostream& err) {
  if (!std::filesystem::exists(store)) {
    err << "deploy-bot: no store at " << store.string() << " (set DEPLOY_BOT_STORE or pass --store)\n";
    return std::nullopt;
  }
  return std::optional<sqlite::Connection>(std::in_place, store, sqlite::OpenMode::read_only);
}

std::vector<nlohmann::json> records(sqlite::Connection& db) {
  std::vector<nlohmann::json> out;
  sqlite::Statement select(db, "SELECT seq, record FROM audit ORDER BY seq", "read the audit trail");
  while (select.step()) {
    auto record = nlohmann::json::parse(select.column_text(1), nullptr, false);
    if (record.is_discarded()) {
      record = nlohmann::json{{"seq", select.column_int64(0)}, {"unreadable", true}};
    }
    out.push_back(std::move(record));
  }
  return out;
}

std::string iso(std::optional<std::int64_t> ms) {
  if (!ms) return "";
  return audit::format_timestamp(std::chrono::system_clock::time_point{std::chrono::milliseconds{*ms}});
}

}  // namespace

int audit_export(const std::filesystem::path& store, std::ostream& out, std::ostream& err) {
  auto db = open(store, err);
  if (!db) return 1;
  for (const auto& record : records(*db)) {
    auto line = audit::to_jsonl_line(record);
    out << (line ? *line : record.dump() + "\n");
  }
  return 0;
}

int audit_verify(const std::filesystem::path& store, std::ostream& out, std::ostream& err) {
  auto db = open(store, err);
  if (!db) return 1;
  const auto all = records(*db);
  const auto result = audit::verify_chain(all);
  if (!result.ok) {
    out << "broken: " << result.reason << ": " << result.message << " (" << result.verified << " records verified before it)\n";
    return 1;
  }
  out << "ok: " << all.size() << " records, hash chain intact\n";
  return 0;
}

int deliveries_list(const std::filesystem::path& store, const std::optional<std::string>& state, std::ostream& out,
                    std::ostream& err) {
  static const std::vector<std::string> kStates = {"queued", "running", "done", "failed", "ignored"};
  if (state && std::find(kStates.begin(), kStates.end(), *state) == kStates.end()) {
    err << "deploy-bot: --state must be one of queued, running, done, failed, ignored\n";
    return 2;
  }
  auto db = open(store, err);
  if (!db) return 1;
  sqlite::Statement select(*db,
                           "SELECT delivery_id, event, action, installation_id, repository, received_at, state, attempts, "
                           "last_error, finished_at, redeliveries FROM deliveries WHERE (?1 IS NULL OR state = ?1) "
                           "ORDER BY received_at, delivery_id",
                           "list deliveries");
  sqlite::Reset reset(select);
  select.bind(1, state);
  while (select.step()) {
    nlohmann::json row = {{"delivery_id", select.column_string(0)},
                          {"event", select.column_string(1)},
                          {"action", select.column_string(2)},
                          {"installation_id", select.column_int64(3)},
                          {"repository", select.column_string(4)},
                          {"received_at", iso(select.column_int64(5))},
                          {"state", select.column_string(6)},
                          {"attempts", select.column_int64(7)},
                          {"last_error", select.column_optional_string(8) ? nlohmann::json(*select.column_optional_string(8)) : nlohmann::json()},
                          {"finished_at", select.is_null(9) ? nlohmann::json() : nlohmann::json(iso(select.column_int64(9)))},
                          {"redeliveries", select.column_int64(10)}};
    out << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return 0;
}

int deliveries_prune(const std::filesystem::path& store, unsigned days, std::ostream& out, std::ostream& err) {
  if (!std::filesystem::exists(store)) {
    err << "deploy-bot: no store at " << store.string() << " (set DEPLOY_BOT_STORE or pass --store)\n";
    return 1;
  }
  try {
    store::Options options;
    options.path = store;
    store::Store opened(options);
    const auto before = std::chrono::system_clock::now() - std::chrono::hours(24) * days;
    const auto pruned = opened.prune_delivery_bodies(before);
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
