#include "tests/support/test_tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace deploy::test {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Extension = std::unique_ptr<X509_EXTENSION, ExtensionFree>;

[[noreturn]] void fail(const std::string& what) {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    reason += reason.empty() ? "" : "; ";
    reason += buffer;
  }
  throw std::runtime_error("test_tls: " + what + (reason.empty() ? "" : ": " + reason));
}

void check(int ok, const std::string& what) {
  if (ok != 1) fail(what);
}

Pkey make_key() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("generating an EC P-256 key");
  return key;
}

// The subject (and, for issuer==nullptr, issuer) carries `common_name`; validity runs from an hour
// ago (tolerates small clock differences) for a week.
Cert make_cert(const std::string& common_name, EVP_PKEY* subject_key) {
  Cert cert(X509_new());
  if (!cert) fail("allocating a certificate");
  check(X509_set_version(cert.get(), X509_VERSION_3), "setting the version");
  std::uint64_t serial = 0;
  check(RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial), "drawing a serial number");
  serial >>= 1;  // keep it positive
  check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial), "setting the serial number");
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600) == nullptr) {
    fail("setting the validity period");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0),
        "setting the common name");
  check(X509_set_pubkey(cert.get(), subject_key), "setting the public key");
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Extension extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!extension) fail("building extension " + std::string(OBJ_nid2sn(nid)) + "=" + value);
  check(X509_add_ext(cert, extension.get(), -1), "adding extension " + std::string(OBJ_nid2sn(nid)));
}

void write_cert(const std::filesystem::path& path, X509* cert) {
  Bio bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) fail("opening " + path.string());
  check(PEM_write_bio_X509(bio.get(), cert), "writing " + path.string());
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  Bio bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) fail("opening " + path.string());
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "writing " + path.string());
}

}  // namespace

struct TestCa::Impl {
  std::filesystem::path dir;
  std::filesystem::path cert_file;
  Pkey key;
  Cert cert;
};

TestCa::TestCa(const std::filesystem::path& dir, const std::string& stem, const std::string& common_name)
    : impl_(std::make_unique<Impl>()) {
  std::filesystem::create_directories(dir);
  impl_->dir = dir;
  impl_->cert_file = dir / (stem + ".pem");
  impl_->key = make_key();
  impl_->cert = make_cert(common_name, impl_->key.get());
  X509* cert = impl_->cert.get();
  check(X509_set_issuer_name(cert, X509_get_subject_name(cert)), "setting the issuer");
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  if (X509_sign(cert, impl_->key.get(), EVP_sha256()) == 0) fail("signing the CA certificate");
  write_cert(impl_->cert_file, cert);
}

TestCa::~TestCa() = default;
TestCa::TestCa(TestCa&&) noexcept = default;
TestCa& TestCa::operator=(TestCa&&) noexcept = default;

const std::filesystem::path& TestCa::cert_file() const { return impl_->cert_file; }

CertFiles TestCa::issue(const std::string& stem, const std::vector<std::string>& dns_names,
                        const std::vector<std::string>& ip_addresses) const {
  if (dns_names.empty() && ip_addresses.empty())
    throw std::invalid_argument("test_tls: a leaf needs a name or an address");
  Pkey key = make_key();
  Cert cert = make_cert(dns_names.empty() ? ip_addresses.front() : dns_names.front(), key.get());
  X509* issuer = impl_->cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)), "setting the issuer");

  std::string alt_names;
  for (const auto& name : dns_names) alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + name;
  for (const auto& ip : ip_addresses) alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
  add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), issuer, NID_subject_alt_name, alt_names);
  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), impl_->key.get(), EVP_sha256()) == 0) fail("signing the certificate for " + stem);

  CertFiles files{impl_->dir / (stem + ".pem"), impl_->dir / (stem + "-key.pem")};
  write_cert(files.cert, cert.get());
  write_key(files.key, key.get());
  return files;
}

TestPki make_test_pki(const std::filesystem::path& dir) {
  TestCa trusted(dir, "trusted-ca", "deploy-action test CA");
  TestCa untrusted(dir, "untrusted-ca", "deploy-action untrusted test CA");
  const std::vector<std::string> loopback_names{"localhost"};
  const std::vector<std::string> loopback_ips{"127.0.0.1", "::1"};
  CertFiles localhost = trusted.issue("localhost", loopback_names, loopback_ips);
  CertFiles other_name = trusted.issue("other-name", {"other.test"}, {});
  CertFiles untrusted_localhost = untrusted.issue("untrusted-localhost", loopback_names, loopback_ips);
  return TestPki{std::move(trusted), std::move(untrusted), std::move(localhost), std::move(other_name),
                 std::move(untrusted_localhost)};
}

}  // namespace deploy::test
