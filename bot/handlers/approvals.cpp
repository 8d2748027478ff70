#include "bot/handlers/approvals.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "bot/handlers/control_commands.hpp"
#include "bot/handlers/rejections.hpp"
#include "bot/status_report.hpp"
#include "core/crypto/crypto.hpp"
#include "core/github/time.hpp"
#include "core/log_json/log_json.hpp"
#include "core/policy/from_config.hpp"
#include "core/text/text.hpp"
#include "core/tz/zone.hpp"

namespace deploy::bot::handlers {

namespace {

// The author and committers of the change under count, read as the action reads them: a pull
// request's from its commits; a release's (tracking issue, waiting run) from its commit and every
// commit since the release that ran before it; a commit's from that commit.
github::ChangeAuthors change_authors(Context& context, const Subject& subject, const config::Environment& environment) {
  if (subject.number != 0 && !subject.tracking_issue) {
    const auto pull = context.ports().repository.pull_request(static_cast<int>(subject.number));
    return context.ports().people.pull_request_authors(pull);
  }
  std::optional<std::string> previous;
  if (!subject.tag.empty() && !environment.approvals.allow_author) {
    previous = github::previous_release_sha(
        context.ports().deployments.deployments(environment.name, kDeploymentHistoryLimit), subject.tag);
  }
  return context.ports().people.release_authors(subject.sha, previous);
}

}  // namespace

Count count_approvals(Context& context, const Subject& subject, const config::Environment& environment) {
  auto records = context.ports().approvals.approvals(subject.number, subject.sha);
  if (subject.number != 0) {
    auto on_commit = context.ports().approvals.approvals(0, subject.sha);
    records.insert(records.end(), on_commit.begin(), on_commit.end());
    std::stable_sort(
        records.begin(), records.end(),
        [](const store::ApprovalRecord& a, const store::ApprovalRecord& b) { return a.created_at < b.created_at; });
  }
  Count count;
  count.request = policy::approval_request(environment.approvals);
  count.request.sha = subject.sha;
  const auto authors = change_authors(context, subject, environment);
  count.request.author = authors.author;
  count.request.committers = authors.committers;
  github::exclude_starters(count.request, subject.started_by);
  const auto lists = policy::people_of_interest(environment);
  for (const auto& record : records) {
    // Permission and teams now, not when the comment was made: a revoked person no longer counts.
    const auto actor = context.ports().people.actor(record.login, record.is_bot, lists);
    policy::ApprovalEvent event;
    event.user = record.login;
    event.source = record.source == store::ApprovalSource::review ? policy::ApprovalSource::review
                                                                  : policy::ApprovalSource::comment;
    event.sha = record.sha;
    event.permission = actor.permission;
    event.teams = actor.teams;
    event.is_bot = record.is_bot;
    event.edited = record.edited;
    event.cancel = record.cancel;
    event.id = std::to_string(record.event_id);
    count.request.events.push_back(std::move(event));
  }
  count.verdict = policy::count_approvals(count.request);
  for (auto& event : rejection_events(context, subject.number, subject.sha, lists)) {
    count.request.events.push_back(std::move(event));
  }
  count.rejections = policy::decide_rejections(count.request.events, count.request.approvers, count.request.sha);
  if (!environment.freeze.windows.empty()) {
    auto windows = tz::freeze_windows(environment);
    if (!windows) {
      // As the action's freeze gate fails (a broken gate never passes): nothing starts, and people
      // are told what to fix.
      count.freeze = policy::FreezeVerdict{Outcome::deny("gate_error", windows.error().message), {}, std::nullopt};
      return count;
    }
    count.freeze =
        policy::judge_freeze(environment, *windows,
                             std::chrono::floor<std::chrono::seconds>(context.services.clock.now()), "", count.request);
  }
  return count;
}

std::optional<Outcome> Count::blocked() const {
  if (rejected()) return rejections.outcome;
  if (frozen()) return freeze->outcome;
  return std::nullopt;
}

void set_approvals_status(Context& context, const Subject& subject, const Count& count) {
  const auto status =
      approvals_status(static_cast<int>(count.verdict.counted.size()), count.verdict.required, count.verdict.met,
                       policy::describe_rules(count.verdict), rejection_text(count.rejections));
  const std::string recorded = nlohmann::json{{"state", status.state}, {"description", status.description}}.dump();
  context.once(
      context.key("status:" + context.delivery.delivery_id + ":" + subject.sha), Repeat::safe,
      [&] {
        github::NewCommitStatus body;
        body.state = status.state;
        body.context = std::string(kApprovalsContext);
        body.description = status.description;
        context.ports().statuses.set_status(subject.sha, body);
        return recorded;
      },
      // An earlier try whose answer was lost (a slow GitHub) may have set it: the same state again
      // would only add a duplicate to the commit's statuses.
      [&] {
        context.services.clock.sleep_for(kEffectVisibility);
        for (const auto& latest : context.ports().statuses.statuses(subject.sha)) {
          if (latest.context == kApprovalsContext && latest.state == status.state &&
              latest.description == status.description) {
            return Lookup{Lookup::Outcome::found, recorded};
          }
        }
        return Lookup{Lookup::Outcome::not_found, ""};
      });
}

namespace {
std::string gate_key(Context& context, const std::string& sha, const std::string& environment) {
  return "waiting-gate:" + context.repo.full_name() + ":" + text::to_lower(sha) + ":" + environment;
}
}  // namespace

void remember_gate(Context& context, const WaitingGate& gate) {
  context.store().put_state(gate_key(context, gate.sha, gate.environment),
                            nlohmann::json{{"run_id", gate.run_id},
                                           {"environment", gate.environment},
                                           {"sha", gate.sha},
                                           {"settled", gate.settled},
                                           {"why", gate.why},
                                           {"started_by", gate.started_by}}
                                .dump());
}

std::optional<WaitingGate> waiting_gate(Context& context, const std::string& sha, const std::string& environment) {
  auto row = context.store().state(gate_key(context, sha, environment));
  if (!row) return std::nullopt;
  auto json = nlohmann::json::parse(*row, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  WaitingGate gate{json.value("run_id", std::int64_t{0}),
                   json.value("environment", ""),
                   json.value("sha", ""),
                   json.value("settled", ""),
                   json.value("why", ""),
                   {}};
  if (auto it = json.find("started_by"); it != json.end() && it->is_array()) {
    for (const auto& login : *it) {
      if (login.is_string()) gate.started_by.push_back(login.get<std::string>());
    }
  }
  return gate;
}

namespace {
std::string in_flight_key(Context& context, const std::string& environment) {
  return "in-flight:" + context.repo.full_name() + ":" + environment;
}
std::int64_t seconds_of(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

// The entries not older than policy::kMaxRunTime.
nlohmann::json in_flight_entries(Context& context, const std::string& environment) {
  nlohmann::json kept = nlohmann::json::array();
  auto row = context.store().state(in_flight_key(context, environment));
  if (!row) return kept;
  auto json = nlohmann::json::parse(*row, nullptr, false);
  if (!json.is_array()) return kept;
  const auto now = context.services.clock.now();
  for (const auto& entry : json) {
    if (!entry.is_object()) continue;
    const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(entry.value("at", std::int64_t{0})));
    if (now - at <= policy::kMaxRunTime) kept.push_back(entry);
  }
  return kept;
}
}  // namespace

bool dispatched_by(Context& context, const std::string& environment, const std::string& by) {
  for (const auto& entry : in_flight_entries(context, environment)) {
    if (entry.value("by", "") == by) return true;
  }
  return false;
}

std::vector<github::DispatchedRunRef> dispatched_in_flight(Context& context, const std::string& environment) {
  std::vector<github::DispatchedRunRef> runs;
  for (const auto& entry : in_flight_entries(context, environment)) {
    github::DispatchedRunRef run;
    run.run_id = entry.value("run_id", std::int64_t{0});
    run.kind =
        entry.value("kind", "") == "rollback" ? policy::RunInFlight::Kind::rollback : policy::RunInFlight::Kind::deploy;
    run.url = entry.value("url", "");
    run.dispatched_at = std::chrono::system_clock::time_point(std::chrono::seconds(entry.value("at", std::int64_t{0})));
    runs.push_back(std::move(run));
  }
  return runs;
}

void remember_in_flight(Context& context, const std::string& environment, const github::DispatchedRunRef& run,
                        const std::string& by) {
  nlohmann::json entries = in_flight_entries(context, environment);
  entries.push_back({{"run_id", run.run_id},
                     {"kind", policy::to_string(run.kind)},
                     {"url", run.url},
                     {"at", seconds_of(run.dispatched_at)},
                     {"by", by}});
  context.store().put_state(in_flight_key(context, environment), entries.dump());
}

void remember_run(Context& context, std::int64_t run_id, const DispatchedRun& run) {
  if (run_id == 0) return;
  context.store().put_state(
      "dispatched-run:" + context.repo.full_name() + ":" + std::to_string(run_id),
      nlohmann::json{
          {"issue", run.issue}, {"version", run.version}, {"environment", run.environment}, {"mode", run.mode}}
          .dump());
}

std::optional<DispatchedRun> dispatched_run(Context& context, std::int64_t run_id) {
  auto row = context.store().state("dispatched-run:" + context.repo.full_name() + ":" + std::to_string(run_id));
  if (!row) return std::nullopt;
  auto json = nlohmann::json::parse(*row, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  return DispatchedRun{json.value("issue", 0), json.value("version", ""), json.value("environment", ""),
                       json.value("mode", "")};
}

namespace {
// One review of the run's gate (approved, rejected, or a comment only). 422: the gate was already
// reviewed (our earlier attempt landed before a crash), or the run is gone; either way nothing is
// left waiting on us.
std::string review_gate(Context& context, const WaitingGate& gate, const github::ProtectionRuleReview& review) {
  try {
    context.ports().gates.review_gate(gate.run_id, review);
  } catch (const github::GitHubError& error) {
    if (error.status() != 422) throw;
    return nlohmann::json{{"run_id", gate.run_id}, {"already", error.details().message}}.dump();
  }
  return nlohmann::json{{"run_id", gate.run_id}, {"state", review.state.value_or("comment")}}.dump();
}

std::string gate_review_key(Context& context, const WaitingGate& gate) {
  return context.key("gate-review:" + std::to_string(gate.run_id) + ":" + gate.environment);
}
}  // namespace

// Remembers how the gate was settled, so that later approvals neither comment on it nor claim it
// was approved when it was rejected.
void settle(Context& context, WaitingGate gate, const github::ProtectionRuleReview& review) {
  gate.settled = review.state.value_or("");
  gate.why = review.comment.value_or("");
  remember_gate(context, gate);
}

void approve_gate(Context& context, const WaitingGate& gate, const Count& count) {
  if (!gate.settled.empty()) return;
  github::ProtectionRuleReview review;
  review.environment_name = gate.environment;
  review.state = "approved";
  std::string who;
  for (const auto& c : count.verdict.counted) who += (who.empty() ? "" : ", ") + c.user;
  review.comment = std::to_string(count.verdict.counted.size()) + "/" + std::to_string(count.verdict.required) +
                   " approvals for " + gate.sha.substr(0, 7) + " (" + who + ")";
  context.once(gate_review_key(context, gate), Repeat::safe, [&] { return review_gate(context, gate, review); });
  settle(context, gate, review);
}

void reject_gate(Context& context, const WaitingGate& gate, const Outcome& refusal) {
  github::ProtectionRuleReview review;
  review.environment_name = gate.environment;
  review.state = "rejected";
  review.comment = gate_rejection(refusal.reason, refusal.message);
  context.once(gate_review_key(context, gate), Repeat::safe, [&] { return review_gate(context, gate, review); });
  settle(context, gate, review);
}

void report_gate_progress(Context& context, const WaitingGate& gate, const Subject& subject, const Count& count) {
  if (count.verdict.met || !gate.settled.empty()) return;
  std::vector<std::string> approvers;
  std::string counted;
  for (const auto& c : count.verdict.counted) {
    approvers.push_back(c.user);
    counted += (counted.empty() ? "" : ",") + text::to_lower(c.user);
  }
  const std::string key = "gate-progress:" + std::to_string(gate.run_id) + ":" + gate.environment + ":" +
                          std::to_string(approvers.size()) + ":" + counted;
  context.once(context.key(key), Repeat::safe, [&] {
    github::ProtectionRuleReview review;
    review.environment_name = gate.environment;
    GateProgress progress;
    progress.sha = gate.sha;
    progress.required = count.verdict.required;
    progress.approvers = approvers;
    progress.needed = policy::describe_needed(count.request, count.verdict);
    if (subject.tracking_issue) progress.tracking_issue = static_cast<int>(subject.number);
    review.comment = gate_progress(progress);
    return review_gate(context, gate, review);
  });
}

void report_gate_blocked(Context& context, const WaitingGate& gate, const Outcome& blocked) {
  if (!gate.settled.empty()) return;
  const std::string key = "gate-blocked:" + std::to_string(gate.run_id) + ":" + gate.environment + ":" + blocked.reason;
  context.once(context.key(key), Repeat::safe, [&] {
    github::ProtectionRuleReview review;
    review.environment_name = gate.environment;
    review.comment = "Approvals are complete, but deploy-action would refuse this run now: " + blocked.message + " (`" +
                     blocked.reason + "`). It stays waiting.";
    return review_gate(context, gate, review);
  });
}

namespace {

std::string dispatch_state_key(const std::string& effect_key) { return "dispatch-sent:" + effect_key; }

// The same for every try of one effect, unique across effects, short enough for a run name.
std::string dispatch_id_for(const std::string& effect_key) {
  return "db-" + crypto::sha256_hex(effect_key).substr(0, 20);
}

// Recorded before every send (a crash after it and before GitHub answers leaves it behind).
void remember_dispatch_sent(Context& context, const std::string& effect_key, bool with_id) {
  context.store().put_state(dispatch_state_key(effect_key),
                            nlohmann::json{{"dispatch_id", with_id ? dispatch_id_for(effect_key) : std::string()},
                                           {"sent_at", github::format_rfc3339(context.services.clock.now())}}
                                .dump());
}

}  // namespace

github::WorkflowDispatchResult dispatch_workflow(Context& context, const config::Config& config, const std::string& ref,
                                                 const std::map<std::string, std::string>& inputs,
                                                 const requester::Requester& asked_by, const std::string& effect_key) {
  std::map<std::string, std::string> with_requester = inputs;
  if (!asked_by.login.empty()) with_requester["requested-by"] = asked_by.login;
  if (!asked_by.url.empty()) with_requester["request-url"] = asked_by.url;
  with_requester["dispatch-id"] = dispatch_id_for(effect_key);
  try {
    remember_dispatch_sent(context, effect_key, true);
    return context.ports().workflows.dispatch(config.bot.workflow, ref, with_requester);
  } catch (const github::GitHubError& error) {
    const bool undeclared =
        error.status() == 422 && error.details().message.find("Unexpected inputs") != std::string::npos;
    if (!undeclared) throw;
    // Nothing was dispatched (GitHub refused the request), so dispatching again is no repeat.
    spdlog::warn(
        "{}",
        log_json::event(
            "dispatch_without_requester",
            {{"workflow", config.bot.workflow},
             {"why", "the workflow does not declare the inputs requested-by, request-url and dispatch-id (" +
                         error.details().message +
                         "); add them, as examples/workflows/deploy.yml does, so the "
                         "run's audit record names who asked and a dispatch whose answer was lost can be found"}}));
    remember_dispatch_sent(context, effect_key, false);
    return context.ports().workflows.dispatch(config.bot.workflow, ref, inputs);
  }
}

Lookup find_dispatched_run(Context& context, const config::Config& config, const std::string& effect_key) {
  const auto row = context.store().state(dispatch_state_key(effect_key));
  if (!row) return {Lookup::Outcome::not_found, ""};  // recorded before every send: none was sent
  const auto sent = nlohmann::json::parse(*row, nullptr, false);
  if (!sent.is_object()) return {};
  const std::string dispatch_id = sent.value("dispatch_id", "");
  const auto sent_at = github::parse_rfc3339(sent.value("sent_at", ""));
  if (dispatch_id.empty() || !sent_at.ok()) return {};
  // GitHub's clock and ours may differ a little: look from a few minutes before the send.
  const std::string since = github::format_rfc3339(*sent_at - std::chrono::minutes(5));
  auto look = [&]() -> std::optional<github::WorkflowRun> {
    for (auto& run : context.ports().workflows.dispatched_runs(config.bot.workflow, since)) {
      if (run.display_title.find(dispatch_id) != std::string::npos || run.name.find(dispatch_id) != std::string::npos) {
        return run;
      }
    }
    return std::nullopt;
  };
  auto run = look();
  if (!run) {
    const auto visible_by = *sent_at + kDispatchVisibility;
    const auto now = context.services.clock.now();
    if (now < visible_by) {
      context.services.clock.sleep_for(std::chrono::ceil<std::chrono::milliseconds>(visible_by - now));
      run = look();
    }
  }
  if (!run) return {Lookup::Outcome::not_found, ""};
  return {Lookup::Outcome::found, nlohmann::json{{"run_url", run->html_url}, {"run_id", run->id}}.dump()};
}

void remember_dispatch(Context& context, const DispatchedRun& run, std::int64_t run_id, const std::string& url,
                       const std::string& effect_key) {
  if (run.issue != 0) remember_run(context, run_id, run);
  const auto kind = run.mode == "rollback" ? policy::RunInFlight::Kind::rollback : policy::RunInFlight::Kind::deploy;
  remember_in_flight(context, run.environment, {run_id, kind, url, context.services.clock.now()}, effect_key);
}

std::optional<std::string> dispatch_once(Context& context, const config::Config& config, const std::string& ref,
                                         const std::map<std::string, std::string>& inputs,
                                         const requester::Requester& asked_by, const DispatchedRun& run,
                                         const std::string& effect_key) {
  auto result = context.once(
      effect_key, Repeat::at_most_once,
      [&] {
        auto dispatched = dispatch_workflow(context, config, ref, inputs, asked_by, effect_key);
        remember_dispatch(context, run, dispatched.workflow_run_id.value_or(0), dispatched.html_url, effect_key);
        return nlohmann::json{{"run_url", dispatched.html_url}, {"run_id", dispatched.workflow_run_id.value_or(0)}}
            .dump();
      },
      [&] {
        auto found = find_dispatched_run(context, config, effect_key);
        if (found.outcome == Lookup::Outcome::found) {
          const auto json = nlohmann::json::parse(found.result);
          remember_dispatch(context, run, json.value("run_id", std::int64_t{0}), json.value("run_url", ""), effect_key);
        }
        return found;
      });
  if (!result) return std::nullopt;
  const auto recorded = nlohmann::json::parse(*result, nullptr, false);
  return recorded.is_object() ? recorded.value("run_url", "") : std::string();
}

ReleaseStart start_release_deploy(Context& context, const Subject& subject, const config::Config& config,
                                  const config::Environment& environment, const Count& count,
                                  const requester::Requester& completed_by) {
  if (!count.verdict.met) return {};
  if (auto blocked = count.blocked()) {
    // The action would refuse this run: nothing is dispatched or approved, and people hear why.
    return {"Approvals are complete, but the deploy of `" + subject.tag + "` to `" + environment.name +
                "` was not started: " + blocked->message + " (`" + blocked->reason + "`).",
            blocked->reason};
  }
  if (auto gate = waiting_gate(context, subject.sha, environment.name)) {
    if (gate->settled == "rejected") {
      return {"The waiting deploy of `" + subject.tag + "` to `" + environment.name + "` stays rejected: " + gate->why,
              ""};
    }
    approve_gate(context, *gate, count);
    return {"The waiting deploy of `" + subject.tag + "` to `" + environment.name + "` was approved.", ""};
  }
  const std::string effect_key = context.key("deploy:" + subject.sha + ":" + environment.name);
  const bool sent_before = context.store().state(dispatch_state_key(effect_key)).has_value();
  if (auto locked = sent_before ? std::nullopt : sticky_lock_refusal(context, environment.name, completed_by.login)) {
    // The same refusal the action would make of the run dispatched now (it acts for
    // `completed_by`): that run could only fail. Nothing was started, so an /approve after the
    // /unlock starts it. (A deploy already dispatched is only confirmed below, lock or not.)
    return {"Approvals are complete, but the deploy of `" + subject.tag + "` to `" + environment.name +
                "` was not started: " + locked->message + " (`" + locked->reason + "`). After `/unlock " +
                environment.name + "`, comment `/approve` here again to start it.",
            locked->reason};
  }
  const std::string ref = config.bot.ref.empty() ? context.default_branch : config.bot.ref;
  const DispatchedRun run{static_cast<int>(subject.number), subject.tag, environment.name, "deploy"};
  const std::map<std::string, std::string> inputs = {
      {"environment", environment.name}, {"version", subject.tag}, {"mode", "deploy"}};
  const auto run_url = dispatch_once(context, config, ref, inputs, completed_by, run, effect_key);
  audit::Record record;
  record.kind = audit::Kind::deploy;
  record.environment = environment.name;
  record.actor = completed_by.login;
  record.version = subject.tag;
  record.commit_sha = subject.sha;
  if (!run_url) {
    // The audit trail and the reply state only what GitHub confirmed.
    record.outcome = {audit::Status::failure, "dispatch_unconfirmed", kDispatchUnconfirmed};
    context.audit("deploy:" + subject.sha + ":" + environment.name, record);
    return {"Approvals are complete, but the bot could not confirm that the deploy of `" + subject.tag + "` to `" +
                environment.name + "` started: " + kDispatchUnconfirmed +
                " Check the Actions tab before starting it by hand.",
            ""};
  }
  record.outcome = {audit::Status::success, "deploy_dispatched",
                    "workflow " + config.bot.workflow + " dispatched on " + ref + " (mode deploy)"};
  if (!run_url->empty()) record.run_url = *run_url;
  context.audit("deploy:" + subject.sha + ":" + environment.name, record);
  return {"Approvals are complete: the deploy of `" + subject.tag + "` to `" + environment.name + "` has started" +
              (run_url->empty() ? std::string(".") : ": " + *run_url),
          ""};
}

audit::Record approval_record(const Subject& subject, const config::Environment& environment, const Count& count,
                              const std::string& actor) {
  audit::Record record;
  record.kind = audit::Kind::approval_decision;
  record.environment = environment.name;
  record.actor = actor;
  record.commit_sha = subject.sha;
  if (!subject.tag.empty()) record.version = subject.tag;
  for (const auto& counted : count.verdict.counted) {
    audit::Approval a;
    a.approver = counted.user;
    a.source = counted.source == policy::ApprovalSource::review ? "pull_request_review" : "comment";
    a.permission = std::string(policy::to_string(counted.permission));
    a.event_id = counted.event_id;
    a.counted = true;
    a.reason = "counted";
    record.approvals.push_back(std::move(a));
  }
  for (const auto& rejected : count.verdict.not_counted) {
    audit::Approval a;
    a.approver = rejected.event.user;
    a.source = rejected.event.source == policy::ApprovalSource::review ? "pull_request_review" : "comment";
    a.permission = std::string(policy::to_string(rejected.event.permission));
    a.event_id = rejected.event.id;
    a.counted = false;
    a.reason = rejected.reason;
    record.approvals.push_back(std::move(a));
  }
  record.gates.push_back(audit::Gate::from("approvals", count.verdict.outcome));
  if (!policy::describe_rules(count.verdict).empty()) {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& rule : count.verdict.rules) {
      rules.push_back({{"name", rule.name},
                       {"from", rule.from},
                       {"required", rule.required},
                       {"approvers", rule.approvers},
                       {"met", rule.met}});
    }
    record.extra["approval_rules"] = rules;
  }
  record.gates.push_back(audit::Gate::from("rejection", count.rejections.outcome));
  if (count.freeze) record.gates.push_back(audit::Gate::from("freeze", count.freeze->outcome));
  if (count.rejected()) {
    record.outcome = {audit::Status::refused, count.rejections.outcome.reason, count.rejections.outcome.message};
    return record;
  }
  record.outcome = {count.verdict.met ? audit::Status::success : audit::Status::refused, count.verdict.outcome.reason,
                    count.verdict.outcome.message};
  return record;
}

}  // namespace deploy::bot::handlers
