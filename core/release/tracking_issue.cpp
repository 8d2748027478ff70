#include "core/release/tracking_issue.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace deploy::release {
namespace {

constexpr std::string_view kMarkerOpen = "<!-- deploy-action:release ";
constexpr std::string_view kLinkOpen = "<!-- deploy-action:tracking-issue=";
constexpr std::string_view kKeyOpen = "<!-- deploy-action:comment=";
constexpr std::string_view kClose = " -->";

bool is_hex_sha(std::string_view text) {
  return text.size() == 40 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Tag names as markers carry them: what git allows in a ref component, minus anything that could
// end the HTML comment or confuse the parser.
bool is_safe_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 200 || tag.front() == '-' || tag.front() == '.') return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+' || c == '/';
  });
}

bool is_safe_key(std::string_view key) {
  return !key.empty() && key.size() <= 200 && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
  });
}

// Each line of `text` that starts with `open` (after optional blanks) and ends with " -->": the
// text between.
std::vector<std::string_view> hidden_values(std::string_view text, std::string_view open) {
  std::vector<std::string_view> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.starts_with(open) && line.ends_with("-->") && line.size() >= open.size() + 3) {
      std::string_view value = line.substr(open.size(), line.size() - open.size() - 3);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      values.push_back(value);
    }
    start = end + 1;
  }
  return values;
}

}  // namespace

std::string marker_line(const Marker& marker) {
  return std::string(kMarkerOpen) + "tag=" + marker.tag + " sha=" + marker.sha + std::string(kClose);
}

std::optional<Marker> find_marker(std::string_view issue_body) {
  for (std::string_view value : hidden_values(issue_body, kMarkerOpen)) {
    // "tag=TAG sha=SHA"
    if (!value.starts_with("tag=")) continue;
    std::size_t space = value.find(' ');
    if (space == std::string_view::npos) continue;
    std::string_view tag = value.substr(4, space - 4);
    std::string_view rest = value.substr(space + 1);
    if (!rest.starts_with("sha=")) continue;
    std::string sha(rest.substr(4));
    std::transform(sha.begin(), sha.end(), sha.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!is_safe_tag(tag) || !is_hex_sha(sha)) continue;
    return Marker{std::string(tag), sha};
  }
  return std::nullopt;
}

std::string release_link_line(int issue_number) {
  return std::string(kLinkOpen) + std::to_string(issue_number) + std::string(kClose);
}

std::optional<int> find_release_link(std::string_view release_body) {
  for (std::string_view value : hidden_values(release_body, kLinkOpen)) {
    int number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error == std::errc{} && end == value.data() + value.size() && number > 0) return number;
  }
  return std::nullopt;
}

std::string with_release_link(std::string_view release_body, int issue_number) {
  const std::string link = release_link_line(issue_number);
  std::string out;
  bool replaced = false;
  std::size_t start = 0;
  while (start < release_body.size()) {
    std::size_t end = release_body.find('\n', start);
    std::size_t stop = end == std::string_view::npos ? release_body.size() : end;
    std::string_view line = release_body.substr(start, stop - start);
    if (!replaced && !hidden_values(line, kLinkOpen).empty()) {
      out += link;
      replaced = true;
    } else {
      out += line;
    }
    if (end != std::string_view::npos) out += '\n';
    start = stop + 1;
  }
  if (!replaced) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    if (!out.empty()) out += '\n';
    out += link;
    out += '\n';
  }
  return out;
}

std::string issue_title(std::string_view tag) { return "Release " + std::string(tag); }

std::string issue_body(const IssueText& text) {
  std::string body;
  body +=
      "This issue tracks the release of **" + text.marker.tag + "** (commit `" + text.marker.sha.substr(0, 12) + "`)";
  if (!text.environment.empty()) body += " to **" + text.environment + "**";
  body += ".\n\n";
  if (!text.previous_version.empty()) body += "Previous release: **" + text.previous_version + "**.\n\n";
  if (!text.needed.empty()) body += "**Waiting for:** " + text.needed + "\n\n";
  body +=
      "Comment on this issue:\n"
      "- `/approve` to approve this release (for this exact commit; `/approve cancel` withdraws it)\n"
      "- `/rollback [VERSION] [REASON]` to return the environment to an earlier release\n"
      "- `/status` for what is deployed where, and who still needs to approve\n\n";
  if (!text.changes.empty()) {
    body += "### Changes\n\n";
    for (const auto& change : text.changes) body += "- " + change + "\n";
    body += "\n";
  }
  body += marker_line(text.marker) + "\n";
  return body;
}

std::string comment_key_line(std::string_view key) {
  return std::string(kKeyOpen) + std::string(key) + std::string(kClose);
}

std::optional<std::string> find_comment_key(std::string_view comment_body) {
  for (std::string_view value : hidden_values(comment_body, kKeyOpen)) {
    if (is_safe_key(value)) return std::string(value);
  }
  return std::nullopt;
}

}  // namespace deploy::release
