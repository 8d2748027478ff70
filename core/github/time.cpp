#include "core/github/time.hpp"

#include "core/rfc3339/rfc3339.hpp"

namespace deploy::github {

// One implementation in core/rfc3339 (shared with the audit record's timestamps).
Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  return rfc3339::parse(text, rfc3339::Form::any);
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) { return rfc3339::format_seconds(t); }

}  // namespace deploy::github
