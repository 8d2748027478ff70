// The deploy.yml schema: one parse function per section, then the rules that span sections.
// Each function reports what it finds wrong and carries on, so one run lists every problem.
#include "core/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <utility>

#include "core/config/glob.hpp"
#include "core/config/reader.hpp"
#include "core/freeze/cron.hpp"
#include "core/rfc3339/rfc3339.hpp"

namespace deploy::config {

using detail::child_path;
using detail::describe;
using detail::format_number;
using detail::Mapping;
using detail::Node;
using detail::Position;
using detail::Reader;
using detail::Text;

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Sanity limits. Generous enough for real use; beyond them the value is almost surely a mistake
// (and an approval count nobody can reach blocks every deploy).
constexpr int kMaxApprovals = 10;
constexpr int kMaxRetries = 10;
constexpr int kMaxFailureLimit = 100;
constexpr double kMaxIncreasePercent = 1000;
constexpr std::size_t kMaxNameLength = 255;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Letters, digits and the given punctuation only; non-empty and not too long.
bool is_name(std::string_view s, std::string_view punctuation) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return is_alnum(c) || punctuation.find(c) != std::string_view::npos; });
}

// GitHub logins: letters, digits and single hyphens, not at either end, at most 39 characters.
bool is_login(std::string_view s) {
  if (s.empty() || s.size() > 39 || s.front() == '-' || s.back() == '-') return false;
  return is_name(s, "-") && s.find("--") == std::string_view::npos;
}

bool is_env_var_name(std::string_view s) {
  if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return false;
  return is_name(s, "_");
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

const std::vector<std::pair<std::string_view, Event>> kEvents = {
    {"started", Event::started},
    {"succeeded", Event::succeeded},
    {"failed", Event::failed},
    {"rolled_back", Event::rolled_back},
};

// What the cross-section rules need to point at, kept beside the parsed values.
struct EnvironmentNotes {
  Position key_at;
  Position strategy_type_at;
  std::string strategy_type_path;
  std::optional<Position> after_full_traffic_at;
  std::string after_full_traffic_path;
};

struct StageNotes {
  Position traffic_at;
  std::string traffic_path;
};

class Loader {
 public:
  explicit Loader(Reader& reader) : r_(reader) {}

  Config load(const Node& root) {
    Mapping m(r_, root,
              {"version", "release", "environments", "stages", "rollback", "notifications", "bot", "audit", "locks"});
    if (!m.valid()) return config_;
    if (auto n = m.require("version", "the schema version of this file; write version: 1")) {
      version(*n);
    }
    if (auto n = m.get("release")) release(*n);
    if (auto n = m.require("environments", "the places this repository deploys to, e.g. staging and production")) {
      environments(*n);
    }
    if (auto n = m.require("stages", "the commands a deploy runs, in order")) stages(*n);
    if (auto n = m.get("rollback")) rollback_command(*n);
    if (auto n = m.get("notifications")) notifications(*n);
    if (auto n = m.get("bot")) bot(*n);
    if (auto n = m.get("audit")) audit(*n);
    if (auto n = m.get("locks")) locks(*n);
    cross_section_rules();
    return config_;
  }

 private:
  // ---- values shared by several sections ----

  std::optional<std::string> glob(const Node& n) {
    auto text = detail::read_string(r_, n);
    if (!text) return std::nullopt;
    if (starts_with(*text, "refs/")) {
      r_.error(n.at, n.path,
               "expected a branch or tag name pattern without refs/heads/ or refs/tags/, found '" + *text + "'");
      return std::nullopt;
    }
    const bool printable = std::all_of(text->begin(), text->end(),
                                       [](char c) { return static_cast<unsigned char>(c) > ' ' && c != 0x7f; });
    if (!printable) {
      r_.error(n.at, n.path,
               "expected a branch or tag name pattern like main or v*, found '" + *text +
                   "' (git ref names cannot contain spaces)");
      return std::nullopt;
    }
    return text;
  }

  std::vector<std::string> globs(const Node& n, std::string_view example) {
    std::vector<std::string> out;
    if (auto items = detail::read_strings(r_, n, example)) {
      for (const Text& item : *items) {
        if (auto g = glob(item.node)) out.push_back(*g);
      }
    }
    return out;
  }

  std::optional<Principal> principal(const Text& t) {
    const std::string& s = t.value;
    const std::string expected = "expected @user, @org/team, write, maintain or admin, found '" + s + "'";
    if (s == "write" || s == "maintain" || s == "admin") {
      return Principal{Principal::Kind::permission, s};
    }
    if (s == "read" || s == "triage") {
      r_.error(t.node.at, t.node.path,
               "permission '" + s +
                   "' is too low to approve or roll back deploys; use write, "
                   "maintain or admin");
      return std::nullopt;
    }
    if (starts_with(s, "@")) {
      const std::string_view rest = std::string_view(s).substr(1);
      const auto slash = rest.find('/');
      // A GitHub App's account is "<slug>[bot]" (deploy-bot[bot]); naming it lets a rollback the
      // bot dispatched (after checking who asked) run without approvals. Bots never approve.
      const bool app_account =
          rest.size() > 5 && rest.substr(rest.size() - 5) == "[bot]" && is_login(rest.substr(0, rest.size() - 5));
      if (slash == std::string_view::npos && (is_login(rest) || app_account)) {
        return Principal{Principal::Kind::user, std::string(rest)};
      }
      if (slash != std::string_view::npos && is_login(rest.substr(0, slash)) &&
          is_name(rest.substr(slash + 1), "-_.")) {
        return Principal{Principal::Kind::team, std::string(rest)};
      }
      r_.error(t.node.at, t.node.path, expected);
      return std::nullopt;
    }
    // A bare word is a permission level, never a login: a typo like "maintainer" must not turn
    // into a person who can approve.
    std::string suggestion = detail::nearest(s, {"write", "maintain", "admin"});
    if (suggestion.empty() && is_login(s)) suggestion = "@" + s;
    r_.error(t.node.at, t.node.path, expected, suggestion);
    return std::nullopt;
  }

  std::vector<Principal> principals(const Node& n) {
    std::vector<Principal> out;
    if (auto items = detail::read_strings(r_, n, "[\"@acme/release-managers\", \"@alice\", maintain]")) {
      for (const Text& item : *items) {
        if (auto p = principal(item)) out.push_back(*p);
      }
    }
    return out;
  }

  std::optional<std::string> env_var_name(const Node& n) {
    auto text = detail::read_string(r_, n);
    if (!text) return std::nullopt;
    if (text->find("://") != std::string::npos) {
      r_.error(n.at, n.path,
               "expected the name of an environment variable like SLACK_WEBHOOK_URL, found a URL "
               "(keep URLs and keys in secrets and name the variable that holds them)");
      return std::nullopt;
    }
    if (!is_env_var_name(*text)) {
      r_.error(n.at, n.path,
               "expected the name of an environment variable (letters, digits and _, not starting "
               "with a digit), found '" +
                   *text + "'");
      return std::nullopt;
    }
    return text;
  }

  std::optional<std::string> http_url(const Node& n) {
    auto text = detail::read_string(r_, n);
    if (!text) return std::nullopt;
    if (!starts_with(*text, "http://") && !starts_with(*text, "https://")) {
      r_.error(n.at, n.path, "expected an http:// or https:// URL, found '" + *text + "'");
      return std::nullopt;
    }
    return text;
  }

  // A reference to an environment by name, checked once the environments section is known.
  bool known_environment(const Text& t) {
    if (!environments_parsed_) return true;  // its own errors were reported; avoid noise
    if (config_.environment(t.value) != nullptr) return true;
    std::vector<std::string_view> names;
    for (const auto& env : config_.environments) names.push_back(env.name);
    r_.error(
        t.node.at, t.node.path,
        "expected an environment defined under environments (" + detail::join(names) + "), found '" + t.value + "'",
        detail::nearest(t.value, names));
    return false;
  }

  std::vector<std::string> environment_list(const Node& n, std::string_view empty_means) {
    std::vector<std::string> out;
    auto items = detail::read_strings(r_, n, "[production]");
    if (!items) return out;
    if (n.yaml.size() == 0) {
      r_.error(n.at, n.path,
               "expected at least one environment, found an empty list (" + std::string(empty_means) + ")");
    }
    for (const Text& item : *items) {
      if (known_environment(item)) out.push_back(item.value);
    }
    return out;
  }

  // ---- sections ----

  void version(const Node& n) {
    if (n.yaml.IsScalar() && n.yaml.Scalar() == "1") return;
    r_.error(n.at, n.path, "expected 1 (the only schema version this action reads), found " + describe(n.yaml));
  }

  void release(const Node& n) {
    Mapping m(r_, n, {"tag_pattern", "branches", "require_annotated", "require_signed", "allow_prereleases"});
    Release& out = config_.release;
    if (auto v = m.get("tag_pattern")) {
      if (auto g = glob(*v)) out.tag_pattern = *g;
    }
    if (auto v = m.get("branches")) out.branches = globs(*v, "[main, \"release/*\"]");
    if (auto v = m.get("require_annotated")) {
      out.require_annotated = detail::read_bool(r_, *v).value_or(out.require_annotated);
    }
    if (auto v = m.get("require_signed")) {
      out.require_signed = detail::read_bool(r_, *v).value_or(out.require_signed);
    }
    if (auto v = m.get("allow_prereleases")) {
      out.allow_prereleases = detail::read_bool(r_, *v).value_or(out.allow_prereleases);
    }
  }

  void environments(const Node& n) {
    Mapping m(r_, n, {});
    if (!m.valid()) return;
    environments_parsed_ = true;
    if (m.entries().empty()) {
      r_.error(n.at, n.path, "expected at least one environment, found none");
    }
    for (const auto& [name, value] : m.entries()) {
      if (!is_name(name, "-_.")) {
        r_.error(value.key_at, value.path,
                 "expected an environment name of letters, digits, '-', '_' and '.', found '" + name + "'");
      }
      for (const auto& earlier : config_.environments) {
        // GitHub compares environment names without regard to case.
        if (lower(earlier.name) == lower(name)) {
          r_.error(value.key_at, value.path,
                   "environments '" + earlier.name + "' and '" + name +
                       "' differ only in case; GitHub treats them as the same environment");
        }
      }
      environment(name, value);
    }
  }

  void environment(const std::string& name, const Node& n) {
    Environment env;
    env.name = name;
    EnvironmentNotes notes{n.key_at, n.key_at, child_path(n.path, "strategy"), std::nullopt, {}};
    Mapping m(r_, n,
              {"on", "url", "approvals", "freeze", "reviewed_changes", "required_checks", "rollback", "strategy",
               "analysis", "allow_pull_requests"});
    if (auto v = m.require("on", "which branches or tags may deploy here, e.g. on: { tags: [\"v*\"] }")) {
      env.on = triggers(name, *v);
    }
    if (auto v = m.get("url")) env.url = http_url(*v).value_or("");
    if (auto v = m.get("approvals")) env.approvals = approvals(*v);
    if (auto v = m.get("freeze")) env.freeze = freeze(*v);
    if (auto v = m.get("reviewed_changes")) {
      Mapping rc(r_, *v, {"required_reviews"});
      if (auto w = rc.get("required_reviews")) {
        env.reviewed_changes.required_reviews = detail::read_int(r_, *w, 0, kMaxApprovals).value_or(0);
      }
    }
    if (auto v = m.get("required_checks")) {
      if (auto items = detail::read_strings(r_, *v, "[build, test]")) {
        for (const Text& item : *items) env.required_checks.push_back(item.value);
      }
    }
    if (auto v = m.get("rollback")) env.rollback = rollback_policy(*v);
    if (auto v = m.get("strategy")) env.strategy = strategy(*v, notes);
    if (auto v = m.get("analysis")) env.analysis = analysis(*v, notes);
    if (auto v = m.get("allow_pull_requests")) env.allow_pull_requests = allow_pull_requests(name, *v);
    final_window_rule(env, notes);
    config_.environments.push_back(std::move(env));
    environment_notes_.push_back(std::move(notes));
  }

  // A final window too short to reach failure_limit could never fail a release on failures alone;
  // refuse it rather than let `plan` promise a limit the run cannot enforce.
  void final_window_rule(const Environment& env, const EnvironmentNotes& notes) {
    const Analysis& a = env.analysis;
    if (a.checks.empty() || !a.after_full_traffic || !notes.after_full_traffic_at) return;
    const int rounds = a.rounds_in(a.final_window(env.strategy));
    if (rounds >= a.failure_limit) return;
    r_.error(*notes.after_full_traffic_at, notes.after_full_traffic_path,
             "the final window gives " + std::to_string(rounds) + " round" + (rounds == 1 ? "" : "s") +
                 " of checks at interval " + config::format_duration(a.interval) + ", fewer than failure_limit " +
                 std::to_string(a.failure_limit) +
                 ": a release failing every round could never reach the limit; set after_full_traffic to at least " +
                 config::format_duration(a.interval * a.failure_limit) + " or lower failure_limit");
  }

  Triggers triggers(const std::string& env_name, const Node& n) {
    Triggers out;
    Mapping m(r_, n, {"branches", "tags"});
    if (!m.valid()) return out;
    if (auto v = m.get("branches")) out.branches = globs(*v, "[main]");
    if (auto v = m.get("tags")) out.tags = globs(*v, "[\"v*\"]");
    if (!m.get("branches") && !m.get("tags")) {
      r_.error(n.at, n.path,
               "expected branches, tags or both, found neither; nothing could deploy to '" + env_name + "'");
    }
    return out;
  }

  Approvals approvals(const Node& n) {
    Approvals out;
    Mapping m(r_, n, {"required", "from", "count_reviews", "allow_author", "rules"});
    std::optional<Node> required = m.get("required");
    if (required) out.required = detail::read_int(r_, *required, 0, kMaxApprovals).value_or(0);
    if (auto v = m.get("from")) out.from = principals(*v);
    if (auto v = m.get("count_reviews")) {
      out.count_reviews = detail::read_bool(r_, *v).value_or(out.count_reviews);
    }
    if (auto v = m.get("allow_author")) {
      out.allow_author = detail::read_bool(r_, *v).value_or(out.allow_author);
    }
    // When only named people may approve, more approvals than people can never be reached.
    const bool only_people = !out.from.empty() && std::all_of(out.from.begin(), out.from.end(), [](const Principal& p) {
      return p.kind == Principal::Kind::user;
    });
    if (required && only_people && out.required > static_cast<int>(out.from.size())) {
      r_.error(required->at, required->path,
               "requires " + std::to_string(out.required) + " approvals but 'from' names only " +
                   std::to_string(out.from.size()) + " people; no deploy could ever be approved");
    }
    if (auto v = m.get("rules")) {
      if (required) {
        r_.error(v->key_at, v->path,
                 "give either 'required' or 'rules', not both: 'required: N' is the one-rule shorthand; add a rule "
                 "{ name: total, count: N } to the list instead");
      }
      auto items = detail::read_list(r_, *v, "[{ name: sre, from: [\"@acme/sre\"], count: 1 }, { count: 2 }]");
      if (items && items->empty()) r_.error(v->at, v->path, "expected at least one rule, found an empty list");
      if (items) {
        for (const Node& item : *items) {
          if (auto rule = approval_rule(item, /*with_name=*/true)) out.rules.push_back(std::move(*rule));
        }
        for (const auto& rule : out.rules) out.required = std::max(out.required, rule.count);
      }
    }
    return out;
  }

  // { name?, from?, count }: a rule of approvals.rules, or a freeze override (no name).
  std::optional<ApprovalRule> approval_rule(const Node& n, bool with_name) {
    ApprovalRule rule;
    Mapping m(r_, n,
              with_name ? std::vector<std::string_view>{"name", "from", "count"}
                        : std::vector<std::string_view>{"from", "count"});
    if (!m.valid()) return std::nullopt;
    if (auto v = m.get("name")) {
      const auto name = detail::read_string(r_, *v);
      if (name && !is_name(*name, "-_ .")) {
        r_.error(v->at, v->path,
                 "expected a rule name of letters, digits, ' ', '.', '-' and '_', found '" + *name + "'");
      }
      rule.name = name.value_or("");
    }
    if (auto v = m.get("from")) {
      rule.from = principals(*v);
      if (rule.from.empty()) r_.error(v->at, v->path, "expected at least one approver; leave 'from' out for anyone");
    }
    if (auto v = m.require("count", "how many distinct approvers this rule needs, e.g. count: 1")) {
      rule.count = detail::read_int(r_, *v, 1, kMaxApprovals).value_or(1);
      const bool only_people =
          !rule.from.empty() && std::all_of(rule.from.begin(), rule.from.end(),
                                            [](const Principal& p) { return p.kind == Principal::Kind::user; });
      if (only_people && rule.count > static_cast<int>(rule.from.size())) {
        r_.error(v->at, v->path,
                 "needs " + std::to_string(rule.count) + " approvers but 'from' names only " +
                     std::to_string(rule.from.size()) + " people; it could never be met");
      }
    }
    return rule;
  }

  Freeze freeze(const Node& n) {
    Freeze out;
    Mapping m(r_, n, {"windows", "override"});
    if (!m.valid()) return out;
    if (auto v = m.get("override")) out.override = approval_rule(*v, false);
    auto windows = m.require("windows",
                             "the freeze windows, e.g. windows: [{ name: weekend, cron: \"0 18 * * FRI\", "
                             "duration: 62h, time_zone: Europe/Berlin }]");
    if (!windows) return out;
    auto items = detail::read_list(r_, *windows, "[{ name: weekend, cron: \"0 18 * * FRI\", duration: 62h }]");
    if (!items) return out;
    std::vector<std::string> names;
    for (const Node& item : *items) {
      FreezeWindow w;
      Mapping wm(r_, item, {"name", "cron", "duration", "time_zone", "start", "end", "override"});
      if (!wm.valid()) continue;
      if (auto v = wm.require("name", "a short name people see when a deploy is refused, e.g. year-end")) {
        w.name = detail::read_string(r_, *v).value_or("");
        if (!w.name.empty() && std::find(names.begin(), names.end(), w.name) != names.end()) {
          r_.error(v->at, v->path, "duplicate freeze window name '" + w.name + "'");
        }
        names.push_back(w.name);
      }
      const auto cron = wm.get("cron");
      const auto start = wm.get("start");
      if (cron && start) {
        r_.error(item.key_at, item.path,
                 "a window is either recurring (cron, duration, time_zone) or fixed (start, end), not both");
      } else if (!cron && !start) {
        r_.error(
            item.key_at, item.path,
            "expected cron (with duration and time_zone) for a recurring window, or start and end for a fixed one");
      }
      if (cron) {
        if (auto text = detail::read_string(r_, *cron)) {
          if (auto parsed = freeze::parse_cron(*text); !parsed) {
            r_.error(cron->at, cron->path, parsed.error().message);
          } else if (!freeze::latest_match(*parsed, 60LL * 24 * 366 * 80)) {
            r_.error(cron->at, cron->path, "'" + *text + "' matches no date (a day that no month has?)");
          } else {
            w.cron = *text;
          }
        }
        if (auto v = wm.require("duration", "how long each window lasts, e.g. duration: 62h")) {
          w.duration = detail::read_duration(r_, *v, minutes{1}, hours{24 * 366}).value_or(w.duration);
        }
        if (auto v = wm.get("time_zone")) {
          // Whether the zone exists is checked against the tz database where it is read (core/tz).
          const auto zone = detail::read_string(r_, *v);
          if (zone && !is_name(*zone, "/_-+")) {
            r_.error(v->at, v->path,
                     "expected an IANA time zone name like Europe/Berlin or UTC, found '" + *zone + "'");
          } else if (zone) {
            w.time_zone = *zone;
          }
        }
        for (const char* key : {"end"}) {
          if (auto v = wm.get(key)) r_.error(v->key_at, v->path, "'end' belongs to a fixed window (with start)");
        }
      }
      if (start) {
        auto instant = [&](const Node& v) -> std::optional<std::chrono::system_clock::time_point> {
          const auto text = detail::read_string(r_, v);
          if (!text) return std::nullopt;
          auto parsed = rfc3339::parse(*text, rfc3339::Form::any);
          if (!parsed) {
            r_.error(v.at, v.path, "expected an RFC 3339 time like 2026-12-20T00:00:00Z, found '" + *text + "'");
            return std::nullopt;
          }
          return std::chrono::floor<std::chrono::seconds>(*parsed);
        };
        const auto from = instant(*start);
        const auto end = wm.require("end", "when the window ends (RFC 3339), e.g. end: 2027-01-04T00:00:00Z");
        const auto until = end ? instant(*end) : std::nullopt;
        if (from) w.start = *from;
        if (until) w.end = *until;
        if (from && until && *until <= *from) r_.error(end->at, end->path, "the window must end after it starts");
        for (const char* key : {"duration", "time_zone"}) {
          if (auto v = wm.get(key)) {
            r_.error(v->key_at, v->path, "'" + std::string(key) + "' belongs to a recurring window (with cron)");
          }
        }
      }
      if (auto v = wm.get("override")) w.override = approval_rule(*v, false);
      out.windows.push_back(std::move(w));
    }
    return out;
  }

  RollbackPolicy rollback_policy(const Node& n) {
    RollbackPolicy out;
    Mapping m(r_, n, {"window", "allowed", "outside_window", "automatic"});
    if (auto v = m.get("window")) {
      out.window = detail::read_duration(r_, *v, minutes{1}, hours{24 * 365}).value_or(out.window);
    }
    if (auto v = m.get("allowed")) out.allowed = principals(*v);
    if (auto v = m.get("outside_window")) {
      out.outside_window = detail::read_choice<RollbackPolicy::OutsideWindow>(
                               r_, *v,
                               {{"require_approval", RollbackPolicy::OutsideWindow::require_approval},
                                {"deny", RollbackPolicy::OutsideWindow::deny}})
                               .value_or(out.outside_window);
    }
    if (auto v = m.get("automatic")) out.automatic = detail::read_bool(r_, *v).value_or(true);
    return out;
  }

  Strategy strategy(const Node& n, EnvironmentNotes& notes) {
    Strategy out;
    Mapping m(r_, n, {"type", "steps", "switch", "switch_timeout", "preview_url", "pause_timeout"});
    if (!m.valid()) return out;
    notes.strategy_type_at = n.key_at;
    if (auto v = m.get("type")) {
      notes.strategy_type_at = v->at;
      notes.strategy_type_path = v->path;
      auto type = detail::read_choice<Strategy::Type>(r_, *v,
                                                      {{"rolling", Strategy::Type::rolling},
                                                       {"canary", Strategy::Type::canary},
                                                       {"blue-green", Strategy::Type::blue_green}});
      // Which rules the steps follow depends on the type; without one, judging them would only
      // add noise to the error already reported.
      if (!type) return out;
      out.type = *type;
    }
    blue_green_keys(m, out);
    if (auto v = m.get("pause_timeout")) {
      out.pause_timeout = detail::read_duration(r_, *v, seconds{1}, hours{6}).value_or(out.pause_timeout);
    }
    std::optional<Node> steps_node;
    if (out.type == Strategy::Type::canary) {
      steps_node = m.require("steps",
                             "the traffic percentages a canary goes through, e.g. "
                             "[{ traffic: 10, pause: 5m }, { traffic: 100 }]");
    } else {
      steps_node = m.get("steps");
    }
    if (!steps_node) return out;
    auto steps = traffic_steps(*steps_node);
    if (!steps) return out;
    if (out.type == Strategy::Type::canary) {
      if (steps->size() < 2) {
        r_.error(steps_node->at, steps_node->path,
                 "expected at least two steps, a share below 100 and then 100, found " + std::to_string(steps->size()) +
                     " (one step at 100 is a rolling deploy)");
      }
    } else if (steps->size() != 1 || steps->front().traffic != 100) {
      r_.error(steps_node->at, steps_node->path,
               "rolling and blue-green send all traffic at once: give at most one step, "
               "{ traffic: 100, pause: ... }, to set how long the analysis watches it");
    }
    out.steps = std::move(*steps);
    return out;
  }

  void blue_green_keys(Mapping& m, Strategy& out) {
    const bool blue_green = out.type == Strategy::Type::blue_green;
    for (const char* key : {"switch", "switch_timeout", "preview_url"}) {
      if (auto v = m.get(key); v && !blue_green) {
        r_.error(v->at, v->path, std::string(key) + " applies to type: blue-green only; remove it");
      }
    }
    if (!blue_green) return;
    if (auto v = m.require("switch",
                           "the command that moves all traffic to DEPLOY_COLOR (blue or green), e.g. "
                           "switch: ./scripts/switch.sh")) {
      out.switch_run = detail::read_string(r_, *v).value_or("");
    }
    if (auto v = m.get("switch_timeout")) {
      out.switch_timeout = detail::read_duration(r_, *v, seconds{1}, hours{1}).value_or(out.switch_timeout);
    }
    if (auto v = m.get("preview_url")) out.preview_url = http_url(*v).value_or("");
  }

  std::optional<std::vector<TrafficStep>> traffic_steps(const Node& n) {
    auto items = detail::read_list(r_, n, "[{ traffic: 10, pause: 5m }, { traffic: 100 }]");
    if (!items) return std::nullopt;
    std::vector<TrafficStep> out;
    std::optional<Node> last_traffic;  // the last step's traffic, when it could be read
    std::optional<int> previous;       // the last traffic value that could be read
    for (const Node& item : *items) {
      TrafficStep step;
      last_traffic.reset();
      Mapping m(r_, item, {"traffic", "pause"});
      if (auto v = m.require("traffic", "the percent of traffic on the new version at this step")) {
        auto pct = detail::read_percent(r_, *v, 1, 100);
        if (pct && *pct != static_cast<double>(static_cast<int>(*pct))) {
          r_.error(v->at, v->path, "expected a whole percentage from 1 to 100, found '" + v->yaml.Scalar() + "'");
          pct.reset();
        }
        if (pct) {
          step.traffic = static_cast<int>(*pct);
          if (previous && step.traffic <= *previous) {
            r_.error(v->at, v->path,
                     "expected traffic to increase from step to step, found " + std::to_string(step.traffic) +
                         " after " + std::to_string(*previous));
          }
          previous = step.traffic;
          last_traffic = v;
        }
      }
      if (auto v = m.get("pause")) {
        // A canary held until a person decides: /promote, /abort, or strategy.pause_timeout.
        if (v->yaml.IsScalar() && v->yaml.Scalar() == "until-promoted") {
          step.until_promoted = true;
        } else {
          step.pause = detail::read_duration(r_, *v, milliseconds{0}, hours{24}).value_or(step.pause);
        }
      }
      out.push_back(step);
    }
    if (out.empty()) {
      r_.error(n.at, n.path, "expected at least one step, found an empty list");
      return std::nullopt;
    }
    if (out.back().until_promoted) {
      r_.error(items->back().at, items->back().path,
               "pause: until-promoted holds a step below 100% until /promote; the last step already sends all "
               "traffic, so there is nothing left to promote");
    }
    if (last_traffic && out.back().traffic != 100) {
      r_.error(last_traffic->at, last_traffic->path,
               "expected the last step to send 100% of traffic, found " + std::to_string(out.back().traffic));
    }
    return out;
  }

  Analysis analysis(const Node& n, EnvironmentNotes& notes) {
    Analysis out;
    Mapping m(
        r_, n,
        {"interval", "failure_limit", "consecutive_errors", "inconclusive_limit", "after_full_traffic", "checks"});
    if (auto v = m.get("interval")) {
      out.interval = detail::read_duration(r_, *v, seconds{1}, hours{1}).value_or(out.interval);
    }
    if (auto v = m.get("failure_limit")) {
      out.failure_limit = detail::read_int(r_, *v, 1, kMaxFailureLimit).value_or(out.failure_limit);
    }
    if (auto v = m.get("consecutive_errors")) {
      out.consecutive_errors = detail::read_int(r_, *v, 1, kMaxFailureLimit).value_or(out.consecutive_errors);
    }
    if (auto v = m.get("inconclusive_limit")) {
      out.inconclusive_limit = detail::read_int(r_, *v, 1, kMaxFailureLimit);
    }
    if (auto v = m.get("after_full_traffic")) {
      out.after_full_traffic = detail::read_duration(r_, *v, seconds{1}, hours{24});
      notes.after_full_traffic_at = v->at;
      notes.after_full_traffic_path = v->path;
    }
    if (auto v = m.get("checks")) {
      auto items = detail::read_list(r_, *v, "[{ name: health, http: { url: ... } }]");
      std::vector<std::pair<std::string, int>> seen;  // name, line
      for (const Node& item : items.value_or(std::vector<Node>{})) {
        Node name_node;
        auto c = check(item, name_node);
        if (!c) continue;
        const auto dup = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == c->name; });
        if (dup != seen.end()) {
          r_.error(name_node.at, name_node.path,
                   "duplicate check name '" + c->name + "' (first on line " + std::to_string(dup->second) + ")");
        }
        seen.emplace_back(c->name, name_node.at.line);
        out.checks.push_back(std::move(*c));
      }
    }
    return out;
  }

  // name_node receives where the name was written, for the duplicate-name rule.
  std::optional<Check> check(const Node& n, Node& name_node) {
    Mapping m(r_, n, {"name", "timeout", "http", "prometheus", "command"});
    if (!m.valid()) return std::nullopt;
    Check out;
    bool ok = true;
    if (auto v = m.require("name", "a short name for logs and the summary, e.g. health")) {
      name_node = *v;
      auto name = detail::read_string(r_, *v);
      if (name && !is_name(*name, "-_.")) {
        r_.error(v->at, v->path, "expected a check name of letters, digits, '-', '_' and '.', found '" + *name + "'");
        name.reset();
      }
      ok = ok && name.has_value();
      out.name = name.value_or("");
    } else {
      ok = false;
    }
    if (auto v = m.get("timeout")) {
      out.timeout = detail::read_duration(r_, *v, seconds{1}, minutes{10}).value_or(out.timeout);
    }
    std::vector<std::pair<std::string_view, Node>> probes;
    for (std::string_view kind : {"http", "prometheus", "command"}) {
      if (auto v = m.get(kind)) probes.emplace_back(kind, *v);
    }
    if (probes.empty()) {
      r_.error(n.key_at, n.path, "expected exactly one of http, prometheus or command, found none");
      return std::nullopt;
    }
    if (probes.size() > 1) {
      r_.error(probes[1].second.key_at, probes[1].second.path,
               "expected exactly one of http, prometheus or command, found both " + std::string(probes[0].first) +
                   " and " + std::string(probes[1].first) + " (make them two checks)");
    }
    const auto& [kind, node] = probes.front();
    if (kind == "http") {
      out.probe = http_check(node);
    } else if (kind == "prometheus") {
      out.probe = prometheus_check(node);
    } else {
      out.probe = command_check(node);
    }
    if (!ok) return std::nullopt;
    return out;
  }

  HttpCheck http_check(const Node& n) {
    HttpCheck out;
    Mapping m(r_, n, {"url", "expect_status", "json_field", "equals", "max_latency"});
    if (auto v = m.require("url", "the address to request, e.g. http://127.0.0.1:8080/healthz")) {
      out.url = http_url(*v).value_or("");
    }
    if (auto v = m.get("expect_status")) {
      out.expect_status = detail::read_int(r_, *v, 100, 599).value_or(out.expect_status);
    }
    auto field = m.get("json_field");
    auto equals = m.get("equals");
    if (field) out.json_field = detail::read_string(r_, *field);
    if (equals) out.equals = detail::read_string(r_, *equals);
    if (field && !equals) {
      r_.error(field->key_at, field->path, "json_field needs equals, the value the field must have (e.g. equals: ok)");
    }
    if (equals && !field) {
      r_.error(equals->key_at, equals->path,
               "equals needs json_field, the field of the JSON body to compare (e.g. json_field: "
               "status)");
    }
    if (auto v = m.get("max_latency")) {
      out.max_latency = detail::read_duration(r_, *v, milliseconds{1}, minutes{10});
    }
    return out;
  }

  Thresholds thresholds(const Mapping& m) {
    Thresholds out;
    std::optional<Node> min = m.get("min");
    std::optional<Node> max = m.get("max");
    if (min) out.min = detail::read_number(r_, *min);
    if (max) out.max = detail::read_number(r_, *max);
    if (auto v = m.get("max_increase")) {
      out.max_increase_percent = detail::read_percent(r_, *v, 0, kMaxIncreasePercent);
    }
    if (out.min && out.max && *out.min > *out.max) {
      r_.error(min->at, min->path,
               "min (" + format_number(*out.min) + ") is above max (" + format_number(*out.max) +
                   "); no measurement could pass");
    }
    return out;
  }

  PrometheusCheck prometheus_check(const Node& n) {
    PrometheusCheck out;
    Mapping m(r_, n, {"url", "query", "min", "max", "max_increase"});
    if (auto v = m.require("url", "the Prometheus server, e.g. http://prometheus:9090")) {
      out.url = http_url(*v).value_or("");
    }
    if (auto v = m.require("query", "the PromQL expression whose value is checked")) {
      out.query = detail::read_string(r_, *v).value_or("");
    }
    out.thresholds = thresholds(m);
    if (m.valid() && !m.get("min") && !m.get("max") && !m.get("max_increase")) {
      r_.error(n.key_at, n.path,
               "expected at least one of min, max or max_increase, found none (a query alone "
               "cannot pass or fail)");
    }
    return out;
  }

  CommandCheck command_check(const Node& n) {
    CommandCheck out;
    Mapping m(r_, n, {"run", "min", "max", "max_increase"});
    if (auto v = m.require("run", "the command to run; exit status 0 passes")) {
      out.run = detail::read_string(r_, *v).value_or("");
    }
    out.thresholds = thresholds(m);
    return out;
  }

  void stages(const Node& n) {
    auto items = detail::read_list(r_, n, "[{ name: deploy, run: ./scripts/deploy.sh }]");
    if (!items) return;
    stages_parsed_ = true;
    if (items->empty()) r_.error(n.at, n.path, "expected at least one stage, found an empty list");
    std::vector<std::pair<std::string, int>> seen;  // name, line
    for (const Node& item : *items) {
      Stage stage;
      StageNotes notes{item.key_at, child_path(item.path, "traffic")};
      Mapping m(r_, item, {"name", "run", "timeout", "retries", "environments", "traffic"});
      if (auto v = m.require("name", "a short name for logs and the summary, e.g. migrate")) {
        if (auto name = detail::read_string(r_, *v)) {
          if (!is_name(*name, "-_")) {
            r_.error(v->at, v->path, "expected a stage name of letters, digits, '-' and '_', found '" + *name + "'");
          }
          const auto dup = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == *name; });
          if (dup != seen.end()) {
            r_.error(v->at, v->path,
                     "duplicate stage name '" + *name + "' (first on line " + std::to_string(dup->second) + ")");
          }
          seen.emplace_back(*name, v->at.line);
          stage.name = *name;
        }
      }
      if (auto v = m.require("run", "the command this stage runs")) {
        stage.run = detail::read_string(r_, *v).value_or("");
      }
      if (auto v = m.get("timeout")) {
        stage.timeout = detail::read_duration(r_, *v, seconds{1}, hours{24}).value_or(stage.timeout);
      }
      if (auto v = m.get("retries")) {
        stage.retries = detail::read_int(r_, *v, 0, kMaxRetries).value_or(stage.retries);
      }
      if (auto v = m.get("environments")) {
        stage.environments = environment_list(*v, "leave environments out to run the stage everywhere");
      }
      if (auto v = m.get("traffic")) {
        stage.traffic = detail::read_bool(r_, *v).value_or(false);
        notes.traffic_at = v->at;
      }
      config_.stages.push_back(std::move(stage));
      stage_notes_.push_back(std::move(notes));
    }
  }

  void rollback_command(const Node& n) {
    Mapping m(r_, n, {"run", "timeout", "stages"});
    if (auto v = m.get("run")) {
      config_.rollback.run = detail::read_string(r_, *v).value_or("");
    }
    if (auto v = m.get("timeout")) {
      config_.rollback.timeout =
          detail::read_duration(r_, *v, seconds{1}, hours{24}).value_or(config_.rollback.timeout);
    }
    if (auto v = m.get("stages")) {
      if (auto items = detail::read_strings(r_, *v, "[backup, migrate]")) {
        for (const Text& item : *items) {
          config_.rollback.stages.push_back(item.value);
          rollback_stage_notes_.push_back({item.node.at, item.node.path});
        }
      }
    }
  }

  void notifications(const Node& n) {
    Mapping m(r_, n, {"slack", "webhooks"});
    if (auto v = m.get("slack")) {
      config_.notifications.slack = notification_target(*v, "webhook_url_env", "webhook_url");
    }
    if (auto v = m.get("webhooks")) {
      auto items = detail::read_list(r_, *v, "[{ url_env: DEPLOY_WEBHOOK_URL }]");
      for (const Node& item : items.value_or(std::vector<Node>{})) {
        config_.notifications.webhooks.push_back(notification_target(item, "url_env", "url"));
      }
    }
  }

  // url_key names the variable holding the URL; secret_key is the key people reach for first
  // (the URL itself), accepted only to explain why it is refused.
  NotificationTarget notification_target(const Node& n, std::string_view url_key, std::string_view secret_key) {
    NotificationTarget out;
    for (const auto& [word, event] : kEvents) out.on.push_back(event);
    Mapping m(r_, n, {url_key, secret_key, "on", "environments"});
    if (auto v = m.get(secret_key)) {
      r_.error(v->key_at, v->path,
               "a webhook URL is a secret and must not be written in this file: store it as a "
               "secret, pass it to the action as an environment variable, and name that variable "
               "with " +
                   std::string(url_key),
               std::string(url_key));
    } else if (auto name = m.require(url_key,
                                     "the name of the environment variable that holds the "
                                     "webhook URL")) {
      out.url_env = env_var_name(*name).value_or("");
    }
    if (auto v = m.get("on")) {
      out.on.clear();
      if (auto items = detail::read_list(r_, *v, "[failed, rolled_back]")) {
        if (items->empty()) {
          r_.error(v->at, v->path,
                   "expected at least one of started, succeeded, failed or rolled_back, found an "
                   "empty list");
        }
        for (const Node& item : *items) {
          if (auto e = detail::read_choice(r_, item, kEvents)) out.on.push_back(*e);
        }
      }
    }
    if (auto v = m.get("environments")) {
      out.environments = environment_list(*v, "leave environments out to notify for every one");
    }
    return out;
  }

  void bot(const Node& n) {
    Mapping m(r_, n, {"workflow", "ref", "allow_fork_pull_requests"});
    Bot& out = config_.bot;
    if (auto v = m.get("workflow")) {
      if (auto name = detail::read_string(r_, *v)) {
        const bool yaml_file = name->size() > 4 && (name->ends_with(".yml") || name->ends_with(".yaml"));
        if (name->find('/') != std::string::npos || !yaml_file) {
          r_.error(v->at, v->path,
                   "expected a workflow file name in .github/workflows like deploy.yml, found '" + *name + "'");
        } else {
          out.workflow = *name;
        }
      }
    }
    if (auto v = m.get("ref")) {
      if (auto ref = detail::read_string(r_, *v)) {
        if (ref->find_first_of(" \t") != std::string::npos) {
          r_.error(v->at, v->path, "expected a branch or tag name like main, found '" + *ref + "'");
        } else {
          out.ref = *ref;
        }
      }
    }
    if (auto v = m.get("allow_fork_pull_requests")) {
      out.allow_fork_pull_requests = detail::read_bool(r_, *v).value_or(false);
    }
  }

  void locks(const Node& n) {
    Mapping m(r_, n, {"allowed"});
    if (auto v = m.get("allowed")) config_.locks.allowed = principals(*v);
  }

  // Production is never deployed from a pull request's head: its commits are not reviewed yet.
  bool allow_pull_requests(const std::string& environment, const Node& n) {
    const bool allowed = detail::read_bool(r_, n).value_or(false);
    std::string lower = environment;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    if (allowed && lower == "production") {
      r_.error(n.at, n.path,
               "production is never deployed from a pull request (its head is not reviewed and merged yet); "
               "remove allow_pull_requests here, or deploy a release");
      return false;
    }
    return allowed;
  }

  void audit(const Node& n) {
    Mapping m(r_, n, {"signing_key_env", "branch"});
    if (auto v = m.get("signing_key_env")) {
      config_.audit.signing_key_env = env_var_name(*v).value_or("");
    }
    if (auto v = m.get("branch")) config_.audit.branch = audit_branch(*v).value_or("");
  }

  // A branch name git accepts (git check-ref-format's rules), given without refs/heads/.
  std::optional<std::string> audit_branch(const Node& n) {
    auto text = detail::read_string(r_, n);
    if (!text) return std::nullopt;
    const std::string& name = *text;
    std::string problem;
    if (name.empty())
      problem = "is empty";
    else if (starts_with(name, "refs/"))
      problem = "starts with refs/ (give the branch name alone, e.g. deploy-audit)";
    else if (name.front() == '-' || name.front() == '/' || name.back() == '/' || name.back() == '.')
      problem = "starts with - or /, or ends with / or .";
    else if (name.find("..") != std::string::npos || name.find("//") != std::string::npos ||
             name.find("@{") != std::string::npos)
      problem = "contains .., // or @{";
    else if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".lock") == 0)
      problem = "ends with .lock";
    else if (name == "@")
      problem = "is @";
    else {
      for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f || c == '~' || c == '^' || c == ':' || c == '?' ||
            c == '*' || c == '[' || c == '\\') {
          problem = "contains a space, a control character or one of ~ ^ : ? * [ \\";
          break;
        }
      }
    }
    if (!problem.empty()) {
      r_.error(n.at, n.path, "expected a git branch name like deploy-audit, found '" + name + "', which " + problem);
      return std::nullopt;
    }
    return name;
  }

  // ---- rules that span sections ----

  void cross_section_rules() {
    // Without both sections (or with no stages at all, already reported) these rules would only
    // repeat an earlier error.
    if (!environments_parsed_ || !stages_parsed_ || config_.stages.empty()) return;
    for (std::size_t i = 0; i < config_.rollback.stages.size(); ++i) {
      const std::string& name = config_.rollback.stages[i];
      const Stage* stage = config_.stage(name);
      if (stage == nullptr) {
        std::vector<std::string_view> names;
        for (const auto& st : config_.stages) names.push_back(st.name);
        r_.error(rollback_stage_notes_[i].first, rollback_stage_notes_[i].second,
                 "no stage is named '" + name + "'; rollback.stages names stages to run before a rollback",
                 detail::nearest(name, names));
      } else if (stage->traffic) {
        r_.error(rollback_stage_notes_[i].first, rollback_stage_notes_[i].second,
                 "'" + name +
                     "' is the traffic stage; a rollback runs it (or rollback.run) by itself: "
                     "list only stages that run before it, such as backup or migrate");
      }
    }
    for (std::size_t e = 0; e < config_.environments.size(); ++e) {
      const Environment& env = config_.environments[e];
      const EnvironmentNotes& notes = environment_notes_[e];
      if (config_.stages_for(env.name).empty()) {
        r_.error(notes.key_at, "environments." + env.name,
                 "no stage runs in environment '" + env.name +
                     "' (name it in a stage's environments, or leave a stage's environments out)");
        continue;
      }
      std::optional<std::size_t> traffic_stage;
      for (std::size_t s = 0; s < config_.stages.size(); ++s) {
        const Stage& stage = config_.stages[s];
        if (!stage.traffic || !stage.applies_to(env.name)) continue;
        if (traffic_stage) {
          const Stage& first = config_.stages[*traffic_stage];
          r_.error(stage_notes_[s].traffic_at, stage_notes_[s].traffic_path,
                   "environment '" + env.name + "' already has traffic stage '" + first.name + "' (line " +
                       std::to_string(stage_notes_[*traffic_stage].traffic_at.line) +
                       "); at most one stage per environment shifts traffic");
        } else {
          traffic_stage = s;
        }
      }
      if (env.strategy.type == Strategy::Type::canary && !traffic_stage) {
        r_.error(notes.strategy_type_at, notes.strategy_type_path,
                 "a canary needs a stage with traffic: true that runs in '" + env.name +
                     "' (it moves traffic at each step)");
      }
    }
  }

  Reader& r_;
  Config config_;
  bool environments_parsed_ = false;
  bool stages_parsed_ = false;
  std::vector<EnvironmentNotes> environment_notes_;                     // parallel to config_.environments
  std::vector<StageNotes> stage_notes_;                                 // parallel to config_.stages
  std::vector<std::pair<Position, std::string>> rollback_stage_notes_;  // parallel to rollback.stages
};

// yaml-cpp's messages are terse; add what usually causes them.
std::string syntax_hint(std::string_view text, const YAML::Mark& mark) {
  if (mark.line < 0) return "";
  std::size_t start = 0;
  for (int line = 0; line < mark.line && start != std::string_view::npos; ++line) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos || start >= text.size()) return "";
  const std::string_view line = text.substr(start, text.find('\n', start) - start);
  const auto column = static_cast<std::size_t>(std::max(mark.column, 0));
  if (column < line.size() && line[column] == '@') {
    return " (a value starting with @ must be quoted, e.g. \"@alice\")";
  }
  if (line.find('\t') != std::string_view::npos) {
    return " (YAML indents with spaces; this line contains a tab)";
  }
  return "";
}

}  // namespace

std::string Principal::to_string() const { return kind == Kind::permission ? name : "@" + name; }

bool Triggers::matches_branch(std::string_view branch) const {
  return std::any_of(branches.begin(), branches.end(), [&](const std::string& g) { return glob_match(g, branch); });
}

bool Triggers::matches_tag(std::string_view tag) const {
  return std::any_of(tags.begin(), tags.end(), [&](const std::string& g) { return glob_match(g, tag); });
}

bool Stage::applies_to(std::string_view environment) const {
  return environments.empty() || std::find(environments.begin(), environments.end(), environment) != environments.end();
}

std::string_view to_string(Event event) {
  for (const auto& [word, value] : kEvents) {
    if (value == event) return word;
  }
  return "unknown";
}

bool NotificationTarget::wants(Event event, std::string_view environment) const {
  const bool event_ok = std::find(on.begin(), on.end(), event) != on.end();
  const bool env_ok =
      environments.empty() || std::find(environments.begin(), environments.end(), environment) != environments.end();
  return event_ok && env_ok;
}

const Environment* Config::environment(std::string_view name) const {
  for (const auto& env : environments) {
    if (env.name == name) return &env;
  }
  return nullptr;
}

std::vector<const Stage*> Config::stages_for(std::string_view environment) const {
  std::vector<const Stage*> out;
  for (const auto& stage : stages) {
    if (stage.applies_to(environment)) out.push_back(&stage);
  }
  return out;
}

const Stage* Config::deploy_stage(std::string_view environment) const {
  const auto applying = stages_for(environment);
  if (applying.empty()) return nullptr;
  for (const Stage* stage : applying) {
    if (stage->traffic) return stage;
  }
  for (const Stage* stage : applying) {
    if (stage->name == "deploy") return stage;
  }
  return applying.back();
}

const Stage* Config::stage(std::string_view name) const {
  for (const auto& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

int Analysis::rounds_in(Duration window) const {
  const auto step = std::max<std::int64_t>(interval.count(), 1);
  return static_cast<int>(std::max<std::int64_t>(1, window.count() / step));
}

Duration Analysis::final_window(const Strategy& strategy) const {
  const Duration last_pause = strategy.steps.empty() ? Duration{0} : strategy.steps.back().pause;
  const Duration after = after_full_traffic.value_or(interval * (failure_limit + 1));
  return std::max(last_pause, after);
}

std::string ConfigError::format() const {
  std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: ";
  if (!key.empty()) out += key + ": ";
  out += message;
  if (!suggestion.empty()) out += " (did you mean '" + suggestion + "'?)";
  return out;
}

std::string LoadResult::format() const {
  std::string out;
  for (const auto& e : errors) out += e.format() + "\n";
  return out;
}

LoadResult load_config(std::string_view yaml_text, std::string file_name) {
  Reader reader(std::move(file_name));
  // A deploy.yml is a few KiB; parsing megabytes of YAML takes seconds and hundreds of MB, so a file
  // that size is a mistake (or an attack through a pull request) and is refused before parsing.
  if (yaml_text.size() > kMaxConfigBytes) {
    reader.error(Position{}, "",
                 "the file has more than " + std::to_string(kMaxConfigBytes) +
                     " bytes; a deploy config may be at most 1 MiB: check that the path names the right file");
    return LoadResult{std::nullopt, reader.take_errors()};
  }
  const std::string text(yaml_text);
  YAML::Node root;
  try {
    const detail::DocumentScan scan = detail::scan_documents(text);
    if (scan.stuck) {
      const auto pos = static_cast<std::size_t>(std::max(scan.second.pos, 0));
      const std::string found = pos < text.size() ? "'" + text.substr(pos, 1) + "'" : "end of file";
      reader.error(detail::position_of(scan.second, Position{}), "", "invalid YAML: unexpected " + found);
      return LoadResult{std::nullopt, reader.take_errors()};
    }
    if (scan.count == 0) {
      reader.error(Position{}, "", "the file is empty; it needs at least version, environments, stages and rollback");
      return LoadResult{std::nullopt, reader.take_errors()};
    }
    if (scan.count > 1) {
      reader.error(detail::position_of(scan.second, Position{}), "",
                   "expected one YAML document, found more (remove the --- separators)");
    }
    root = YAML::Load(text);  // the first document only; safe from the loop scan_documents guards
  } catch (const YAML::Exception& e) {
    reader.error(detail::position_of(e.mark, Position{}), "",
                 "invalid YAML: " + e.msg + syntax_hint(yaml_text, e.mark));
    return LoadResult{std::nullopt, reader.take_errors()};
  }
  const Position root_at = detail::position_of(root.Mark(), Position{});
  Loader loader(reader);
  Config config = loader.load(Node{root, "", root_at, root_at});
  LoadResult result;
  result.errors = reader.take_errors();
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

}  // namespace deploy::config
