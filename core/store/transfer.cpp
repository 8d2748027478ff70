#include "core/store/transfer.hpp"

#include <stdexcept>

#include "core/postgres/postgres.hpp"
#include "core/sqlite/sqlite.hpp"
#include "core/store/pg_database.hpp"

namespace deploy::store {

namespace {

bool is_boolean(const Table& table, const std::string& column) {
  return table.name == "approvals" && (column == "is_bot" || column == "cancel" || column == "edited");
}

std::string select_sql(const Table& table, bool postgres) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    const auto& column = table.columns[i];
    sql += postgres && is_boolean(table, column) ? column + "::int" : column;
  }
  return sql + " FROM " + table.name + " ORDER BY " + table.order;
}

std::string insert_sql(const Table& table, bool postgres) {
  std::string sql = "INSERT INTO " + table.name + " (";
  std::string values;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) {
      sql += ", ";
      values += ", ";
    }
    sql += table.columns[i];
    const std::string n = std::to_string(i + 1);
    values += postgres ? (is_boolean(table, table.columns[i]) ? "$" + n + "::int::boolean" : "$" + n) : "?" + n;
  }
  return sql + ") VALUES (" + values + ")";
}

void write_rows(Store& store, const Table& table, const std::vector<Row>& rows) {
  const bool postgres = store.postgres_database() != nullptr;
  const std::string sql = insert_sql(table, postgres);
  const std::string purpose = "copying rows into " + table.name;
  if (postgres) {
    store.postgres_database()->with([&](postgres::Connection& db) {
      for (const Row& row : rows) {
        postgres::Params params;
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (!row[i])
            params.add_null();
          else if (static_cast<int>(i) == table.bytes_column)
            params.add_bytes(*row[i]);
          else
            params.add(*row[i]);
        }
        db.run(sql, params, purpose);
      }
    });
    return;
  }
  store.sqlite_database()->write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(sql, purpose);
    for (const Row& row : rows) {
      sqlite::Reset reset(st);
      for (std::size_t i = 0; i < row.size(); ++i) {
        const int index = static_cast<int>(i) + 1;
        if (!row[i])
          st.bind_null(index);
        else if (static_cast<int>(i) == table.bytes_column)
          st.bind_blob(index, *row[i]);
        else
          st.bind(index, std::string_view(*row[i]));
      }
      st.run();
    }
  });
}

}  // namespace

const std::vector<Table>& tables() {
  static const std::vector<Table> all = {
      {"deliveries",
       {"delivery_id", "event", "action", "installation_id", "repository", "received_at", "state", "attempts",
        "next_attempt_at", "last_error", "finished_at", "lease_until", "worker_id", "redeliveries", "body"},
       "received_at, delivery_id",
       14},
      {"effects",
       {"effect_key", "state", "result", "attempts", "created_at", "finished_at", "last_error"},
       "effect_key"},
      {"approvals",
       {"repository", "subject", "sha", "login", "source", "event_id", "permission", "is_bot", "cancel", "edited",
        "created_at"},
       "id"},
      {"config_cache", {"repository", "blob_sha", "text", "fetched_at"}, "repository"},
      {"bot_state", {"key", "value", "updated_at"}, "key"},
      {"audit", {"seq", "record", "hash", "appended_at"}, "seq"},
  };
  return all;
}

void read_rows(Store& store, const Table& table, const std::function<void(const Row&)>& visit) {
  const int columns = static_cast<int>(table.columns.size());
  const std::string purpose = "reading every row of " + table.name;
  if (PgDatabase* pg = store.postgres_database()) {
    const auto rows = pg->with([&](postgres::Connection& db) { return db.run(select_sql(table, true), purpose); });
    for (int r = 0; r < rows.rows(); ++r) {
      Row row;
      for (int c = 0; c < columns; ++c) {
        if (rows.is_null(r, c))
          row.emplace_back(std::nullopt);
        else
          row.emplace_back(c == table.bytes_column ? rows.bytes(r, c) : rows.string(r, c));
      }
      visit(row);
    }
    return;
  }
  store.sqlite_database()->read([&](sqlite::Connection& db) {
    sqlite::Statement st(db, select_sql(table, false), purpose);
    while (st.step()) {
      Row row;
      for (int c = 0; c < columns; ++c) {
        if (st.is_null(c))
          row.emplace_back(std::nullopt);
        else
          row.emplace_back(std::string(c == table.bytes_column ? st.column_blob(c) : st.column_text(c)));
      }
      visit(row);
    }
  });
}

std::vector<CopyCount> copy(Store& from, Store& to) {
  const auto counts = to.queue().counts();
  const auto held = counts.queued + counts.running + counts.done + counts.failed + counts.ignored;
  if (held > 0 || to.audit().last()) {
    throw std::runtime_error("store: the target " + to.location() + " is not empty (" + std::to_string(held) +
                             " deliveries" + (to.audit().last() ? ", an audit trail" : "") +
                             "); copy into a new, empty store");
  }
  std::vector<CopyCount> result;
  auto tx = to.transaction();
  for (const Table& table : tables()) {
    // In pages, so a store of many deliveries is not held in memory twice.
    std::vector<Row> page;
    std::int64_t copied = 0;
    read_rows(from, table, [&](const Row& row) {
      page.push_back(row);
      if (page.size() == 500) {
        write_rows(to, table, page);
        copied += static_cast<std::int64_t>(page.size());
        page.clear();
      }
    });
    write_rows(to, table, page);
    copied += static_cast<std::int64_t>(page.size());
    result.push_back({table.name, copied});
  }
  tx.commit();
  return result;
}

}  // namespace deploy::store
