// The few cryptographic primitives the simulator needs, on OpenSSL: digests for synthetic git
// object ids, HMAC for webhook signatures, RS256 verification for GitHub App JWTs, and randomness
// for tokens and delivery ids.
#pragma once

#include <string>
#include <string_view>

namespace deploy::sim {

std::string sha1_hex(std::string_view data);
// Git's blob id: sha1("blob <size>\0" + content).
std::string git_blob_sha(std::string_view content);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string hmac_sha1_hex(std::string_view key, std::string_view data);

// True when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `data` under the PEM
// public key. Throws std::runtime_error when the PEM itself cannot be read.
bool rs256_verify(std::string_view public_key_pem, std::string_view data, std::string_view signature);

std::string random_alphanumeric(std::size_t length);
std::string random_hex(std::size_t length);
std::string random_uuid();  // RFC 4122 version 4, lower case

}  // namespace deploy::sim
