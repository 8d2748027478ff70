// Hashes, MACs and random bytes over OpenSSL, in one place (the audit chain and webhook
// signatures both use them). Everything here is pure except random_bytes(), which reads the
// operating system's generator: call it at the edges and pass the bytes in.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deploy::crypto {

inline constexpr std::size_t kSha256Bytes = 32;
using Sha256 = std::array<unsigned char, kSha256Bytes>;

// Lowercase hex, two digits per byte.
std::string to_hex(std::span<const unsigned char> bytes);
std::string to_hex(std::string_view bytes);

// Lowercase hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// Standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(std::string_view bytes);

// HMAC-SHA256 of `data` keyed with `key`; an empty key or empty data is allowed.
Sha256 hmac_sha256(std::string_view key, std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Equal contents, compared in time independent of where the inputs differ (CRYPTO_memcmp); the
// length is not treated as secret, so different lengths return false at once.
bool constant_time_equal(std::string_view a, std::string_view b);
bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b);

// `count` bytes from OpenSSL's CSPRNG (RAND_bytes). Throws std::runtime_error if it fails.
std::vector<unsigned char> random_bytes(std::size_t count);

}  // namespace deploy::crypto
