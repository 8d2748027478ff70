// The run's GitHub deployment: created once the gates pass, then moved through in_progress to
// success / failure / error, with the run's log URL and the environment's URL. Its payload records
// what deploy-action released and where the audit chain stood (the previous record's seq and
// hash); its final status carries the new record's link (github::audit_status_description), which
// the next run of the environment chains to.
#pragma once

#include <cstdint>
#include <string>

#include "action/run_status.hpp"
#include "core/github/client.hpp"
#include "core/github/facts.hpp"

namespace deploy::action {

struct DeploymentRequest {
  std::string ref;  // the tag, or the SHA for branch and commit deploys
  std::string sha;
  std::string environment;
  std::string version;  // what DEPLOY_VERSION says: "v1.2.0", "main-1a2b3c4"
  std::string previous_version;
  std::string color;  // blue-green: the colour this version goes to; empty otherwise
  RunMode mode = RunMode::deploy;
  std::string run_url;
  std::string environment_url;
  std::uint64_t audit_seq = 0;  // the seq this run's record will take
  std::string audit_prev_hash;  // the hash it links to
};

class GithubDeployment {
 public:
  GithubDeployment(github::Client& client, github::Repo repo, DeploymentRequest request);

  std::int64_t create();  // the deployment and its first status (in_progress); returns its id
  // state: "in_progress", "success", "failure", "error", "inactive".
  void status(const std::string& state, const std::string& description);
  // Marks an earlier deployment of the environment inactive (the one this run replaced).
  void mark_inactive(std::int64_t deployment_id, const std::string& description);
  std::int64_t id() const { return id_; }
  // Whether a final status (anything but in_progress) was set: one left in_progress would show as
  // running forever.
  bool final_status_set() const { return final_status_set_; }

 private:
  github::Client& client_;
  github::Repo repo_;
  DeploymentRequest request_;
  std::int64_t id_ = 0;
  bool final_status_set_ = false;
};

}  // namespace deploy::action
