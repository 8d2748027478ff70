#include "core/webhook/signature.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace webhook = deploy::webhook;
using webhook::SignatureStatus;

namespace {

// GitHub's documented example (docs: "Validating webhook deliveries").
const std::string kSecret = "It's a Secret to Everybody";
const std::string kBody = "Hello, World!";
const std::string kHeader = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

std::string upper_hex(std::string header) {
  for (std::size_t i = 7; i < header.size(); ++i) {
    if (header[i] >= 'a' && header[i] <= 'f') header[i] = static_cast<char>(header[i] - 'a' + 'A');
  }
  return header;
}

std::string flip_hex_digit(std::string header, std::size_t index) {
  char& c = header[index];
  c = c == '0' ? '1' : '0';
  return header;
}

}  // namespace

TEST_CASE("sign reproduces GitHub's documented vector") {
  CHECK(webhook::sign(kSecret, kBody) == kHeader);
  // HMAC of an empty body is defined and is what GitHub would send for one.
  CHECK(webhook::sign("secret", "") == "sha256=f9e66e179b6747ae54108f82f8ade8b3c25d76fd30afde6c395822c530196169");
}

TEST_CASE("verification outcomes") {
  struct Case {
    const char* name;
    std::string secret;
    std::string body;
    std::string header;
    SignatureStatus expected;
  };
  const std::vector<Case> cases = {
      {"documented vector", kSecret, kBody, kHeader, SignatureStatus::ok},
      {"uppercase hex", kSecret, kBody, upper_hex(kHeader), SignatureStatus::ok},
      {"wrong secret", "It's a Secret to Nobody", kBody, kHeader, SignatureStatus::mismatch},
      {"changed body", kSecret, "Hello, World?", kHeader, SignatureStatus::mismatch},
      {"first digit flipped", kSecret, kBody, flip_hex_digit(kHeader, 7), SignatureStatus::mismatch},
      {"last digit flipped", kSecret, kBody, flip_hex_digit(kHeader, kHeader.size() - 1), SignatureStatus::mismatch},
      {"missing", kSecret, kBody, "", SignatureStatus::missing},
      {"truncated", kSecret, kBody, kHeader.substr(0, kHeader.size() - 1), SignatureStatus::malformed},
      {"one digit too many", kSecret, kBody, kHeader + "0", SignatureStatus::malformed},
      {"prefix only", kSecret, kBody, "sha256=", SignatureStatus::malformed},
      {"sha1 prefix", kSecret, kBody, "sha1=" + kHeader.substr(7), SignatureStatus::malformed},
      {"sha1 prefix, sha1-length digest", kSecret, kBody, "sha1=01a51c8d2c7bd9e1c9bd3a5d53c47ac1b1f8c1a2",
       SignatureStatus::malformed},
      {"uppercase prefix", kSecret, kBody, "SHA256=" + kHeader.substr(7), SignatureStatus::malformed},
      {"no prefix", kSecret, kBody, kHeader.substr(7) + "1234567", SignatureStatus::malformed},
      {"non-hex digit", kSecret, kBody, kHeader.substr(0, 20) + "g" + kHeader.substr(21), SignatureStatus::malformed},
      {"space inside", kSecret, kBody, kHeader.substr(0, 20) + " " + kHeader.substr(21), SignatureStatus::malformed},
      {"leading space", kSecret, kBody, " " + kHeader.substr(0, kHeader.size() - 1), SignatureStatus::malformed},
      {"empty secret", "", kBody, kHeader, SignatureStatus::empty_secret},
      {"empty secret, header made with empty key", "", kBody, webhook::sign("", kBody), SignatureStatus::empty_secret},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(webhook::check_signature(c.secret, c.body, c.header) == c.expected);
    CHECK(webhook::verify_signature(c.secret, c.body, c.header) == (c.expected == SignatureStatus::ok));
  }
}

TEST_CASE("every hex digit position matters") {
  for (std::size_t i = 7; i < kHeader.size(); ++i) {
    CAPTURE(i);
    CHECK(webhook::check_signature(kSecret, kBody, flip_hex_digit(kHeader, i)) == SignatureStatus::mismatch);
  }
}

TEST_CASE("binary bodies are signed byte for byte") {
  const std::string body("{\"a\":1}\0\xff\r\n", 11);
  const std::string header = webhook::sign("s3cret", body);
  CHECK(webhook::verify_signature("s3cret", body, header));
  CHECK_FALSE(webhook::verify_signature("s3cret", body.substr(0, 10), header));
}

TEST_CASE("reason codes and outcomes") {
  struct Case {
    SignatureStatus status;
    const char* reason;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {SignatureStatus::ok, "signature_ok", true},
      {SignatureStatus::missing, "signature_missing", false},
      {SignatureStatus::malformed, "signature_malformed", false},
      {SignatureStatus::mismatch, "signature_mismatch", false},
      {SignatureStatus::empty_secret, "webhook_secret_empty", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.reason);
    CHECK(webhook::reason_code(c.status) == c.reason);
    const deploy::Outcome outcome = webhook::signature_outcome(c.status);
    CHECK(outcome.allowed == c.allowed);
    CHECK(outcome.reason == c.reason);
    CHECK_FALSE(outcome.message.empty());
  }
}
