// Notifications of a deploy: a Slack incoming webhook and generic JSON webhooks, sent for the events
// each target asked for (deploy.yml `notifications:`). A failed notification is reported back as a
// Delivery for the caller to print as a warning; it never fails a deploy and never throws.
//
// Secrets: a webhook URL is a credential (Slack's carries its token in the path), so it is read
// from the environment variable the config names and never appears in an error; errors say "the
// URL in SLACK_WEBHOOK_URL". The caller should register the URLs with runner::Masker
// (urls_to_mask) before anything could print them.
//
// The payload builders are pure; send_all is the edge (it sends over an http::Transport).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/http_client.hpp"

namespace deploy::notify {

// What happened. All text is untrusted (versions, messages and logins come from outside).
struct Event {
  config::Event kind = config::Event::started;
  std::string environment;
  std::string version;
  std::string sha;
  std::string previous_version;
  std::string status;          // the run's status so far: "in_progress", "succeeded", "rolled_back", ...
  std::string message;         // the one-line outcome for people
  std::string run_url;         // may be empty
  std::string deployment_url;  // may be empty
  std::string actor;           // who triggered the run; may be empty
  std::string repository;      // "owner/name"; may be empty
};

// The generic webhook's schema identifier, sent as "schema".
inline constexpr std::string_view kWebhookSchema = "deploy-action.notification/v1";

// Slack incoming webhook body: {"text": fallback, "blocks": [section, context]}. Untrusted text is
// escaped for mrkdwn (& < >), so it cannot mention (<!channel>, <@U1>) or forge a link; links are
// built only from http(s) URLs. Invalid UTF-8 becomes U+FFFD; long messages are shortened.
nlohmann::json slack_payload(const Event& event);

// Generic webhook body, schema "deploy-action.notification/v1" (this comment is its reference; the
// docs should copy it). Every key is always present; a value that is not known is "":
//   {"schema", "event" ("started"|"succeeded"|"failed"|"rolled_back"), "environment", "version",
//    "sha", "previous_version", "status", "message", "repository", "actor", "run_url",
//    "deployment_url"}
// Strings are exactly the event's (invalid UTF-8 becomes U+FFFD). New keys may be added within v1;
// a key is never removed or changed in meaning without a new schema version.
nlohmann::json webhook_payload(const Event& event);

struct Delivery {
  std::string target;    // "slack" or "webhook[0]", "webhook[1]", ... (index in the config)
  std::string url_env;   // the variable that holds the URL
  bool ok = false;
  int attempts = 0;      // requests sent (0 when the URL was missing)
  std::string error;     // for people, when !ok; never contains the URL
};

// Looks up an environment variable; nullopt when unset. runner::Environment converts to it.
using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

// For each configured target (Slack first, then webhooks in order) that wants (kind, environment):
// reads its URL from the variable named by url_env (unset or blank: Delivery{ok = false} whose
// error names the variable and says to set the secret), POSTs the payload as
// `Content-Type: application/json`, and sends it once more on a 5xx answer or a connection error
// (resolve, connect, timeout, closed), without waiting. Any other answer than 2xx fails the
// delivery. A retry after a closed connection may deliver a message twice: for a notification
// that is better than losing it. Targets that do not want the event get no Delivery. Never throws
// (a broken transport is a failed Delivery).
//
// Timeouts belong to the transport: give it client_options() (10 s connect, 10 s read).
std::vector<Delivery> send_all(const config::Notifications& notifications, const Event& event,
                               http::Transport& transport, const Lookup& env);

// Options for the http::Client that sends notifications: 10 s to connect, 10 s for the answer.
http::ClientOptions client_options();

// The non-blank URLs of every configured target, to register with runner::Masker.
std::vector<std::string> urls_to_mask(const config::Notifications& notifications, const Lookup& env);

}  // namespace deploy::notify
