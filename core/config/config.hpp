// deploy.yml: the typed configuration the action and the bot act on, and the loader that turns
// YAML text into it, reporting every problem at once with its file, line, column and key.
// docs/CONFIGURATION.md is the user-facing reference for every key below.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config/duration.hpp"

namespace deploy::config {

// Who may approve or roll back: a person, a team, or everyone with at least a repository
// permission level. Written `@alice`, `@acme/release-managers`, `write`|`maintain`|`admin`.
struct Principal {
  enum class Kind { user, team, permission };
  Kind kind = Kind::permission;
  std::string name;  // login ("alice"), "org/team-slug", or "write" | "maintain" | "admin"

  std::string to_string() const;  // as written in deploy.yml: "@alice", "@org/team", "maintain"
  bool operator==(const Principal&) const = default;
};

// Which refs may deploy to an environment. Glob patterns (see config_glob.hpp).
struct Triggers {
  std::vector<std::string> branches;
  std::vector<std::string> tags;

  bool matches_branch(std::string_view branch) const;  // branch name without refs/heads/
  bool matches_tag(std::string_view tag) const;        // tag name without refs/tags/
};

// One of approvals.rules (and a freeze window's override): at least `count` distinct approvers
// whom `from` admits; one person counts once per rule.
struct ApprovalRule {
  std::string name;             // optional; shown in statuses, summaries and records
  std::vector<Principal> from;  // empty = anyone approvals.from admits
  int count = 1;                // 1..kMaxApprovals
};

struct Approvals {
  // Distinct approvers needed for the exact commit; 0 = no gate. With `rules` the loader sets it
  // to the largest rule count (the fewest people who could meet every rule), so > 0 still means
  // "this environment requires approvals".
  int required = 0;
  std::vector<Principal> from;      // who may approve at all; empty = anyone with write permission
  bool count_reviews = false;       // an approving PR review on the commit counts like /approve
  bool allow_author = false;        // the change's author and committers may approve it
  std::vector<ApprovalRule> rules;  // every one must hold; empty = `required` from anyone in `from`
};

// A span of time in which deploys to an environment are refused: recurring (a 5-field cron
// expression for each start, in an IANA time zone, and a duration) or fixed (RFC 3339 start and
// end). core/freeze decides whether a time is inside one.
struct FreezeWindow {
  std::string name;
  std::string cron;                             // recurring: "0 18 * * FRI"; empty for a fixed window
  Duration duration{0};                         // recurring: how long each window lasts
  std::string time_zone = "UTC";                // recurring: the zone the cron expression reads
  std::chrono::system_clock::time_point start;  // fixed: from (inclusive)
  std::chrono::system_clock::time_point end;    // fixed: until (exclusive)
  std::optional<ApprovalRule> override;         // this window's; else the environment's freeze.override
  bool recurring() const { return !cron.empty(); }
};

struct Freeze {
  std::vector<FreezeWindow> windows;
  // Deploying inside a window needs a reason and approvals meeting this rule (a window's own
  // `override` replaces it); none = windows cannot be overridden.
  std::optional<ApprovalRule> override;
};

struct ReviewedChanges {
  int required_reviews = 0;  // approving reviews each PR merged since the previous release needs
};

struct RollbackPolicy {
  enum class OutsideWindow { require_approval, deny };
  Duration window = std::chrono::hours{24};  // how long after a deploy a plain /rollback is allowed
  std::vector<Principal> allowed;            // who may /rollback; empty = anyone with write permission
  OutsideWindow outside_window = OutsideWindow::require_approval;
  bool automatic = true;  // roll back by itself when a stage or the analysis fails
};

struct TrafficStep {
  int traffic = 100;  // percent of traffic on the new version, 1..100
  Duration pause{0};  // analysis time at this step before the next one
  // `pause: until-promoted`: the run holds this step (analysis going on) until /promote, /abort or
  // Strategy::pause_timeout; `pause` is then 0.
  bool until_promoted = false;
};

struct Strategy {
  enum class Type { rolling, canary, blue_green };
  Type type = Type::rolling;
  // Always filled after loading: rolling and blue-green get the single step {100, 0ms}.
  std::vector<TrafficStep> steps{TrafficStep{}};
  // blue-green only: the command that moves all traffic to DEPLOY_COLOR (required), its timeout,
  // and where the idle colour answers before the switch (http checks run against it there).
  std::string switch_run;
  Duration switch_timeout = std::chrono::minutes{5};
  std::string preview_url;
  // How long a step with `pause: until-promoted` waits for /promote before the run rolls back.
  Duration pause_timeout = std::chrono::hours{1};
};

// Limits a measured number must respect. max_increase compares with the value measured before
// the deploy started (the baseline): 50 means "at most 50 % higher than the baseline".
struct Thresholds {
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> max_increase_percent;

  bool empty() const { return !min && !max && !max_increase_percent; }
};

struct HttpCheck {
  std::string url;
  int expect_status = 200;
  std::optional<std::string> json_field;  // dotted path into a JSON body, e.g. "checks.db"
  std::optional<std::string> equals;      // the field's required value, compared as text
  std::optional<Duration> max_latency;
};

struct PrometheusCheck {
  std::string url;
  std::string query;
  Thresholds thresholds;  // at least one set
};

// Exit status 0 passes; with thresholds, the last line of stdout must be a number within them.
struct CommandCheck {
  std::string run;
  Thresholds thresholds;
};

struct Check {
  std::string name;
  Duration timeout = std::chrono::seconds{10};
  std::variant<HttpCheck, PrometheusCheck, CommandCheck> probe;
};

// How an analysis run decides: core/analysis::judge, docs/CONFIGURATION.md "How analysis decides".
struct Analysis {
  Duration interval = std::chrono::seconds{30};
  int failure_limit = 1;                       // failed rounds in the whole run that fail it
  int consecutive_errors = 4;                  // rounds in a row that could not measure that fail it
  std::optional<int> inconclusive_limit;       // inconclusive rounds that fail it; none = no limit
  std::optional<Duration> after_full_traffic;  // the final window; none = (failure_limit + 1) rounds
  std::vector<Check> checks;

  // Rounds of checks in a window: one per interval, at least one.
  int rounds_in(Duration window) const;
  // How long the analysis watches full traffic before success is declared: the longer of the last
  // step's pause and after_full_traffic (default: failure_limit + 1 intervals).
  Duration final_window(const Strategy& strategy) const;
};

struct Environment {
  std::string name;
  Triggers on;
  std::string url;  // shown on the GitHub deployment; may be empty
  Approvals approvals;
  Freeze freeze;
  ReviewedChanges reviewed_changes;
  std::vector<std::string> required_checks;  // check runs / statuses that must have succeeded
  RollbackPolicy rollback;
  Strategy strategy;
  Analysis analysis;
  // `/deploy ENV` from a pull request may deploy its head commit here (never to `production`).
  bool allow_pull_requests = false;
};

struct Release {
  std::string tag_pattern = "v*";     // tags that are releases (and must be semver)
  std::vector<std::string> branches;  // a release commit must be on one; empty = default branch
  bool require_annotated = false;
  bool require_signed = false;
  bool allow_prereleases = false;  // v1.2.0-rc.1 and the like
};

struct Stage {
  std::string name;
  std::string run;
  Duration timeout = std::chrono::minutes{30};
  int retries = 0;
  std::vector<std::string> environments;  // empty = every environment
  bool traffic = false;                   // run once per traffic step, with DEPLOY_TRAFFIC set

  bool applies_to(std::string_view environment) const;
};

// How an environment returns to an earlier version (automatic rollbacks and mode rollback).
struct RollbackCommand {
  std::string run;  // gets DEPLOY_VERSION = the version to return to; empty = the deploy stage at 100%
  Duration timeout = std::chrono::minutes{30};
  std::vector<std::string> stages;  // stages to run first (e.g. backup, migrate); names of stages
};

enum class Event { started, succeeded, failed, rolled_back };
std::string_view to_string(Event event);

struct NotificationTarget {
  std::string url_env;                    // name of the environment variable holding the URL
  std::vector<Event> on;                  // filled with every event when not given
  std::vector<std::string> environments;  // empty = every environment

  bool wants(Event event, std::string_view environment) const;
};

struct Notifications {
  std::optional<NotificationTarget> slack;   // deploy.yml: slack.webhook_url_env
  std::vector<NotificationTarget> webhooks;  // deploy.yml: webhooks[].url_env
};

struct Bot {
  std::string workflow = "deploy.yml";  // file name in .github/workflows the bot dispatches
  std::string ref;                      // ref to dispatch on; empty = the default branch
  bool allow_fork_pull_requests = false;
};

// Who may /lock and /unlock environments; empty = whoever may approve the environment.
struct Locks {
  std::vector<Principal> allowed;
};

struct Audit {
  std::string signing_key_env;  // empty = records are hash-chained but not signed
  // A branch of the repository each deploy's record is also appended to, one commit per record
  // (action/audit_branch); empty = records are only files for upload-artifact.
  std::string branch;
};

struct Config {
  int version = 1;
  Release release;
  std::vector<Environment> environments;  // in file order
  std::vector<Stage> stages;              // in file order
  RollbackCommand rollback;
  Notifications notifications;
  Bot bot;
  Audit audit;
  Locks locks;

  const Environment* environment(std::string_view name) const;               // nullptr when unknown
  std::vector<const Stage*> stages_for(std::string_view environment) const;  // in run order
  // The stage that puts the new version in place: the environment's stage with traffic: true;
  // without one, its stage named "deploy"; without one, its last stage. nullptr when no stage runs.
  const Stage* deploy_stage(std::string_view environment) const;
  const Stage* stage(std::string_view name) const;  // nullptr when unknown
};

struct ConfigError {
  std::string file;
  int line = 1;            // 1-based
  int column = 1;          // 1-based
  std::string key;         // "environments.production.approvals.required", "stages[2].run"
  std::string message;     // what was expected and what was found
  std::string suggestion;  // nearest valid name for a typo, or empty

  // FILE:LINE:COL: error: KEY: MESSAGE (did you mean 'SUGGESTION'?)
  std::string format() const;
};

struct LoadResult {
  std::optional<Config> config;     // set exactly when errors is empty
  std::vector<ConfigError> errors;  // every problem found, ordered by position in the file

  bool ok() const { return config.has_value(); }
  std::string format() const;  // one formatted error per line
};

// The largest deploy.yml load_config reads (larger ones are refused before parsing).
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Parses and validates deploy.yml text. file_name is only used in the errors. No I/O.
LoadResult load_config(std::string_view yaml_text, std::string file_name);

}  // namespace deploy::config
