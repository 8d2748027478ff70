#include "core/github/encoding.hpp"

#include <cstdint>

#include "core/http/url.hpp"

namespace deploy::github {
namespace {

constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int value_of(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

// Decodes symbols (padding already removed). nullopt on a foreign character or an impossible length.
std::optional<std::string> decode_symbols(std::string_view symbols, bool url) {
  if (symbols.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(symbols.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : symbols) {
    int v = value_of(c, url);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char ch : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kBase64Url[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return decode_symbols(text, true);
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string symbols;
  symbols.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    symbols.push_back(c);
  }
  std::size_t padding = 0;
  while (!symbols.empty() && symbols.back() == '=') {
    symbols.pop_back();
    ++padding;
  }
  if (padding > 2) return std::nullopt;
  if (padding > 0 && (symbols.size() + padding) % 4 != 0) return std::nullopt;
  return decode_symbols(symbols, false);
}

std::string encode_path(std::string_view path) {
  std::string out;
  while (true) {
    auto slash = path.find('/');
    out += http::encode_path_segment(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    out += '/';
    path.remove_prefix(slash + 1);
  }
}

}  // namespace deploy::github
