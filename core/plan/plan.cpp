#include "core/plan/plan.hpp"

#include "core/rfc3339/rfc3339.hpp"

#include <algorithm>
#include <sstream>

#include "core/config/duration.hpp"
#include "core/policy/from_config.hpp"
#include "core/policy/policy.hpp"

namespace deploy::plan {
namespace {

using config::format_duration;

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Same wording as the approval and rollback decisions use, so the plan and the verdict agree.
std::string principals_text(const std::vector<config::Principal>& principals) {
  return policy::describe(policy::to_policy(principals));
}

std::string strip_prefix(std::string_view ref, std::string_view prefix) {
  return std::string(ref.substr(0, prefix.size()) == prefix ? ref.substr(prefix.size()) : ref);
}

// Describes how `ref` relates to the environment's triggers. A ref without refs/ is tried both as
// a tag and as a branch, as the action accepts either.
void describe_trigger(const config::Environment& env, std::string_view ref, Plan& plan) {
  std::vector<std::string> parts;
  if (!env.on.branches.empty()) parts.push_back("branches " + join(env.on.branches, ", "));
  if (!env.on.tags.empty()) parts.push_back("tags " + join(env.on.tags, ", "));
  const std::string triggers = parts.empty() ? "no triggers (deploys only when run explicitly)" : join(parts, "; ");
  if (ref.empty()) {
    plan.trigger = triggers;
    return;
  }
  // deploy-bot's /deploy ENV on a pull request: its head, where allow_pull_requests says so.
  if (ref.starts_with("refs/pull/") && ref.ends_with("/head")) {
    const std::string number(ref.substr(10, ref.size() - 15));
    plan.ref_triggers = env.allow_pull_requests;
    plan.trigger = env.allow_pull_requests ? "pull request #" + number + " (allow_pull_requests)"
                                           : "pull request #" + number + ": " + env.name +
                                                 " does not take pull requests (allow_pull_requests)";
    return;
  }
  const bool is_tag = ref.rfind("refs/tags/", 0) == 0;
  const bool is_branch = ref.rfind("refs/heads/", 0) == 0;
  const std::string tag = strip_prefix(ref, "refs/tags/");
  const std::string branch = strip_prefix(ref, "refs/heads/");
  if (!is_branch && env.on.matches_tag(tag)) {
    plan.trigger = "tag " + tag + " matches " + triggers;
  } else if (!is_tag && env.on.matches_branch(branch)) {
    plan.trigger = "branch " + branch + " matches " + triggers;
  } else {
    plan.ref_triggers = false;
    plan.trigger = std::string(ref) + " matches none of " + triggers;
  }
}

std::string describe_check(const config::Check& check) {
  std::ostringstream out;
  out << check.name << ": ";
  auto thresholds = [](const config::Thresholds& t) {
    std::vector<std::string> parts;
    auto number = [](double v) {
      std::ostringstream s;
      s << v;
      return s.str();
    };
    if (t.min) parts.push_back(">= " + number(*t.min));
    if (t.max) parts.push_back("<= " + number(*t.max));
    if (t.max_increase_percent)
      parts.push_back("at most " + number(*t.max_increase_percent) + "% above the pre-deploy value");
    return join(parts, ", ");
  };
  if (const auto* http = std::get_if<config::HttpCheck>(&check.probe)) {
    out << "http GET " << http->url << " expects " << http->expect_status;
    if (http->json_field) out << ", " << *http->json_field << " == " << http->equals.value_or("(present)");
    if (http->max_latency) out << ", latency <= " << format_duration(*http->max_latency);
  } else if (const auto* prom = std::get_if<config::PrometheusCheck>(&check.probe)) {
    out << "prometheus " << prom->url << " `" << prom->query << "` " << thresholds(prom->thresholds);
  } else if (const auto* cmd = std::get_if<config::CommandCheck>(&check.probe)) {
    out << "command `" << cmd->run << "`";
    if (!cmd->thresholds.empty())
      out << " prints a number " << thresholds(cmd->thresholds);
    else
      out << " exits 0";
  }
  out << " (timeout " << format_duration(check.timeout) << ")";
  return out.str();
}

std::string strategy_name(config::Strategy::Type type) {
  switch (type) {
    case config::Strategy::Type::rolling:
      return "rolling";
    case config::Strategy::Type::canary:
      return "canary";
    case config::Strategy::Type::blue_green:
      return "blue-green";
  }
  return "rolling";
}

std::vector<Gate> gates_for(const config::Config& config, const config::Environment& env) {
  std::vector<Gate> gates;
  const auto& r = config.release;
  std::vector<std::string> accepted;
  if (!env.on.branches.empty()) accepted.push_back("the head of branch " + join(env.on.branches, " or "));
  if (!env.on.tags.empty() || env.on.branches.empty()) {
    std::string tag = "a tag matching " + r.tag_pattern + " that is a semantic version on " +
                      (r.branches.empty() ? "the default branch" : join(r.branches, " or ")) +
                      ", newer than the version deployed";
    if (r.require_annotated) tag += ", annotated";
    if (r.require_signed) tag += ", signed";
    if (!r.allow_prereleases) tag += ", not a pre-release";
    accepted.push_back(tag);
  }
  gates.push_back({"release", join(accepted, "; or ")});
  if (env.approvals.required > 0) {
    std::string text =
        std::to_string(env.approvals.required) + " distinct approval" + (env.approvals.required == 1 ? "" : "s") +
        " of the release commit (/approve" + (env.approvals.count_reviews ? " or an approving review" : "") +
        ") from " + principals_text(env.approvals.from) +
        (env.approvals.allow_author ? "; never the person who triggered the deploy or a bot"
                                    : "; never the author, a committer, the person who triggered the deploy, or a bot");
    if (!env.approvals.rules.empty()) {
      std::vector<std::string> rules;
      for (const auto& rule : env.approvals.rules) {
        rules.push_back((rule.name.empty() ? std::string() : rule.name + ": ") + std::to_string(rule.count) + " from " +
                        (rule.from.empty() ? std::string("any approver") : principals_text(rule.from)));
      }
      text = "every rule holds (" + join(rules, "; ") + "), each person counted once per rule, approvals from " +
             principals_text(env.approvals.from) +
             (env.approvals.allow_author
                  ? "; never the person who triggered the deploy or a bot"
                  : "; never the author, a committer, the person who triggered the deploy, or a bot");
    }
    gates.push_back({"approvals", text});
    gates.push_back({"rejection", "nobody who may approve has a /reject of the release commit standing"});
  }
  if (!env.freeze.windows.empty()) {
    std::vector<std::string> windows;
    for (const auto& w : env.freeze.windows) {
      std::string text = w.name + " (";
      if (w.recurring()) {
        text += "from `" + w.cron + "` in " + w.time_zone + " for " + format_duration(w.duration);
      } else {
        text += rfc3339::format_seconds(w.start) + " to " + rfc3339::format_seconds(w.end);
      }
      const auto& rule = w.override ? w.override : env.freeze.override;
      text += rule ? ", override: a reason and " + std::to_string(rule->count) + " from " +
                         (rule->from.empty() ? std::string("any approver") : principals_text(rule->from))
                   : std::string(", no override");
      windows.push_back(text + ")");
    }
    gates.push_back({"freeze", "not inside a freeze window: " + join(windows, "; ")});
  }
  if (env.reviewed_changes.required_reviews > 0) {
    gates.push_back({"reviewed_changes", "every pull request merged since the previous release has " +
                                             std::to_string(env.reviewed_changes.required_reviews) +
                                             " approving review(s) from people other than its author"});
  }
  if (!env.required_checks.empty()) {
    gates.push_back({"required_checks", "checks green on the commit: " + join(env.required_checks, ", ")});
  }
  return gates;
}

const char* kAfterDeploy = "after_deploy";

Step stage_step(const config::Stage& stage, std::string phase, bool live) {
  Step step;
  step.kind = StepKind::stage;
  step.stage = stage.name;
  step.run = stage.run;
  step.timeout = stage.timeout;
  step.retries = stage.retries;
  step.phase = std::move(phase);
  step.live = live;
  return step;
}

Step window(std::string label, int rounds, config::Duration interval, std::string phase) {
  Step step;
  step.kind = StepKind::analysis;
  step.stage = "analysis";
  step.label = std::move(label);
  step.rounds = rounds;
  step.interval = interval;
  step.phase = std::move(phase);
  step.live = true;
  return step;
}

// One health-check round right after a rollback, its own analysis run.
Step health_check() {
  Step step = window("after the rollback", 1, config::Duration{0}, "rollback");
  step.starts_run = true;
  step.ends_run = true;
  return step;
}

// The same rule the engine applies check by check: a preview window only when a check runs there.
bool has_preview_checks(const config::Environment& env) {
  return std::any_of(env.analysis.checks.begin(), env.analysis.checks.end(),
                     [&](const config::Check& c) { return preview_check(c, env.strategy.preview_url).has_value(); });
}

// blue-green: moves all traffic to `color` (the new one on a deploy, the old one to roll back).
Step switch_step(const config::Environment& env, Color color, std::string phase) {
  Step flip;
  flip.kind = StepKind::switch_traffic;
  flip.stage = "switch";
  flip.run = env.strategy.switch_run;
  flip.timeout = env.strategy.switch_timeout;
  flip.phase = std::move(phase);
  flip.color = color;
  flip.live = true;
  return flip;
}

// The deploy stage put in place by each strategy, with the analysis windows that watch it.
void deploy_stage_steps(const config::Environment& env, const config::Stage& stage, std::vector<Step>& steps) {
  const auto& a = env.analysis;
  const bool checks = !a.checks.empty();
  if (env.strategy.type == config::Strategy::Type::blue_green) {
    Step deploy = stage_step(stage, "deploy", false);
    deploy.kind = StepKind::deploy;
    deploy.color = Color::idle;
    steps.push_back(deploy);
    if (checks && has_preview_checks(env)) {
      const int rounds = std::max(a.failure_limit, 1);
      Step preview = window("before the switch, on the idle colour", rounds, a.interval, "pre_switch");
      preview.preview = true;
      preview.starts_run = true;
      preview.ends_run = true;
      preview.live = false;
      steps.push_back(preview);
    }
    steps.push_back(switch_step(env, Color::idle, "switch"));
    if (checks) {
      const auto duration = a.final_window(env.strategy);
      Step after = window("after the switch", a.rounds_in(duration), std::min(a.interval, duration), "post_switch");
      after.starts_run = true;
      after.ends_run = true;
      steps.push_back(after);
    } else if (env.strategy.steps.back().pause.count() > 0) {
      steps.push_back(window("pause after the switch", 0, env.strategy.steps.back().pause, "post_switch"));
    }
    return;
  }
  const auto& traffic = env.strategy.steps;
  for (std::size_t i = 0; i < traffic.size(); ++i) {
    Step deploy = stage_step(stage, "deploy", true);
    deploy.kind = StepKind::deploy;
    deploy.traffic = traffic[i].traffic;
    steps.push_back(deploy);
    const bool last = i + 1 == traffic.size();
    const std::string at = std::to_string(traffic[i].traffic) + "% traffic";
    if (checks) {
      const auto duration = last ? a.final_window(env.strategy) : traffic[i].pause;
      Step w = window(last ? "after full traffic" : "at " + at, a.rounds_in(duration), std::min(a.interval, duration),
                      "deploy");
      w.starts_run = i == 0;
      w.ends_run = last;
      steps.push_back(w);
    } else if (traffic[i].pause.count() > 0) {
      steps.push_back(window("pause at " + at, 0, traffic[i].pause, "deploy"));
    }
    if (traffic[i].until_promoted && !last) {
      Step hold;
      hold.kind = StepKind::hold;
      hold.stage = "promotion";
      hold.label = "at " + at;
      hold.traffic = traffic[i].traffic;
      hold.timeout = env.strategy.pause_timeout;
      hold.phase = "deploy";
      hold.live = true;
      steps.push_back(hold);
    }
  }
}

// The way back to a version: rollback.stages, then rollback.run or the deploy stage at 100 %.
void way_back(const config::Config& config, const config::Environment& env, bool switch_back_only,
              std::vector<Step>& steps) {
  if (switch_back_only) {
    steps.push_back(switch_step(env, Color::live, "rollback"));
    return;
  }
  for (const auto& name : config.rollback.stages) {
    if (const config::Stage* stage = config.stage(name)) steps.push_back(stage_step(*stage, "rollback", true));
  }
  if (!config.rollback.run.empty()) {
    Step step;
    step.kind = StepKind::stage;
    step.stage = "rollback";
    step.run = config.rollback.run;
    step.timeout = config.rollback.timeout;
    step.phase = "rollback";
    step.live = true;
    steps.push_back(step);
    return;
  }
  const config::Stage* stage = config.deploy_stage(env.name);
  if (stage == nullptr) return;
  Step deploy = stage_step(*stage, "rollback", true);
  deploy.kind = StepKind::deploy;
  if (env.strategy.type == config::Strategy::Type::blue_green) {
    deploy.color = Color::idle;
    steps.push_back(deploy);
    steps.push_back(switch_step(env, Color::idle, "rollback"));
    return;
  }
  deploy.traffic = 100;
  steps.push_back(deploy);
}

std::string analysis_rules(const config::Analysis& a) {
  std::string text = "a round every " + format_duration(a.interval) + "; the run fails at " +
                     std::to_string(a.failure_limit) + " failed round" + (a.failure_limit == 1 ? "" : "s") +
                     " counted over the whole run (steps do not reset the count), or at " +
                     std::to_string(a.consecutive_errors) + " round" + (a.consecutive_errors == 1 ? "" : "s") +
                     " in a row that cannot measure";
  if (a.inconclusive_limit) {
    text += ", or at " + std::to_string(*a.inconclusive_limit) + " inconclusive round" +
            (*a.inconclusive_limit == 1 ? "" : "s");
  }
  text += "; success is declared only when no limit was reached and the last round was successful";
  return text;
}

std::string describe_step(const Step& step) {
  std::ostringstream out;
  switch (step.kind) {
    case StepKind::stage:
      out << step.stage;
      break;
    case StepKind::deploy:
      out << step.stage;
      if (step.traffic) out << " @ " << *step.traffic << "% traffic";
      if (step.color == Color::idle) out << " on the idle colour (DEPLOY_COLOR)";
      break;
    case StepKind::switch_traffic:
      out << (step.color == Color::idle ? "switch all traffic to the new colour"
                                        : "switch traffic back to the previous colour");
      break;
    case StepKind::hold:
      out << "hold " << step.label << " until /promote (go on) or /abort (roll back) on the tracking issue or pull "
          << "request, at most " << format_duration(step.timeout) << " (then roll back)";
      return out.str();
    case StepKind::analysis:
      if (step.rounds == 0) {
        out << step.label << ": wait " << format_duration(step.interval);
      } else {
        out << "analysis " << step.label << ": " << step.rounds << " round" << (step.rounds == 1 ? "" : "s");
        if (step.rounds > 1 || step.interval.count() > 0) out << ", one every " << format_duration(step.interval);
        if (step.preview)
          out << " (http checks against the preview URL; its own run)";
        else if (step.starts_run && step.ends_run)
          out << " (its own run)";
        if (step.ends_run) out << "; the run's verdict is decided here";
      }
      return out.str();
  }
  out << "  `" << step.run << "`  timeout " << format_duration(step.timeout);
  if (step.retries > 0) out << ", " << step.retries << " retr" << (step.retries == 1 ? "y" : "ies");
  return out.str();
}

}  // namespace

Result<Plan> make_plan(const config::Config& config, std::string_view environment, std::string_view ref) {
  const config::Environment* env = config.environment(environment);
  if (env == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : config.environments) names.push_back(e.name);
    return Error{"unknown_environment",
                 "environment '" + std::string(environment) +
                     "' is not in the config; known environments: " + (names.empty() ? "(none)" : join(names, ", "))};
  }
  Plan plan;
  plan.environment = env->name;
  plan.ref = std::string(ref);
  describe_trigger(*env, ref, plan);
  plan.gates = gates_for(config, *env);
  plan.strategy = strategy_name(env->strategy.type);

  const config::Stage* deploy_stage = config.deploy_stage(env->name);
  bool live = false;
  for (const config::Stage* stage : config.stages_for(env->name)) {
    if (stage != deploy_stage) {
      plan.steps.push_back(stage_step(*stage, live ? kAfterDeploy : "before_deploy", live));
      continue;
    }
    deploy_stage_steps(*env, *stage, plan.steps);
    live = true;
  }

  for (const auto& check : env->analysis.checks) plan.checks.push_back(describe_check(check));
  if (!plan.checks.empty()) plan.analysis = analysis_rules(env->analysis);

  const bool blue_green = env->strategy.type == config::Strategy::Type::blue_green;
  if (env->rollback.automatic) {
    way_back(config, *env, blue_green, plan.rollback_steps);
    if (!env->analysis.checks.empty()) plan.rollback_steps.push_back(health_check());
  }
  if (!env->rollback.automatic) {
    plan.rollback = "automatic rollback is off: a failure stops the deploy; roll back with /rollback or mode rollback";
  } else if (blue_green) {
    plan.rollback =
        "until the switch, a failure stops the deploy with users still on the live colour; after it, "
        "traffic switches straight back to the previous colour (no redeploy)";
  } else {
    plan.rollback =
        "before the deploy stage starts, a failure stops the deploy (nothing was deployed); from then on "
        "it returns to the previous version straight away: " +
        std::string(config.rollback.run.empty()
                        ? "the deploy stage at 100% with DEPLOY_VERSION = the previous version"
                        : "`" + config.rollback.run + "` (timeout " + format_duration(config.rollback.timeout) + ")") +
        (config.rollback.stages.empty() ? "" : ", after the stages " + join(config.rollback.stages, ", ")) +
        ", no pauses";
  }
  if (env->rollback.automatic && !env->analysis.checks.empty()) plan.rollback += ", then one health-check round";
  if (env->rollback.window.count() > 0) {
    plan.rollback += "; /rollback allowed for " + principals_text(env->rollback.allowed) + " within " +
                     format_duration(env->rollback.window) + " of a deploy";
  }

  auto events = [](const std::vector<config::Event>& on) {
    std::vector<std::string> names;
    for (auto e : on) names.emplace_back(config::to_string(e));
    return join(names, ", ");
  };
  auto applies = [&](const config::NotificationTarget& target) {
    if (target.environments.empty()) return true;
    for (const auto& name : target.environments)
      if (name == env->name) return true;
    return false;
  };
  if (config.notifications.slack && applies(*config.notifications.slack)) {
    plan.notifications.push_back("slack ($" + config.notifications.slack->url_env + ") on " +
                                 events(config.notifications.slack->on));
  }
  for (const auto& hook : config.notifications.webhooks) {
    if (applies(hook)) plan.notifications.push_back("webhook ($" + hook.url_env + ") on " + events(hook.on));
  }
  return plan;
}

Result<Plan> make_rollback_plan(const config::Config& config, std::string_view environment) {
  auto base = make_plan(config, environment);
  if (!base) return base;
  Plan plan = std::move(base).value();
  const config::Environment& env = *config.environment(environment);
  plan.mode = "rollback";
  plan.steps.clear();
  plan.rollback_steps.clear();
  way_back(config, env, false, plan.steps);
  if (!env.analysis.checks.empty()) plan.steps.push_back(health_check());
  plan.rollback = "a rollback is itself the way back: a failure stops it and leaves the environment for a person";
  return plan;
}

std::optional<config::Check> preview_check(const config::Check& check, std::string_view preview_url) {
  const auto* http = std::get_if<config::HttpCheck>(&check.probe);
  if (http == nullptr || preview_url.empty()) return std::nullopt;
  // Keep the check's path and query; take scheme, host and port from the preview URL.
  auto origin_end = [](std::string_view url) {
    const auto scheme = url.find("://");
    const auto start = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto slash = url.find('/', start);
    return slash == std::string_view::npos ? url.size() : slash;
  };
  std::string_view origin = preview_url.substr(0, origin_end(preview_url));
  std::string_view url = http->url;
  config::Check out = check;
  std::get<config::HttpCheck>(out.probe).url = std::string(origin) + std::string(url.substr(origin_end(url)));
  return out;
}

std::string_view to_string(StepKind kind) {
  switch (kind) {
    case StepKind::stage:
      return "stage";
    case StepKind::deploy:
      return "deploy";
    case StepKind::analysis:
      return "analysis";
    case StepKind::switch_traffic:
      return "switch";
    case StepKind::hold:
      return "hold";
  }
  return "stage";
}

std::string render_text(const Plan& plan) {
  std::ostringstream out;
  out << "Plan for " << plan.environment;
  if (!plan.ref.empty()) out << " at " << plan.ref;
  out << "\n\n";
  out << "Trigger: " << plan.trigger << "\n";
  if (!plan.ref_triggers) out << "  warning: this ref would not deploy to " << plan.environment << "\n";

  out << "\nGates (all must pass before any stage runs):\n";
  int n = 0;
  for (const auto& gate : plan.gates) out << "  " << ++n << ". " << gate.name << ": " << gate.description << "\n";

  out << "\n" << (plan.mode == "rollback" ? "Rollback" : "Steps") << " (" << plan.strategy << "):\n";
  n = 0;
  std::optional<int> first_live;
  for (const auto& step : plan.steps) {
    ++n;
    if (step.live && !first_live) first_live = n;
    out << "  " << n << ". " << describe_step(step) << "\n";
  }
  if (plan.steps.empty()) out << "  (no stages apply to this environment)\n";

  if (!plan.checks.empty()) {
    out << "\nAnalysis (" << plan.analysis << "):\n";
    for (const auto& check : plan.checks) out << "  - " << check << "\n";
  } else if (plan.mode == "deploy") {
    out << "\nAnalysis: none (no checks): nothing watches the release once it is deployed\n";
  }
  out << "\nOn failure: " << plan.rollback << "\n";
  if (!plan.rollback_steps.empty()) {
    if (first_live) out << "  from step " << *first_live << " on, a failure (or a cancel) runs:\n";
    int r = 0;
    for (const auto& step : plan.rollback_steps) out << "  R" << ++r << ". " << describe_step(step) << "\n";
  }
  if (!plan.notifications.empty()) {
    out << "\nNotifications:\n";
    for (const auto& line : plan.notifications) out << "  - " << line << "\n";
  }
  return out.str();
}

}  // namespace deploy::plan
