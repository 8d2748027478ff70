// Text encodings GitHub uses on the wire: base64 (file contents, node ids), base64url (JWT), hex.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deploy::sim {

std::string base64_encode(std::string_view data);
// GitHub's contents API wraps base64 at 60 characters per line, each line ending in "\n".
std::string base64_encode_wrapped(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);
std::string hex_encode(std::string_view bytes);

// GitHub's legacy global node id: base64("0" + len(type) + ":" + type + id), e.g. "MDQ6VXNlcjE=".
std::string node_id(std::string_view type, long long id);

}  // namespace deploy::sim
