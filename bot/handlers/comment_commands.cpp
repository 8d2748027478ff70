// issue_comment.created on pull requests and release tracking issues, commit_comment.created:
// the comment commands (/approve, /approve cancel, /rollback, /status, /help). Edits and
// deletions never count: an edit marks the recorded approval edited (policy then refuses it).
//
// Which commit an approval is for: a pull request's head at the time the bot handles the comment;
// a tracking issue's marker commit; a commit comment's commit. Which environment's rules apply:
// bot/thread_target.hpp (commit comments: the first environment that requires approvals).
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>

#include "bot/handlers/approvals.hpp"
#include "bot/handlers/control_commands.hpp"
#include "bot/handlers/deployments.hpp"
#include "bot/handlers/registry.hpp"
#include "bot/handlers/rejections.hpp"
#include "bot/status_report.hpp"
#include "bot/thread_target.hpp"
#include "core/command/command.hpp"
#include "core/github/time.hpp"
#include "core/policy/freeze.hpp"
#include "core/policy/from_config.hpp"
#include "core/policy/policy.hpp"
#include "core/release/tracking_issue.hpp"
#include "core/rfc3339/rfc3339.hpp"
#include "core/text/text.hpp"
#include "core/tz/zone.hpp"

namespace deploy::bot::handlers {
namespace {

enum class ThreadKind { pull_request, tracking_issue, commit };

// Held while a /rollback checks what is in flight for an environment and dispatches: two
// /rollback comments handled at once by two workers must not both see nothing in flight.
std::unique_lock<std::mutex> environment_lock(const std::string& key) {
  static std::mutex guard;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::mutex* lock = nullptr;
  {
    std::lock_guard held(guard);
    auto& slot = locks[key];
    if (!slot) slot = std::make_unique<std::mutex>();
    lock = slot.get();
  }
  return std::unique_lock<std::mutex>(*lock);
}

struct Thread {
  ThreadKind kind = ThreadKind::pull_request;
  int number = 0;  // issue or PR; 0 for a commit
  Subject subject;
  std::string base_ref;  // pull requests
  bool fork = false;
};

struct Comment {
  std::int64_t id = 0;
  std::string login;
  std::string body;
  std::string html_url;
  store::TimePoint created_at;
};

// The bot's own login counts as a bot (its replies are never commands).
bool is_bot(const Context& context, const events::User& user) {
  return github::is_bot_account(user.login, user.type, context.services.own_login);
}

// A tracking issue is one the automation opened (a bot account, or the bot's own login when it
// runs with a user token), and it tracks its release only while the tag still points at the
// commit in its marker: a person's copy of a marker, or a moved tag, gathers no approvals.
bool tracks_release(Context& context, const events::Comment::Issue& issue, const release::Marker& marker) {
  if (!issue.user || !is_bot(context, *issue.user)) return false;
  const auto commit = context.ports().repository.commit(marker.tag);
  return text::iequals(commit.sha, marker.sha);
}

class CommentHandler {
 public:
  explicit CommentHandler(Context& context) : context_(context) {}

  HandleResult run() {
    const auto& c = context_.event<events::Comment>();
    if (is_bot(context_, c.user)) return HandleResult::ignored;
    comment_.id = c.id;
    comment_.login = c.user.login;
    comment_.body = c.body;
    comment_.html_url = c.html_url;
    auto created = github::parse_rfc3339(c.created_at);
    comment_.created_at = created ? *created : context_.services.clock.now();

    const auto parsed = command::parse_comment(comment_.body);
    if (parsed.type == command::ParseResult::Type::ignore) return HandleResult::ignored;
    // The request metrics count a comment by its first command.
    if (parsed.type == command::ParseResult::Type::reply)
      context_.command = "reply";
    else if (!parsed.commands.empty())
      context_.command = std::string(command::to_string(parsed.commands.front().kind));

    if (!find_thread(c)) return HandleResult::ignored;

    auto loaded = context_.config();
    if (!loaded.config) {
      reply("config",
            "deploy-bot cannot act on this comment: the configuration on the default branch is not usable.\n\n```\n" +
                loaded.problem + "\n```");
      return HandleResult::done;
    }
    config_ = std::move(*loaded.config);
    // Said once per command comment, so the person learns why nothing happens (and how to allow it).
    if (thread_.fork && !config_.bot.allow_fork_pull_requests) {
      reply("fork",
            "deploy-bot does not act on commands on pull requests from forks: `bot.allow_fork_pull_requests` is off in "
            "the configuration on the default branch. A maintainer can turn it on to allow them.");
      return HandleResult::done;
    }

    if (parsed.type == command::ParseResult::Type::reply) {
      reply("reply", parsed.reply);
      return HandleResult::done;
    }

    react_eyes();
    bool recount = false;
    // Recording, counting and setting the status of this commit happen under its lock, so the
    // status another comment's handler sets at the same time is never an older count's.
    const auto held = commit_lock(context_.repo.full_name(), thread_.subject.sha);
    for (const auto& cmd : parsed.commands) {
      switch (cmd.kind) {
        case command::Kind::approve:
        case command::Kind::approve_cancel:
          record_approval(cmd);
          recount = true;
          break;
        case command::Kind::reject:
        case command::Kind::reject_cancel:
          record_reject(cmd);
          rejects_.push_back(cmd);
          recount = true;
          break;
        case command::Kind::rollback:
          rollback(cmd);
          break;
        case command::Kind::status:
          status(cmd);
          break;
        case command::Kind::help:
          reply("help", command::help_text());
          break;
        case command::Kind::lock:
          lock_command(context_, config_, control_thread(), cmd);
          break;
        case command::Kind::lock_list:
          list_locks_command(context_, config_, control_thread(), cmd);
          break;
        case command::Kind::unlock:
          unlock_command(context_, config_, control_thread(), cmd);
          break;
        case command::Kind::promote:
        case command::Kind::abort:
          promotion_command(context_, config_, control_thread(), cmd);
          break;
        case command::Kind::deploy:
          deploy_command(context_, config_, control_thread(), cmd);
          break;
      }
    }
    if (recount) approvals();
    return HandleResult::done;
  }

 private:
  // The thread the comment is in and the commit its approvals are for; false when it is not one
  // the bot acts in (a line comment on code, an ordinary issue, a tracking issue that does not
  // track its release).
  bool find_thread(const events::Comment& c) {
    if (!c.issue) {  // commit_comment
      thread_.kind = ThreadKind::commit;
      thread_.subject.sha = text::to_lower(c.commit_id);
      if (!c.path.empty()) return false;  // a line comment is about code
    } else {
      const auto& issue = *c.issue;
      thread_.number = issue.number;
      thread_.subject.number = thread_.number;
      if (issue.is_pull_request) {
        thread_.kind = ThreadKind::pull_request;
        const auto pull = context_.ports().repository.pull_request(thread_.number);
        thread_.subject.sha = text::to_lower(pull.head_sha);
        thread_.subject.author = pull.user.login;
        thread_.base_ref = pull.base_ref;
        thread_.fork =
            !pull.head_repo_full_name.empty() && !text::iequals(pull.head_repo_full_name, context_.repo.full_name());
      } else {
        auto marker = release::find_marker(issue.body);
        if (!marker) return false;  // an ordinary issue: not ours
        if (!tracks_release(context_, issue, *marker)) return false;
        thread_.kind = ThreadKind::tracking_issue;
        thread_.subject.tracking_issue = true;
        thread_.subject.sha = marker->sha;
        thread_.subject.tag = marker->tag;
      }
    }
    return true;
  }

  // What the control commands (bot/handlers/control_commands.hpp) need of this comment and thread.
  CommandThread control_thread() {
    CommandThread out;
    out.number = thread_.number;
    out.pull_request = thread_.kind == ThreadKind::pull_request;
    out.tracking_issue = thread_.kind == ThreadKind::tracking_issue;
    out.sha = thread_.subject.sha;
    out.tag = thread_.subject.tag;
    out.fork = thread_.fork;
    out.comment_id = comment_.id;
    out.login = comment_.login;
    out.comment_url = comment_.html_url;
    out.reply = [this](const std::string& purpose, const std::string& body) { reply(purpose, body); };
    return out;
  }

  // Replies where the comment was made, once per comment and purpose.
  void reply(const std::string& purpose, const std::string& body) {
    const std::string key = "c" + std::to_string(comment_.id) + ":" + purpose;
    const std::string text = "@" + comment_.login + " " + body;
    if (thread_.kind == ThreadKind::commit)
      context_.commit_comment(thread_.subject.sha, key, text);
    else
      context_.comment(thread_.number, key, text);
  }

  void react_eyes() {
    context_.once(
        context_.key("eyes:" + context_.delivery.event + ":" + std::to_string(comment_.id)), Repeat::safe, [&] {
          context_.ports().comments.react(
              thread_.kind == ThreadKind::commit ? CommentPoster::On::commit_comment : CommentPoster::On::issue_comment,
              comment_.id, "eyes");
          return std::string("{}");
        });
  }

  const config::Environment* environment() const {
    switch (thread_.kind) {
      case ThreadKind::tracking_issue:
        return environment_for_tag(config_, thread_.subject.tag);
      case ThreadKind::pull_request:
        return environment_for_pull_request(config_, thread_.base_ref);
      case ThreadKind::commit:
        return environment_for_pull_request(config_, "");
    }
    return nullptr;
  }

  void record_approval(const command::Command& cmd) {
    store::ApprovalRecord record;
    record.repository = context_.repo.full_name();
    record.subject = thread_.subject.number;
    record.sha = thread_.subject.sha;
    record.login = comment_.login;
    record.source = store::ApprovalSource::comment;
    record.event_id = comment_.id;
    record.is_bot = false;  // bots were ignored above
    record.cancel = cmd.kind == command::Kind::approve_cancel;
    record.created_at = comment_.created_at;
    context_.ports().approvals.record_approval(record);
  }

  void record_reject(const command::Command& cmd) {
    RejectionRecord record;
    record.subject = thread_.subject.number;
    record.login = comment_.login;
    record.cancel = cmd.kind == command::Kind::reject_cancel;
    record.reason = cmd.reason;
    record.event_id = comment_.id;
    record.url = comment_.html_url;
    record.created_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(comment_.created_at.time_since_epoch()).count();
    record_rejection(context_, thread_.subject.sha, record);
  }

  // Says what this comment's /reject (or /reject cancel) did, records it, and rejects a run
  // waiting on the protection rule for this commit.
  void answer_rejects(const config::Environment& env, const Count& count) {
    if (rejects_.empty()) return;
    const std::string id = std::to_string(comment_.id);
    const std::string sha = "`" + thread_.subject.sha.substr(0, 7) + "`";
    std::string said;
    bool heard = true;
    for (const auto& ignored : count.rejections.not_heard) {
      if (ignored.event.id != comment_.html_url && ignored.event.id != id) continue;
      said += "- " + ignored.message + " (`" + ignored.reason + "`)\n";
      heard = false;
    }
    const bool mine_active =
        std::any_of(count.rejections.active.begin(), count.rejections.active.end(),
                    [&](const policy::Rejection& r) { return text::iequals(r.user, comment_.login); });
    const bool cancel = rejects_.back().kind == command::Kind::reject_cancel;
    std::string reply_text;
    if (!heard) {
      reply_text = "your " + std::string(cancel ? "`/reject cancel`" : "`/reject`") + " changes nothing for " + sha +
                   ":\n\n" + said;
    } else if (mine_active) {
      reply_text = "deploying " + sha + " to `" + env.name + "` is blocked: " + count.rejections.outcome.message + ".";
    } else {
      reply_text = "you withdrew your rejection of " + sha + "." +
                   (count.rejected() ? " It stays blocked: " + count.rejections.outcome.message + "." : "");
    }
    reply("reject", reply_text);

    audit::Record record = approval_record(thread_.subject, env, count, comment_.login);
    record.trigger = "issue_comment";
    record.outcome = {count.rejected() ? audit::Status::refused : audit::Status::success,
                      heard ? (cancel ? "rejection_withdrawn" : "rejected") : "rejection_not_heard",
                      count.rejections.outcome.message};
    context_.audit("c" + id + ":reject", record);

    if (count.rejected() && thread_.kind == ThreadKind::tracking_issue) {
      if (auto gate = waiting_gate(context_, thread_.subject.sha, env.name)) {
        reject_gate(context_, *gate, count.rejections.outcome);
      }
    }
  }

  // On a release whose deploy waits on the protection rule, who started that run may not approve
  // it (the action in the run would not count them): the count is the run's.
  void with_waiting_run(const config::Environment& env) {
    if (thread_.kind != ThreadKind::tracking_issue) return;
    if (auto gate = waiting_gate(context_, thread_.subject.sha, env.name))
      thread_.subject.started_by = gate->started_by;
  }

  void approvals() {
    const auto* env = environment();
    if (env == nullptr || env->approvals.required <= 0) {
      reply("no-approvals",
            "no environment in `.github/deploy.yml` requires approvals for this, so there is nothing to approve" +
                std::string(rejects_.empty() ? "" : " or reject") + ".");
      return;
    }
    with_waiting_run(*env);
    const auto count = count_approvals(context_, thread_.subject, *env);
    set_approvals_status(context_, thread_.subject, count);
    context_.audit("c" + std::to_string(comment_.id) + ":approval",
                   approval_record(thread_.subject, *env, count, comment_.login));
    answer_rejects(*env, count);

    std::string refusals;
    for (const auto& rejected : count.verdict.not_counted) {
      if (rejected.event.id != std::to_string(comment_.id) || rejected.reason == "cancel" ||
          rejected.reason == "cancelled")
        continue;
      refusals += "- " + rejected.message + " (`" + rejected.reason + "`)\n";
    }
    if (!refusals.empty()) {
      reply("refused",
            "your approval does not count for commit `" + thread_.subject.sha.substr(0, 7) + "`:\n\n" + refusals +
                "\n" +
                approvals_status(static_cast<int>(count.verdict.counted.size()), count.verdict.required).description +
                ".");
    }
    if (thread_.kind == ThreadKind::tracking_issue && !count.verdict.met && !count.rejected()) {
      // A run waiting on the bot's protection rule hears of each change of the count.
      if (auto gate = waiting_gate(context_, thread_.subject.sha, env->name)) {
        report_gate_progress(context_, *gate, thread_.subject, count);
      }
    }
    if (thread_.kind == ThreadKind::tracking_issue && count.verdict.met) {
      const auto start =
          start_release_deploy(context_, thread_.subject, config_, *env, count, {comment_.login, comment_.html_url});
      if (!start.said.empty()) {
        // A refusal (rejected, frozen, locked) has its own key: the start once it is lifted is said too.
        context_.comment(
            thread_.number,
            "deploy:" + thread_.subject.sha + ":" + env->name + (start.refused.empty() ? "" : ":" + start.refused),
            start.said);
      }
    }
  }

  // A rollback decided over the environment's history (policy::decide_rollback), with its audit
  // record still waiting for an outcome.
  struct RollbackPlan {
    policy::RollbackDecision decision;
    audit::Record record;
    std::string target_version;
  };

  RollbackPlan plan_rollback(const config::Environment& env, const command::Command& cmd,
                             const std::vector<HistoryEntry>& history) {
    policy::RollbackRequest request;
    request.user = context_.ports().people.actor(comment_.login, false, policy::to_policy(env.rollback.allowed));
    request.environment = env.name;
    request.version = cmd.version;
    for (const auto& entry : history) request.history.push_back(entry.record);
    request.now = context_.services.clock.now();
    request.policy = policy::to_policy(env.rollback);
    RollbackPlan plan{policy::decide_rollback(request), {}, {}};
    const auto& decision = plan.decision;

    audit::Record& record = plan.record;
    record.kind = audit::Kind::rollback_decision;
    record.environment = env.name;
    record.actor = comment_.login;
    if (decision.current) {
      record.previous_version = decision.current->version;
      record.previous_sha = decision.current->sha;
    }
    if (decision.target) {
      for (const auto& entry : history) {
        if (entry.record.id == decision.target->deployment_id) plan.target_version = entry.record.version;
      }
      record.version = plan.target_version;
      record.commit_sha = decision.target->sha;
    }
    record.gates.push_back(
        audit::Gate::from("rollback:" + std::string(policy::to_string(request.user.permission)), decision.outcome));
    return plan;
  }

  // Records the rollback's outcome in the audit trail and says it where the comment was made.
  void conclude_rollback(const std::string& purpose, audit::Record& record, audit::RecordOutcome outcome,
                         const std::string& said) {
    record.outcome = std::move(outcome);
    context_.audit("c" + std::to_string(comment_.id) + ":" + purpose, record);
    reply(purpose, said);
  }

  void rollback(const command::Command& cmd) {
    const config::Environment* env =
        thread_.kind == ThreadKind::tracking_issue ? environment_for_tag(config_, thread_.subject.tag) : environment();
    const std::string purpose = "rollback:" + std::to_string(cmd.line);
    if (env == nullptr) {
      reply(purpose, "no environment in `.github/deploy.yml` matches this thread, so there is nothing to roll back.");
      return;
    }
    // One rollback at a time per environment: deliveries run on several workers, so the check and
    // the dispatch hold the environment's lock (one deploy-bot process owns a store).
    const auto lock = environment_lock(context_.repo.full_name() + ":" + env->name);
    const auto history = deployment_history(context_, env->name);
    auto plan = plan_rollback(*env, cmd, history);
    const auto& decision = plan.decision;
    if (!decision.outcome.allowed) {
      conclude_rollback(purpose, plan.record,
                        {audit::Status::refused, decision.outcome.reason, decision.outcome.message},
                        "rollback refused: " + decision.outcome.message + " (`" + decision.outcome.reason + "`)");
      return;
    }
    // Allowed, but not while another deploy or rollback of the environment is queued or running
    // (unless that is this very comment's rollback: a retried delivery after the dispatch).
    const std::string effect =
        context_.key("rollback:c" + std::to_string(comment_.id) + ":" + std::to_string(cmd.line));
    if (!dispatched_by(context_, env->name, effect)) {
      std::vector<github::DeploymentSeen> seen;
      for (const auto& entry : history) seen.push_back(entry.seen);
      const auto runs = context_.ports().deployments.runs_in_flight(seen, dispatched_in_flight(context_, env->name));
      const auto busy = policy::decide_rollback_start(env->name, runs, context_.services.clock.now());
      if (!busy.allowed) {
        conclude_rollback(purpose, plan.record, {audit::Status::refused, busy.reason, busy.message},
                          "rollback not started: " + busy.message + " (`" + busy.reason + "`)");
        return;
      }
    }
    if (auto locked = sticky_lock_refusal(context_, env->name, comment_.login)) {
      conclude_rollback(purpose, plan.record, {audit::Status::refused, locked->reason, locked->message},
                        "rollback not started: " + locked->message + " (`" + locked->reason + "`)");
      return;
    }
    const std::string ref = config_.bot.ref.empty() ? context_.default_branch : config_.bot.ref;
    const DispatchedRun run{thread_.number, plan.target_version, env->name, "rollback"};
    std::map<std::string, std::string> inputs = {
        {"environment", env->name}, {"mode", "rollback"}, {"version", plan.target_version}};
    if (!cmd.reason.empty()) inputs["reason"] = cmd.reason;
    // The run's actor is the bot: who asked, and where, go with it for the run's audit record.
    const auto run_url =
        dispatch_once(context_, config_, ref, inputs, {comment_.login, comment_.html_url}, run, effect);
    if (!run_url) {
      // The audit trail and the reply state only what GitHub confirmed.
      conclude_rollback(purpose, plan.record, {audit::Status::failure, "dispatch_unconfirmed", kDispatchUnconfirmed},
                        std::string("could not confirm the rollback: ") + kDispatchUnconfirmed +
                            " Check the Actions tab before asking again.");
      return;
    }
    if (!run_url->empty()) plan.record.run_url = *run_url;
    conclude_rollback(purpose, plan.record, {audit::Status::success, decision.outcome.reason, decision.outcome.message},
                      "rolling back `" + env->name + "` from `" +
                          (decision.current ? decision.current->version : std::string("?")) + "` to `" +
                          plan.target_version + "`" + (run_url->empty() ? std::string(".") : ": " + *run_url));
  }

  void status(const command::Command& cmd) {
    StatusReport report;
    report.now = context_.services.clock.now();
    report.subject_sha = thread_.subject.sha;
    const auto* approvals_env = environment();
    for (const auto& env : config_.environments) {
      EnvironmentStatus row;
      row.name = env.name;
      const auto history = deployment_history(context_, env.name, 10);
      for (const auto& entry : history) {
        row.recent.push_back(entry.row);
        if (!row.current && entry.row.state == "success") row.current = entry.row;
      }
      row.required = env.approvals.required;
      if (&env == approvals_env && env.approvals.required > 0 && !thread_.subject.sha.empty()) {
        with_waiting_run(env);
        const auto count = count_approvals(context_, thread_.subject, env);
        for (const auto& counted : count.verdict.counted) row.approvers.push_back(counted.user);
        row.needed = policy::describe_needed(count.request, count.verdict);
        row.rules = policy::describe_rules(count.verdict);
        row.rejected = rejection_text(count.rejections);
      } else if (env.approvals.required > 0) {
        row.needed = "approve on the release's tracking issue";
      }
      row.rollback_open = row.current && report.now - row.current->created_at <= env.rollback.window;
      if (!env.freeze.windows.empty()) {
        auto windows = tz::freeze_windows(env);
        const auto frozen = windows ? freeze::frozen_at(*windows, std::chrono::floor<std::chrono::seconds>(report.now))
                                    : std::vector<freeze::Occurrence>{};
        if (!windows) {
          row.frozen = "freeze windows unreadable: " + windows.error().message;
        } else if (!frozen.empty()) {
          const auto& last = policy::longest(frozen);
          row.frozen = "frozen by " + last.name + " until " + rfc3339::format_seconds(last.end);
        }
      }
      row.locks = environment_locks(context_, env.name);
      report.environments.push_back(std::move(row));
    }
    // One sticky status comment per thread, edited in place by every /status.
    if (thread_.kind == ThreadKind::commit) {
      reply("status:" + std::to_string(cmd.line), render_status(report));
    } else {
      context_.sticky_comment(thread_.number, "status:" + std::to_string(thread_.number),
                              render_status(report) + "\n_Last asked by `@" + comment_.login + "`._");
    }
  }

  Context& context_;
  Comment comment_;
  Thread thread_;
  config::Config config_;
  std::vector<command::Command> rejects_;  // this comment's /reject and /reject cancel, in order
};

HandleResult on_comment(Context& context) { return CommentHandler(context).run(); }

// An edited or deleted comment: a recorded approval becomes `edited` (it never counts again; the
// new text is not read as approvals). Its /reject lines become what the thread now says, as the
// action reads it: an edit keeps those still in the text (marked edited), a deletion drops them.
HandleResult on_comment_changed(Context& context, bool deleted) {
  const auto& c = context.event<events::Comment>();
  bool marked = context.ports().approvals.mark_approval_edited(store::ApprovalSource::comment, c.id);
  const auto revised =
      revise_comment_rejections(context, c.id, deleted ? std::nullopt : std::optional<std::string>(c.body));
  marked = revised.has_value() || marked;
  if (!marked || !c.issue) return HandleResult::ignored;
  // The count may have dropped: set the status of the thread's commit again.
  const auto& issue = *c.issue;
  auto loaded = context.config();
  if (!loaded.config) return HandleResult::done;
  Subject subject;
  subject.number = issue.number;
  const config::Environment* env = nullptr;
  if (issue.is_pull_request) {
    const auto pull = context.ports().repository.pull_request(static_cast<int>(subject.number));
    subject.sha = text::to_lower(pull.head_sha);
    subject.author = pull.user.login;
    env = environment_for_pull_request(*loaded.config, pull.base_ref);
  } else if (auto marker = release::find_marker(issue.body); marker && tracks_release(context, issue, *marker)) {
    subject.tracking_issue = true;
    subject.sha = marker->sha;
    subject.tag = marker->tag;
    env = environment_for_tag(*loaded.config, marker->tag);
  }
  if (env == nullptr || env->approvals.required <= 0 || subject.sha.empty()) return HandleResult::done;
  const auto held = commit_lock(context.repo.full_name(), subject.sha);
  const Count count = count_approvals(context, subject, *env);
  set_approvals_status(context, subject, count);
  if (revised) {
    // That the thread's rejections changed, and what stands now, in the bot's trail.
    audit::Record record = approval_record(subject, *env, count, c.user.login);
    record.trigger = "issue_comment";
    record.outcome = {count.rejected() ? audit::Status::refused : audit::Status::success,
                      deleted ? "rejection_comment_deleted" : "rejection_comment_edited",
                      "comment " + std::to_string(c.id) + " of @" + c.user.login +
                          (deleted ? " was deleted" : " was edited") + ": " + count.rejections.outcome.message};
    context.audit("c" + std::to_string(c.id) + (deleted ? ":reject-deleted" : ":reject-edited"), record);
  }
  return HandleResult::done;
}

HandleResult on_comment_edited(Context& context) { return on_comment_changed(context, false); }
HandleResult on_comment_deleted(Context& context) { return on_comment_changed(context, true); }

}  // namespace

std::vector<Entry> comment_entries() {
  return {
      {"issue_comment", {"created"}, "comment commands on pull requests and release tracking issues", on_comment},
      {"issue_comment", {"edited"}, "an edited /approve stops counting", on_comment_edited},
      {"issue_comment", {"deleted"}, "a deleted /approve stops counting", on_comment_deleted},
      {"commit_comment", {"created"}, "comment commands on a commit (/approve binds to that commit)", on_comment},
  };
}

}  // namespace deploy::bot::handlers
