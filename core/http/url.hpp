// Absolute http(s) URLs as the HTTP client needs them, percent-encoding for building request
// paths and queries, and the pure host tests the client's policy rests on (loopback, NO_PROXY).
// No I/O here: nothing resolves a name or reads the environment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::http {

struct Url {
  std::string scheme;    // "http" or "https", lowercase
  std::string userinfo;  // "user:pass" as written (still percent-encoded); empty if absent
  std::string host;      // lowercase; an IPv6 literal without its brackets ("::1")
  std::uint16_t port = 0;
  std::string target;  // origin-form request target: path plus "?query", never empty

  bool is_ipv6_literal() const;
  bool has_default_port() const;  // 80 for http, 443 for https
  // "host", "host:8443", "[::1]:8080": the Host header value and the CONNECT authority
  // (`authority_with_port`, which always carries the port).
  std::string authority() const;
  std::string authority_with_port() const;
  // scheme://authority/path, without userinfo, query or fragment: safe to print in errors and
  // logs (a query may carry tokens).
  std::string redacted() const;
};

// Parses an absolute http:// or https:// URL. The fragment is dropped; the port defaults to 80 or
// 443; an empty path becomes "/". Refuses whitespace, control and non-ASCII bytes (percent-encode
// them), empty hosts, bad ports and malformed IPv6 literals.
// Error codes: "invalid_url", "unsupported_scheme".
Result<Url> parse_url(std::string_view text);

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), so the
// result is safe as one path segment ("/" becomes %2F) or as one query name or value (space
// becomes %20, "&", "=" and "+" are encoded).
std::string encode_path_segment(std::string_view text);
std::string encode_query_value(std::string_view text);

// Decodes %XX escapes (used for proxy credentials). Error code: "invalid_percent_encoding".
Result<std::string> percent_decode(std::string_view text);

// True for "localhost", 127.0.0.0/8 in dotted-quad form, "::1" in any IPv6 spelling (with or
// without brackets) and IPv4-mapped 127.x addresses. Case-insensitive; a trailing dot is allowed.
bool is_loopback_host(std::string_view host);

// Whether `host` bypasses the proxy under a NO_PROXY list: comma-separated entries, "*" matches
// everything, "example.com" and ".example.com" both match example.com and its subdomains, entries
// may carry a port which is ignored, IPv6 entries may be bracketed. CIDR ranges are not supported
// (they match only the identical text).
bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

}  // namespace deploy::http
