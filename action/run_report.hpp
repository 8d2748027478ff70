// How a run reports to the people watching it: step outputs (GITHUB_OUTPUT), the step summary
// (core/deploy_summary), and notifications (core/notify; a failed one is a warning, never a failed
// deploy).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/deploy_engine.hpp"
#include "core/deploy_summary.hpp"
#include "core/policy.hpp"
#include "core/release.hpp"
#include "core/requester.hpp"
#include "core/runner.hpp"

namespace deploy::action {

struct OutputFacts {
  std::string version;
  std::string previous_version;
  std::string deployment_id;
  std::string audit_file;
  std::string sha;
  std::string tracking_issue_url;
};

struct RunSummaryFacts {
  std::string environment, mode, version, sha, previous_version;
  std::string status, message;
  std::string run_url, environment_url, tracking_issue_url;
  requester::Requester requester;
  policy::GateReport gates;
  std::optional<policy::ApprovalVerdict> approvals;
  std::string needed;
  std::vector<summary::Change> changelog;
  std::chrono::system_clock::time_point started, finished;
};

struct NotificationFacts {
  config::Event event = config::Event::started;
  std::string environment, version, sha, previous_version, status, message, run_url, actor, repository;
};

class RunReport {
 public:
  RunReport(const runner::Environment& env, const RandomSource& random) : env_(env), random_(random) {}

  void output(const std::string& name, const std::string& value);
  void common_outputs(const OutputFacts& facts);
  void summary(const RunSummaryFacts& facts, const engine::Report* report);
  void notify(const config::Config& config, const NotificationFacts& facts);

 private:
  const runner::Environment& env_;
  const RandomSource& random_;
};

}  // namespace deploy::action
