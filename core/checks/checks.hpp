// Analysis checks at the edge: runs ONE configured check once and returns what it measured as an
// analysis::Sample (core/analysis decides whether it passes). http and prometheus go through an
// http::Transport; command checks are child processes (core/process). Every failure becomes a
// sample with ok=false and a message that names the check and what went wrong; nothing throws.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <string_view>

#include "core/analysis/analysis.hpp"
#include "core/clock.hpp"
#include "core/config/config.hpp"
#include "core/http/client.hpp"
#include "core/result.hpp"

namespace deploy::checks {

struct Probes {
  http::Transport& transport;
  const Clock& clock;                              // measures http latency
  std::map<std::string, std::string> command_env;  // added to a command check's environment
  const std::atomic<bool>* cancel = nullptr;       // stops a running command check
};

// Runs the check once.
//  http: GET url; ok when the status is expect_status, the dotted json_field (if set) equals
//        `equals` as text, and the latency is within max_latency; value = latency in ms.
//  command: `/bin/sh -c run` with the check's timeout; ok on exit 0; with thresholds, the last
//        non-blank line of output must be a number (value).
//  prometheus: GET {url}/api/v1/query?query=...; the first value of a vector, or a scalar (value).
// check.timeout bounds every kind: a command is stopped (its process group), and an http or
// prometheus request is ended (http::Request::timeout: connect, send and the whole answer). A check
// that hits it fails with "timed out after <timeout>". The transport's own limits
// (http::ClientOptions) still apply and may end a request sooner.
// A probe that could not measure (no answer, a timeout, Prometheus failing, no number where one was
// expected) sets Sample::error: an error round, judged by consecutive_errors rather than
// failure_limit. A wrong answer (status, field, latency, exit code) is a failed measurement.
analysis::Sample run_check(const config::Check& check, Probes& probes);

// --- pieces, public for tests ---

// A decimal number as a check prints it ("0.5", "-3", "1e3", surrounding blanks ignored).
// NaN and infinities are refused: no threshold could judge them. Error code: "not_a_number".
Result<double> parse_number(std::string_view text);

// "{base}/api/v1/query?query={percent-encoded query}"; a trailing '/' of base is dropped.
std::string prometheus_query_url(std::string_view base_url, std::string_view query);

// The number in a Prometheus /api/v1/query answer: status "success", resultType "vector" (first
// sample's value) or "scalar". Error codes: "prometheus_error" (status error, with its message),
// "prometheus_empty" (no series), "prometheus_unsupported" (matrix, string), "invalid_json",
// "not_a_number".
Result<double> parse_prometheus_answer(std::string_view body);

// The value at a dotted path ("checks.db") in a JSON body as text: strings as they are, other
// values as JSON ("true", "3", "null"). Error codes: "invalid_json", "missing_field".
Result<std::string> json_field_text(std::string_view body, std::string_view dotted_path);

}  // namespace deploy::checks
