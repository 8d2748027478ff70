#include "crypto.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "encoding.hpp"

namespace deploy::sim {

namespace {

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), length));
}

std::string hmac_hex(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out, &length) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), length));
}

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return bytes;
}

}  // namespace

std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), data); }

std::string git_blob_sha(std::string_view content) {
  std::string object = "blob " + std::to_string(content.size());
  object.push_back('\0');
  object.append(content);
  return sha1_hex(object);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) { return hmac_hex(EVP_sha256(), key, data); }
std::string hmac_sha1_hex(std::string_view key, std::string_view data) { return hmac_hex(EVP_sha1(), key, data); }

namespace {

using Key = std::shared_ptr<EVP_PKEY>;

// Each App's public key, parsed once instead of at every JWT: verifying with a parsed key is
// read-only, which OpenSSL allows from any number of server threads at once.
Key public_key(std::string_view pem) {
  static std::mutex mutex;
  static std::map<std::string, Key, std::less<>> keys;
  std::lock_guard lock(mutex);
  if (const auto found = keys.find(pem); found != keys.end()) return found->second;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) throw std::runtime_error("BIO_new_mem_buf failed");
  Key key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("the App's public key is not a PEM public key (BEGIN PUBLIC KEY)");
  keys.emplace(std::string(pem), key);
  return key;
}

}  // namespace

bool rs256_verify(std::string_view public_key_pem, std::string_view data, std::string_view signature) {
  const Key key = public_key(public_key_pem);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    throw std::runtime_error("EVP_DigestVerifyInit failed");
  }
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return ok == 1;
}

std::string random_alphanumeric(std::size_t length) {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string bytes = random_bytes(length);
  std::string out;
  for (unsigned char c : bytes) out.push_back(alphabet[c % alphabet.size()]);
  return out;
}

std::string random_hex(std::size_t length) { return hex_encode(random_bytes((length + 1) / 2)).substr(0, length); }

std::string random_uuid() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  std::string h = hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace deploy::sim
