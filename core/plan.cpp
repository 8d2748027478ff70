#include "core/plan.hpp"

#include <sstream>

#include "core/config_duration.hpp"
#include "core/policy.hpp"
#include "core/policy_config.hpp"

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
  return policy::describe(policy_config::to_policy(principals));
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
    if (t.max_increase_percent) parts.push_back("at most " + number(*t.max_increase_percent) + "% above the pre-deploy value");
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
    if (!cmd->thresholds.empty()) out << " prints a number " << thresholds(cmd->thresholds);
    else out << " exits 0";
  }
  out << " (timeout " << format_duration(check.timeout) << ")";
  return out.str();
}

std::string strategy_name(config::Strategy::Type type) {
  switch (type) {
    case config::Strategy::Type::rolling: return "rolling";
    case config::Strategy::Type::canary: return "canary";
    case config::Strategy::Type::blue_green: return "blue-green";
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
    std::string text = std::to_string(env.approvals.required) + " distinct approval" +
                       (env.approvals.required == 1 ? "" : "s") + " of the release commit (/approve" +
                       (env.approvals.count_reviews ? " or an approving review" : "") + ") from " +
                       principals_text(env.approvals.from) +
                       (env.approvals.allow_author
                            ? "; never the person who triggered the deploy or a bot"
                            : "; never the author, a committer, the person who triggered the deploy, or a bot");
    gates.push_back({"approvals", text});
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

}  // namespace

Result<Plan> make_plan(const config::Config& config, std::string_view environment, std::string_view ref) {
  const config::Environment* env = config.environment(environment);
  if (env == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : config.environments) names.push_back(e.name);
    return Error{"unknown_environment", "environment '" + std::string(environment) +
                                            "' is not in the config; known environments: " +
                                            (names.empty() ? "(none)" : join(names, ", "))};
  }
  Plan plan;
  plan.environment = env->name;
  plan.ref = std::string(ref);
  describe_trigger(*env, ref, plan);
  plan.gates = gates_for(config, *env);
  plan.strategy = strategy_name(env->strategy.type);

  for (const config::Stage* stage : config.stages_for(env->name)) {
    if (!stage->traffic) {
      plan.steps.push_back({stage->name, stage->run, stage->timeout, stage->retries, std::nullopt, {}});
      continue;
    }
    for (const auto& step : env->strategy.steps) {
      plan.steps.push_back({stage->name, stage->run, stage->timeout, stage->retries, step.traffic, step.pause});
    }
  }

  for (const auto& check : env->analysis.checks) plan.checks.push_back(describe_check(check));
  if (!plan.checks.empty()) {
    plan.analysis = "every " + format_duration(env->analysis.interval) + ", a step fails after " +
                    std::to_string(env->analysis.failure_limit) + " failed round" +
                    (env->analysis.failure_limit == 1 ? "" : "s") + " in a row";
  }

  if (config.rollback.run.empty()) {
    plan.rollback = "no rollback command configured: a failure stops the deploy and leaves it as it is";
  } else if (env->rollback.automatic) {
    plan.rollback = "roll back automatically to the previous version with `" + config.rollback.run + "` (timeout " +
                    format_duration(config.rollback.timeout) + "), then check health again";
  } else {
    plan.rollback = "automatic rollback is off: a failure stops the deploy; roll back with /rollback or mode rollback";
  }
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

  out << "\nStages (" << plan.strategy << "):\n";
  n = 0;
  for (const auto& step : plan.steps) {
    out << "  " << ++n << ". " << step.stage;
    if (step.traffic) out << " @ " << *step.traffic << "% traffic";
    out << "  `" << step.run << "`  timeout " << config::format_duration(step.timeout);
    if (step.retries > 0) out << ", " << step.retries << " retr" << (step.retries == 1 ? "y" : "ies");
    if (step.traffic && step.analysis.count() > 0) out << ", then analysis for " << config::format_duration(step.analysis);
    out << "\n";
  }
  if (plan.steps.empty()) out << "  (no stages apply to this environment)\n";

  if (!plan.checks.empty()) {
    out << "\nAnalysis (" << plan.analysis << "):\n";
    for (const auto& check : plan.checks) out << "  - " << check << "\n";
  }
  out << "\nOn failure: " << plan.rollback << "\n";
  if (!plan.notifications.empty()) {
    out << "\nNotifications:\n";
    for (const auto& line : plan.notifications) out << "  - " << line << "\n";
  }
  return out.str();
}

}  // namespace deploy::plan
