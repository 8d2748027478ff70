#include "jwt.hpp"

#include <algorithm>

#include "crypto.hpp"
#include "encoding.hpp"
#include "sim_time.hpp"

namespace deploy::sim {

namespace {
constexpr long long kMaxLifetimeSeconds = 600;
constexpr long long kClockSkewSeconds = 60;
const std::string kUndecodable = "A JSON web token could not be decoded";

std::optional<long long> integer_claim(const nlohmann::json& claims, const char* name) {
  if (!claims.contains(name)) return std::nullopt;
  const auto& value = claims[name];
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::stoll(text);
    }
  }
  return std::nullopt;
}
}  // namespace

bool looks_like_jwt(std::string_view credential) {
  return credential.starts_with("eyJ") && std::count(credential.begin(), credential.end(), '.') == 2;
}

std::optional<std::string> verify_app_jwt(std::string_view token, const nlohmann::json& app, TimePoint now) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return kUndecodable;
  auto header_text = base64url_decode(token.substr(0, first));
  auto claims_text = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header_text || !claims_text || !signature) return kUndecodable;
  nlohmann::json header = nlohmann::json::parse(*header_text, nullptr, false);
  nlohmann::json claims = nlohmann::json::parse(*claims_text, nullptr, false);
  if (!header.is_object() || !claims.is_object() || header.value("alg", "") != "RS256") return kUndecodable;
  if (!app.is_object()) return std::string("Integration not found");
  try {
    if (!rs256_verify(app["public_key_pem"].get<std::string>(), token.substr(0, second), *signature))
      return kUndecodable;
  } catch (const std::runtime_error&) {
    return kUndecodable;
  }
  auto iss = integer_claim(claims, "iss");
  if (!iss) {
    // GitHub also accepts the App's client id as the issuer.
    if (claims.contains("iss") && claims["iss"] == app.value("client_id", "")) {
      iss = app["id"].get<long long>();
    } else {
      return std::string("'Issuer' claim ('iss') must be an Integer");
    }
  }
  if (*iss != app["id"].get<long long>()) return std::string("Integration not found");
  auto iat = integer_claim(claims, "iat");
  auto exp = integer_claim(claims, "exp");
  long long now_s = epoch_seconds(now);
  if (!iat || *iat > now_s + kClockSkewSeconds) {
    return std::string(
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
  }
  if (!exp || *exp <= now_s) {
    return std::string(
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion "
        "expires");
  }
  if (*exp - *iat > kMaxLifetimeSeconds || *exp > now_s + kMaxLifetimeSeconds + kClockSkewSeconds) {
    return std::string("'Expiration time' claim ('exp') is too far in the future");
  }
  return std::nullopt;
}

}  // namespace deploy::sim
