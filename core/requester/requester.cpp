#include "core/requester/requester.hpp"

#include "core/text/text.hpp"

namespace deploy::requester {
namespace {

constexpr std::size_t kMaxLoginChars = 39;  // GitHub's limit for user and organisation logins
constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kShownBytes = 80;
constexpr std::string_view kBotSuffix = "[bot]";

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// "host", "host:8443", "127.0.0.1:4000": the only authority forms a request URL may have. No user
// info ("https://github.com@evil.example/" names evil.example), no IPv6 literals (GitHub's hosts
// have names).
bool is_authority(std::string_view authority) {
  const auto colon = authority.find(':');
  const std::string_view host = authority.substr(0, colon);
  if (host.empty()) return false;
  for (char c : host) {
    if (!is_alnum(c) && c != '-' && c != '.') return false;
  }
  if (colon == std::string_view::npos) return true;
  const std::string_view port = authority.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The authority of an http(s) URL ("api.github.com", "127.0.0.1:4000"), empty when there is none.
std::string_view authority_of(std::string_view url) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (!url.starts_with(scheme)) continue;
    const std::string_view rest = url.substr(scheme.size());
    return rest.substr(0, rest.find('/'));
  }
  return {};
}

Error invalid_url(std::string_view text, const std::string& why) {
  return Error{"invalid_url", "'" + text::shown(text, kShownBytes) + "' is not a request URL: " + why};
}

}  // namespace

Result<std::string> parse_login(std::string_view text) {
  if (text.empty()) return std::string();
  std::string_view login = text;
  if (login.starts_with('@')) login.remove_prefix(1);
  std::string_view name = login;
  if (name.size() > kBotSuffix.size() && name.ends_with(kBotSuffix)) name.remove_suffix(kBotSuffix.size());
  bool valid = !name.empty() && name.size() <= kMaxLoginChars && name.front() != '-';
  for (char c : name) valid = valid && (is_alnum(c) || c == '-');
  if (!valid) {
    return Error{"invalid_login", "'" + text::shown(text, kShownBytes) +
                                      "' is not a GitHub login: expected 1 to 39 letters, digits and hyphens, not "
                                      "starting with a hyphen, optionally ending in [bot]"};
  }
  return std::string(login);
}

Result<std::string> parse_request_url(std::string_view text, std::string_view api_url) {
  if (text.empty()) return std::string();
  if (text.size() > kMaxUrlBytes) return invalid_url(text, "longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || std::string_view("\"'<>`\\{}|^").find(ch) != std::string_view::npos) {
      return invalid_url(text,
                         "it holds a space, a control character, a non-ASCII byte or one of \" ' < > ` \\ { } | ^");
    }
  }
  const bool https = text.starts_with("https://");
  if (!https && !text.starts_with("http://")) return invalid_url(text, "it must start with https://");
  const std::string_view authority = authority_of(text);
  const std::string_view scheme_and_authority = text.substr(0, (https ? 8 : 7) + authority.size());
  if (scheme_and_authority.size() == text.size()) return invalid_url(text, "it has no path after the host");
  if (!is_authority(authority)) return invalid_url(text, "the host is not a plain name[:port]");
  // Plain http only on the host the run already trusts with its token (GITHUB_API_URL).
  if (!https && !(api_url.starts_with("http://") && text::iequals(authority, authority_of(api_url)))) {
    return invalid_url(text, "it must start with https:// (http:// only on the GitHub API's host, " +
                                 text::shown(authority_of(api_url), kShownBytes) + ")");
  }
  return std::string(text);
}

}  // namespace deploy::requester
