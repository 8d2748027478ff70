// The checks of a webhook request that need only its header: made before a byte of the body is
// read or any memory is set aside for it, so that a sender without the secret cannot make the bot
// hold bodies it will refuse anyway. Pure: no I/O, no state.
#pragma once

#include <boost/beast/http/message.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace deploy::bot {

// A refusal: the HTTP status, a stable reason code and a message for the sender.
struct Refusal {
  unsigned status;
  std::string_view code;
  std::string_view message;
};

// For POST /webhook, in this order (the first failing check answers):
//  411 length_required           no Content-Length (chunked or no length: GitHub always sends one)
//  413 body_too_large            Content-Length over max_body
//  415 unsupported_media_type    Content-Type is not application/json
//  401 signature_missing / signature_malformed   X-Hub-Signature-256 absent / not sha256=<64 hex>
//  400 event_header_missing / event_header_invalid   X-GitHub-Event absent / not [a-z0-9_]{1,64}
//  400 delivery_header_invalid   X-GitHub-Delivery absent, over 128 bytes, or not visible ASCII
// nullopt: read the body (its signature is verified once it is complete).
std::optional<Refusal> check_webhook_header(const boost::beast::http::request_header<>& header, std::uint64_t max_body);

}  // namespace deploy::bot
