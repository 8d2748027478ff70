#include "core/sqlite/sqlite.hpp"

#include <sqlite3.h>

#include <climits>

namespace deploy::sqlite {

namespace {

std::string describe(int code, const std::string& purpose, std::string_view message, const std::string& path) {
  std::string text = "sqlite: " + purpose + " failed: ";
  text += message.empty() ? std::string_view(sqlite3_errstr(code)) : message;
  text += " (code " + std::to_string(code) + ") [" + path + "]";
  return text;
}

}  // namespace

Error::Error(int code, std::string purpose, std::string_view sqlite_message, std::string path)
    : std::runtime_error(describe(code, purpose, sqlite_message, path)),
      code_(code),
      purpose_(std::move(purpose)),
      path_(std::move(path)) {}

// --- Statement ---------------------------------------------------------------------------------

Statement::Statement(Connection& connection, std::string_view sql, std::string purpose)
    : connection_(connection), purpose_(std::move(purpose)) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX))
    throw Error(SQLITE_TOOBIG, purpose_, "SQL text too long", connection.path());
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(connection.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt_, &tail);
  if (rc != SQLITE_OK) connection.fail(rc, "preparing: " + purpose_);
  if (stmt_ == nullptr) throw Error(SQLITE_MISUSE, "preparing: " + purpose_, "empty SQL", connection.path());
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::fail(int code) const { connection_.fail(code, purpose_); }

int Statement::checked_length(std::string_view value, int index) const {
  if (value.size() > static_cast<std::size_t>(INT_MAX)) {
    throw Error(SQLITE_TOOBIG, purpose_ + " (binding parameter " + std::to_string(index) + ")",
                "value larger than 2 GiB", connection_.path());
  }
  return static_cast<int>(value.size());
}

void Statement::check_bind(int code, int index) const {
  if (code != SQLITE_OK) connection_.fail(code, purpose_ + " (binding parameter " + std::to_string(index) + ")");
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A non-null pointer even for "", so an empty string binds as '' and not as NULL.
  const char* data = text.empty() ? "" : text.data();
  check_bind(sqlite3_bind_text(stmt_, index, data, checked_length(text, index), SQLITE_STATIC), index);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  const char* data = bytes.empty() ? "" : bytes.data();
  check_bind(sqlite3_bind_blob(stmt_, index, data, checked_length(bytes, index), SQLITE_STATIC), index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() noexcept {
  // sqlite3_reset repeats the last step's error code; that error was already reported by step().
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::string_view Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::optional<std::string> Statement::column_optional_string(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_string(column);
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_int64(column);
}

// --- Connection --------------------------------------------------------------------------------

Connection::Connection(const std::filesystem::path& path, OpenMode mode) : path_(path.string()) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= mode == OpenMode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(rc, "opening the database (check the directory exists and is writable)", message, path_);
  }
}

Connection::~Connection() {
  cache_.clear();  // statements first: close_v2 would otherwise defer the close until they are gone
  sqlite3_close_v2(db_);
}

void Connection::fail(int code, std::string_view purpose) const {
  // errmsg describes the most recent failed call on this connection, which is the one that failed.
  throw Error(code, std::string(purpose), sqlite3_errmsg(db_), path_);
}

void Connection::exec(std::string_view sql, std::string_view purpose) {
  std::string text(sql);  // sqlite3_exec needs a terminated string
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string copy = message != nullptr ? message : "";
    sqlite3_free(message);
    throw Error(rc, std::string(purpose), copy, path_);
  }
}

Statement& Connection::cached(std::string_view sql, std::string_view purpose) {
  auto found = cache_.find(sql);
  if (found != cache_.end()) return *found->second;
  auto statement = std::make_unique<Statement>(*this, sql, std::string(purpose));
  return *cache_.emplace(std::string(sql), std::move(statement)).first->second;
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Connection::set_busy_timeout(std::chrono::milliseconds timeout) {
  int rc = sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
  if (rc != SQLITE_OK) fail(rc, "setting busy_timeout");
}

// --- Transaction -------------------------------------------------------------------------------

Transaction::Transaction(Connection& connection) : connection_(connection) {
  Statement& begin = connection_.cached("BEGIN IMMEDIATE", "beginning a write transaction");
  Reset reset(begin);
  begin.run();
}

Transaction::~Transaction() {
  // A failed COMMIT, or an I/O error inside, may already have rolled the transaction back.
  if (open_ && connection_.in_transaction()) {
    // Cannot throw from here; an unexpected ROLLBACK failure leaves the transaction open, and the
    // next BEGIN on this connection then fails loudly ("cannot start a transaction within ...").
    sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  Statement& commit = connection_.cached("COMMIT", "committing a write transaction");
  Reset reset(commit);
  commit.run();
  open_ = false;
}

}  // namespace deploy::sqlite
