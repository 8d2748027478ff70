// GitHub App authentication: the RS256 JWT an App signs with its private key, and the cache of
// installation access tokens obtained with it. Static tokens (GITHUB_TOKEN, a PAT) need none of
// this; see Credentials in github_client.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace deploy::github {

// An App's RSA private key. Move-only owner of the OpenSSL key.
class AppKey {
 public:
  // Accepts PKCS#1 (BEGIN RSA PRIVATE KEY) and PKCS#8 (BEGIN PRIVATE KEY) PEM.
  // Error codes: "invalid_private_key" (not PEM / unreadable / encrypted), "not_an_rsa_key".
  static Result<AppKey> from_pem(std::string_view pem);

  // RSASSA-PKCS1-v1_5 with SHA-256 over `data`; the raw signature bytes.
  std::string sign_rs256(std::string_view data) const;

  AppKey(AppKey&&) noexcept;
  AppKey& operator=(AppKey&&) noexcept;
  ~AppKey();

 private:
  struct Impl;
  explicit AppKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct JwtClaims {
  std::int64_t iat = 0;  // epoch seconds
  std::int64_t exp = 0;
  std::string iss{};  // the App ID, as a string
};

// iat = now - 60 s (GitHub's advice against clock drift), exp = now + 9 min (GitHub refuses more
// than 10 minutes ahead).
JwtClaims app_jwt_claims(std::string_view app_id, std::chrono::system_clock::time_point now);

// header.payload.signature, each base64url without padding; header {"alg":"RS256","typ":"JWT"}.
std::string build_app_jwt(const AppKey& key, std::string_view app_id, std::chrono::system_clock::time_point now);

struct InstallationToken {
  std::string token{};
  std::chrono::system_clock::time_point expires_at{};
};

// A cached token is reused while more than this remains before it expires.
inline constexpr std::chrono::minutes kTokenRefreshMargin{5};
bool token_fresh(const InstallationToken& token, std::chrono::system_clock::time_point now);

// The App calls that need the JWT. github::Client implements them over its request loop (with its
// retries and errors); tests may fake them.
class AppApi {
 public:
  // POST /app/installations/{id}/access_tokens
  virtual InstallationToken exchange_installation_token(std::int64_t installation_id, const std::string& jwt) = 0;
  // GET /repos/{owner}/{repo}/installation -> id
  virtual std::int64_t find_repo_installation_id(const std::string& owner, const std::string& repo,
                                                 const std::string& jwt) = 0;

 protected:
  ~AppApi() = default;
};

// One per App, shared by every client acting as it (std::shared_ptr). Thread-safe: the caches are
// read and written under one short lock; a token exchange happens outside it, one at a time per
// installation, so concurrent callers for that installation wait for one exchange instead of each
// making their own, and callers for other installations do not wait at all.
class AppAuth {
 public:
  AppAuth(std::string app_id, AppKey key, Clock& clock);

  const std::string& app_id() const { return app_id_; }
  // A fresh JWT for the App-level endpoints (/app, /app/installations/..., /repos/.../installation).
  std::string jwt() const;

  // The installation's token from the cache, or a new one when none is cached or it has less
  // than kTokenRefreshMargin left. Exceptions of `api` propagate; when the exchange fails with a
  // GitHubError saying the installation is gone (404, or 401/403 naming the installation), the
  // repositories cached by installation_for_repo as belonging to it are forgotten first.
  std::string installation_token(std::int64_t installation_id, AppApi& api);
  // Drops the cached token after GitHub refused it (401), unless it was already replaced.
  void invalidate(std::int64_t installation_id, std::string_view token);

  // The installation that covers owner/repo (cached until a token exchange for it reports the
  // installation gone; see installation_token).
  std::int64_t installation_for_repo(const std::string& owner, const std::string& repo, AppApi& api);

 private:
  std::string app_id_;
  AppKey key_;
  Clock& clock_;
  std::mutex mutex_;
  std::map<std::int64_t, InstallationToken> tokens_;
  std::map<std::int64_t, std::shared_ptr<std::mutex>> refreshing_;  // per-installation exchange lock
  std::map<std::pair<std::string, std::string>, std::int64_t> repo_installations_;
};

}  // namespace deploy::github
