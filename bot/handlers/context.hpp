// What every handler gets: the delivery and its event, parsed once into a typed struct
// (bot/events.hpp), the narrow ports it reads and acts through (bot/handlers/ports.hpp: GitHubPorts
// over a client acting as the delivery's installation, or a test's fake), the repository's trusted
// config, and the exactly-once helpers (keyed effects, keyed comments, the audit trail).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/events.hpp"
#include "bot/github_metrics.hpp"
#include "bot/handlers/ports.hpp"
#include "core/audit/audit.hpp"
#include "core/clock.hpp"
#include "core/config/config.hpp"
#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/store/store.hpp"

namespace deploy::bot::handlers {

// Long-lived things shared by every delivery. Must outlive the handlers.
struct Services {
  store::Store& store;
  github::Client& github;        // the base client (token, or App without an installation)
  bool app_credentials = false;  // true: act as each delivery's installation
  Clock& clock;                  // the handlers wait with it too (GitHub's visibility delays)
  std::string own_login;         // the bot's login when known (token mode); its comments are ignored
  // Tests: the ports every Context hands its handler instead of the GitHub adapter.
  Ports* ports = nullptr;
  // The GitHub answers the client keeps for conditional requests (its ClientOptions::cache): the
  // Dispatcher drops what a webhook makes stale (bot/cache_invalidation.hpp). Null: none kept.
  github::ResponseCache* cache = nullptr;
  // Told after each routed delivery what it asked for (Context::command) and the GitHub requests
  // it made, whatever its outcome (metrics).
  std::function<void(std::string_view command, const RequestTally& requests)> on_handled{};
};

inline constexpr const char* kConfigPath = ".github/deploy.yml";

struct LoadedConfig {
  std::optional<config::Config> config;  // set when the file exists and is valid
  std::string problem;                   // otherwise: what is wrong, for people (file:line:col: key: ...)
  std::string blob_sha;
};

// How an effect may be repeated when an earlier try's outcome is unknown (a crash, or GitHub's
// answer was lost). A try GitHub answered with an error status did not happen and is always retried.
enum class Repeat {
  safe,         // GitHub de-duplicates it or we find it again (statuses, keyed comments, gate reviews)
  at_most_once  // it might have happened: look for it (a Lookup) and send again only when it surely
                // did not; without a way to tell, do not send it again: once() returns nullopt and
                // the caller says it is unknown
};

// What looking for an earlier try of an at_most_once effect found.
struct Lookup {
  enum class Outcome {
    found,        // it happened: `result` is what the effect would have returned
    not_found,    // it surely did not happen (looked after GitHub's visibility delay): send it again
    cannot_tell,  // no way to know: say it is unknown
  };
  Outcome outcome = Outcome::cannot_tell;
  std::string result;
};
using FindEarlier = std::function<Lookup()>;

// The result once() records for an at_most_once effect whose outcome is unknown, so that a later
// command asking about it is not told it happened.
inline constexpr const char* kOutcomeUnknown = R"({"outcome":"unknown"})";

class Context {
 public:
  Context(Services& services, const store::Delivery& delivery, events::Webhook webhook);

  Services& services;
  const store::Delivery& delivery;
  const events::Webhook webhook;
  github::Repo repo;
  std::string default_branch;  // from the payload's repository
  // What the delivery asked for, for the request metrics: the event's name unless the handler
  // names a command (GitHubRequestMetrics::kCommands).
  std::string command;
  // The GitHub requests made so far for this delivery (by the Context's client).
  RequestTally requests;

  // The delivery's event, as the handler registered for it reads it (std::bad_variant_access for
  // another event is a bug in the registry, not a payload problem).
  template <class Event>
  const Event& event() const {
    return std::get<Event>(webhook.event);
  }

  // Everything a handler reads from or does on GitHub, and the approvals it records.
  Ports& ports() { return ports_; }
  // For the exactly-once machinery, the config cache and the bot's own state rows.
  store::Store& store() { return services.store; }

  // .github/deploy.yml of the default branch: from the store's cache (by blob SHA, refreshed when
  // older than kConfigMaxAge or when `refresh`), else via the contents API. Never a PR branch.
  LoadedConfig config(bool refresh = false);

  // Runs `effect` unless `key` was done before; returns what it returned (or the recorded result).
  // When an earlier try's outcome is unknown, `find_earlier` (if given) looks for it first: found ->
  // recorded as done with its result; otherwise `effect` runs again, except that under
  // Repeat::at_most_once it runs again only on not_found. (A Repeat::safe effect whose repeat would
  // show, such as a second identical commit status, passes one too.) Under at_most_once it returns
  // nullopt, now and for every later call with `key`, when it cannot tell (or there is no
  // find_earlier): say so, never that it happened. A github::GitHubError with an HTTP status marks
  // the try failed (retried as new); so in an at_most_once effect the call that acts must be the
  // last GitHub call that can throw. An exception from find_earlier leaves the outcome unknown for
  // the delivery's next try.
  std::optional<std::string> once(const std::string& key, Repeat repeat, const std::function<std::string()>& effect,
                                  const FindEarlier& find_earlier = {});

  // A comment on issue/PR `number`, once per key (found again by its hidden key after a crash).
  std::int64_t comment(int number, const std::string& key, const std::string& body);
  // The thread's one sticky comment for `key`: posted the first time, edited in place after.
  std::int64_t sticky_comment(int number, const std::string& key, const std::string& body);
  // A comment on commit `sha`, once per key.
  std::int64_t commit_comment(const std::string& sha, const std::string& key, const std::string& body);

  // Appends to the store's hash-chained audit trail (kind, who, what, verdict); the delivery id and
  // repository are filled in. Once per key: a retried delivery does not record the decision twice.
  void audit(const std::string& key, audit::Record record);

  std::string key(const std::string& suffix) const { return repo.full_name() + ":" + suffix; }

 private:
  github::Client client_;  // as the delivery's installation; only the GitHub adapter uses it
  // Permissions and team memberships read during this delivery (by ports().people): each decision
  // in it (an /approve, the /status after it, a retry of the count) reads a person once. Never kept
  // across deliveries, so a revoked permission stops counting at the next one.
  github::PeopleCache people_;
  GitHubPorts github_ports_;
  Ports ports_;
};

inline constexpr std::chrono::minutes kConfigMaxAge{10};
// How long a keyed comment whose request got no answer is given to show up before the bot looks
// for it and, not finding it, posts it (GitHub may answer slower than the read timeout and still
// create it).
inline constexpr std::chrono::seconds kEffectVisibility{10};

}  // namespace deploy::bot::handlers
