// Every row of a store, table by table, as text: what `deploy-bot store export` prints and
// `deploy-bot store copy` moves from one back end to the other (a SQLite file into PostgreSQL when
// a team moves to replicas, or back). The same tables and columns on both back ends; booleans as
// 0/1, times as integer milliseconds, the delivery body as its exact bytes. Surrogate keys are not
// copied: rows are written in their order (deliveries by arrival, approvals as recorded), so the
// target numbers them in the same order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/store/store.hpp"

namespace deploy::store {

struct Table {
  std::string name;
  std::vector<std::string> columns;
  std::string order;      // ORDER BY, on both back ends
  int bytes_column = -1;  // the bytea/blob column's index (deliveries.body), else -1
};

using Row = std::vector<std::optional<std::string>>;  // one value per column; nullopt is NULL

// In the order a copy writes them (the audit trail last).
const std::vector<Table>& tables();

// Every row of `table`, in its order.
void read_rows(Store& store, const Table& table, const std::function<void(const Row&)>& visit);

struct CopyCount {
  std::string table;
  std::int64_t rows = 0;
};

// Copies every row of `from` into `to`, in one transaction on `to`. `to` must be empty (no
// delivery, effect or audit record): throws std::runtime_error naming what it holds, so a copy
// never mixes two stores' audit chains. `from` is only read.
std::vector<CopyCount> copy(Store& from, Store& to);

}  // namespace deploy::store
