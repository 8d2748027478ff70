#include "core/github/auth.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/github/encoding.hpp"
#include "core/github/error.hpp"
#include "core/github/time.hpp"
#include "tests/unit/github_test_keys.hpp"

using namespace std::chrono_literals;
using namespace deploy::github;
using deploy::ManualClock;
using deploy::github::test::test_rsa_key;
using deploy::github::test::verify_rs256;

namespace {

const auto kStart = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};

struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json payload;
  std::string signing_input;
  std::string signature;
};

DecodedJwt decode_jwt(const std::string& jwt) {
  auto first = jwt.find('.');
  auto second = jwt.find('.', first + 1);
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(jwt.find('.', second + 1) == std::string::npos);
  CHECK(jwt.find('=') == std::string::npos);  // base64url without padding
  auto header = base64url_decode(jwt.substr(0, first));
  auto payload = base64url_decode(jwt.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(jwt.substr(second + 1));
  REQUIRE(header);
  REQUIRE(payload);
  REQUIRE(signature);
  return {nlohmann::json::parse(*header), nlohmann::json::parse(*payload), jwt.substr(0, second), *signature};
}

// Records the App calls AppAuth makes; hands out numbered tokens valid for `lifetime`.
struct FakeAppApi final : AppApi {
  ManualClock& clock;
  std::chrono::minutes lifetime{60};
  std::vector<std::int64_t> exchanged;
  std::vector<std::string> jwts;
  int lookups = 0;
  // Installation ids whose exchange fails, with the status and GitHub message to fail with.
  std::map<std::int64_t, std::pair<int, std::string>> failing;
  // Added to every id find_repo_installation_id returns: a reinstalled App has new ids.
  std::int64_t generation = 0;

  explicit FakeAppApi(ManualClock& c) : clock(c) {}

  InstallationToken exchange_installation_token(std::int64_t id, const std::string& jwt) override {
    exchanged.push_back(id);
    jwts.push_back(jwt);
    if (auto it = failing.find(id); it != failing.end()) {
      ErrorDetails details;
      details.code = "github_failure";
      details.status = it->second.first;
      details.method = "POST";
      details.path = "/app/installations/" + std::to_string(id) + "/access_tokens";
      details.message = it->second.second;
      throw GitHubError(details);
    }
    return {"ghs_" + std::to_string(id) + "_" + std::to_string(exchanged.size()), clock.now() + lifetime};
  }
  std::int64_t find_repo_installation_id(const std::string& owner, const std::string&, const std::string&) override {
    ++lookups;
    return (owner == "org-a" ? 11 : 22) + generation;
  }
};

}  // namespace

TEST_CASE("AppKey reads PKCS#1 and PKCS#8 PEM, and the JWT verifies with the public key") {
  const auto& key = test_rsa_key();
  REQUIRE(key.pkcs1_pem.rfind("-----BEGIN RSA PRIVATE KEY-----", 0) == 0);
  REQUIRE(key.pkcs8_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);

  for (const auto* pem : {&key.pkcs1_pem, &key.pkcs8_pem}) {
    CAPTURE(pem->substr(0, 32));
    auto app_key = AppKey::from_pem(*pem);
    REQUIRE(app_key.ok());
    std::string jwt = build_app_jwt(app_key.value(), "12345", kStart);
    DecodedJwt d = decode_jwt(jwt);
    CHECK(d.header == nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}});
    CHECK(d.payload["iat"] == 1'700'000'000 - 60);
    CHECK(d.payload["exp"] == 1'700'000'000 + 540);
    CHECK(d.payload["iss"] == "12345");
    CHECK(d.payload["iss"].is_string());
    CHECK(d.payload.size() == 3);
    CHECK(d.signature.size() == 256);
    CHECK(verify_rs256(key.key.get(), d.signing_input, d.signature));
    CHECK_FALSE(verify_rs256(key.key.get(), d.signing_input + "x", d.signature));
  }
}

TEST_CASE("AppKey accepts a PEM pasted with literal \\n and CRLF line ends") {
  std::string pasted;
  for (char c : test_rsa_key().pkcs1_pem) {
    if (c == '\n')
      pasted += "\\n";
    else
      pasted += c;
  }
  CHECK(AppKey::from_pem(pasted).ok());
  std::string crlf;
  for (char c : test_rsa_key().pkcs8_pem) {
    if (c == '\n')
      crlf += "\r\n";
    else
      crlf += c;
  }
  CHECK(AppKey::from_pem(crlf).ok());
}

TEST_CASE("AppKey refuses what is not an RSA private key, with a clear error") {
  auto garbage = AppKey::from_pem("not a key");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().code == "invalid_private_key");
  CHECK(garbage.error().message.find("BEGIN RSA PRIVATE KEY") != std::string::npos);

  auto public_only = AppKey::from_pem(test_rsa_key().public_pem);
  REQUIRE_FALSE(public_only.ok());
  CHECK(public_only.error().code == "invalid_private_key");

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
  REQUIRE(ec);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), ec.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  auto ec_key = AppKey::from_pem(deploy::github::test::bio_text(bio.get()));
  REQUIRE_FALSE(ec_key.ok());
  CHECK(ec_key.error().code == "not_an_rsa_key");
}

TEST_CASE("JWT claims: issued a minute back, expiring 9 minutes ahead, never more than 10") {
  for (auto now : {kStart, kStart + 1234567s}) {
    JwtClaims c = app_jwt_claims("42", now);
    auto epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    CHECK(c.iat == epoch - 60);
    CHECK(c.exp == epoch + 540);
    CHECK(c.exp - epoch <= 600);
    CHECK(c.iss == "42");
  }
}

TEST_CASE("AppAuth refuses an App ID that is not numeric") {
  ManualClock clock(kStart);
  CHECK_THROWS_AS(AppAuth("my-app", AppKey::from_pem(test_rsa_key().pkcs8_pem).value(), clock), std::invalid_argument);
}

TEST_CASE("AppAuth caches installation tokens and refreshes them 5 minutes before expiry") {
  ManualClock clock(kStart);
  FakeAppApi api(clock);
  AppAuth auth("777", AppKey::from_pem(test_rsa_key().pkcs8_pem).value(), clock);

  CHECK(auth.installation_token(5, api) == "ghs_5_1");
  CHECK(auth.installation_token(5, api) == "ghs_5_1");
  REQUIRE(api.exchanged.size() == 1);
  CHECK(decode_jwt(api.jwts[0]).payload["iss"] == "777");

  clock.advance(55min);  // exactly 5 minutes left: refresh
  CHECK(auth.installation_token(5, api) == "ghs_5_2");
  clock.advance(54min + 59s);  // 5 min 1 s left: keep
  CHECK(auth.installation_token(5, api) == "ghs_5_2");
  CHECK(api.exchanged.size() == 2);

  // Tokens are per installation.
  CHECK(auth.installation_token(6, api) == "ghs_6_3");
  CHECK(auth.installation_token(5, api) == "ghs_5_2");
}

TEST_CASE("AppAuth::invalidate drops only the token that was refused") {
  ManualClock clock(kStart);
  FakeAppApi api(clock);
  AppAuth auth("777", AppKey::from_pem(test_rsa_key().pkcs1_pem).value(), clock);
  CHECK(auth.installation_token(5, api) == "ghs_5_1");
  auth.invalidate(5, "some-older-token");
  CHECK(auth.installation_token(5, api) == "ghs_5_1");
  auth.invalidate(5, "ghs_5_1");
  CHECK(auth.installation_token(5, api) == "ghs_5_2");
}

TEST_CASE("AppAuth caches the installation of a repository, case-insensitively") {
  ManualClock clock(kStart);
  FakeAppApi api(clock);
  AppAuth auth("777", AppKey::from_pem(test_rsa_key().pkcs1_pem).value(), clock);
  CHECK(auth.installation_for_repo("org-a", "svc", api) == 11);
  CHECK(auth.installation_for_repo("Org-A", "SVC", api) == 11);
  CHECK(auth.installation_for_repo("org-b", "svc", api) == 22);
  CHECK(api.lookups == 2);
}

TEST_CASE("AppAuth forgets a repository's installation once GitHub says the installation is gone") {
  struct Case {
    std::string name;
    int status;
    std::string message;
    bool forgotten;
  };
  const std::vector<Case> cases = {
      {"404 Not Found", 404, "Not Found", true},
      {"403 suspended installation", 403, "This installation has been suspended", true},
      {"401 naming the installation", 401, "Installation not found", true},
      {"401 bad JWT keeps the cache", 401, "A JSON web token could not be decoded", false},
      {"403 other keeps the cache", 403, "Resource not accessible by integration", false},
      {"500 keeps the cache", 500, "Server Error", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ManualClock clock(kStart);
    FakeAppApi api(clock);
    AppAuth auth("777", AppKey::from_pem(test_rsa_key().pkcs1_pem).value(), clock);
    REQUIRE(auth.installation_for_repo("org-a", "svc", api) == 11);
    REQUIRE(auth.installation_for_repo("org-a", "web", api) == 11);
    REQUIRE(auth.installation_for_repo("org-b", "svc", api) == 22);
    REQUIRE(api.lookups == 3);

    // The App is reinstalled: lookups now answer 11 + 100 and 22 + 100; 11 is dead.
    api.generation = 100;
    api.failing[11] = {c.status, c.message};
    try {
      auth.installation_token(11, api);
      FAIL("the exchange should have thrown");
    } catch (const GitHubError& e) {
      CHECK(e.status() == c.status);
    }

    std::int64_t expected_a = c.forgotten ? 111 : 11;
    CHECK(auth.installation_for_repo("org-a", "svc", api) == expected_a);
    CHECK(auth.installation_for_repo("org-a", "Web", api) == expected_a);
    CHECK(auth.installation_for_repo("org-b", "svc", api) == 22);  // another installation: kept
    CHECK(api.lookups == (c.forgotten ? 5 : 3));
    if (c.forgotten) CHECK(auth.installation_token(111, api) == "ghs_111_2");
  }
}

TEST_CASE("token_fresh") {
  InstallationToken t{"x", kStart + 10min};
  CHECK(token_fresh(t, kStart));
  CHECK(token_fresh(t, kStart + 4min + 59s));
  CHECK_FALSE(token_fresh(t, kStart + 5min));
  CHECK_FALSE(token_fresh(InstallationToken{"", kStart + 1h}, kStart));
}

// An AppApi whose exchange for installation 1 blocks until released, to show who waits for whom.
struct BlockingAppApi final : AppApi {
  std::mutex mutex;
  std::condition_variable changed;
  bool release_slow = false;
  int slow_started = 0;
  std::atomic<int> exchanges{0};

  InstallationToken exchange_installation_token(std::int64_t id, const std::string&) override {
    ++exchanges;
    if (id == 1) {
      std::unique_lock lock(mutex);
      ++slow_started;
      changed.notify_all();
      changed.wait(lock, [&] { return release_slow; });
    }
    return {"ghs_" + std::to_string(id), kStart + std::chrono::hours{1}};
  }
  std::int64_t find_repo_installation_id(const std::string&, const std::string&, const std::string&) override {
    return 1;
  }
};

TEST_CASE("AppAuth: a slow exchange for one installation does not hold up another, and is made once") {
  ManualClock clock(kStart);
  BlockingAppApi api;
  AppAuth auth("777", AppKey::from_pem(test_rsa_key().pkcs8_pem).value(), clock);

  std::string first, second;
  std::thread slow_a([&] { first = auth.installation_token(1, api); });
  {
    std::unique_lock lock(api.mutex);
    api.changed.wait(lock, [&] { return api.slow_started == 1; });
  }
  std::thread slow_b([&] { second = auth.installation_token(1, api); });  // waits for the same exchange
  // Installation 2 is served while installation 1's exchange is still in flight.
  CHECK(auth.installation_token(2, api) == "ghs_2");
  {
    std::lock_guard lock(api.mutex);
    api.release_slow = true;
  }
  api.changed.notify_all();
  slow_a.join();
  slow_b.join();
  CHECK(first == "ghs_1");
  CHECK(second == "ghs_1");
  CHECK(api.exchanges.load() == 2);  // one for 1 (shared by both callers), one for 2
}
