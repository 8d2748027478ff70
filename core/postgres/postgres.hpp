// Thin RAII wrappers over libpq (PostgreSQL's C client): a connection, a result, parameters,
// statements prepared once per connection, a transaction guard and LISTEN/NOTIFY. Every failure
// throws postgres::Error naming what was being done (the statement's purpose), PostgreSQL's message
// and SQLSTATE, and the server as a URL with its password masked, so a log line alone says where to
// look and never shows a secret.
//
// Threading: a Connection (and its results) is used by one thread at a time; the owner
// (core/store's PostgreSQL database) keeps a pool and lends each connection to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace deploy::postgres {

// A connection URL (postgres://user:password@host:port/db?param=value) with the password replaced
// by "***", for messages and logs. Anything that does not parse as a URL is shown as "postgres://?".
std::string redact(std::string_view url);
// True when `location` names a PostgreSQL server (postgres:// or postgresql://).
bool is_url(std::string_view location);

class Error : public std::runtime_error {
 public:
  // what(): "postgres: <purpose> failed: <server message> (SQLSTATE <s>) [<redacted url>]"
  Error(std::string purpose, std::string_view message, std::string sqlstate, std::string server);
  const std::string& purpose() const { return purpose_; }
  // Five characters, e.g. "23505" (unique violation); empty when the failure was not the
  // server's answer (the connection broke, the server could not be reached).
  const std::string& sqlstate() const { return sqlstate_; }
  bool connection_lost() const { return sqlstate_.empty() || sqlstate_.starts_with("08") || sqlstate_ == "57P01"; }

 private:
  std::string purpose_;
  std::string sqlstate_;
};

// Parameters for one statement, sent as text ($1, $2, ...) or, for bytea, as exact bytes. Values
// are copied, so the Params may be built from temporaries.
class Params {
 public:
  Params& add(std::int64_t value);
  Params& add(int value) { return add(static_cast<std::int64_t>(value)); }
  Params& add(bool value);
  Params& add(std::string_view text);
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(const std::string& text) { return add(std::string_view(text)); }
  Params& add_bytes(std::string_view bytes);  // a bytea parameter, exactly these bytes
  Params& add_null();
  template <class T>
  Params& add(const std::optional<T>& value) {
    return value ? add(*value) : add_null();
  }

  int size() const { return static_cast<int>(values_.size()); }
  // libpq's parallel arrays; valid until the Params changes.
  std::vector<const char*> values() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::optional<std::string>> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// One statement's answer, in text format. Rows and columns are 0-based.
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result) : result_(result) {}
  Result(Result&&) noexcept = default;
  Result& operator=(Result&&) noexcept = default;

  int rows() const;
  std::int64_t affected() const;  // rows an INSERT/UPDATE/DELETE changed
  bool is_null(int row, int column) const;
  std::string_view text(int row, int column) const;  // valid while the Result lives
  std::string string(int row, int column) const { return std::string(text(row, column)); }
  std::int64_t int64(int row, int column) const;
  bool boolean(int row, int column) const;       // 't' / 'f'
  std::string bytes(int row, int column) const;  // a bytea column, decoded from its hex text
  std::optional<std::string> optional_string(int row, int column) const;
  std::optional<std::int64_t> optional_int64(int row, int column) const;

 private:
  struct Clear {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

struct Notification {
  std::string channel;
  std::string payload;
};

class Connection {
 public:
  // Connects (blocking, bounded by the URL's connect_timeout, 10 s when it has none). Throws Error.
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One or more statements with no parameters (schema, SET, LISTEN): the last one's result.
  Result exec(std::string_view sql, std::string_view purpose);
  // One statement with parameters, prepared on this connection the first time its text is seen and
  // executed by name afterwards.
  Result run(const std::string& sql, const Params& params, std::string_view purpose);
  Result run(const std::string& sql, std::string_view purpose) { return run(sql, Params{}, purpose); }

  // False once the connection broke (the server went away): the pool throws it away.
  bool ok() const;
  bool in_transaction() const;                           // inside BEGIN ... (or a failed transaction awaiting ROLLBACK)
  bool in_failed_transaction() const;                    // a statement failed since BEGIN: only ROLLBACK is left
  const std::string& server() const { return server_; }  // the redacted URL
  pg_conn* handle() const { return conn_; }

  // LISTEN/NOTIFY: waits up to `timeout` for the socket, then returns what arrived (maybe nothing).
  // The connection must be outside any transaction and LISTEN to something.
  std::vector<Notification> wait_notifications(std::chrono::milliseconds timeout);

 private:
  Result check(pg_result* result, std::string_view purpose) const;

  pg_conn* conn_ = nullptr;
  std::string server_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> the name it was prepared as
};

// BEGIN ... COMMIT; rolls back when destroyed without commit().
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

}  // namespace deploy::postgres
