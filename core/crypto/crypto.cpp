#include "core/crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace deploy::crypto {
namespace {

// OpenSSL wants non-null pointers even for empty input; this is what an empty input points at.
constexpr unsigned char kNothing = 0;

const unsigned char* bytes_of(std::string_view s) {
  return s.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::string to_hex(std::string_view bytes) { return to_hex(std::span(bytes_of(bytes), bytes.size())); }

std::string sha256_hex(std::string_view data) {
  Sha256 digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes_of(data), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != kSha256Bytes) {
    throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed");
  }
  return to_hex(digest);
}

Sha256 hmac_sha256(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::length_error("HMAC-SHA256: the key is longer than OpenSSL accepts (INT_MAX bytes)");
  }
  Sha256 mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), bytes_of(key), static_cast<int>(key.size()), bytes_of(data), data.size(), mac.data(), &size) ==
          nullptr ||
      size != kSha256Bytes) {
    throw std::runtime_error("OpenSSL HMAC(SHA-256) failed");
  }
  return mac;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) { return to_hex(hmac_sha256(key, data)); }

bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return constant_time_equal(std::span(bytes_of(a), a.size()), std::span(bytes_of(b), b.size()));
}

std::vector<unsigned char> random_bytes(std::size_t count) {
  std::vector<unsigned char> out(count);
  std::size_t done = 0;
  // RAND_bytes takes an int length: fill large requests in chunks.
  while (done < count) {
    const std::size_t chunk = std::min<std::size_t>(count - done, INT_MAX);
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) {
      throw std::runtime_error("OpenSSL RAND_bytes failed to produce " + std::to_string(count) + " random bytes");
    }
    done += chunk;
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  if (bytes.empty()) return out;
  // EVP_EncodeBlock takes an int length; callers encode secrets and small payloads.
  if (bytes.size() > static_cast<std::size_t>(INT_MAX / 2)) throw std::length_error("base64_encode: input too large");
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace deploy::crypto
