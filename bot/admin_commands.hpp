// deploy-bot's offline commands over a store (a SQLite file or a PostgreSQL URL), through core/store: `audit export`,
// `audit verify`, `deliveries list` and `deliveries prune`. The first three open the store
// read-only (WAL readers never block the writer), so they also work while `deploy-bot serve` runs
// on the same store.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

namespace deploy::bot {

// Every sealed audit record, one JSON object per line, oldest first. Returns the exit code.
int audit_export(const std::string& store, std::ostream& out, std::ostream& err);
// Verifies the hash chain (core/audit verify_chain); prints "ok: N records" or the first broken
// link. Exit 0 when intact, 1 when broken.
int audit_verify(const std::string& store, std::ostream& out, std::ostream& err);
// One JSON object per delivery (no body), oldest first; `state` filters (queued, running, done,
// failed, ignored).
int deliveries_list(const std::string& store, const std::optional<std::string>& state, std::ostream& out,
                    std::ostream& err);

// Empties the bodies of finished deliveries received more than `days` days ago (as the running
// bot does every hour), keeping their rows and the audit trail. Opens the store for writing, so it
// refuses while `deploy-bot serve` holds the store (the bot's own pruning covers that case).
int deliveries_prune(const std::string& store, unsigned days, std::ostream& out, std::ostream& err);

}  // namespace deploy::bot
