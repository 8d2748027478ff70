// Thin RAII wrappers over the SQLite C API: a connection, a prepared statement with typed bind and
// column access, and transaction/savepoint guards. Every failure throws sqlite::Error naming what
// was being done (the statement's purpose), SQLite's message and the database path, so a log line
// alone says where to look.
//
// Threading: a Connection is opened in SQLite's multi-thread mode (no per-call mutex inside
// SQLite), so it and its statements must be used by one thread at a time; the owner (core/store)
// serialises access.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace deploy::sqlite {

class Error : public std::runtime_error {
 public:
  // what(): "sqlite: <purpose> failed: <sqlite message> (code <n>) [<path>]"
  Error(int code, std::string purpose, std::string_view sqlite_message, std::string path);
  int code() const { return code_; }  // extended result code, e.g. SQLITE_CONSTRAINT_PRIMARYKEY
  const std::string& purpose() const { return purpose_; }
  const std::string& path() const { return path_; }

 private:
  int code_;
  std::string purpose_;
  std::string path_;
};

class Connection;

// A prepared statement. Parameters are 1-based (as in SQL `?1`), columns 0-based (as in SQLite).
// Text and blob parameters are bound WITHOUT copying: the bound memory must stay alive until the
// statement is reset, which Reset (below) does at the end of the scope that bound them.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql, std::string purpose);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  Statement& bind(int index, std::string_view text);  // as TEXT
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind_blob(int index, std::string_view bytes);  // as BLOB (exact bytes)
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Runs one step: true when a row is available, false when the statement is done.
  bool step();
  // Runs to completion, for statements that return no rows (or whose rows are not wanted).
  void run();
  // Back to the start, bindings cleared. Releases the read snapshot a SELECT holds.
  void reset() noexcept;

  bool is_null(int column) const;
  std::int64_t column_int64(int column) const;
  // Views into SQLite's memory: valid until the next step(), reset() or column conversion.
  std::string_view column_text(int column) const;
  std::string_view column_blob(int column) const;
  std::string column_string(int column) const { return std::string(column_text(column)); }
  std::optional<std::string> column_optional_string(int column) const;
  std::optional<std::int64_t> column_optional_int64(int column) const;

  const std::string& purpose() const { return purpose_; }

 private:
  [[noreturn]] void fail(int code) const;
  void check_bind(int code, int index) const;
  int checked_length(std::string_view value, int index) const;

  Connection& connection_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string purpose_;
};

// Resets a statement when the scope that bound and stepped it ends, normally or by exception.
class Reset {
 public:
  explicit Reset(Statement& statement) : statement_(statement) {}
  ~Reset() { statement_.reset(); }
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;

 private:
  Statement& statement_;
};

enum class OpenMode { read_write_create, read_only };

class Connection {
 public:
  Connection(const std::filesystem::path& path, OpenMode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One or more statements with no parameters and no rows wanted (schema, pragmas).
  void exec(std::string_view sql, std::string_view purpose);
  // A statement prepared once and kept for the life of the connection (keyed by its SQL text).
  // The caller resets it after use (Reset).
  Statement& cached(std::string_view sql, std::string_view purpose);

  std::int64_t changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
  bool in_transaction() const;   // false in autocommit mode
  void set_busy_timeout(std::chrono::milliseconds timeout);

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  // Throws Error for `code` with this connection's current error message.
  [[noreturn]] void fail(int code, std::string_view purpose) const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  sqlite3* db_ = nullptr;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>> cache_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so a read-then-write transaction can never fail
// with SQLITE_BUSY half-way) ... COMMIT; rolls back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace deploy::sqlite
