// Fault injection (POST /_sim/faults): the next `count` API requests whose method and path match
// get the fault instead of (or, for a delay, before) their normal answer.
//
// Matching: `method` is an HTTP method or "*" (default); `path` is a prefix of the request path
// (without the query, after removing a leading /api/v3), default "/" (everything).
// Kinds, exactly one per fault:
//   {"status": 502, "body": {...}}            answer with this status (and body, default GitHub-like)
//   {"delay_ms": 1500}                         wait, then answer normally
//   {"drop": true}                             close the connection without answering
//   {"drop_after": true}                       handle the request (it takes effect), then close the
//                                              connection without answering: the answer is lost
//   {"late_ms": 3000}                          close the connection without answering at once, and
//                                              handle the request that much later: a GitHub slower
//                                              than the caller's timeout, whose effect shows late
//   {"rate_limit": {"status": 403|429, "retry_after": S}}     secondary rate limit
//   {"rate_limit": {"remaining_zero": true, "reset_in": S}}  primary rate limit exhausted
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_types.hpp"
#include "sim_time.hpp"

namespace deploy::sim {

struct Fault {
  long long id = 0;
  std::string method = "*";
  std::string path = "/";
  int remaining = 1;
  nlohmann::json spec;  // as given, for listing
  std::string kind;     // "status", "delay", "drop", "drop_after", "late", "rate_limit"
};

class Faults {
 public:
  // Validates and stores a fault; throws std::invalid_argument with a message for the 400 answer.
  nlohmann::json add(const nlohmann::json& spec);
  void clear();
  nlohmann::json list() const;
  // Consumes one use of the first fault matching this request, if any.
  std::optional<Fault> take(const std::string& method, const std::string& path);

 private:
  mutable std::mutex mutex_;
  std::vector<Fault> faults_;
  long long next_id_ = 1;
};

// The response a status or rate-limit fault produces (not for delay/drop).
Response fault_response(const Fault& fault, TimePoint now);

}  // namespace deploy::sim
