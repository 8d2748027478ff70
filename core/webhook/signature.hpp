// GitHub webhook signatures: `X-Hub-Signature-256: sha256=<64 hex>`, the HMAC-SHA256 of the raw
// request body keyed with the webhook secret. Checked in constant time before anything else of
// the delivery is read (docs/ARCHITECTURE.md, security rules).
#pragma once

#include <string>
#include <string_view>

#include "core/outcome.hpp"

namespace deploy::webhook {

inline constexpr std::string_view kSignatureHeader = "X-Hub-Signature-256";

enum class SignatureStatus {
  ok,            // the header matches the body and secret
  missing,       // no header value (empty)
  malformed,     // not "sha256=" followed by exactly 64 hex digits
  mismatch,      // well-formed but not the HMAC of this body with this secret
  empty_secret,  // no secret configured: nothing can be verified, every delivery is refused
};

// Why a delivery was refused, for logs and metrics: "signature_ok", "signature_missing",
// "signature_malformed", "signature_mismatch", "webhook_secret_empty".
std::string_view reason_code(SignatureStatus status);

// The status of `header_value` for `body`. The prefix must be exactly "sha256="; the hex digits
// may be lowercase (what GitHub sends) or uppercase. The decoded 32 bytes are compared with the
// computed HMAC using CRYPTO_memcmp, and the decoding itself does not stop at the first bad
// digit, so the time taken does not depend on how much of a guess was right.
// An empty secret is a configuration error the bot refuses at start; here it always fails.
SignatureStatus check_signature(std::string_view secret, std::string_view body, std::string_view header_value);

// Only the form of the header: ok (well-formed, not yet verified), missing or malformed. Cheap, so
// the server can refuse a delivery before reading its body.
SignatureStatus check_signature_form(std::string_view header_value);

// check_signature(...) == SignatureStatus::ok.
bool verify_signature(std::string_view secret, std::string_view body, std::string_view header_value);

// The decision with a stable reason code and a message for the log line (never echo it to the
// sender beyond the 401: it says nothing secret, but there is no need to help).
Outcome signature_outcome(SignatureStatus status);

// The header value GitHub would send: "sha256=" + lowercase hex HMAC-SHA256(secret, body).
// For the simulator and tests. Throws std::runtime_error if OpenSSL fails.
std::string sign(std::string_view secret, std::string_view body);

}  // namespace deploy::webhook
