#include "core/store/pg_effects.hpp"

#include <stdexcept>

#include "core/store/pg_database.hpp"

namespace deploy::store {

namespace {

// A key never begun: this replica's insert wins and the effect is new. ON CONFLICT waits for a
// concurrent insert of the same key to commit, so two replicas never both see "new".
const std::string kInsertEffect = R"sql(
INSERT INTO effects (effect_key, state, attempts, created_at) VALUES ($1, 'started', 1, $2)
ON CONFLICT (effect_key) DO NOTHING RETURNING attempts)sql";

// Begun before: the row, locked until the caller's begin commits, as it was.
const std::string kLockEffect = "SELECT state, result, attempts FROM effects WHERE effect_key = $1 FOR UPDATE";

// A failed effect is being sent again: it is 'started' (outcome unknown until it finishes) again.
const std::string kBeginAgain = R"sql(
UPDATE effects SET attempts = attempts + 1, state = CASE WHEN state = 'failed' THEN 'started' ELSE state END
WHERE effect_key = $1)sql";

const std::string kFailEffect =
    "UPDATE effects SET state = 'failed', last_error = $2 WHERE effect_key = $1 AND state = 'started'";

const std::string kFinishEffect =
    "UPDATE effects SET state = 'done', result = $2, finished_at = $3 WHERE effect_key = $1";

const std::string kPruneEffects = R"sql(
DELETE FROM effects WHERE effect_key IN (
  SELECT effect_key FROM effects WHERE state = 'done' AND created_at < $1 LIMIT 500))sql";

}  // namespace

EffectBegin PgEffects::begin(std::string_view effect_key) {
  if (effect_key.empty()) throw std::invalid_argument("store: begin_effect needs a non-empty effect key");
  return db_.atomically([&](postgres::Connection& db) {
    EffectBegin begin;
    const auto inserted =
        db.run(kInsertEffect, postgres::Params().add(effect_key).add(to_ms(db_.clock().now())), "beginning an effect");
    if (inserted.rows() == 1) {
      begin.status = EffectStart::new_effect;
      begin.attempts = 1;
      return begin;
    }
    const auto row = db.run(kLockEffect, postgres::Params().add(effect_key), "reading an effect's state");
    if (row.rows() != 1)
      throw std::runtime_error("store: effect '" + std::string(effect_key) + "' vanished while begun");
    const std::string previous = row.string(0, 0);
    begin.attempts = row.int64(0, 2) + 1;
    db.run(kBeginAgain, postgres::Params().add(effect_key), "beginning an effect again");
    if (previous == "done") {
      begin.status = EffectStart::already_done;
      begin.result = row.optional_string(0, 1).value_or("");
    } else if (previous == "failed") {
      begin.status = EffectStart::retry_after_failure;
    } else {
      begin.status = EffectStart::outcome_unknown;
    }
    return begin;
  });
}

void PgEffects::fail(std::string_view effect_key, std::string_view error) {
  const auto changed = db_.with([&](postgres::Connection& db) {
    return db.run(kFailEffect, postgres::Params().add(effect_key).add(error), "recording a failed effect").affected();
  });
  if (changed != 1) {
    throw std::logic_error("store: fail_effect('" + std::string(effect_key) + "') on an effect not in progress");
  }
}

void PgEffects::finish(std::string_view effect_key, std::string_view result_json) {
  const auto changed = db_.with([&](postgres::Connection& db) {
    return db
        .run(kFinishEffect, postgres::Params().add(effect_key).add(result_json).add(to_ms(db_.clock().now())),
             "finishing an effect")
        .affected();
  });
  if (changed != 1) {
    throw std::logic_error("store: finish_effect('" + std::string(effect_key) + "') without begin_effect()");
  }
}

std::int64_t PgEffects::prune(TimePoint before) {
  std::int64_t total = 0;
  for (;;) {
    const auto deleted = db_.with([&](postgres::Connection& db) {
      return db.run(kPruneEffects, postgres::Params().add(to_ms(before)), "pruning done effects").affected();
    });
    total += deleted;
    if (deleted == 0) return total;
  }
}

}  // namespace deploy::store
