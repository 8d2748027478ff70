// Throwaway certificates for tests that speak TLS over loopback. Generated in-process with the
// OpenSSL 3 API (EC P-256 keys, SHA-256 signatures, valid from an hour ago for a week), written as
// PEM files into a directory the test owns. Nothing here is fit to protect anything real.
//
// Server side (Beast/Asio): ctx.use_certificate_chain_file(files.cert.string());
//                           ctx.use_private_key_file(files.key.string(), asio::ssl::context::pem);
// Client side: ClientOptions::ca_file = pki.trusted_ca.string() (or SSL_CERT_FILE).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace deploy::test {

struct CertFiles {
  std::filesystem::path cert;  // PEM certificate
  std::filesystem::path key;   // PEM private key (unencrypted PKCS#8)
};

// A certificate authority kept in memory so it can issue more leaves. Its own certificate is
// written to cert_file() when it is created.
class TestCa {
 public:
  // Writes <dir>/<stem>.pem. Throws std::runtime_error with OpenSSL's reason on failure.
  TestCa(const std::filesystem::path& dir, const std::string& stem, const std::string& common_name);
  ~TestCa();
  TestCa(TestCa&&) noexcept;
  TestCa& operator=(TestCa&&) noexcept;

  const std::filesystem::path& cert_file() const;

  // A server certificate (serverAuth) signed by this CA whose subjectAltName lists the DNS names
  // and IP addresses ("127.0.0.1", "::1"). Writes <dir>/<stem>.pem and <dir>/<stem>-key.pem.
  CertFiles issue(const std::string& stem, const std::vector<std::string>& dns_names,
                  const std::vector<std::string>& ip_addresses) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The usual set for a TLS test.
struct TestPki {
  TestCa trusted;                 // trust trusted.cert_file()
  TestCa untrusted;               // trust nothing from this one
  CertFiles localhost;            // localhost, 127.0.0.1, ::1 - signed by `trusted`
  CertFiles other_name;           // other.test only - signed by `trusted` (wrong name for localhost)
  CertFiles untrusted_localhost;  // localhost, 127.0.0.1, ::1 - signed by `untrusted`

  const std::filesystem::path& trusted_ca() const { return trusted.cert_file(); }
};

// Creates `dir` if needed and writes trusted-ca.pem, untrusted-ca.pem, localhost{,-key}.pem,
// other-name{,-key}.pem and untrusted-localhost{,-key}.pem into it.
TestPki make_test_pki(const std::filesystem::path& dir);

}  // namespace deploy::test
