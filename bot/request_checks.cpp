#include "bot/request_checks.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include "core/webhook/signature.hpp"

namespace deploy::bot {
namespace http = boost::beast::http;
namespace {

std::string_view value(const http::request_header<>& header, std::string_view name) {
  const auto it = header.find(name);
  return it == header.end() ? std::string_view() : std::string_view(it->value());
}

// application/json, any case, optionally followed by parameters (charset=utf-8).
bool is_json(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return boost::beast::iequals(type, "application/json");
}

bool is_event_name(std::string_view event) {
  if (event.empty() || event.size() > 64) return false;
  for (const char c : event) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool is_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    if (c < 0x21 || c > 0x7e) return false;  // no blanks, controls, NUL or bytes beyond ASCII
  }
  return true;
}

}  // namespace

std::optional<Refusal> check_webhook_header(const http::request_header<>& header, std::uint64_t max_body) {
  const auto length = value(header, "Content-Length");
  // Beast has already refused a malformed or repeated Content-Length; chunked bodies have none.
  if (length.empty() || header.count(http::field::transfer_encoding) != 0) {
    return Refusal{411, "length_required", "send the body with a Content-Length header, not chunked"};
  }
  std::uint64_t n = 0;
  for (const char c : length) {
    if (c < '0' || c > '9' || n > max_body)
      return Refusal{413, "body_too_large", "webhook bodies are limited to 25 MiB (GitHub's cap)"};
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > max_body) return Refusal{413, "body_too_large", "webhook bodies are limited to 25 MiB (GitHub's cap)"};
  if (!is_json(value(header, "Content-Type"))) {
    return Refusal{415, "unsupported_media_type", "set the webhook's content type to application/json"};
  }
  switch (webhook::check_signature_form(value(header, webhook::kSignatureHeader))) {
    case webhook::SignatureStatus::missing:
      return Refusal{401, "signature_missing", "the X-Hub-Signature-256 header is missing"};
    case webhook::SignatureStatus::malformed:
      return Refusal{401, "signature_malformed", "the X-Hub-Signature-256 header is not sha256= and 64 hex digits"};
    default:
      break;
  }
  const auto event = value(header, "X-GitHub-Event");
  if (event.empty()) return Refusal{400, "event_header_missing", "the X-GitHub-Event header is missing"};
  if (!is_event_name(event)) {
    return Refusal{400, "event_header_invalid",
                   "the X-GitHub-Event header is not an event name ([a-z0-9_], 64 at most)"};
  }
  if (!is_delivery_id(value(header, "X-GitHub-Delivery"))) {
    return Refusal{400, "delivery_header_invalid",
                   "the X-GitHub-Delivery header is missing, longer than 128 bytes or not visible ASCII"};
  }
  return std::nullopt;
}

}  // namespace deploy::bot
