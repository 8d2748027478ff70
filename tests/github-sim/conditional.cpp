#include "conditional.hpp"

#include <string_view>

#include "crypto.hpp"
#include "sim_time.hpp"

namespace deploy::sim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view opaque(std::string_view tag) {
  tag = trim(tag);
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

// RFC 9110 13.1.2: If-None-Match is "*" or a list of entity tags, compared weakly.
bool none_match_matches(std::string_view header, std::string_view etag) {
  if (trim(header) == "*") return true;
  while (!header.empty()) {
    const auto comma = header.find(',');
    if (opaque(header.substr(0, comma)) == opaque(etag)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

std::string last_modified_of(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) return {};
  const auto it = parsed.find("updated_at");
  if (it == parsed.end() || !it->is_string()) return {};
  const auto when = parse_iso8601(it->get<std::string>());
  return when ? http_date(*when) : std::string();
}

}  // namespace

bool is_conditional(const Request& request) {
  return !request.header("if-none-match").empty() || !request.header("if-modified-since").empty();
}

bool answer_conditionally(const Request& request, Response& response) {
  if (request.method != "GET" || response.status != 200 || response.body.empty()) return false;
  // The shape of GitHub's recorded answers: a quoted 32-hex-digit tag of the representation.
  const std::string etag = "\"" + sha1_hex(response.body).substr(0, 32) + "\"";
  const std::string last_modified = last_modified_of(response.body);
  response.set_header("etag", etag);
  if (!last_modified.empty()) response.set_header("last-modified", last_modified);
  response.set_header("cache-control", "private, max-age=60, s-maxage=60");
  response.set_header("vary", "Accept, Authorization, Cookie, X-GitHub-OTP");

  const std::string if_none_match = request.header("if-none-match");
  const std::string if_modified_since = request.header("if-modified-since");
  // RFC 9110 13.1.3: If-Modified-Since is ignored beside If-None-Match. The simulator compares it
  // with the Last-Modified it would send (a client sends back what it was given).
  const bool unchanged = !if_none_match.empty() ? none_match_matches(if_none_match, etag)
                                                : !if_modified_since.empty() && !last_modified.empty() &&
                                                      if_modified_since == last_modified;
  if (!unchanged) return false;
  response.status = 304;
  response.body.clear();
  HeaderList kept;
  for (auto& header : response.headers) {
    if (header.first != "content-type" && header.first != "content-length") kept.push_back(std::move(header));
  }
  response.headers = std::move(kept);
  return true;
}

}  // namespace deploy::sim
