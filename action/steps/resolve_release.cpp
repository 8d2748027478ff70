#include "action/steps/steps.hpp"
#include "core/git/git.hpp"
#include "core/github/release_facts.hpp"

namespace deploy::action {
namespace {

git::Repository open_repository(const DeployInputs& in) {
  auto repository = git::Repository::open(in.workspace);
  if (!repository) {
    throw Stop{RunStatus::error,
               repository.error().message + " (GITHUB_WORKSPACE is " + in.workspace +
                   "; add actions/checkout with fetch-depth: 0 before this step)",
               ""};
  }
  return std::move(repository).value();
}

// A rollback's ref: the tag of the version input, else of the last good version before the
// current one, as core/policy chooses it.
std::string rollback_ref(const RunRecord& record, const Connection& github, const Clock& clock) {
  std::string version = record.inputs.version;
  if (version.empty()) {
    auto decision = policy::decide_rollback(rollback_request(record, github, clock, std::nullopt));
    if (!decision.target) throw Stop{RunStatus::refused, decision.outcome.message, ""};
    for (const auto& seen : record.history->deployments) {
      if (seen.record.id == decision.target->deployment_id) version = seen.record.version;
    }
  }
  auto repository = open_repository(record.inputs);
  if (auto tag = repository.resolve("refs/tags/" + version); tag && *tag) return "refs/tags/" + version;
  if (version.front() != 'v') return "refs/tags/v" + version;
  return "refs/tags/" + version;
}

// The stages run the checkout's files: they must be the release's, or the gates judged one
// commit and the stages deploy another. A rollback runs from the default branch on purpose.
void check_checkout(git::Repository& repository, const std::string& ref, const release::Release& release) {
  auto head = repository.head_commit();
  if (head && *head == release.sha) return;
  throw Stop{RunStatus::refused,
             "the checkout is at " + (head ? head->substr(0, 7) : std::string("no commit")) + " but " + ref + " is " +
                 release.sha.substr(0, 7) +
                 ": the stages would run other files than the release's; check out the ref you deploy "
                 "(actions/checkout with `ref: " +
                 ref + "`, fetch-depth: 0)",
             ""};
}

}  // namespace

ReleaseResolved resolve_release(const RunRecord& record, const Connection& github, const Clock& clock) {
  const auto& in = record.inputs;
  const bool rollback = record.mode == RunMode::rollback;
  ReleaseResolved found;
  found.ref = rollback ? rollback_ref(record, github, clock) : in.ref;
  if (found.ref.empty()) {
    throw Stop{RunStatus::invalid_input, "no ref to deploy: set the 'ref' input (GITHUB_REF is empty)", ""};
  }
  auto repository = open_repository(in);
  release::Request request;
  request.ref = found.ref;
  request.environment = in.environment;
  request.default_branch = record.connected->default_branch;
  request.deployed = github::deployed_version(record.history->deployments);
  request.mode = rollback ? release::Mode::rollback : release::Mode::deploy;
  request.rules = release::tag_rules(record.config->config.release);
  auto decision = git::resolve_release(repository, request);
  if (!decision) throw Stop{RunStatus::refused, decision.error().message, ""};
  if (!decision->outcome.allowed) {
    throw Stop{RunStatus::refused, decision->outcome.message, decision->outcome.reason};
  }
  found.release = *decision->release;
  if (!rollback) check_checkout(repository, found.ref, found.release);
  return found;
}

}  // namespace deploy::action
