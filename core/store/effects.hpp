// The store's exactly-once bookkeeping for effects on GitHub.
//
// A worker processes a delivery at least once (a crash or an expired lease means again), so each
// effect on GitHub is keyed, e.g. "comment:owner/repo#12:delivery:<id>:reply":
//   begin(key) -> already_done: skip it, use the recorded result (e.g. the comment id).
//              -> new_effect: do it, then finish(key, result).
//              -> retry_after_failure: GitHub answered the last try with an error (fail): it did
//                 not happen, do it again like a new one.
//              -> outcome_unknown: begun, and neither finished nor answered with an error (a crash,
//                 or the answer was lost): it may or may not have happened. Effects GitHub
//                 de-duplicates itself (a commit status, a deployment status for the same state) are
//                 simply done again. Effects it cannot (a new comment) carry the key in a hidden
//                 marker (<!-- deploy-bot effect=KEY -->) in their body: the bot searches the thread
//                 for the marker first and records what it finds instead of creating a second one.
//
// Effects is what a back end implements; SqliteEffects is the SQLite one, over the store's Database.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace deploy::store {

using TimePoint = std::chrono::system_clock::time_point;

enum class EffectStart {
  new_effect,           // first time: do it, then finish() (or fail())
  retry_after_failure,  // GitHub refused the last try (fail): nothing happened; do it again
  outcome_unknown,      // begun but neither finished nor refused (a crash, a lost answer): it may
                        // have happened; look for it (hidden marker, dispatch id) before redoing it
  already_done,         // done: use `result`, do not do it again
};
std::string_view to_string(EffectStart start);

struct EffectBegin {
  EffectStart status = EffectStart::new_effect;
  std::string result;         // already_done: what finish() recorded (JSON)
  std::int64_t attempts = 0;  // begin() calls for this key, this one included
};

class Effects {
 public:
  virtual ~Effects() = default;
  virtual EffectBegin begin(std::string_view effect_key) = 0;
  // Throws std::logic_error for an effect never begun.
  virtual void finish(std::string_view effect_key, std::string_view result_json) = 0;
  // GitHub answered the effect's request with an error: it did not happen, and the next begin()
  // says retry_after_failure. `error` is kept for people reading the store. Throws
  // std::logic_error for an effect not in progress.
  virtual void fail(std::string_view effect_key, std::string_view error) = 0;
  // Deletes done effects begun before `before`, in small transactions. Returns how many.
  virtual std::int64_t prune(TimePoint before) = 0;
};

class Database;

class SqliteEffects final : public Effects {
 public:
  explicit SqliteEffects(Database& database) : db_(database) {}
  EffectBegin begin(std::string_view effect_key) override;
  void finish(std::string_view effect_key, std::string_view result_json) override;
  void fail(std::string_view effect_key, std::string_view error) override;
  std::int64_t prune(TimePoint before) override;

 private:
  Database& db_;
};

}  // namespace deploy::store
