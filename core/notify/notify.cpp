#include "core/notify/notify.hpp"

#include <exception>
#include <utility>

#include "core/text/text.hpp"

namespace deploy::notify {

namespace {

// Slack's section text holds at most 3000 characters; keep the message well below it.
constexpr std::size_t kSlackMessageBytes = 1500;
constexpr std::size_t kSlackShortBytes = 100;
constexpr int kAttempts = 2;

// The text with every invalid UTF-8 sequence replaced by U+FFFD, cut at a character boundary at
// most max_bytes long (then "…"), so nlohmann::json can always serialize it.
std::string valid_utf8(std::string_view text, std::size_t max_bytes = std::string::npos) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const text::Utf8Char c = text::decode_utf8(text, pos);
    if (max_bytes != std::string::npos && pos + c.length > max_bytes) {
      out += "…";
      break;
    }
    if (c.valid)
      out.append(text.substr(pos, c.length));
    else
      out += "\xEF\xBF\xBD";
    pos += c.length;
  }
  return out;
}

// Slack mrkdwn: '&', '<' and '>' are control characters and must be entities; everything else is
// shown as written. Line breaks are kept only where `keep_newlines` (the message body).
std::string mrkdwn(std::string_view raw, std::size_t max_bytes, bool keep_newlines = false) {
  const std::string text = valid_utf8(raw, max_bytes);
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\r':
        break;
      case '\n':
        out += keep_newlines ? '\n' : ' ';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// A Slack link "<url|label>" when the URL is http(s); '|' and '>' in it would end the link, so
// they (and anything that is not printable ASCII) are percent-encoded. nullopt for other URLs.
std::optional<std::string> slack_link(std::string_view url, std::string_view label) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) return std::nullopt;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "<";
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c < 0x7f && ch != '|' && ch != '<' && ch != '>') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out + "|" + std::string(label) + ">";
}

std::string_view emoji(config::Event kind) {
  switch (kind) {
    case config::Event::started:
      return "🚀";
    case config::Event::succeeded:
      return "✅";
    case config::Event::failed:
      return "❌";
    case config::Event::rolled_back:
      return "↩️";
  }
  return "ℹ️";
}

// "Deploying *1.2.0* to *production*" and the like; arguments are already escaped.
std::string headline(config::Event kind, const std::string& version, const std::string& environment,
                     const std::string& previous) {
  const std::string v = version.empty() ? "a new version" : version;
  switch (kind) {
    case config::Event::started:
      return "Deploying " + v + " to " + environment;
    case config::Event::succeeded:
      return "Deployed " + v + " to " + environment;
    case config::Event::failed:
      return "Deploy of " + v + " to " + environment + " failed";
    case config::Event::rolled_back:
      return "Deploy of " + v + " to " + environment + " failed; rolled back" +
             (previous.empty() ? std::string() : " to " + previous);
  }
  return "Deploy of " + v + " to " + environment;
}

bool is_retryable(http::TransportError::Kind kind) {
  using Kind = http::TransportError::Kind;
  return kind == Kind::resolve || kind == Kind::connect || kind == Kind::timeout || kind == Kind::closed;
}

// What went wrong with the connection, without the transport's text (it names the URL's host and
// path, and the path of a Slack webhook URL is its secret).
std::string describe(http::TransportError::Kind kind) {
  using Kind = http::TransportError::Kind;
  switch (kind) {
    case Kind::resolve:
      return "its host name could not be resolved";
    case Kind::connect:
      return "the connection was refused or could not be made";
    case Kind::tls:
      return "the TLS handshake failed (is the certificate valid?)";
    case Kind::timeout:
      return "it did not answer in time";
    case Kind::closed:
      return "it closed the connection without answering";
    case Kind::protocol:
      return "its answer was not valid HTTP";
    case Kind::refused_by_policy:
      return "the URL was refused before sending (it must be https://, or http:// to a loopback address)";
  }
  return "the request failed";
}

// A short, printable excerpt of the receiver's answer with anything that could be part of the
// URL (Slack echoes nothing of it, a generic receiver's 404 page might) replaced by "***".
std::string excerpt(std::string body, const std::string& url) {
  std::vector<std::string> secrets{url};
  if (auto scheme = url.find("://"); scheme != std::string::npos) {
    if (auto path = url.find('/', scheme + 3); path != std::string::npos) {
      secrets.push_back(url.substr(path));
      std::string piece;
      for (std::size_t i = path + 1; i <= url.size(); ++i) {
        if (i == url.size() || std::string_view("/?&=#").find(url[i]) != std::string_view::npos) {
          if (piece.size() >= 6) secrets.push_back(piece);
          piece.clear();
        } else {
          piece += url[i];
        }
      }
    }
  }
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = body.find(secret); at != std::string::npos; at = body.find(secret, at + 3)) {
      body.replace(at, secret.size(), "***");
    }
  }
  return text::shown(body, 200);
}

// The URL in the variable without surrounding whitespace; nullopt when unset or blank. Lookup
// failures propagate.
std::optional<std::string> read_url(const Lookup& env, const std::string& name) {
  std::optional<std::string> value = env(name);
  if (!value) return std::nullopt;
  const auto first = value->find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::nullopt;
  const auto last = value->find_last_not_of(" \t\r\n");
  return value->substr(first, last - first + 1);
}

Message make_message(std::string target, const config::NotificationTarget& config_target, config::Event event,
                     const nlohmann::json& payload) {
  return Message{std::move(target), config_target.url_env, event,
                 payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace

nlohmann::json webhook_payload(const Event& event) {
  return {
      {"schema", std::string(kWebhookSchema)},
      {"event", std::string(config::to_string(event.kind))},
      {"environment", valid_utf8(event.environment)},
      {"version", valid_utf8(event.version)},
      {"sha", valid_utf8(event.sha)},
      {"previous_version", valid_utf8(event.previous_version)},
      {"status", valid_utf8(event.status)},
      {"message", valid_utf8(event.message)},
      {"repository", valid_utf8(event.repository)},
      {"actor", valid_utf8(event.actor)},
      {"run_url", valid_utf8(event.run_url)},
      {"deployment_url", valid_utf8(event.deployment_url)},
  };
}

nlohmann::json slack_payload(const Event& event) {
  const std::string version = mrkdwn(event.version, kSlackShortBytes);
  const std::string environment =
      mrkdwn(event.environment.empty() ? "(unknown environment)" : event.environment, kSlackShortBytes);
  const std::string previous = mrkdwn(event.previous_version, kSlackShortBytes);
  const std::string repository = mrkdwn(event.repository, kSlackShortBytes);
  const std::string message = mrkdwn(event.message, kSlackMessageBytes, true);

  std::string fallback = std::string(emoji(event.kind)) + " " + headline(event.kind, version, environment, previous);
  if (!repository.empty()) fallback += " (" + repository + ")";
  if (!event.message.empty()) fallback += ": " + mrkdwn(event.message, kSlackMessageBytes);

  // No *bold* or `code` around text that contains untrusted parts: a '*' or '`' in them would end
  // the formatting early, and mrkdwn has no escape for either.
  std::string body = std::string(emoji(event.kind)) + " " + headline(event.kind, version, environment, previous);
  if (!message.empty()) body += "\n" + message;

  std::vector<std::string> context;
  if (!repository.empty()) context.push_back(repository);
  if (!event.sha.empty()) context.push_back("commit " + mrkdwn(event.sha.substr(0, 7), kSlackShortBytes));
  if (!event.previous_version.empty() && event.kind != config::Event::rolled_back) {
    context.push_back("previous " + previous);
  }
  if (!event.actor.empty()) context.push_back("by " + mrkdwn(event.actor, kSlackShortBytes));
  if (auto l = slack_link(event.run_url, "workflow run")) context.push_back(*l);
  if (auto l = slack_link(event.deployment_url, "deployment")) context.push_back(*l);

  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", body}}}});
  if (!context.empty()) {
    std::string line;
    for (const auto& part : context) line += (line.empty() ? "" : " · ") + part;
    blocks.push_back(
        {{"type", "context"}, {"elements", nlohmann::json::array({{{"type", "mrkdwn"}, {"text", line}}})}});
  }
  return {{"text", fallback}, {"blocks", blocks}};
}

std::vector<Message> messages_for(const config::Notifications& notifications, const Event& event) {
  std::vector<Message> messages;
  if (notifications.slack && notifications.slack->wants(event.kind, event.environment)) {
    messages.push_back(make_message("slack", *notifications.slack, event.kind, slack_payload(event)));
  }
  for (std::size_t i = 0; i < notifications.webhooks.size(); ++i) {
    const auto& target = notifications.webhooks[i];
    if (!target.wants(event.kind, event.environment)) continue;
    messages.push_back(make_message("webhook[" + std::to_string(i) + "]", target, event.kind, webhook_payload(event)));
  }
  return messages;
}

Result<std::string> target_url(const Message& message, const Lookup& env) {
  std::optional<std::string> url;
  try {
    url = read_url(env, message.url_env);
  } catch (const std::exception& e) {
    return Error{"url_unreadable", message.target + ": could not read " + message.url_env + ": " + e.what()};
  }
  if (!url) {
    return Error{"url_unset", message.target + ": " + message.url_env +
                                  " is not set: store the webhook URL as a repository secret and pass it to the "
                                  "deploy step, e.g. `env: " +
                                  message.url_env + ": ${{ secrets." + message.url_env + " }}`"};
  }
  if (!url->starts_with("https://") && !url->starts_with("http://")) {
    return Error{"url_invalid",
                 message.target + ": the URL in " + message.url_env + " is not an https:// URL: check the secret"};
  }
  return *url;
}

Delivery deliver(const Message& message, const std::string& url, http::Transport& transport,
                 const AttemptTimeout& attempt_timeout) {
  Delivery delivery;
  delivery.target = message.target;
  delivery.url_env = message.url_env;
  const std::string where = "the URL in " + message.url_env;

  http::Request request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json, text/plain, */*"}};
  request.body = message.body;

  std::string last_error;
  bool out_of_time = false;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    request.timeout = attempt_timeout ? attempt_timeout() : std::nullopt;
    if (request.timeout && request.timeout->count() <= 0) {
      out_of_time = true;
      break;
    }
    delivery.attempts = attempt;
    bool retry = false;
    try {
      const http::Response response = transport.send(request);
      if (response.status >= 200 && response.status < 300) {
        delivery.ok = true;
        return delivery;
      }
      last_error = where + " answered HTTP " + std::to_string(response.status);
      if (!response.body.empty()) last_error += ": " + excerpt(response.body, url);
      retry = response.status >= 500;
    } catch (const http::TransportError& e) {
      last_error = "sending to " + where + " failed: " + describe(e.kind());
      retry = is_retryable(e.kind());
    } catch (const std::exception& e) {
      // Not a transport failure we know; its text might name the URL, so it is not shown.
      last_error = "sending to " + where + " failed unexpectedly";
    }
    if (!retry) break;
  }
  if (delivery.attempts == 0) {
    delivery.error = delivery.target + ": not sent: no time was left for notifications";
    return delivery;
  }
  delivery.error = delivery.target + ": " + last_error +
                   (delivery.attempts > 1 ? " (after " + std::to_string(delivery.attempts) + " attempts)" : "") +
                   (out_of_time ? " (no time was left to retry)" : "");
  return delivery;
}

std::vector<Delivery> send_all(const config::Notifications& notifications, const Event& event,
                               http::Transport& transport, const Lookup& env) {
  std::vector<Delivery> deliveries;
  for (const auto& message : messages_for(notifications, event)) {
    auto url = target_url(message, env);
    if (url) {
      deliveries.push_back(deliver(message, *url, transport));
    } else {
      deliveries.push_back(Delivery{message.target, message.url_env, false, 0, url.error().message});
    }
  }
  return deliveries;
}

http::ClientOptions client_options() {
  http::ClientOptions options;
  options.connect_timeout = std::chrono::seconds{10};
  options.read_timeout = std::chrono::seconds{10};
  options.max_response_body = 1024 * 1024;
  return options;
}

std::vector<std::string> urls_to_mask(const config::Notifications& notifications, const Lookup& env) {
  std::vector<const config::NotificationTarget*> targets;
  if (notifications.slack) targets.push_back(&*notifications.slack);
  for (const auto& target : notifications.webhooks) targets.push_back(&target);
  std::vector<std::string> urls;
  for (const auto* target : targets) {
    try {
      if (auto url = read_url(env, target->url_env)) urls.push_back(*url);
    } catch (const std::exception&) {
      // send_all reports the same failure for this target.
    }
  }
  return urls;
}

}  // namespace deploy::notify
