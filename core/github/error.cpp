#include "core/github/error.hpp"

#include <utility>

namespace deploy::github {

GitHubError::GitHubError(ErrorDetails details) : std::runtime_error(render(details)), details_(std::move(details)) {}

std::string GitHubError::render(const ErrorDetails& d) {
  std::string out = "GitHub API " + d.method + " " + d.path + " failed: ";
  if (d.status != 0) out += std::to_string(d.status) + " ";
  out += d.message.empty() ? "(no message)" : d.message;
  if (!d.errors.empty()) out += " (" + d.errors + ")";
  if (!d.request_id.empty()) out += "; request id " + d.request_id;
  if (!d.documentation_url.empty()) out += "; see " + d.documentation_url;
  if (d.attempts > 1) out += "; " + std::to_string(d.attempts) + " attempts";
  if (!d.hint.empty()) out += ". " + d.hint;
  return out;
}

}  // namespace deploy::github
