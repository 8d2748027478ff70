// Byte encodings the GitHub client needs: base64 (file contents), base64url (JWT), and the
// percent-encoding of multi-segment path values on top of core/url.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deploy::github {

std::string base64url_encode(std::string_view bytes);  // no padding, as JWT requires
// Accepts input with or without padding. nullopt when a character is outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);
// Standard alphabet; ignores whitespace (GitHub wraps contents at 60 columns). nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

// A value that may span segments (a file path, a ref such as "heads/feature/x"): each segment is
// encoded with http::encode_path_segment, the "/" between them kept. Single segments (owner,
// repo, tag) use http::encode_path_segment directly, which encodes "/" too.
std::string encode_path(std::string_view path);

}  // namespace deploy::github
