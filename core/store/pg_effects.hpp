// The PostgreSQL exactly-once bookkeeping: Effects over the store's PgDatabase (pg_database.hpp).
// The effect key is the table's primary key, so replicas that begin the same effect meet on one
// row: the first inserts it, the others lock it and see its state.
#pragma once

#include "core/store/effects.hpp"

namespace deploy::store {

class PgDatabase;

class PgEffects final : public Effects {
 public:
  explicit PgEffects(PgDatabase& database) : db_(database) {}
  EffectBegin begin(std::string_view effect_key) override;
  void finish(std::string_view effect_key, std::string_view result_json) override;
  void fail(std::string_view effect_key, std::string_view error) override;
  std::int64_t prune(TimePoint before) override;

 private:
  PgDatabase& db_;
};

}  // namespace deploy::store
