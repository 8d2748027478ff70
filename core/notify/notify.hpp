// Notifications of a deploy: a Slack incoming webhook and generic JSON webhooks, sent for the events
// each target asked for (deploy.yml `notifications:`). A failed notification is reported back as a
// Delivery for the caller to print as a warning; it never fails a deploy and never throws.
//
// Secrets: a webhook URL is a credential (Slack's carries its token in the path), so it is read
// from the environment variable the config names and never appears in an error; errors say "the
// URL in SLACK_WEBHOOK_URL". The caller should register the URLs with runner::Masker
// (urls_to_mask) before anything could print them.
//
// The payload builders and messages_for are pure; deliver and send_all are the edge (they send over
// an http::Transport). core/notify_queue sends in the background for a run that must not wait.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.hpp"
#include "core/http/client.hpp"
#include "core/result.hpp"

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
  std::string target;   // "slack" or "webhook[0]", "webhook[1]", ... (index in the config)
  std::string url_env;  // the variable that holds the URL
  bool ok = false;
  int attempts = 0;   // requests sent (0 when the URL was missing)
  std::string error;  // for people, when !ok; never contains the URL
};

// Looks up an environment variable; nullopt when unset. runner::Environment converts to it.
using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

// One event for one target, ready to send.
struct Message {
  std::string target;   // as Delivery::target
  std::string url_env;  // the variable that holds the URL
  config::Event event = config::Event::started;
  std::string body;  // the payload as sent (JSON)
};

// A Message for each configured target that wants (kind, environment): Slack first, then webhooks
// in config order, with slack_payload or webhook_payload. Targets that do not want it get none.
std::vector<Message> messages_for(const config::Notifications& notifications, const Event& event);

// The URL in the message's variable, without surrounding whitespace (a copy-paste accident in the
// secret). An unset or blank variable, one the lookup cannot read, or a value that is not an
// http(s) URL is an Error whose message is the failed Delivery's error: it names the target and
// the variable (and how to set the secret), never the value. Codes: "url_unset", "url_unreadable",
// "url_invalid".
Result<std::string> target_url(const Message& message, const Lookup& env);

// How long the next attempt may take, asked before each one (it becomes http::Request::timeout):
// nullopt = only the transport's own limits; zero or less = no time is left and the attempt is not
// made. Lets notify::Queue keep its budget.
using AttemptTimeout = std::function<std::optional<std::chrono::milliseconds>()>;

// POSTs the message to `url` as `Content-Type: application/json`, and sends it once more on a 5xx
// answer or a connection error (resolve, connect, timeout, closed), without waiting. Any other
// answer than 2xx fails the delivery. A retry after a closed connection may deliver a message
// twice: for a notification that is better than losing it. When attempt_timeout leaves no time,
// nothing more is sent: before the first attempt that is Delivery{attempts = 0} ("not sent"), before
// the retry the error ends "(no time was left to retry)". Never throws (a broken transport is a
// failed Delivery); errors never contain the URL.
Delivery deliver(const Message& message, const std::string& url, http::Transport& transport,
                 const AttemptTimeout& attempt_timeout = {});

// messages_for, then target_url and deliver for each, in order, now (the caller waits). A target
// whose URL is missing or invalid gets Delivery{ok = false, attempts = 0} and nothing is sent.
// Timeouts belong to the transport: give it client_options() (10 s connect, 10 s read).
std::vector<Delivery> send_all(const config::Notifications& notifications, const Event& event,
                               http::Transport& transport, const Lookup& env);

// Options for the http::Client that sends notifications: 10 s to connect, 10 s for the answer.
http::ClientOptions client_options();

// The non-blank URLs of every configured target, to register with runner::Masker.
std::vector<std::string> urls_to_mask(const config::Notifications& notifications, const Lookup& env);

}  // namespace deploy::notify
