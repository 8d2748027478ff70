#include "core/postgres/postgres.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace deploy::postgres {

namespace {

std::string describe(const std::string& purpose, std::string_view message, const std::string& sqlstate,
                     const std::string& server) {
  std::string text = "postgres: " + purpose + " failed: ";
  // libpq's messages end with a newline (sometimes several lines: ERROR, DETAIL, HINT).
  std::string_view trimmed = message;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.remove_suffix(1);
  std::string flat(trimmed.empty() ? std::string_view("no message from libpq") : trimmed);
  for (char& c : flat) {
    if (c == '\n') c = ' ';
  }
  text += flat;
  if (!sqlstate.empty()) text += " (SQLSTATE " + sqlstate + ")";
  text += " [" + server + "]";
  return text;
}

// Replaces the value of `key=` in a query string or conninfo with ***.
void mask_parameter(std::string& text, std::string_view key) {
  std::size_t at = 0;
  while ((at = text.find(key, at)) != std::string::npos) {
    const bool starts = at == 0 || text[at - 1] == '?' || text[at - 1] == '&' || text[at - 1] == ' ';
    const std::size_t value = at + key.size();
    if (!starts || value >= text.size() || text[value] != '=') {
      at = value;
      continue;
    }
    std::size_t end = text.find_first_of("& ", value + 1);
    if (end == std::string::npos) end = text.size();
    text.replace(value + 1, end - value - 1, "***");
    at = value + 4;
  }
}

}  // namespace

bool is_url(std::string_view location) {
  return location.starts_with("postgres://") || location.starts_with("postgresql://");
}

std::string redact(std::string_view url) {
  if (!is_url(url)) return "postgres://?";
  std::string text(url);
  // The last '@' ends the user info even when a password holds an unescaped '@' or '/'; should it
  // be in the query instead, more than the password is masked, which is the safe way to be wrong.
  const std::size_t authority = text.find("//") + 2;
  const std::size_t at = text.rfind('@');
  if (at != std::string::npos && at >= authority) {
    const std::size_t colon = text.find(':', authority);
    if (colon != std::string::npos && colon < at) text.replace(colon + 1, at - colon - 1, "***");
  }
  mask_parameter(text, "password");
  return text;
}

Error::Error(std::string purpose, std::string_view message, std::string sqlstate, std::string server)
    : std::runtime_error(describe(purpose, message, sqlstate, server)),
      purpose_(std::move(purpose)),
      sqlstate_(std::move(sqlstate)) {}

// --- Params --------------------------------------------------------------------------------------

Params& Params::add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::add(bool value) {
  values_.emplace_back(value ? "t" : "f");
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::add_bytes(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) throw std::length_error("postgres: a bytea over 2 GiB");
  values_.emplace_back(std::string(bytes));
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);  // binary: the bytes go as they are, no escaping
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

std::vector<const char*> Params::values() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (const auto& value : values_) pointers.push_back(value ? value->c_str() : nullptr);
  return pointers;
}

// --- Result --------------------------------------------------------------------------------------

void Result::Clear::operator()(pg_result* result) const { PQclear(result); }

int Result::rows() const { return result_ ? PQntuples(result_.get()) : 0; }

std::int64_t Result::affected() const {
  if (!result_) return 0;
  const char* n = PQcmdTuples(result_.get());
  return (n == nullptr || *n == '\0') ? 0 : std::strtoll(n, nullptr, 10);
}

bool Result::is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }

std::string_view Result::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column), static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::int64(int row, int column) const {
  const std::string value = string(row, column);
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(value.c_str(), &end, 10);
  if (errno != 0 || end == value.c_str() || *end != '\0') {
    throw std::runtime_error("postgres: column " + std::to_string(column) + " is not an integer: '" + value + "'");
  }
  return n;
}

bool Result::boolean(int row, int column) const { return text(row, column) == "t"; }

std::string Result::bytes(int row, int column) const {
  const std::string_view hex = text(row, column);
  if (!hex.starts_with("\\x")) throw std::runtime_error("postgres: a bytea column not in hex output format");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("postgres: a bytea column with a bad hex digit");
  };
  std::string out;
  out.reserve((hex.size() - 2) / 2);
  for (std::size_t i = 2; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return out;
}

std::optional<std::string> Result::optional_string(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return string(row, column);
}

std::optional<std::int64_t> Result::optional_int64(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

// --- Connection ----------------------------------------------------------------------------------

Connection::Connection(const std::string& url) : server_(redact(url)) {
  // connect_timeout bounds a connection attempt to an unreachable server; the URL may set its own.
  std::string target = url;
  if (target.find("connect_timeout=") == std::string::npos) {
    target += target.find('?') == std::string::npos ? "?connect_timeout=10" : "&connect_timeout=10";
  }
  conn_ = PQconnectdb(target.c_str());
  if (conn_ == nullptr) throw Error("connecting", "out of memory", "", server_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    throw Error("connecting", message, "", server_);
  }
  // Notices (e.g. "relation already exists, skipping") are the server talking to a person at a
  // terminal; the store's messages say what matters.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool Connection::ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

bool Connection::in_transaction() const {
  const auto status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

bool Connection::in_failed_transaction() const { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }

Result Connection::check(pg_result* raw, std::string_view purpose) const {
  Result result(raw);
  const auto status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return result;
  std::string sqlstate;
  std::string message;
  if (raw != nullptr) {
    if (const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE)) sqlstate = state;
    message = PQresultErrorMessage(raw);
  }
  if (message.empty()) message = PQerrorMessage(conn_);
  throw Error(std::string(purpose), message, sqlstate, server_);
}

Result Connection::exec(std::string_view sql, std::string_view purpose) {
  return check(PQexec(conn_, std::string(sql).c_str()), purpose);
}

Result Connection::run(const std::string& sql, const Params& params, std::string_view purpose) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    check(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), "preparing: " + std::string(purpose));
    found = prepared_.emplace(sql, std::move(name)).first;
  }
  const auto values = params.values();
  return check(
      PQexecPrepared(conn_, found->second.c_str(), params.size(), values.data(), params.lengths(), params.formats(), 0),
      purpose);
}

std::vector<Notification> Connection::wait_notifications(std::chrono::milliseconds timeout) {
  std::vector<Notification> out;
  auto drain = [&] {
    while (PGnotify* n = PQnotifies(conn_)) {
      out.push_back({n->relname != nullptr ? n->relname : "", n->extra != nullptr ? n->extra : ""});
      PQfreemem(n);
    }
  };
  if (PQconsumeInput(conn_) == 0) throw Error("reading notifications", PQerrorMessage(conn_), "", server_);
  drain();
  if (!out.empty()) return out;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0) throw Error("waiting for notifications", "the connection has no socket", "", server_);
  const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) {
    throw Error("waiting for notifications", std::strerror(errno), "", server_);
  }
  if (ready > 0) {
    if (PQconsumeInput(conn_) == 0) throw Error("reading notifications", PQerrorMessage(conn_), "", server_);
    drain();
  }
  return out;
}

// --- Transaction ---------------------------------------------------------------------------------

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.exec("BEGIN", "beginning a transaction");
}

Transaction::~Transaction() {
  if (!open_) return;
  // Cannot throw here. When the connection broke there is nothing to roll back: the server ends a
  // transaction whose client went away.
  if (connection_.ok()) {
    try {
      connection_.exec("ROLLBACK", "rolling back a transaction");
    } catch (const Error&) {  // the connection broke meanwhile; the pool drops it
    }
  }
}

void Transaction::commit() {
  // COMMIT of a transaction a statement already failed in answers "ROLLBACK" without an error:
  // report it as the failure it is.
  if (connection_.in_failed_transaction()) {
    throw Error("committing a transaction", "a statement in it failed, so it was rolled back", "25P02",
                connection_.server());
  }
  connection_.exec("COMMIT", "committing a transaction");
  open_ = false;
}

}  // namespace deploy::postgres
