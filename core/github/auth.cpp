#include "core/github/auth.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/github/encoding.hpp"
#include "core/github/error.hpp"

namespace deploy::github {
namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// Refuses to prompt for a pass phrase: an encrypted key is a configuration error, not a prompt.
int no_password(char*, int, int, void*) { return -1; }

// Secrets pasted into CI variables often arrive with "\n" written out or CRLF line ends.
std::string normalise_pem(std::string_view pem) {
  std::string out;
  out.reserve(pem.size());
  for (std::size_t i = 0; i < pem.size(); ++i) {
    if (pem[i] == '\\' && i + 1 < pem.size() && pem[i + 1] == 'n') {
      out.push_back('\n');
      ++i;
    } else if (pem[i] != '\r') {
      out.push_back(pem[i]);
    }
  }
  return out;
}

// The token exchange failed because the installation no longer exists (App uninstalled or
// reinstalled under a new id, or suspended): 404, or 401/403 whose message names the installation.
bool installation_gone(const GitHubError& e) {
  if (e.status() == 404) return true;
  if (e.status() != 401 && e.status() != 403) return false;
  std::string lower = e.details().message;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("installation") != std::string::npos;
}

}  // namespace

struct AppKey::Impl {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key;
};

AppKey::AppKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AppKey::AppKey(AppKey&&) noexcept = default;
AppKey& AppKey::operator=(AppKey&&) noexcept = default;
AppKey::~AppKey() = default;

Result<AppKey> AppKey::from_pem(std::string_view pem) {
  std::string text = normalise_pem(pem);
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw std::runtime_error("BIO_new_mem_buf failed: " + openssl_error());
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!key) {
    std::string detail = openssl_error();
    return Error{"invalid_private_key",
                 "the GitHub App private key could not be read (" + detail +
                     "); expected the unencrypted PEM downloaded from the App's settings, starting with "
                     "'-----BEGIN RSA PRIVATE KEY-----' or '-----BEGIN PRIVATE KEY-----'"};
  }
  if (!EVP_PKEY_is_a(key.get(), "RSA")) {
    return Error{"not_an_rsa_key", "the GitHub App private key is not an RSA key; GitHub Apps sign with RS256"};
  }
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return AppKey(std::move(impl));
}

std::string AppKey::sign_rs256(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::runtime_error("EVP_MD_CTX_new failed: " + openssl_error());
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1) {
    throw std::runtime_error("EVP_DigestSignInit failed: " + openssl_error());
  }
  auto bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, bytes, data.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign (size) failed: " + openssl_error());
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes, data.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign failed: " + openssl_error());
  }
  signature.resize(length);
  return signature;
}

JwtClaims app_jwt_claims(std::string_view app_id, std::chrono::system_clock::time_point now) {
  auto epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return JwtClaims{epoch - 60, epoch + 9 * 60, std::string(app_id)};
}

std::string build_app_jwt(const AppKey& key, std::string_view app_id, std::chrono::system_clock::time_point now) {
  JwtClaims claims = app_jwt_claims(app_id, now);
  // Key order is fixed by hand so the header is byte-for-byte what the docs show.
  std::string header = R"({"alg":"RS256","typ":"JWT"})";
  nlohmann::json payload = {{"iat", claims.iat}, {"exp", claims.exp}, {"iss", claims.iss}};
  std::string signing_input = base64url_encode(header) + "." + base64url_encode(payload.dump());
  return signing_input + "." + base64url_encode(key.sign_rs256(signing_input));
}

bool token_fresh(const InstallationToken& token, std::chrono::system_clock::time_point now) {
  return !token.token.empty() && token.expires_at - now > kTokenRefreshMargin;
}

AppAuth::AppAuth(std::string app_id, AppKey key, Clock& clock)
    : app_id_(std::move(app_id)), key_(std::move(key)), clock_(clock) {
  bool numeric =
      !app_id_.empty() && std::all_of(app_id_.begin(), app_id_.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!numeric) {
    throw std::invalid_argument("GitHub App ID must be the App's numeric ID (App settings > About), got '" + app_id_ +
                                "'");
  }
}

std::string AppAuth::jwt() const { return build_app_jwt(key_, app_id_, clock_.now()); }

std::string AppAuth::installation_token(std::int64_t installation_id, AppApi& api) {
  std::shared_ptr<std::mutex> refresh;
  {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(installation_id);
    if (it != tokens_.end() && token_fresh(it->second, clock_.now())) return it->second.token;
    auto& slot = refreshing_[installation_id];
    if (!slot) slot = std::make_shared<std::mutex>();
    refresh = slot;
  }
  // One exchange per installation at a time, outside the cache lock: callers for other
  // installations (and for cached tokens) never wait behind a slow GitHub.
  std::lock_guard one_at_a_time(*refresh);
  {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(installation_id);
    if (it != tokens_.end() && token_fresh(it->second, clock_.now())) return it->second.token;
  }
  InstallationToken fresh;
  try {
    fresh = api.exchange_installation_token(installation_id, jwt());
  } catch (const GitHubError& e) {
    // A repository's installation is cached for the life of this object; once the installation is
    // gone, forget every repository that pointed at it so the next call looks it up again instead
    // of failing forever with the dead id.
    if (installation_gone(e)) {
      std::lock_guard lock(mutex_);
      tokens_.erase(installation_id);
      std::erase_if(repo_installations_, [&](const auto& entry) { return entry.second == installation_id; });
    }
    throw;
  }
  std::lock_guard lock(mutex_);
  tokens_[installation_id] = fresh;
  return fresh.token;
}

void AppAuth::invalidate(std::int64_t installation_id, std::string_view token) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(installation_id);
  if (it != tokens_.end() && it->second.token == token) tokens_.erase(it);
}

std::int64_t AppAuth::installation_for_repo(const std::string& owner, const std::string& repo, AppApi& api) {
  // GitHub names are case-insensitive; one cache entry per repository whatever the spelling.
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  auto key = std::make_pair(lower(owner), lower(repo));
  {
    std::lock_guard lock(mutex_);
    auto it = repo_installations_.find(key);
    if (it != repo_installations_.end()) return it->second;
  }
  // Looked up outside the lock: two threads may both ask (a harmless GET), none waits on the other.
  std::int64_t id = api.find_repo_installation_id(owner, repo, jwt());
  std::lock_guard lock(mutex_);
  repo_installations_.insert_or_assign(std::move(key), id);
  return id;
}

}  // namespace deploy::github
