#include "action/deploy_command.hpp"

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "action/audit_branch.hpp"
#include "action/audit_record.hpp"
#include "action/cancellation.hpp"
#include "action/config_file.hpp"
#include "action/deploy_inputs.hpp"
#include "action/github_deployment.hpp"
#include "action/release_gates.hpp"
#include "action/run_report.hpp"
#include "core/checks.hpp"
#include "core/deploy_engine.hpp"
#include "core/git.hpp"
#include "core/github_client.hpp"
#include "core/github_facts.hpp"
#include "core/github_release_facts.hpp"
#include "core/http_client.hpp"
#include "core/notify.hpp"
#include "core/plan.hpp"
#include "core/policy_config.hpp"
#include "core/semver.hpp"
#include "core/text.hpp"

namespace deploy::action {
namespace {

// Stops the run early with a clear message; caught once, in run_deploy_in_runner.
struct Stop {
  std::string status;   // output `status`: "invalid_config", "refused", "error"
  std::string message;  // for people: what is wrong and what to do
};

class DeployRun {
 public:
  DeployRun(DeployInputs inputs, const runner::Environment& env)
      : in_(std::move(inputs)), env_(env), report_(env, random_) {}

  int execute() {
    for (const auto& line : masker_.add(in_.token)) print_raw(line);
    load_config();
    connect();
    read_history();
    resolve_release();
    make_plan();
    decide_rollback_gate();
    open_tracking_issue();
    evaluate_gates();
    if (!gates_.report.allowed) return blocked();
    if (cancel_.cancelled()) throw Stop{"cancelled", "the run was cancelled before anything was deployed"};
    deploy();
    return finish();
  }

  // Everything needed to report a Stop (called from the catch in run_deploy_in_runner).
  int stopped(const Stop& stop) {
    print(runner::annotation_command(runner::AnnotationLevel::error, stop.message));
    if (deployment_ && !final_status_set_) {
      // A deployment left in_progress would show as running forever.
      try {
        deployment_->status("error", facts::short_description(stop.message));
      } catch (const std::exception& error) {
        print(runner::annotation_command(runner::AnnotationLevel::warning,
                                         std::string("could not mark the deployment as failed: ") + error.what()));
      }
    }
    if (stop.status == "refused" || stop.status == "cancelled") write_refused_record(stop.message, stop.status);
    report_.output("status", stop.status);
    report_.common_outputs(output_facts());
    RunSummaryFacts facts = summary_facts(stop.status, stop.message);
    report_.summary(facts, nullptr);
    report_.wait_for_notifications();
    return 1;
  }

 private:
  // ---- set-up ----

  void load_config() {
    auto loaded = load_config_file(in_.config_path);
    if (!loaded.config) {
      std::istringstream lines(loaded.errors);
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) print(runner::annotation_command(runner::AnnotationLevel::error, line));
      }
      throw Stop{"invalid_config", "the config " + in_.config_path + " is invalid (see the errors above)"};
    }
    config_ = std::move(*loaded.config);
    environment_ = config_.environment(in_.environment);
    if (!environment_) {
      std::string known;
      for (const auto& e : config_.environments) known += (known.empty() ? "" : ", ") + e.name;
      throw Stop{"invalid_input", "environment '" + in_.environment + "' is not in " + in_.config_path +
                                      " (it has: " + known + "); set the 'environment' input to one of them"};
    }
    if (!config_.audit.signing_key_env.empty()) {
      if (auto key = env_(config_.audit.signing_key_env); key && !key->empty()) {
        audit_key_ = *key;
        for (const auto& line : masker_.add(*key)) print_raw(line);
      }
    }
    // Webhook URLs are credentials (Slack's carry a token in the path).
    for (const auto& url : notify::urls_to_mask(config_.notifications, [this](const std::string& name) { return env_(name); })) {
      for (const auto& line : masker_.add(url)) print_raw(line);
    }
  }

  void connect() {
    transport_ = std::make_unique<http::Client>();
    github::ClientOptions options;
    options.base_url = in_.api_url;
    options.on_wait = [this](const std::string& text) { print("deploy-action: GitHub: " + text); };
    github_ = std::make_unique<github::Client>(*transport_, clock_, random_, github::TokenCredentials{in_.token},
                                               options);
    repo_ = facts::Repo{in_.owner, in_.repo};
    if (in_.default_branch.empty()) in_.default_branch = github_->get_repository(in_.owner, in_.repo).default_branch;
  }

  void read_history() {
    history_ = facts::deployment_history(*github_, repo_, in_.environment);
    for (const auto& seen : history_) {
      if (!current_ && seen.record.state == policy::DeploymentState::success) current_ = seen;
      if (!chain_head_ && seen.audit_hash) chain_head_ = facts::AuditLink{*seen.audit_seq, *seen.audit_hash};
    }
  }


  std::string rollback_ref() {
    std::string version = in_.version;
    if (version.empty()) {
      // The last good version before the current one, as core/policy chooses it.
      policy::RollbackRequest request = rollback_request(std::nullopt);
      auto decision = policy::decide_rollback(request);
      if (!decision.target) throw Stop{"refused", decision.outcome.message};
      for (const auto& seen : history_) {
        if (seen.record.id == decision.target->deployment_id) version = seen.record.version;
      }
    }
    auto repository = open_repository();
    if (auto tag = repository.resolve("refs/tags/" + version); tag && *tag) return "refs/tags/" + version;
    if (version.front() != 'v') return "refs/tags/v" + version;
    return "refs/tags/" + version;
  }

  git::Repository open_repository() const {
    auto repository = git::Repository::open(in_.workspace);
    if (!repository) {
      throw Stop{"error", repository.error().message + " (GITHUB_WORKSPACE is " + in_.workspace +
                              "; add actions/checkout with fetch-depth: 0 before this step)"};
    }
    return std::move(repository).value();
  }

  void resolve_release() {
    if (in_.mode == "rollback") in_.ref = rollback_ref();
    if (in_.ref.empty()) throw Stop{"invalid_input", "no ref to deploy: set the 'ref' input (GITHUB_REF is empty)"};
    auto repository = open_repository();
    release::Request request;
    request.ref = in_.ref;
    request.environment = in_.environment;
    request.default_branch = in_.default_branch;
    request.deployed = facts::deployed_version(history_);
    request.mode = in_.mode == "rollback" ? release::Mode::rollback : release::Mode::deploy;
    request.rules = release::tag_rules(config_.release);
    auto decision = git::resolve_release(repository, request);
    if (!decision) throw Stop{"refused", decision.error().message};
    if (!decision->outcome.allowed) {
      refusal_reason_ = decision->outcome.reason;
      throw Stop{"refused", decision->outcome.message};
    }
    release_ = std::move(*decision->release);
    // The stages run the checkout's files: they must be the release's, or the gates judged one
    // commit and the stages deploy another. A rollback runs from the default branch on purpose.
    if (in_.mode == "deploy") {
      auto head = repository.head_commit();
      if (!head || *head != release_->sha) {
        throw Stop{"refused", "the checkout is at " + (head ? head->substr(0, 7) : std::string("no commit")) +
                                  " but " + in_.ref + " is " + release_->sha.substr(0, 7) +
                                  ": the stages would run other files than the release's; check out the ref you "
                                  "deploy (actions/checkout with `ref: " + in_.ref + "`, fetch-depth: 0)"};
      }
    }
  }

  void make_plan() {
    // A rollback goes straight to its target: its own short plan, not the deploy's stages and pauses.
    auto plan = in_.mode == "rollback" ? plan::make_rollback_plan(config_, in_.environment)
                                       : plan::make_plan(config_, in_.environment, in_.ref);
    if (!plan) throw Stop{"invalid_input", plan.error().message};
    plan_ = std::move(*plan);
  }

  policy::RollbackRequest rollback_request(const std::optional<semver::Version>& version) {
    facts::People people(*github_, repo_, policy_config::to_policy(environment_->rollback.allowed));
    policy::RollbackRequest request;
    // A bot the config names by login in rollback.allowed (the deploy-bot that checked a /rollback)
    // is admitted by core/policy; any other bot is refused there.
    request.user = people.actor(in_.actor, facts::is_bot_account(in_.actor));
    request.environment = in_.environment;
    request.version = version;
    for (const auto& seen : history_) request.history.push_back(seen.record);
    request.now = clock_.now();
    request.policy = policy_config::to_policy(environment_->rollback);
    return request;
  }

  // A rollback needs no approvals when the rollback policy admits the actor within the window;
  // otherwise it passes the approvals gate like a deploy. A target that never went live, or that
  // runs now, is refused outright.
  void decide_rollback_gate() {
    if (in_.mode != "rollback") return;
    auto version = semver::parse_tag(release_->tag);
    auto decision = policy::decide_rollback(rollback_request(version ? std::optional(*version) : std::nullopt));
    if (decision.outcome.allowed) {
      skip_approvals_ = true;
      rollback_gate_ = decision.outcome;
    } else if (decision.needs_approval && environment_->approvals.required > 0) {
      // outside_window: require_approval: the environment's approvals decide instead.
      rollback_gate_ = Outcome::allow("rollback_needs_approvals",
                                      "outside the rollback window: this rollback needs the environment's approvals");
    } else {
      rollback_gate_ = decision.outcome;
    }
    // The version is bound by commit, not by name: a tag moved since it went live is refused.
    if (decision.target && !decision.target->sha.empty() && !text::iequals(decision.target->sha, release_->sha)) {
      rollback_gate_ = Outcome::deny(
          "tag_moved", release_->tag + " points at " + release_->sha.substr(0, 7) + " but " +
                           release_->tag + " went live here as " + decision.target->sha.substr(0, 7) +
                           "; a moved tag is not a rollback: deploy it as a new release, or restore the tag");
      skip_approvals_ = false;
    }
  }

  void open_tracking_issue() {
    const bool needs_approvals = environment_->approvals.required > 0 && !skip_approvals_;
    if (!needs_approvals || release_->kind != release::RefKind::tag) return;
    tracking::IssueText text;
    text.marker = {release_->tag, release_->sha};
    text.environment = in_.environment;
    if (release_->previous) text.previous_version = release_->previous->tag;
    for (const auto& commit : release_->commits) text.changes.push_back(change_line(commit));
    try {
      tracking_ = facts::find_or_open_tracking_issue(*github_, repo_, text);
      if (tracking_->opened) print("deploy-action: opened the release tracking issue " + tracking_->html_url);
    } catch (const std::exception& error) {
      // Approvals can still come from commit comments and reviews; say why the issue is missing.
      print(runner::annotation_command(runner::AnnotationLevel::warning,
                                       std::string("could not open the release tracking issue: ") + error.what()));
    }
  }

  static std::string change_line(const release::Commit& commit) {
    std::string line = commit.summary;
    for (char& c : line) {
      if (c == '<' || c == '>' || c == '@' || c == '`') c = ' ';
    }
    return "`" + commit.sha.substr(0, 7) + "` " + line;
  }

  void evaluate_gates() {
    GateContext context{*environment_, *release_, *plan_, in_.actor, {}, in_.mode == "rollback", skip_approvals_,
                        tracking_ ? std::optional(tracking_->number) : std::nullopt};
    if (!in_.workflow_actor.empty() && !text::iequals(in_.workflow_actor, in_.actor)) {
      context.also_triggered_by.push_back(in_.workflow_actor);
    }
    gates_ = evaluate_release_gates(*github_, repo_, context);
    if (rollback_gate_) {
      gates_.report.results.insert(gates_.report.results.begin(), policy::GateResult{"rollback", *rollback_gate_});
      gates_.report.allowed = gates_.report.allowed && rollback_gate_->allowed;
    }
    for (const auto& gate : gates_.report.results) {
      print(std::string(gate.outcome.allowed ? "  pass  " : "  FAIL  ") + gate.gate + ": " + gate.outcome.message);
    }
    if (gates_.approvals) {
      for (const auto& refused : gates_.approvals->not_counted) {
        print("        not counted: " + refused.event.user + ": " + refused.message);
      }
    }
  }

  // ---- gates not met ----

  int blocked() {
    std::string missing;
    for (const auto& gate : gates_.report.results) {
      if (!gate.outcome.allowed) missing += "- **" + gate.gate + "**: " + gate.outcome.message + "\n";
    }
    if (!gates_.needed.empty()) missing += "\nStill needed: " + gates_.needed + "\n";
    if (gates_.approvals && !gates_.approvals->not_counted.empty()) {
      missing += "\nNot counted:\n";
      for (const auto& refused : gates_.approvals->not_counted) missing += "- " + refused.message + "\n";
    }
    const std::string message = "not deployed: " + first_refusal().message;
    if (tracking_) {
      try {
        facts::post_keyed_comment(*github_, repo_, tracking_->number, "gates/" + in_.environment + "/" + release_->sha,
                                  "**" + release_->tag + "** is waiting to deploy to **" + in_.environment +
                                      "**:\n\n" + missing + "\nComment `/approve` here to approve this commit.");
      } catch (const std::exception& error) {
        print(runner::annotation_command(runner::AnnotationLevel::warning,
                                         std::string("could not comment on the tracking issue: ") + error.what()));
      }
    }
    // A gate GitHub could not answer is an error, never a refusal to skip quietly.
    const bool skip = in_.on_unapproved == OnUnapproved::skip && !gates_.gate_error;
    const std::string status = gates_.gate_error ? "error" : skip ? "skipped" : "blocked";
    print(runner::annotation_command(skip ? runner::AnnotationLevel::notice : runner::AnnotationLevel::error, message));
    write_refused_record(message);
    report_.output("status", status);
    report_.common_outputs(output_facts());
    report_.summary(summary_facts(status, message), nullptr);
    return skip ? 0 : 1;
  }

  Outcome first_refusal() const {
    for (const auto& gate : gates_.report.results) {
      if (!gate.outcome.allowed) return gate.outcome;
    }
    return Outcome::deny("refused", "refused");
  }

  // A refused run is recorded too, anchored to the environment's chain head but outside the chain
  // of deployments (nothing on GitHub links to it): verify it alone with --anchor.
  void write_refused_record(const std::string& message, const std::string& status = "refused") {
    auto record = make_record(run_facts(), gates_.report, gates_.approvals, nullptr,
                              status == "cancelled" ? audit::Status::cancelled : audit::Status::refused,
                              gates_.report.results.empty() ? refusal_reason_.empty() ? status : refusal_reason_
                                                            : first_refusal().reason,
                              message);
    auto written = write_record(record, audit_dir() / "refused", chain_prev_hash(), chain_next_seq(), key());
    if (written) {
      audit_file_ = output_path(written->file);
    } else {
      print(runner::annotation_command(runner::AnnotationLevel::warning, written.error().message));
    }
  }

  // ---- deploying ----

  void deploy() {
    DeploymentRequest request;
    request.ref = release_->kind == release::RefKind::tag ? release_->tag : release_->sha;
    request.sha = release_->sha;
    request.environment = in_.environment;
    request.version = version_text();
    request.previous_version = previous_version();
    request.mode = in_.mode;
    request.run_url = in_.run_url();
    request.environment_url = environment_->url;
    request.audit_seq = chain_next_seq();
    request.audit_prev_hash = chain_prev_hash();
    request.color = blue_green() ? engine::idle_color_of(engine_facts()) : "";
    deployment_ = std::make_unique<GithubDeployment>(*github_, repo_, request);
    deployment_->create();
    print("deploy-action: GitHub deployment " + std::to_string(deployment_->id()) + " for " + request.version +
          " to " + in_.environment);
    report_.notify(config_, notification(config::Event::started, "started", "deploying"));

    engine::ReleaseFacts facts = engine_facts();
    facts.deployment_id = std::to_string(deployment_->id());
    engine::Inputs inputs{*plan_, *environment_, facts, clock_, [this](const std::string& line) { print_raw(line); }};
    inputs.cancel = cancel_.flag();
    inputs.masker = &masker_;
    inputs.random = random_;
    inputs.working_directory = in_.workspace;
    checks::Probes probes{*transport_, clock_,
                          {{"DEPLOY_ENVIRONMENT", in_.environment}, {"DEPLOY_VERSION", version_text()},
                           {"DEPLOY_SHA", release_->sha}},
                          cancel_.flag()};
    engine_report_ = engine::run_deploy(inputs, [&](const config::Check& check) { return checks::run_check(check, probes); });
  }

  int finish() {
    const auto& report = *engine_report_;
    const bool ok = report.status == engine::Status::succeeded;
    const std::string status(engine::to_string(report.status));
    const std::string message = ok ? "deployed " + version_text() + " to " + in_.environment : report.message;

    auto record = make_record(run_facts(), gates_.report, gates_.approvals, &report, audit_status(report.status),
                              report.reason, message);
    auto written = write_record(record, audit_dir(), chain_prev_hash(), chain_next_seq(), key());
    std::string description = facts::short_description(message);
    if (written) {
      audit_file_ = output_path(written->file);
      description = facts::audit_status_description(message, written->seq, written->hash);
      print("deploy-action: audit record " + audit_file_ + " (hash " + written->hash + ")");
      append_to_branch(*written, status);
    } else {
      print(runner::annotation_command(runner::AnnotationLevel::error,
                                       "the audit record was not written: " + written.error().message));
    }
    // success: live; rolled_back and failures: this deployment is not live; cancelled: error.
    const std::string state = ok ? "success" : report.status == engine::Status::cancelled ? "error" : "failure";
    // The deploy happened whatever GitHub answers now: a failed status update is reported, and the
    // outputs, summary and notifications still follow.
    try {
      deployment_->status(state, description);
      final_status_set_ = true;
    } catch (const std::exception& error) {
      print(runner::annotation_command(runner::AnnotationLevel::error,
                                       std::string("could not set the deployment's final status (") + state +
                                           "); the next run cannot link its audit record to this one: " + error.what()));
    }
    if (ok && current_ && current_->record.id != deployment_->id()) {
      try {
        deployment_->mark_inactive(current_->record.id, "replaced by " + version_text());
      } catch (const std::exception& error) {
        print(runner::annotation_command(runner::AnnotationLevel::warning,
                                         std::string("could not mark the replaced deployment inactive: ") + error.what()));
      }
    }

    report_.output("status", status);
    report_.output("rolled-back", report.rolled_back ? "true" : "false");
    report_.common_outputs(output_facts());
    report_.summary(summary_facts(status, message), &report);
    config::Event event = ok                        ? config::Event::succeeded
                          : report.rolled_back ? config::Event::rolled_back
                                               : config::Event::failed;
    report_.notify(config_, notification(event, status, message));
    if (!ok) print(runner::annotation_command(runner::AnnotationLevel::error, message));
    report_.wait_for_notifications();
    return ok ? 0 : 1;
  }

  // The record also goes to the audit branch, before the deployment's final status points at it.
  // A failure there does not undo the deploy: it is an error in the log, and the record is still
  // the audit-file; verify-audit --from-github then reports the record as missing from the branch.
  void append_to_branch(const WrittenRecord& written, const std::string& status) {
    if (config_.audit.branch.empty()) return;
    AuditBranchRecord record{in_.environment, written.seq, written.hash, written.line,
                             "audit: " + in_.environment + " #" + std::to_string(written.seq) + " " + version_text() +
                                 " " + status};
    auto appended = append_to_audit_branch(*github_, repo_, config_.audit.branch, record);
    if (!appended) {
      print(runner::annotation_command(runner::AnnotationLevel::error, appended.error().message));
      return;
    }
    print("deploy-action: audit record appended to branch " + config_.audit.branch + " as " + appended->path +
          " (commit " + appended->commit_sha.substr(0, 7) +
          (appended->attempts > 1 ? ", after " + std::to_string(appended->attempts - 1) + " concurrent append(s)" : "") +
          ")");
  }

  // ---- small facts ----

  bool blue_green() const { return environment_->strategy.type == config::Strategy::Type::blue_green; }

  engine::ReleaseFacts engine_facts() const {
    engine::ReleaseFacts facts;
    facts.environment = in_.environment;
    facts.version = version_text();
    facts.sha = release_->sha;
    facts.previous_version = previous_version();
    facts.run_url = in_.run_url();
    if (current_) facts.live_color = current_->color;
    return facts;
  }

  std::string version_text() const {
    if (!release_) return in_.version;
    return release_->kind == release::RefKind::tag ? release_->tag : release_->version;
  }

  // What a failed deploy returns to: the version live now (for a tag release without a deployment
  // history, the previous release tag).
  std::string previous_version() const {
    if (current_) return current_->record.version;
    if (release_ && release_->previous && in_.mode != "rollback") return release_->previous->tag;
    return {};
  }

  std::uint64_t chain_next_seq() const { return chain_head_ ? chain_head_->seq + 1 : 0; }
  std::string chain_prev_hash() const { return chain_head_ ? chain_head_->hash : std::string(audit::kGenesisHash); }
  std::optional<std::string_view> key() const {
    if (audit_key_.empty()) return std::nullopt;
    return std::string_view(audit_key_);
  }
  // $RUNNER_TEMP/deploy-audit when RUNNER_TEMP is there. A container action does not see it (the
  // runner mounts only the workspace and a few subfolders of its temp), so there the record goes to
  // the workspace, which the job's later steps (upload-artifact) see.
  std::filesystem::path audit_dir() const {
    std::error_code error;
    if (!in_.runner_temp.empty() && std::filesystem::is_directory(in_.runner_temp, error)) {
      return std::filesystem::path(in_.runner_temp) / "deploy-audit";
    }
    return std::filesystem::path(in_.workspace) / ".deploy-audit";
  }

  // The `audit-file` output: relative to the workspace when inside it, as later steps resolve it.
  std::string output_path(const std::filesystem::path& file) const {
    auto relative = file.lexically_relative(in_.workspace);
    if (!relative.empty() && *relative.begin() != "..") return relative.string();
    return file.string();
  }

  RunFacts run_facts() const {
    RunFacts facts;
    facts.kind = in_.mode == "rollback" ? audit::Kind::rollback : audit::Kind::deploy;
    facts.repository = in_.owner + "/" + in_.repo;
    facts.environment = in_.environment;
    facts.actor = in_.actor;
    facts.requester = in_.requester;
    facts.trigger = in_.event_name;
    facts.version = version_text();
    facts.sha = release_ ? release_->sha : "";
    facts.previous_version = previous_version();
    if (current_) facts.previous_sha = current_->record.sha;
    facts.run_id = in_.run_id;
    facts.run_attempt = in_.run_attempt;
    facts.run_url = in_.run_url();
    if (deployment_) facts.deployment_id = std::to_string(deployment_->id());
    facts.reason = in_.reason;
    facts.started = started_;
    facts.finished = clock_.now();
    return facts;
  }

  OutputFacts output_facts() const {
    return {version_text(), previous_version(), deployment_ ? std::to_string(deployment_->id()) : "", audit_file_,
            release_ ? release_->sha : "", tracking_ ? tracking_->html_url : ""};
  }

  RunSummaryFacts summary_facts(const std::string& status, const std::string& message) const {
    RunSummaryFacts facts;
    facts.environment = in_.environment;
    facts.mode = in_.mode;
    facts.version = version_text();
    facts.sha = release_ ? release_->sha : "";
    facts.previous_version = previous_version();
    facts.status = status;
    facts.message = message;
    facts.run_url = in_.run_url();
    facts.environment_url = environment_ ? environment_->url : "";
    facts.tracking_issue_url = tracking_ ? tracking_->html_url : "";
    facts.requester = in_.requester;
    facts.gates = gates_.report;
    facts.approvals = gates_.approvals;
    facts.needed = gates_.needed;
    if (release_) facts.changelog = summary::changes_from(*release_);
    facts.started = started_;
    facts.finished = clock_.now();
    return facts;
  }

  NotificationFacts notification(config::Event event, const std::string& status, const std::string& message) const {
    NotificationFacts facts;
    facts.event = event;
    facts.environment = in_.environment;
    facts.version = version_text();
    facts.sha = release_ ? release_->sha : "";
    facts.previous_version = previous_version();
    facts.status = status;
    facts.message = message;
    facts.run_url = in_.run_url();
    facts.actor = in_.actor;
    facts.repository = in_.owner + "/" + in_.repo;
    return facts;
  }

  void print(const std::string& line) { std::cout << masker_.mask(line) << std::endl; }
  void print_raw(const std::string& line) { std::cout << line << std::endl; }

  DeployInputs in_;
  const runner::Environment& env_;
  SystemClock clock_;
  RandomSource random_ = system_random();
  runner::Masker masker_;
  CancellationGuard cancel_;
  RunReport report_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();

  config::Config config_;
  const config::Environment* environment_ = nullptr;
  std::string audit_key_;
  std::unique_ptr<http::Client> transport_;
  std::unique_ptr<github::Client> github_;
  facts::Repo repo_;
  std::vector<facts::DeploymentSeen> history_;
  std::optional<facts::DeploymentSeen> current_;
  std::optional<facts::AuditLink> chain_head_;
  std::optional<release::Release> release_;
  std::string refusal_reason_;
  std::optional<plan::Plan> plan_;
  bool skip_approvals_ = false;
  std::optional<Outcome> rollback_gate_;
  std::optional<facts::TrackingIssue> tracking_;
  GateResults gates_;
  std::unique_ptr<GithubDeployment> deployment_;
  std::optional<engine::Report> engine_report_;
  std::string audit_file_;
  bool final_status_set_ = false;
};

}  // namespace

int run_deploy_in_runner(const runner::Environment& env, const std::string& mode) {
  auto inputs = read_deploy_inputs(env, mode);
  if (!inputs) {
    std::cout << runner::annotation_command(runner::AnnotationLevel::error, inputs.error().message) << std::endl;
    return 1;
  }
  DeployRun run(std::move(*inputs), env);
  try {
    return run.execute();
  } catch (const Stop& stop) {
    return run.stopped(stop);
  } catch (const std::exception& error) {
    // GitHub or the disk failed in a way the run cannot go on from: say what, and stop.
    return run.stopped(Stop{"error", std::string("deploy-action failed: ") + error.what()});
  }
}

}  // namespace deploy::action
