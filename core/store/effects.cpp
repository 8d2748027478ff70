#include "core/store/effects.hpp"

#include <stdexcept>

#include "core/sqlite/sqlite.hpp"
#include "core/store/database.hpp"

namespace deploy::store {

namespace {

// The state before this call (NULL for a new key) is read first; both run under the writer lock.
constexpr const char* kEffectState = R"sql(
SELECT state, result, attempts FROM effects WHERE effect_key = ?1)sql";

// A failed effect is being sent again: it is 'started' (outcome unknown until it finishes) again.
constexpr const char* kBeginEffect = R"sql(
INSERT INTO effects (effect_key, state, attempts, created_at) VALUES (?1, 'started', 1, ?2)
ON CONFLICT (effect_key) DO UPDATE SET attempts = attempts + 1,
  state = CASE WHEN state = 'failed' THEN 'started' ELSE state END)sql";

constexpr const char* kFailEffect = R"sql(
UPDATE effects SET state = 'failed', last_error = ?2 WHERE effect_key = ?1 AND state = 'started')sql";

constexpr const char* kFinishEffect = R"sql(
UPDATE effects SET state = 'done', result = ?2, finished_at = ?3 WHERE effect_key = ?1)sql";

constexpr const char* kPruneEffects = R"sql(
DELETE FROM effects WHERE effect_key IN (
  SELECT effect_key FROM effects WHERE state = 'done' AND created_at < ?1 LIMIT 500))sql";

}  // namespace

std::string_view to_string(EffectStart start) {
  switch (start) {
    case EffectStart::new_effect:
      return "new_effect";
    case EffectStart::retry_after_failure:
      return "retry_after_failure";
    case EffectStart::outcome_unknown:
      return "outcome_unknown";
    case EffectStart::already_done:
      return "already_done";
  }
  return "unknown";
}

EffectBegin SqliteEffects::begin(std::string_view effect_key) {
  if (effect_key.empty()) throw std::invalid_argument("store: begin_effect needs a non-empty effect key");
  return db_.write([&](sqlite::Connection& db) {
    EffectBegin begin;
    std::string previous;  // "" for a key never begun
    {
      sqlite::Statement& st = db.cached(kEffectState, "reading an effect's state");
      sqlite::Reset reset(st);
      st.bind(1, effect_key);
      if (st.step()) {
        previous = st.column_text(0);
        begin.result = st.column_optional_string(1).value_or("");
        begin.attempts = st.column_int64(2);
      }
    }
    sqlite::Statement& st = db.cached(kBeginEffect, "beginning an effect");
    sqlite::Reset reset(st);
    st.bind(1, effect_key).bind(2, to_ms(db_.clock().now()));
    st.run();
    begin.attempts += 1;
    if (previous != "done") begin.result.clear();
    if (previous == "done")
      begin.status = EffectStart::already_done;
    else if (previous.empty())
      begin.status = EffectStart::new_effect;
    else if (previous == "failed")
      begin.status = EffectStart::retry_after_failure;
    else
      begin.status = EffectStart::outcome_unknown;
    return begin;
  });
}

void SqliteEffects::fail(std::string_view effect_key, std::string_view error) {
  db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kFailEffect, "recording a failed effect");
    sqlite::Reset reset(st);
    st.bind(1, effect_key).bind(2, error);
    st.run();
    if (db.changes() != 1) {
      throw std::logic_error("store: fail_effect('" + std::string(effect_key) + "') on an effect not in progress");
    }
  });
}

void SqliteEffects::finish(std::string_view effect_key, std::string_view result_json) {
  db_.write([&](sqlite::Connection& db) {
    sqlite::Statement& st = db.cached(kFinishEffect, "finishing an effect");
    sqlite::Reset reset(st);
    st.bind(1, effect_key).bind(2, result_json).bind(3, to_ms(db_.clock().now()));
    st.run();
    if (db.changes() != 1) {
      throw std::logic_error("store: finish_effect('" + std::string(effect_key) + "') without begin_effect()");
    }
  });
}

std::int64_t SqliteEffects::prune(TimePoint before) {
  // Small transactions, so ingest() never waits long behind a big delete.
  std::int64_t total = 0;
  for (;;) {
    std::int64_t deleted = db_.write([&](sqlite::Connection& db) {
      sqlite::Statement& st = db.cached(kPruneEffects, "pruning done effects");
      sqlite::Reset reset(st);
      st.bind(1, to_ms(before));
      st.run();
      return db.changes();
    });
    total += deleted;
    if (deleted == 0) return total;
  }
}

}  // namespace deploy::store
