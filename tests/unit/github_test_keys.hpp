// RSA keys generated in-process for the GitHub App tests, as PEM in both formats GitHub Apps
// hand out, and a signature check with the public half.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace deploy::github::test {

struct TestRsaKey {
  std::string pkcs1_pem;  // -----BEGIN RSA PRIVATE KEY-----
  std::string pkcs8_pem;  // -----BEGIN PRIVATE KEY-----
  std::string public_pem;
  std::shared_ptr<EVP_PKEY> key;
};

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// One key per test binary: RSA generation is slow under sanitizers.
inline const TestRsaKey& test_rsa_key() {
  static const TestRsaKey key = [] {
    TestRsaKey k;
    EVP_PKEY* raw = EVP_RSA_gen(2048);
    if (!raw) throw std::runtime_error("EVP_RSA_gen failed");
    k.key.reset(raw, EVP_PKEY_free);
    auto write = [&](auto fn) {
      std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
      if (fn(bio.get()) != 1) throw std::runtime_error("PEM write failed");
      return bio_text(bio.get());
    };
    k.pkcs8_pem =
        write([&](BIO* b) { return PEM_write_bio_PrivateKey(b, raw, nullptr, nullptr, 0, nullptr, nullptr); });
    k.pkcs1_pem = write(
        [&](BIO* b) { return PEM_write_bio_PrivateKey_traditional(b, raw, nullptr, nullptr, 0, nullptr, nullptr); });
    k.public_pem = write([&](BIO* b) { return PEM_write_bio_PUBKEY(b, raw); });
    return k;
  }();
  return key;
}

inline bool verify_rs256(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

}  // namespace deploy::github::test
