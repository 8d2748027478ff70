#include "bot/handlers/control_commands.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bot/handlers/approvals.hpp"
#include "bot/handlers/deployments.hpp"
#include "bot/thread_target.hpp"
#include "core/github/error.hpp"
#include "core/plan/plan.hpp"
#include "core/policy/from_config.hpp"
#include "core/policy/locks.hpp"
#include "core/policy/promotion.hpp"
#include "core/policy/pull_request_deploy.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {
namespace {

std::string comment_key(const CommandThread& thread, const command::Command& cmd, const std::string& what) {
  return "c" + std::to_string(thread.comment_id) + ":" + what + ":" + std::to_string(cmd.line);
}

// Who may lock: locks.allowed, or else whoever may approve the environment.
std::vector<policy::Principal> lock_allowed(const config::Config& config, const config::Environment& env) {
  return policy::to_policy(config.locks.allowed.empty() ? env.approvals.from : config.locks.allowed);
}

// The environment a command names, as deploy.yml spells it; nullptr (and a reply) when none does.
const config::Environment* named_environment(const config::Config& config, const CommandThread& thread,
                                             const command::Command& cmd) {
  for (const auto& env : config.environments) {
    if (text::iequals(env.name, cmd.environment)) return &env;
  }
  std::string known;
  for (const auto& env : config.environments) known += (known.empty() ? "`" : ", `") + env.name + "`";
  thread.reply(std::string(command::to_string(cmd.kind)) + ":" + std::to_string(cmd.line),
               "there is no environment `" + text::shown(cmd.environment, 60) +
                   "` in `.github/deploy.yml` (`unknown_environment`); known: " + known + ".");
  return nullptr;
}

void audit_decision(Context& context, const CommandThread& thread, const command::Command& cmd, audit::Kind kind,
                    const std::string& environment, const Outcome& outcome, audit::Status status) {
  audit::Record record;
  record.kind = kind;
  record.environment = environment;
  record.actor = thread.login;
  record.request_url = thread.comment_url;
  if (!thread.sha.empty()) record.commit_sha = thread.sha;
  if (!thread.tag.empty()) record.version = thread.tag;
  record.gates.push_back(audit::Gate::from(std::string(command::to_string(cmd.kind)), outcome));
  if (!cmd.reason.empty()) record.extra["reason"] = cmd.reason;
  record.outcome = {status, outcome.reason, outcome.message};
  context.audit(comment_key(thread, cmd, std::string(command::to_string(cmd.kind))), record);
}

// The App registered from deploy/github-app-manifest.json reads contents only; a lock is a ref.
constexpr const char* kNeedsContentsWrite =
    "deploy-bot may not write refs in this repository: locks are refs (`refs/deploy-locks/ENV`), which need the "
    "App's Contents: write permission (docs/OPERATIONS.md, permissions). Nothing was changed (`no_contents_write`).";

bool forbidden(const github::GitHubError& error) { return error.status() == 403; }

LockRow row_of(const policy::Lock& lock, std::chrono::system_clock::time_point now) {
  LockRow row;
  row.kind = std::string(policy::to_string(lock.kind));
  row.holder = lock.holder;
  row.reason = lock.reason;
  row.run_url = lock.run_url;
  row.since = lock.created;
  row.until = lock.expires;
  row.expired = policy::is_expired(lock, now);
  return row;
}

}  // namespace

std::vector<LockRow> environment_locks(Context& context, const std::string& environment) {
  std::vector<LockRow> rows;
  const auto now = context.services.clock.now();
  for (const auto kind : {policy::Lock::Kind::sticky, policy::Lock::Kind::run}) {
    if (auto held = context.ports().locks.lock(kind, environment)) rows.push_back(row_of(held->lock, now));
  }
  return rows;
}

std::optional<Outcome> sticky_lock_refusal(Context& context, const std::string& environment,
                                           const std::string& requested_by) {
  const auto sticky = context.ports().locks.lock(policy::Lock::Kind::sticky, environment);
  if (!sticky) return std::nullopt;
  // The run the bot would start, as the action will see it: a bot's run acting for the requester.
  policy::RunIdentity run;
  run.actor = "deploy-bot[bot]";
  run.actor_is_bot = true;
  run.requested_by = requested_by;
  auto decision = policy::decide_run_lock(sticky->lock, std::nullopt, run, context.services.clock.now());
  if (decision.outcome.allowed) return std::nullopt;
  return std::move(decision.outcome);
}

void lock_command(Context& context, const config::Config& config, const CommandThread& thread,
                  const command::Command& cmd) {
  const auto* env = named_environment(config, thread, cmd);
  if (env == nullptr) return;
  const std::string purpose = "lock:" + std::to_string(cmd.line);
  const auto allowed = lock_allowed(config, *env);
  const auto actor = context.ports().people.actor(thread.login, false, allowed);
  auto current = context.ports().locks.lock(policy::Lock::Kind::sticky, env->name);
  const auto now = context.services.clock.now();
  const auto decision = policy::decide_lock_command(policy::LockAction::lock, actor, allowed,
                                                    current ? std::optional(current->lock) : std::nullopt, now);
  if (!decision.allowed) {
    audit_decision(context, thread, cmd, audit::Kind::lock_decision, env->name, decision, audit::Status::refused);
    thread.reply(purpose, "lock refused: " + decision.message + " (`" + decision.reason + "`)");
    return;
  }
  policy::Lock lock;
  lock.kind = policy::Lock::Kind::sticky;
  lock.environment = env->name;
  lock.holder = thread.login;
  lock.reason = cmd.reason;
  lock.created = now;
  if (cmd.duration) lock.expires = now + *cmd.duration;
  // Once per comment: the ref is the effect, and taking it is atomic on GitHub (a retried delivery
  // whose first try took the lock finds it held by the same person and renews it).
  std::optional<std::string> result;
  try {
    result = context.once(context.key(comment_key(thread, cmd, "lock")), Repeat::safe, [&] {
      const auto taken = context.ports().locks.take_lock(lock, current);
      return nlohmann::json{{"taken", taken.has_value()}}.dump();
    });
  } catch (const github::GitHubError& error) {
    if (!forbidden(error)) throw;
    thread.reply(purpose, kNeedsContentsWrite);
    return;
  }
  const bool taken = result && nlohmann::json::parse(*result, nullptr, false).value("taken", false);
  if (!taken) {
    const auto now_held = context.ports().locks.lock(policy::Lock::Kind::sticky, env->name);
    const Outcome lost = Outcome::deny("already_locked", "environment " + env->name + " was locked meanwhile" +
                                                             (now_held ? ", " + policy::describe(now_held->lock) : ""));
    audit_decision(context, thread, cmd, audit::Kind::lock_decision, env->name, lost, audit::Status::refused);
    thread.reply(purpose, "lock refused: " + lost.message + " (`" + lost.reason + "`)");
    return;
  }
  audit_decision(context, thread, cmd, audit::Kind::lock_decision, env->name, decision, audit::Status::success);
  thread.reply(purpose, "locked `" + env->name + "` " + policy::describe(lock).substr(5) +
                            ". Deploys and rollbacks of it are refused unless they are yours; `/unlock " + env->name +
                            "` ends it.");
}

void unlock_command(Context& context, const config::Config& config, const CommandThread& thread,
                    const command::Command& cmd) {
  const auto* env = named_environment(config, thread, cmd);
  if (env == nullptr) return;
  const std::string purpose = "unlock:" + std::to_string(cmd.line);
  const auto allowed = lock_allowed(config, *env);
  const auto actor = context.ports().people.actor(thread.login, false, allowed);
  const auto current = context.ports().locks.lock(policy::Lock::Kind::sticky, env->name);
  const auto decision =
      policy::decide_lock_command(policy::LockAction::unlock, actor, allowed,
                                  current ? std::optional(current->lock) : std::nullopt, context.services.clock.now());
  if (!decision.allowed) {
    audit_decision(context, thread, cmd, audit::Kind::lock_decision, env->name, decision, audit::Status::refused);
    thread.reply(purpose, "unlock refused: " + decision.message + " (`" + decision.reason + "`)");
    return;
  }
  try {
    context.once(context.key(comment_key(thread, cmd, "unlock")), Repeat::safe, [&] {
      return nlohmann::json{{"released", context.ports().locks.release_lock(*current)}}.dump();
    });
  } catch (const github::GitHubError& error) {
    if (!forbidden(error)) throw;
    thread.reply(purpose, kNeedsContentsWrite);
    return;
  }
  audit_decision(context, thread, cmd, audit::Kind::lock_decision, env->name, decision, audit::Status::success);
  thread.reply(purpose, "unlocked `" + env->name + "` (was " + policy::describe(current->lock) + ").");
}

void list_locks_command(Context& context, const config::Config& config, const CommandThread& thread,
                        const command::Command& cmd) {
  std::string lines;
  for (const auto& env : config.environments) {
    for (const auto& row : environment_locks(context, env.name)) lines += render_lock(env.name, row) + "\n";
  }
  thread.reply("locks:" + std::to_string(cmd.line),
               lines.empty() ? "no environment is locked." : "environment locks:\n\n" + lines);
}

void promotion_command(Context& context, const config::Config& config, const CommandThread& thread,
                       const command::Command& cmd) {
  const auto decision_kind =
      cmd.kind == command::Kind::abort ? policy::PromotionDecision::abort : policy::PromotionDecision::promote;
  const std::string what(policy::to_string(decision_kind));
  const std::string purpose = what + ":" + std::to_string(cmd.line);
  // The waiting run: a deployment of this thread's commit still in progress, in an environment with
  // a `pause: until-promoted` step (the tracking issue's environment first).
  const config::Environment* env = nullptr;
  std::int64_t deployment_id = 0;
  std::vector<const config::Environment*> candidates;
  if (thread.tracking_issue) {
    if (const auto* first = environment_for_tag(config, thread.tag)) candidates.push_back(first);
  }
  for (const auto& e : config.environments) candidates.push_back(&e);
  for (const auto* e : candidates) {
    const bool holds = std::any_of(e->strategy.steps.begin(), e->strategy.steps.end(),
                                   [](const config::TrafficStep& step) { return step.until_promoted; });
    if (!holds || thread.sha.empty()) continue;
    for (const auto& entry : deployment_history(context, e->name, 10)) {
      if (text::iequals(entry.record.sha, thread.sha) &&
          (entry.seen.latest_status == "in_progress" || entry.seen.latest_status == "queued" ||
           entry.seen.latest_status.empty())) {
        env = e;
        deployment_id = entry.record.id;
        break;
      }
    }
    if (env != nullptr) break;
  }
  const config::Environment* judged = env != nullptr ? env : (candidates.empty() ? nullptr : candidates.front());
  const auto approvers =
      judged != nullptr ? policy::to_policy(judged->approvals.from) : std::vector<policy::Principal>{};
  const auto actor = context.ports().people.actor(thread.login, false, approvers);
  const auto decision = policy::decide_promotion(decision_kind, actor, approvers, env != nullptr);
  const std::string env_name = judged != nullptr ? judged->name : std::string();
  if (!decision.allowed) {
    audit_decision(context, thread, cmd, audit::Kind::promotion_decision, env_name, decision, audit::Status::refused);
    thread.reply(purpose, what + " refused: " + decision.message + " (`" + decision.reason + "`)");
    return;
  }
  github::NewCommitStatus status;
  status.context = policy::promotion_context(env->name);
  status.state = policy::promotion_state(decision_kind);
  status.description = policy::promotion_description(decision_kind, deployment_id, thread.login, cmd.reason);
  if (!thread.comment_url.empty()) status.target_url = thread.comment_url;
  context.once(context.key(comment_key(thread, cmd, what)), Repeat::safe, [&] {
    context.ports().statuses.set_status(thread.sha, status);
    return nlohmann::json{{"deployment", deployment_id}, {"state", status.state}}.dump();
  });
  audit_decision(context, thread, cmd, audit::Kind::promotion_decision, env->name, decision, audit::Status::success);
  thread.reply(purpose, decision_kind == policy::PromotionDecision::abort
                            ? "aborting the canary of `" + env->name + "` (deployment " +
                                  std::to_string(deployment_id) + "): the waiting run rolls back within seconds."
                            : "promoting the canary of `" + env->name + "` (deployment " +
                                  std::to_string(deployment_id) + "): the waiting run goes on within seconds.");
}

void deploy_command(Context& context, const config::Config& config, const CommandThread& thread,
                    const command::Command& cmd) {
  const std::string purpose = "deploy:" + std::to_string(cmd.line);
  const config::Environment* env = nullptr;
  for (const auto& e : config.environments) {
    if (text::iequals(e.name, cmd.environment)) env = &e;
  }
  policy::PullRequestDeployRequest request;
  request.environment = cmd.environment;
  request.environment_known = env != nullptr;
  request.on_pull_request = thread.pull_request;
  request.allow_pull_requests = env != nullptr && env->allow_pull_requests;
  request.fork = thread.fork;
  request.allow_forks = config.bot.allow_fork_pull_requests;
  request.noop = cmd.noop;
  const auto approvers = env != nullptr ? policy::to_policy(env->approvals.from) : std::vector<policy::Principal>{};
  request.actor = context.ports().people.actor(thread.login, false, approvers);
  request.allowed = approvers;
  const auto decision = policy::decide_pull_request_deploy(request);
  if (!decision.allowed) {
    audit_decision(context, thread, cmd, audit::Kind::deploy, cmd.environment, decision, audit::Status::refused);
    thread.reply(purpose, "deploy refused: " + decision.message + " (`" + decision.reason + "`)");
    return;
  }
  const std::string ref = "refs/pull/" + std::to_string(thread.number) + "/head";
  if (cmd.noop) {
    auto shown_plan = plan::make_plan(config, env->name, ref);
    thread.reply(purpose, "the plan for deploying pull request #" + std::to_string(thread.number) + " (`" +
                              thread.sha.substr(0, 7) + "`) to `" + env->name + "` (nothing was run):\n\n```text\n" +
                              (shown_plan.ok() ? plan::render_text(*shown_plan) : shown_plan.error().message) + "```");
    return;
  }
  if (auto locked = sticky_lock_refusal(context, env->name, thread.login)) {
    audit_decision(context, thread, cmd, audit::Kind::deploy, env->name, *locked, audit::Status::refused);
    thread.reply(purpose, "deploy refused: " + locked->message + " (`" + locked->reason + "`)");
    return;
  }
  const std::string dispatch_ref = config.bot.ref.empty() ? context.default_branch : config.bot.ref;
  const std::string effect =
      context.key("pr-deploy:c" + std::to_string(thread.comment_id) + ":" + std::to_string(cmd.line));
  const DispatchedRun run{thread.number, thread.sha, env->name, "deploy"};
  const std::map<std::string, std::string> inputs = {
      {"environment", env->name}, {"mode", "deploy"}, {"version", ""}, {"ref", ref}};
  const auto run_url =
      dispatch_once(context, config, dispatch_ref, inputs, {thread.login, thread.comment_url}, run, effect);
  if (!run_url) {
    const Outcome unknown = Outcome::deny("dispatch_unconfirmed", kDispatchUnconfirmed);
    audit_decision(context, thread, cmd, audit::Kind::deploy, env->name, unknown, audit::Status::failure);
    thread.reply(purpose, std::string("could not confirm the deploy: ") + kDispatchUnconfirmed +
                              " Check the Actions tab before asking again.");
    return;
  }
  audit_decision(context, thread, cmd, audit::Kind::deploy, env->name, decision, audit::Status::success);
  thread.reply(purpose, "deploying pull request #" + std::to_string(thread.number) + " (`" + thread.sha.substr(0, 7) +
                            "`) to `" + env->name + "`, with its gates" +
                            (run_url->empty() ? std::string(".") : ": " + *run_url));
}

}  // namespace deploy::bot::handlers
