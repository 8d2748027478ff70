// The simulator's whole world: one JSON document in the seed format (README.md), normalised at
// load so every object has its id, timestamps and defaults. Kept as JSON rather than structs so a
// dump (GET /_sim/state) is itself a valid seed, and so the admin API can show exactly what a
// test set up. Every access happens under `mutex()`; the helpers below assume the caller holds it.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sim_time.hpp"

namespace deploy::sim {

using nlohmann::json;

// One caller's primary rate-limit window (rate_limits.cpp); not part of the seed or the dump.
struct RateBucket {
  long long limit = 5000;
  long long used = 0;
  TimePoint reset{};
};

class State {
 public:
  // Normalises the seed; throws std::runtime_error naming the offending entry when it is invalid.
  explicit State(const json& seed);

  std::mutex& mutex() { return mutex_; }
  json& doc() { return doc_; }
  const json& doc() const { return doc_; }

  // The simulator's clock: the system clock plus an offset tests move with POST /_sim/clock.
  TimePoint now() const;
  std::string now_iso() const { return iso8601(now()); }
  void advance_clock(std::chrono::seconds by) { offset_ += by; }
  long long clock_offset_seconds() const { return offset_.count(); }

  // Ids are one increasing sequence across every kind of object, like GitHub's database ids.
  long long next_id();

  // Users, organisations and bots are all accounts; logins compare case-insensitively.
  json* user(std::string_view login);
  // The account, created as a User (a Bot when the login ends in "[bot]") if unknown.
  json& ensure_user(std::string_view login);
  json* organization(std::string_view login);
  json* repo(std::string_view owner, std::string_view name);
  json* repo_by_id(long long id);
  json* installation(long long id);
  json& app() { return doc_["app"]; }
  bool has_app() const { return doc_.contains("app") && doc_["app"].is_object(); }

  std::map<std::string, RateBucket>& rate_buckets() { return rate_buckets_; }

  // Finds the element of a JSON array whose `key` equals `value`.
  static json* find(json& array, std::string_view key, const json& value);

 private:
  void normalise();
  void normalise_repo(json& repo);
  void normalise_issues(json& repo);
  json* find_or_null(json& array, std::string_view key, std::string_view lower_value);

  json doc_;
  std::mutex mutex_;
  std::chrono::seconds offset_{0};
  std::map<std::string, RateBucket> rate_buckets_;
};

std::string lower(std::string_view text);

}  // namespace deploy::sim
