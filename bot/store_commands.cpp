#include "bot/store_commands.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "core/crypto/crypto.hpp"
#include "core/store/store.hpp"
#include "core/store/transfer.hpp"

namespace deploy::bot {
namespace {

bool missing_file(const std::string& location, std::ostream& err) {
  const auto options = store::options_for(location);
  if (!options.postgres_url.empty() || std::filesystem::exists(options.path)) return false;
  err << "deploy-bot: no store at " << location << " (set DEPLOY_BOT_STORE or pass --store)\n";
  return true;
}

}  // namespace

int store_migrate(const std::string& location, std::ostream& out, std::ostream& err) {
  try {
    store::Store opened(store::options_for(location));  // opening migrates, under the back end's lock
    out << "store " << opened.location() << " is at schema version " << opened.current_schema_version() << "\n";
    return 0;
  } catch (const std::exception& error) {
    err << "deploy-bot: store migrate: " << error.what() << "\n";
    return 1;
  }
}

int store_export(const std::string& location, std::ostream& out, std::ostream& err) {
  if (missing_file(location, err)) return 1;
  try {
    store::Options options = store::options_for(location);
    options.read_only = true;  // works while serve runs
    options.read_connections = 1;
    options.pool_size = 1;
    store::Store opened(options);
    for (const store::Table& table : store::tables()) {
      store::read_rows(opened, table, [&](const store::Row& row) {
        nlohmann::json object = nlohmann::json::object();
        for (std::size_t i = 0; i < row.size(); ++i) {
          const auto& column = table.columns[i];
          if (static_cast<int>(i) == table.bytes_column) {
            object[column + "_hex"] = row[i] ? nlohmann::json(crypto::to_hex(*row[i])) : nlohmann::json();
          } else {
            object[column] = row[i] ? nlohmann::json(*row[i]) : nlohmann::json();
          }
        }
        const nlohmann::json line = {{"table", table.name}, {"row", object}};
        out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      });
    }
    return 0;
  } catch (const std::exception& error) {
    err << "deploy-bot: store export: " << error.what() << "\n";
    return 1;
  }
}

int store_copy(const std::string& from, const std::string& to, std::ostream& out, std::ostream& err) {
  if (missing_file(from, err)) return 1;
  try {
    store::Options source = store::options_for(from);
    source.read_only = true;
    source.read_connections = 1;
    source.pool_size = 1;
    store::Store reading(source);
    store::Store writing(store::options_for(to));
    for (const auto& count : store::copy(reading, writing)) {
      out << count.table << ": " << count.rows << " rows\n";
    }
    out << "copied " << reading.location() << " into " << writing.location()
        << "; check it with `deploy-bot audit verify --store TARGET`\n";
    return 0;
  } catch (const std::exception& error) {
    err << "deploy-bot: store copy: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace deploy::bot
