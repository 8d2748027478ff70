#include "core/http/url.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace deploy::http {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_unreserved(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

// inet_pton only parses text; it does no I/O. Needs a NUL-terminated copy.
bool parse_ipv4(std::string_view text, std::array<unsigned char, 4>& out) {
  const std::string copy(text);
  return inet_pton(AF_INET, copy.c_str(), out.data()) == 1;
}

bool parse_ipv6(std::string_view text, std::array<unsigned char, 16>& out) {
  const std::string copy(text);
  return inet_pton(AF_INET6, copy.c_str(), out.data()) == 1;
}

bool is_ip_literal(std::string_view text) {
  std::array<unsigned char, 4> v4{};
  std::array<unsigned char, 16> v6{};
  return parse_ipv4(text, v4) || parse_ipv6(text, v6);
}

// The URL as it may appear in an error message: without the query (tokens), fragment and
// userinfo (passwords).
std::string safe_echo(std::string_view text) {
  text = text.substr(0, text.find_first_of("?#"));
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string(text);
  const std::string_view after_scheme = text.substr(scheme_end + 3);
  const auto at = after_scheme.substr(0, after_scheme.find('/')).rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, scheme_end + 3)) + std::string(after_scheme.substr(at + 1));
}

Error invalid(std::string_view text, const std::string& why) {
  return Error{"invalid_url", "invalid URL \"" + safe_echo(text) + "\": " + why};
}

// Hostnames as DNS and container networks spell them; anything else (percent-escapes, IDN in
// raw UTF-8, "!") is refused rather than guessed at.
bool is_valid_reg_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_')) return false;
  }
  return true;
}

std::string_view strip_trailing_dot(std::string_view host) {
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  return host;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 literal ("::1"): the host part only.
std::string_view no_proxy_entry_host(std::string_view entry) {
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    return close == std::string_view::npos ? entry : entry.substr(1, close - 1);
  }
  const auto first_colon = entry.find(':');
  if (first_colon == std::string_view::npos) return entry;
  if (entry.find(':', first_colon + 1) != std::string_view::npos) return entry;  // bare IPv6
  return entry.substr(0, first_colon);
}

}  // namespace

bool Url::is_ipv6_literal() const { return host.find(':') != std::string::npos; }

bool Url::has_default_port() const { return (scheme == "http" && port == 80) || (scheme == "https" && port == 443); }

std::string Url::authority() const {
  std::string out = is_ipv6_literal() ? "[" + host + "]" : host;
  if (!has_default_port()) out += ":" + std::to_string(port);
  return out;
}

std::string Url::authority_with_port() const {
  return (is_ipv6_literal() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Url::redacted() const { return scheme + "://" + authority() + target.substr(0, target.find('?')); }

Result<Url> parse_url(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F) {
      return invalid(text, "contains a space, control or non-ASCII character; percent-encode it");
    }
  }

  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return invalid(text, "expected an absolute URL like https://host/path");
  }
  Url url;
  url.scheme = to_lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return Error{"unsupported_scheme",
                 "unsupported URL scheme \"" + url.scheme + "\" in \"" + safe_echo(text) + "\"; use https://"};
  }

  std::string_view rest = text.substr(scheme_end + 3);
  const auto fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  const auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  // The last '@' ends the userinfo: passwords with an unencoded '@' are common in proxy settings.
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid(text, "unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::array<unsigned char, 16> address{};
    if (!parse_ipv6(host, address)) return invalid(text, "\"" + std::string(host) + "\" is not an IPv6 address");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid(text, "unexpected text after the [IPv6] host");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return invalid(text, "missing host");
    if (!is_valid_reg_name(host)) return invalid(text, "\"" + std::string(host) + "\" is not a valid host name");
  }
  url.host = to_lower(host);

  if (has_port) {
    if (port.empty() || port.size() > 5) return invalid(text, "port must be a number from 1 to 65535");
    unsigned value = 0;
    for (char c : port) {
      if (!is_digit(c)) return invalid(text, "port must be a number from 1 to 65535");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return invalid(text, "port must be a number from 1 to 65535");
    url.port = static_cast<std::uint16_t>(value);
  } else {
    url.port = url.scheme == "https" ? 443 : 80;
  }

  url.target = target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return url;
}

std::string encode_path_segment(std::string_view text) { return percent_encode(text); }
std::string encode_query_value(std::string_view text) { return percent_encode(text); }

Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Error{"invalid_percent_encoding", "\"%\" must be followed by two hex digits (write a literal % as %25)"};
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

bool is_loopback_host(std::string_view host) {
  host = strip_trailing_dot(strip_brackets(host));
  if (to_lower(host) == "localhost") return true;
  std::array<unsigned char, 4> v4{};
  if (parse_ipv4(host, v4)) return v4[0] == 127;
  std::array<unsigned char, 16> v6{};
  if (!parse_ipv6(host, v6)) return false;
  static constexpr std::array<unsigned char, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (v6 == kLoopback) return true;
  static constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  return std::memcmp(v6.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0 && v6[12] == 127;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host) {
  const std::string wanted = to_lower(strip_trailing_dot(strip_brackets(host)));
  if (wanted.empty()) return false;
  // Addresses match exactly: "0.1" must not cover 10.0.0.1 the way "example.com" covers a subdomain.
  const bool is_address = is_ip_literal(wanted);
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    const std::string_view raw = trim(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (raw == "*") return true;

    std::string_view entry = no_proxy_entry_host(raw);
    if (entry.starts_with("*."))
      entry.remove_prefix(2);
    else if (entry.starts_with("."))
      entry.remove_prefix(1);
    const std::string pattern = to_lower(strip_trailing_dot(entry));
    if (pattern.empty()) continue;
    if (wanted == pattern) return true;
    if (!is_address && wanted.size() > pattern.size() && wanted.ends_with(pattern) &&
        wanted[wanted.size() - pattern.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace deploy::http
