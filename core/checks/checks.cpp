#include "core/checks/checks.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/duration.hpp"
#include "core/http/url.hpp"
#include "core/process/process.hpp"

namespace deploy::checks {
namespace {

using analysis::Sample;

Sample failed(const config::Check& check, std::string message) {
  return Sample{check.name, false, std::nullopt, "check '" + check.name + "': " + std::move(message)};
}

// The probe could not take a measurement (no answer, no number): an error round in the analysis,
// as opposed to a measurement that came back wrong (core/analysis, consecutive_errors).
Sample unmeasured(const config::Check& check, std::string message) {
  Sample sample = failed(check, std::move(message));
  sample.error = true;
  return sample;
}

std::string shorten(std::string_view text, std::size_t limit = 200) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

std::string redacted(const std::string& url) {
  auto parsed = http::parse_url(url);
  return parsed ? parsed->redacted() : std::string("(invalid url)");
}

// The check's timeout bounds its request as a whole; the transport's own limits may end it sooner.
http::Request request_for(const config::Check& check, std::string url, std::string accept) {
  http::Request request;
  request.url = std::move(url);
  request.headers.emplace_back("Accept", std::move(accept));
  request.timeout = check.timeout;
  return request;
}

// A request that got no response. When it was the check's own timeout that ended it, that is what
// people need to read; any other failure, a transport timeout included, says what the transport said.
Sample no_response(const config::Check& check, const std::string& what, const http::TransportError& error,
                   std::chrono::steady_clock::duration elapsed) {
  if (error.kind() == http::TransportError::Kind::timeout && elapsed >= check.timeout) {
    return unmeasured(check,
                      what + " timed out after " + config::format_duration(check.timeout) + " (the check's timeout)");
  }
  return unmeasured(check, what + " got no response: " + error.what());
}

Sample run_http(const config::Check& check, const config::HttpCheck& probe, Probes& probes) {
  const auto request = request_for(check, probe.url, "application/json, text/plain, */*");
  const auto started = probes.clock.now();
  const auto started_steady = std::chrono::steady_clock::now();
  http::Response response;
  try {
    response = probes.transport.send(request);
  } catch (const http::TransportError& error) {
    return no_response(check, "GET " + redacted(probe.url), error, std::chrono::steady_clock::now() - started_steady);
  }
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(probes.clock.now() - started);
  const double latency_ms = static_cast<double>(latency.count());
  if (response.status != probe.expect_status) {
    auto sample =
        failed(check, "GET " + redacted(probe.url) + " answered " + std::to_string(response.status) + ", expected " +
                          std::to_string(probe.expect_status) + ": " + shorten(response.body));
    sample.value = latency_ms;
    return sample;
  }
  if (probe.json_field) {
    auto text = json_field_text(response.body, *probe.json_field);
    if (!text) return failed(check, "GET " + redacted(probe.url) + ": " + text.error().message);
    if (probe.equals && *text != *probe.equals) {
      return failed(check, probe.json_field.value() + " is '" + shorten(*text) + "', expected '" + *probe.equals + "'");
    }
  }
  if (probe.max_latency && latency > *probe.max_latency) {
    auto sample = failed(check, "answered in " + config::format_duration(latency) + ", more than max_latency " +
                                    config::format_duration(*probe.max_latency));
    sample.value = latency_ms;
    return sample;
  }
  return Sample{check.name, true, latency_ms,
                "GET " + redacted(probe.url) + " answered " + std::to_string(response.status) + " in " +
                    config::format_duration(latency)};
}

Sample run_command(const config::Check& check, const config::CommandCheck& probe, Probes& probes) {
  auto spec = process::shell(probe.run);
  spec.env = probes.command_env;
  spec.timeout = check.timeout;
  spec.kill_grace = std::chrono::seconds{2};
  std::vector<std::string> lines;
  auto result = process::run(
      spec, [&](const std::string& line) { lines.push_back(line); }, probes.cancel);
  if (result.end == process::Result::End::timed_out) {
    // Said as the other kinds say it: the configured timeout, not the measured run time.
    std::string last = lines.empty() ? std::string() : ": " + shorten(lines.back());
    return unmeasured(check, "command timed out after " + config::format_duration(check.timeout) + last);
  }
  if (!result.succeeded()) {
    std::string last = lines.empty() ? std::string() : ": " + shorten(lines.back());
    return failed(check, "command " + result.describe() + last);
  }
  if (probe.thresholds.empty()) return Sample{check.name, true, std::nullopt, "command exit 0"};
  std::string last;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->find_first_not_of(" \t\r") != std::string::npos) {
      last = *it;
      break;
    }
  }
  auto value = parse_number(last);
  if (!value) return unmeasured(check, "the command's last output line must be a number: " + value.error().message);
  return Sample{check.name, true, *value, "command printed " + shorten(last)};
}

Sample run_prometheus(const config::Check& check, const config::PrometheusCheck& probe, Probes& probes) {
  const auto request = request_for(check, prometheus_query_url(probe.url, probe.query), "application/json");
  const auto started = std::chrono::steady_clock::now();
  http::Response response;
  try {
    response = probes.transport.send(request);
  } catch (const http::TransportError& error) {
    return no_response(check, "Prometheus at " + redacted(probe.url), error,
                       std::chrono::steady_clock::now() - started);
  }
  if (response.status != 200) {
    // Prometheus answers 400/422/503 with a JSON error; say what it said.
    auto answer = parse_prometheus_answer(response.body);
    std::string detail = answer ? shorten(response.body) : answer.error().message;
    return unmeasured(
        check, "Prometheus at " + redacted(probe.url) + " answered " + std::to_string(response.status) + ": " + detail);
  }
  auto value = parse_prometheus_answer(response.body);
  if (!value) return unmeasured(check, "query '" + shorten(probe.query) + "': " + value.error().message);
  return Sample{check.name, true, *value, "query returned " + shorten(nlohmann::json(*value).dump())};
}

}  // namespace

analysis::Sample run_check(const config::Check& check, Probes& probes) {
  return std::visit(
      [&](const auto& probe) -> Sample {
        using T = std::decay_t<decltype(probe)>;
        if constexpr (std::is_same_v<T, config::HttpCheck>) {
          return run_http(check, probe, probes);
        } else if constexpr (std::is_same_v<T, config::CommandCheck>) {
          return run_command(check, probe, probes);
        } else {
          return run_prometheus(check, probe, probes);
        }
      },
      check.probe);
}

Result<double> parse_number(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  auto end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return Error{"not_a_number", "expected a number, found nothing"};
  std::string trimmed(text.substr(begin, end - begin + 1));
  errno = 0;
  char* stop = nullptr;
  const double value = std::strtod(trimmed.c_str(), &stop);
  if (stop != trimmed.c_str() + trimmed.size() || errno == ERANGE) {
    return Error{"not_a_number", "expected a number, found '" + shorten(trimmed, 80) + "'"};
  }
  if (!std::isfinite(value)) {
    return Error{"not_a_number", "'" + trimmed + "' is not a finite number; thresholds cannot judge it"};
  }
  return value;
}

std::string prometheus_query_url(std::string_view base_url, std::string_view query) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/v1/query?query=" + http::encode_query_value(query);
}

Result<double> parse_prometheus_answer(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Error{"invalid_json", "the answer is not a JSON object: " + shorten(body)};
  }
  if (json.value("status", "") != "success") {
    return Error{"prometheus_error", "Prometheus reported " + json.value("errorType", std::string("an error")) + ": " +
                                         json.value("error", std::string("(no message)"))};
  }
  const auto data = json.find("data");
  if (data == json.end() || !data->is_object()) return Error{"invalid_json", "the answer has no 'data' object"};
  const std::string type = data->value("resultType", "");
  const auto result = data->find("result");
  if (result == data->end() || !result->is_array())
    return Error{"invalid_json", "the answer has no 'data.result' array"};
  const nlohmann::json* pair = nullptr;
  if (type == "vector") {
    if (result->empty()) return Error{"prometheus_empty", "the query returned no series"};
    const auto& first = result->front();
    if (!first.is_object() || !first.contains("value")) return Error{"invalid_json", "a vector sample has no 'value'"};
    pair = &first["value"];
  } else if (type == "scalar") {
    pair = &*result;
  } else {
    return Error{"prometheus_unsupported",
                 "resultType '" + type + "' is not a single number; use a vector or scalar query"};
  }
  if (!pair->is_array() || pair->size() != 2 || !(*pair)[1].is_string()) {
    return Error{"invalid_json", "a sample value must be [timestamp, \"number\"]"};
  }
  return parse_number((*pair)[1].get<std::string>());
}

Result<std::string> json_field_text(std::string_view body, std::string_view dotted_path) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return Error{"invalid_json", "the body is not JSON: " + shorten(body)};
  const nlohmann::json* node = &json;
  std::size_t start = 0;
  while (start <= dotted_path.size()) {
    auto dot = dotted_path.find('.', start);
    auto key =
        std::string(dotted_path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!node->is_object() || !node->contains(key)) {
      return Error{"missing_field", "the JSON body has no field '" + std::string(dotted_path) + "'"};
    }
    node = &(*node)[key];
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  return node->dump();
}

}  // namespace deploy::checks
