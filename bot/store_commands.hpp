// deploy-bot's commands over a whole store, either back end: `store migrate` (apply the schema's
// migrations now, as serve does at start), `store export` (every row of every table, one JSON
// object per line) and `store copy` (a SQLite store into PostgreSQL, or back; the target empty).
#pragma once

#include <ostream>
#include <string>

namespace deploy::bot {

int store_migrate(const std::string& store, std::ostream& out, std::ostream& err);
// {"table":"deliveries","row":{...}} per row, tables in copy order; a delivery's body as body_hex.
int store_export(const std::string& store, std::ostream& out, std::ostream& err);
int store_copy(const std::string& from, const std::string& to, std::ostream& out, std::ostream& err);

}  // namespace deploy::bot
