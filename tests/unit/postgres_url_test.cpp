// postgres::redact and is_url: what a log line or an error shows of a PostgreSQL URL (never its
// password), and which store locations name PostgreSQL.
#include <doctest/doctest.h>

#include <string>

#include "core/postgres/postgres.hpp"

TEST_CASE("redact masks the password in the authority and in the query; nothing else changes") {
  struct Row {
    const char* url;
    const char* shown;
  };
  const Row rows[] = {
      {"postgres://bot:secret@db.internal:5432/deploy", "postgres://bot:***@db.internal:5432/deploy"},
      {"postgresql://bot:p%40ss@db/deploy?sslmode=require", "postgresql://bot:***@db/deploy?sslmode=require"},
      {"postgres://bot@db/deploy", "postgres://bot@db/deploy"},
      {"postgres://db/deploy?user=bot&password=secret&sslmode=verify-full",
       "postgres://db/deploy?user=bot&password=***&sslmode=verify-full"},
      {"postgres://bot:secret@db/deploy?password=other", "postgres://bot:***@db/deploy?password=***"},
      {"postgres://bot:a@b@db/deploy", "postgres://bot:***@db/deploy"},    // an unescaped @ in the password
      {"postgres://bot:a/b?c@db/deploy", "postgres://bot:***@db/deploy"},  // unescaped / and ? too
      {"postgres://", "postgres://"},
      {"host=db password=secret", "postgres://?"},  // not a URL: nothing of it is shown
      {"", "postgres://?"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.url);
    CHECK(deploy::postgres::redact(row.url) == row.shown);
  }
}

TEST_CASE("is_url: postgres:// and postgresql:// name PostgreSQL; a path does not") {
  CHECK(deploy::postgres::is_url("postgres://db/deploy"));
  CHECK(deploy::postgres::is_url("postgresql://db/deploy"));
  CHECK_FALSE(deploy::postgres::is_url("./deploy-bot.sqlite3"));
  CHECK_FALSE(deploy::postgres::is_url("/var/lib/deploy-bot/postgres://x"));
  CHECK_FALSE(deploy::postgres::is_url("POSTGRES://db"));
}
