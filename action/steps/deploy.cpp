#include <algorithm>
#include "action/steps/steps.hpp"

#include "core/checks/checks.hpp"
#include "core/config/duration.hpp"
#include "core/github/facts.hpp"
#include "core/policy/promotion.hpp"
#include "core/rfc3339/rfc3339.hpp"

namespace deploy::action {
namespace {

// What the stages see of the release (DEPLOY_* variables).
engine::ReleaseFacts engine_facts(const RunRecord& record) {
  engine::ReleaseFacts facts;
  facts.environment = record.inputs.environment;
  facts.version = version_text(record);
  facts.sha = release_sha(record);
  facts.previous_version = previous_version(record);
  facts.deployment_id = deployment_id(record);
  facts.run_url = record.inputs.run_url();
  if (record.history->current) facts.live_color = record.history->current->color;
  return facts;
}

bool blue_green(const RunRecord& record) {
  return record.config->environment.strategy.type == config::Strategy::Type::blue_green;
}

// How often a hold asks GitHub for /promote or /abort: every 15 s (one request: the release
// commit's latest statuses), more often only for holds shorter than a minute.
std::chrono::milliseconds promotion_poll(const config::Environment& env) {
  const auto quarter = std::chrono::duration_cast<std::chrono::milliseconds>(env.strategy.pause_timeout) / 4;
  return std::clamp(quarter, std::chrono::milliseconds{1'000}, std::chrono::milliseconds{15'000});
}

// The decision deploy-bot recorded for this run's deployment, if any (policy::read_promotion). A
// failed read is a warning and counts as no decision yet: the hold's timeout still bounds the wait.
policy::Promotion read_promotion(const RunRecord& record, const Connection& github, const RunLog& log) {
  try {
    // The list, not the combined status: only the list says who set each status, and a decision
    // counts only when a bot account (deploy-bot) set it, never a person's token. Newest first; the
    // decision is among the last statuses set on the commit.
    const auto statuses =
        github.github().list_commit_statuses(github.repo.owner, github.repo.name, release_sha(record), 100);
    std::vector<policy::StatusSeen> seen;
    for (const auto& status : statuses) {
      seen.push_back({status.context, status.state, status.description,
                      status.creator && github::is_bot_account(*status.creator)});
    }
    return policy::read_promotion(seen, record.inputs.environment, record.deployment->id);
  } catch (const std::exception& error) {
    log.annotate(runner::AnnotationLevel::warning,
                 std::string("could not read /promote or /abort for this run: ") + error.what());
    return {};
  }
}

// Says where the run waits: a comment on the release's tracking issue, once per hold.
void announce_hold(const RunRecord& record, const Connection& github, const RunLog& log, const plan::Step& hold,
                   std::chrono::system_clock::time_point until) {
  const std::string text = "The deploy of `" + version_text(record) + "` to `" + record.inputs.environment +
                           "` holds " + hold.label + " (deployment " + std::to_string(record.deployment->id) +
                           "). Reply `/promote` to go on to full traffic, or `/abort [REASON]` to roll back; "
                           "without either it rolls back at " +
                           rfc3339::format_seconds(until) + ".";
  log.print("deploy-action: " + text);
  if (!record.tracking_issue) return;
  try {
    github::post_keyed_comment(
        github.github(), github.repo, record.tracking_issue->number,
        "hold:" + std::to_string(record.deployment->id) + ":" + std::to_string(hold.traffic.value_or(0)), text);
  } catch (const std::exception& error) {
    log.annotate(runner::AnnotationLevel::warning,
                 std::string("could not say on the tracking issue that the run holds: ") + error.what());
  }
}

}  // namespace

std::unique_ptr<GithubDeployment> start_deployment(const RunRecord& record, const Connection& github,
                                                   const RunLog& log) {
  const auto& release = record.release->release;
  DeploymentRequest request;
  request.ref = release.kind == release::RefKind::tag ? release.tag : release.sha;
  request.sha = release.sha;
  request.environment = record.inputs.environment;
  request.version = version_text(record);
  request.previous_version = previous_version(record);
  request.mode = record.mode;
  request.run_url = record.inputs.run_url();
  request.environment_url = record.config->environment.url;
  request.audit_seq = chain_next_seq(record);
  request.audit_prev_hash = chain_prev_hash(record);
  request.color = blue_green(record) ? engine::idle_color_of(engine_facts(record)) : "";
  auto deployment = std::make_unique<GithubDeployment>(github.github(), github.repo, request);
  deployment->create();
  log.print("deploy-action: GitHub deployment " + std::to_string(deployment->id()) + " for " + request.version +
            " to " + record.inputs.environment);
  return deployment;
}

engine::Report run_engine(const RunRecord& record, const Connection& github, Clock& clock, const RandomSource& random,
                          RunLog& log, const CancellationGuard& cancel) {
  engine::Inputs inputs{*record.plan, record.config->environment, engine_facts(record), clock,
                        [&log](const std::string& line) { log.print_raw(line); }};
  inputs.cancel = cancel.flag();
  inputs.masker = &log.masker();
  inputs.random = random;
  inputs.working_directory = record.inputs.workspace;
  inputs.promotion_poll = promotion_poll(record.config->environment);
  inputs.promotion = [&] { return read_promotion(record, github, log); };
  inputs.on_hold = [&](const plan::Step& hold, std::chrono::system_clock::time_point until) {
    announce_hold(record, github, log, hold, until);
  };
  checks::Probes probes{*github.transport,
                        clock,
                        {{"DEPLOY_ENVIRONMENT", record.inputs.environment},
                         {"DEPLOY_VERSION", version_text(record)},
                         {"DEPLOY_SHA", release_sha(record)}},
                        cancel.flag()};
  return engine::run_deploy(inputs, [&](const config::Check& check) { return checks::run_check(check, probes); });
}

}  // namespace deploy::action
