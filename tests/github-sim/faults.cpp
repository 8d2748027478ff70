#include "faults.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace deploy::sim {

namespace {

// Largest seconds value accepted for retry_after / reset_in: far beyond any ceiling a client has
// (so huge waits can be tested), yet now + reset_in cannot overflow a long long.
constexpr long long kMaxFaultSeconds = 1'000'000'000'000'000'000LL;

// The integer at spec[key] if it is one in [low, high]; otherwise throws std::invalid_argument with
// `what` so the admin answer says what was expected. Checks the JSON type first: a fault is read
// again at request time, where a wrong type would throw instead of answering.
long long integer_in(const nlohmann::json& spec, const char* key, long long low, long long high,
                     const std::string& what) {
  const auto& value = spec[key];
  bool ok = false;
  if (value.is_number_unsigned()) {
    ok = value.get<unsigned long long>() <= static_cast<unsigned long long>(high) && low <= high;
  } else if (value.is_number_integer()) {
    long long v = value.get<long long>();
    ok = v >= low && v <= high;
  }
  if (!ok) throw std::invalid_argument(what + ", got " + value.dump());
  return value.get<long long>();
}

void refuse_unknown_keys(const nlohmann::json& object, const std::vector<std::string>& known,
                         const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "\"" : ", \"") + k + "\"";
      throw std::invalid_argument("unknown field \"" + key + "\" in " + where + "; known fields: " + list);
    }
  }
}

}  // namespace

nlohmann::json Faults::add(const nlohmann::json& spec) {
  if (!spec.is_object()) throw std::invalid_argument("a fault is a JSON object");
  refuse_unknown_keys(
      spec, {"method", "path", "count", "status", "body", "delay_ms", "drop", "drop_after", "late_ms", "rate_limit"},
      "a fault");
  Fault fault;
  fault.spec = spec;
  if (spec.contains("method")) {
    if (!spec["method"].is_string())
      throw std::invalid_argument("\"method\" must be a string such as \"GET\" or \"*\"");
    fault.method = spec["method"];
    for (auto& c : fault.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (spec.contains("path")) {
    if (!spec["path"].is_string() || !spec["path"].get<std::string>().starts_with("/")) {
      throw std::invalid_argument("\"path\" must be a path prefix starting with \"/\"");
    }
    fault.path = spec["path"];
  }
  if (spec.contains("count")) {
    fault.remaining = static_cast<int>(
        integer_in(spec, "count", 1, std::numeric_limits<int>::max(), "\"count\" must be a positive integer"));
  }
  int kinds = 0;
  if (spec.contains("status")) {
    integer_in(spec, "status", 100, 599, "\"status\" must be an HTTP status code");
    fault.kind = "status";
    ++kinds;
  }
  if (spec.contains("body")) {
    if (!spec.contains("status")) throw std::invalid_argument("\"body\" goes with \"status\"");
    const auto& body = spec["body"];
    if (!body.is_object() && !body.is_array() && !body.is_string()) {
      throw std::invalid_argument("\"body\" must be a JSON object or array, or a string sent as text/html");
    }
  }
  if (spec.contains("delay_ms")) {
    integer_in(spec, "delay_ms", 0, 600'000, "\"delay_ms\" must be an integer from 0 to 600000");
    fault.kind = "delay";
    ++kinds;
  }
  if (spec.contains("drop")) {
    if (spec["drop"] != true) throw std::invalid_argument("\"drop\" must be true");
    fault.kind = "drop";
    ++kinds;
  }
  if (spec.contains("drop_after")) {
    if (spec["drop_after"] != true) throw std::invalid_argument("\"drop_after\" must be true");
    fault.kind = "drop_after";
    ++kinds;
  }
  if (spec.contains("late_ms")) {
    integer_in(spec, "late_ms", 0, 600'000, "\"late_ms\" must be an integer from 0 to 600000");
    fault.kind = "late";
    ++kinds;
  }
  if (spec.contains("rate_limit")) {
    const std::string shape =
        "\"rate_limit\" must be {\"status\": 403|429, \"retry_after\": S} or {\"remaining_zero\": true, \"reset_in\": "
        "S}";
    const auto& rl = spec["rate_limit"];
    if (!rl.is_object()) throw std::invalid_argument(shape);
    refuse_unknown_keys(rl, {"status", "retry_after", "remaining_zero", "reset_in"}, "\"rate_limit\"");
    if (rl.contains("remaining_zero") && rl["remaining_zero"] != true) {
      throw std::invalid_argument("rate_limit.remaining_zero must be true");
    }
    bool primary = rl.contains("remaining_zero");
    bool secondary = rl.contains("status");
    if (primary == secondary) throw std::invalid_argument(shape);
    if (secondary) {
      if (rl["status"] != 403 && rl["status"] != 429)
        throw std::invalid_argument("rate_limit.status must be 403 or 429");
      if (rl.contains("reset_in"))
        throw std::invalid_argument("rate_limit.reset_in goes with remaining_zero; " + shape);
      if (rl.contains("retry_after")) {
        integer_in(rl, "retry_after", 0, kMaxFaultSeconds,
                   "rate_limit.retry_after must be a non-negative integer (seconds)");
      }
    } else {
      if (rl.contains("retry_after")) throw std::invalid_argument("rate_limit.retry_after goes with status; " + shape);
      if (rl.contains("reset_in")) {
        integer_in(rl, "reset_in", 0, kMaxFaultSeconds, "rate_limit.reset_in must be a non-negative integer (seconds)");
      }
    }
    fault.kind = "rate_limit";
    ++kinds;
  }
  if (kinds != 1)
    throw std::invalid_argument(
        "give exactly one of \"status\", \"delay_ms\", \"drop\", \"drop_after\", \"late_ms\", \"rate_limit\"");
  std::lock_guard lock(mutex_);
  fault.id = next_id_++;
  faults_.push_back(fault);
  nlohmann::json out = spec;
  out["id"] = fault.id;
  out["remaining"] = fault.remaining;
  return out;
}

void Faults::clear() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

nlohmann::json Faults::list() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& fault : faults_) {
    nlohmann::json entry = fault.spec;
    entry["id"] = fault.id;
    entry["remaining"] = fault.remaining;
    out.push_back(entry);
  }
  return out;
}

std::optional<Fault> Faults::take(const std::string& method, const std::string& path) {
  std::lock_guard lock(mutex_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->method != "*" && it->method != method) continue;
    if (!path.starts_with(it->path)) continue;
    Fault taken = *it;
    if (--it->remaining <= 0) faults_.erase(it);
    return taken;
  }
  return std::nullopt;
}

Response fault_response(const Fault& fault, TimePoint now) {
  if (fault.kind == "status") {
    int status = fault.spec["status"];
    nlohmann::json body = fault.spec.contains("body") ? fault.spec["body"]
                          : status >= 500             ? nlohmann::json{{"message", "Server Error"}}
                                                      : nlohmann::json{{"message", "Injected fault"}};
    Response response = body.is_string() ? Response::empty(status) : Response::json(status, body);
    if (body.is_string()) {
      response.body = body.get<std::string>();
      response.set_header("content-type", "text/html; charset=utf-8");
    }
    return response;
  }
  const auto& rl = fault.spec["rate_limit"];
  if (rl.value("remaining_zero", false)) {
    long long reset = epoch_seconds(now) + rl.value("reset_in", 60LL);
    Response response = Response::json(
        403, {{"message", "API rate limit exceeded for user ID 1."},
              {"documentation_url",
               "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"}});
    response.set_header("x-ratelimit-limit", "5000");
    response.set_header("x-ratelimit-remaining", "0");
    response.set_header("x-ratelimit-used", "5000");
    response.set_header("x-ratelimit-reset", std::to_string(reset));
    response.set_header("x-ratelimit-resource", "core");
    return response;
  }
  Response response = Response::json(
      rl["status"].get<int>(),
      {{"message",
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to "
        "GitHub "
        "Support for help, please include the request ID."},
       {"documentation_url",
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}});
  if (rl.contains("retry_after"))
    response.set_header("retry-after", std::to_string(rl["retry_after"].get<long long>()));
  return response;
}

}  // namespace deploy::sim
