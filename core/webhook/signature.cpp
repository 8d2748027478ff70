#include "core/webhook/signature.hpp"

#include <stdexcept>

#include "core/crypto/crypto.hpp"

namespace deploy::webhook {

namespace {

constexpr std::string_view kPrefix = "sha256=";
constexpr std::size_t kDigestBytes = crypto::kSha256Bytes;

using Digest = crypto::Sha256;

// The value of one hex digit, or 0x100 (an error bit above any nibble) for anything else.
// Arithmetic rather than a branch per character class, so decoding takes the same path for
// every digit value.
unsigned hex_value(unsigned char c) {
  const unsigned digit = static_cast<unsigned>(c) - '0';
  const unsigned lower = static_cast<unsigned>(c | 0x20) - 'a';
  const unsigned is_digit = (digit < 10) ? 1u : 0u;
  const unsigned is_letter = (lower < 6) ? 1u : 0u;
  return (is_digit * digit) | (is_letter * (lower + 10)) | ((1u - (is_digit | is_letter)) << 8);
}

}  // namespace

std::string_view reason_code(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::ok:
      return "signature_ok";
    case SignatureStatus::missing:
      return "signature_missing";
    case SignatureStatus::malformed:
      return "signature_malformed";
    case SignatureStatus::mismatch:
      return "signature_mismatch";
    case SignatureStatus::empty_secret:
      return "webhook_secret_empty";
  }
  throw std::logic_error("reason_code: unknown SignatureStatus");
}

SignatureStatus check_signature(std::string_view secret, std::string_view body, std::string_view header_value) {
  if (secret.empty()) return SignatureStatus::empty_secret;
  if (header_value.empty()) return SignatureStatus::missing;
  if (header_value.size() != kPrefix.size() + 2 * kDigestBytes || header_value.substr(0, kPrefix.size()) != kPrefix) {
    return SignatureStatus::malformed;
  }

  const std::string_view hex = header_value.substr(kPrefix.size());
  Digest claimed{};
  unsigned errors = 0;
  for (std::size_t i = 0; i < kDigestBytes; ++i) {
    const unsigned high = hex_value(static_cast<unsigned char>(hex[2 * i]));
    const unsigned low = hex_value(static_cast<unsigned char>(hex[2 * i + 1]));
    errors |= high | low;
    claimed[i] = static_cast<unsigned char>(((high & 0xF) << 4) | (low & 0xF));
  }
  if ((errors & 0x100) != 0) return SignatureStatus::malformed;

  const Digest expected = crypto::hmac_sha256(secret, body);
  return crypto::constant_time_equal(expected, claimed) ? SignatureStatus::ok : SignatureStatus::mismatch;
}

SignatureStatus check_signature_form(std::string_view header_value) {
  if (header_value.empty()) return SignatureStatus::missing;
  if (header_value.size() != kPrefix.size() + 2 * kDigestBytes || header_value.substr(0, kPrefix.size()) != kPrefix) {
    return SignatureStatus::malformed;
  }
  unsigned errors = 0;
  for (const char c : header_value.substr(kPrefix.size())) errors |= hex_value(static_cast<unsigned char>(c));
  return (errors & 0x100) != 0 ? SignatureStatus::malformed : SignatureStatus::ok;
}

bool verify_signature(std::string_view secret, std::string_view body, std::string_view header_value) {
  return check_signature(secret, body, header_value) == SignatureStatus::ok;
}

Outcome signature_outcome(SignatureStatus status) {
  const std::string reason(reason_code(status));
  switch (status) {
    case SignatureStatus::ok:
      return Outcome::allow(reason, "webhook signature verified");
    case SignatureStatus::missing:
      return Outcome::deny(reason, "delivery has no X-Hub-Signature-256 header; is a secret set on the webhook?");
    case SignatureStatus::malformed:
      return Outcome::deny(reason, "X-Hub-Signature-256 is not 'sha256=' followed by 64 hex digits");
    case SignatureStatus::mismatch:
      return Outcome::deny(reason,
                           "X-Hub-Signature-256 does not match the body; the webhook secret differs from "
                           "the bot's, or the body was changed in transit");
    case SignatureStatus::empty_secret:
      return Outcome::deny(reason, "no webhook secret is configured, so no delivery can be verified");
  }
  throw std::logic_error("signature_outcome: unknown SignatureStatus");
}

std::string sign(std::string_view secret, std::string_view body) {
  return std::string(kPrefix) + crypto::hmac_sha256_hex(secret, body);
}

}  // namespace deploy::webhook
