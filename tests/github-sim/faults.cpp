#include "faults.hpp"

#include <stdexcept>

namespace deploy::sim {

nlohmann::json Faults::add(const nlohmann::json& spec) {
  if (!spec.is_object()) throw std::invalid_argument("a fault is a JSON object");
  Fault fault;
  fault.spec = spec;
  if (spec.contains("method")) {
    if (!spec["method"].is_string()) throw std::invalid_argument("\"method\" must be a string such as \"GET\" or \"*\"");
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
    if (!spec["count"].is_number_integer() || spec["count"].get<int>() < 1) throw std::invalid_argument("\"count\" must be a positive integer");
    fault.remaining = spec["count"];
  }
  int kinds = 0;
  if (spec.contains("status")) {
    if (!spec["status"].is_number_integer() || spec["status"].get<int>() < 100 || spec["status"].get<int>() > 599) {
      throw std::invalid_argument("\"status\" must be an HTTP status code");
    }
    fault.kind = "status";
    ++kinds;
  }
  if (spec.contains("delay_ms")) {
    if (!spec["delay_ms"].is_number_integer() || spec["delay_ms"].get<int>() < 0 || spec["delay_ms"].get<int>() > 600'000) {
      throw std::invalid_argument("\"delay_ms\" must be an integer from 0 to 600000");
    }
    fault.kind = "delay";
    ++kinds;
  }
  if (spec.contains("drop")) {
    if (spec["drop"] != true) throw std::invalid_argument("\"drop\" must be true");
    fault.kind = "drop";
    ++kinds;
  }
  if (spec.contains("rate_limit")) {
    const auto& rl = spec["rate_limit"];
    bool primary = rl.is_object() && rl.value("remaining_zero", false);
    bool secondary = rl.is_object() && rl.contains("status");
    if (primary == secondary) {
      throw std::invalid_argument(
          "\"rate_limit\" must be {\"status\": 403|429, \"retry_after\": S} or {\"remaining_zero\": true, \"reset_in\": S}");
    }
    if (secondary && rl["status"] != 403 && rl["status"] != 429) throw std::invalid_argument("rate_limit.status must be 403 or 429");
    fault.kind = "rate_limit";
    ++kinds;
  }
  if (kinds != 1) throw std::invalid_argument("give exactly one of \"status\", \"delay_ms\", \"drop\", \"rate_limit\"");
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
                          : status >= 500 ? nlohmann::json{{"message", "Server Error"}}
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
              {"documentation_url", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"}});
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
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub "
        "Support for help, please include the request ID."},
       {"documentation_url", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}});
  if (rl.contains("retry_after")) response.set_header("retry-after", std::to_string(rl["retry_after"].get<long long>()));
  return response;
}

}  // namespace deploy::sim
