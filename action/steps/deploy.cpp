#include "action/steps/steps.hpp"
#include "core/checks/checks.hpp"

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
  checks::Probes probes{*github.transport,
                        clock,
                        {{"DEPLOY_ENVIRONMENT", record.inputs.environment},
                         {"DEPLOY_VERSION", version_text(record)},
                         {"DEPLOY_SHA", release_sha(record)}},
                        cancel.flag()};
  return engine::run_deploy(inputs, [&](const config::Check& check) { return checks::run_check(check, probes); });
}

}  // namespace deploy::action
