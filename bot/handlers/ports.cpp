#include "bot/handlers/ports.hpp"

#include "core/github/release_facts.hpp"

namespace deploy::bot::handlers {

github::PullRequest GitHubPorts::pull_request(int number) {
  return client_.get_pull_request(repo_.owner, repo_.name, number);
}

github::Commit GitHubPorts::commit(const std::string& ref) { return client_.get_commit(repo_.owner, repo_.name, ref); }

std::optional<github::Release> GitHubPorts::release_by_tag(const std::string& tag) {
  return client_.get_release_by_tag(repo_.owner, repo_.name, tag);
}

github::WorkflowRun GitHubPorts::workflow_run(std::int64_t run_id) {
  return client_.get_workflow_run(repo_.owner, repo_.name, run_id);
}

std::optional<github::Content> GitHubPorts::content(const std::string& path) {
  // No ref: the contents API reads the default branch.
  return client_.get_content(repo_.owner, repo_.name, path);
}

release::Facts GitHubPorts::release_facts(const release::Request& request) {
  return github::release_facts(client_, repo_, request);
}

github::ChangeAuthors GitHubPorts::pull_request_authors(const github::PullRequest& pull) {
  return github::pull_request_authors(client_, repo_, pull);
}

github::ChangeAuthors GitHubPorts::release_authors(const std::string& sha, const std::optional<std::string>& previous) {
  return github::release_authors(client_, repo_, sha, previous);
}

policy::Actor GitHubPorts::actor(const std::string& login, bool is_bot, const std::vector<policy::Principal>& lists) {
  return github::People(client_, repo_, lists, &people_).actor(login, is_bot);
}

std::vector<store::ApprovalRecord> GitHubPorts::approvals(std::int64_t subject, const std::string& sha) {
  return store_.approvals(repo_.full_name(), subject, sha);
}

bool GitHubPorts::record_approval(const store::ApprovalRecord& approval) { return store_.record_approval(approval); }

bool GitHubPorts::mark_approval_edited(store::ApprovalSource source, std::int64_t event_id) {
  return store_.mark_approval_edited(repo_.full_name(), source, event_id);
}

void GitHubPorts::set_status(const std::string& sha, const github::NewCommitStatus& status) {
  client_.create_commit_status(repo_.owner, repo_.name, sha, status);
}

std::vector<github::CommitStatus> GitHubPorts::statuses(const std::string& sha) {
  return client_.get_combined_status(repo_.owner, repo_.name, sha).statuses;
}

std::vector<github::DeploymentSeen> GitHubPorts::deployments(const std::string& environment, std::size_t limit) {
  return github::deployment_history(client_, repo_, environment, limit);
}

std::vector<policy::RunInFlight> GitHubPorts::runs_in_flight(const std::vector<github::DeploymentSeen>& history,
                                                             const std::vector<github::DispatchedRunRef>& dispatched) {
  return github::runs_in_flight(client_, repo_, history, dispatched);
}

github::WorkflowDispatchResult GitHubPorts::dispatch(const std::string& workflow, const std::string& ref,
                                                     const std::map<std::string, std::string>& inputs) {
  return client_.create_workflow_dispatch(repo_.owner, repo_.name, workflow, ref, inputs, true);
}

std::vector<github::WorkflowRun> GitHubPorts::dispatched_runs(const std::string& workflow,
                                                              const std::string& created_since) {
  return client_.list_workflow_runs(repo_.owner, repo_.name, workflow, "workflow_dispatch", created_since);
}

std::int64_t GitHubPorts::keyed_comment(int number, const std::string& key, const std::string& body) {
  return github::post_keyed_comment(client_, repo_, number, key, body, own_login_);
}

std::vector<github::CommitComment> GitHubPorts::commit_comments(const std::string& sha) {
  return client_.list_commit_comments(repo_.owner, repo_.name, sha);
}

std::int64_t GitHubPorts::create_commit_comment(const std::string& sha, const std::string& body) {
  return client_.create_commit_comment(repo_.owner, repo_.name, sha, body).id;
}

void GitHubPorts::review_gate(std::int64_t run_id, const github::ProtectionRuleReview& review) {
  client_.review_custom_gate(repo_.owner, repo_.name, run_id, review);
}

void GitHubPorts::react(On on, std::int64_t comment_id, const std::string& content) {
  if (on == On::commit_comment)
    client_.create_commit_comment_reaction(repo_.owner, repo_.name, comment_id, content);
  else
    client_.create_issue_comment_reaction(repo_.owner, repo_.name, comment_id, content);
}

github::TrackingIssue GitHubPorts::tracking_issue(const release::IssueText& text,
                                                  const std::vector<std::string>& trusted_authors) {
  return github::find_or_open_tracking_issue(client_, repo_, text, trusted_authors);
}

std::optional<github::StoredLock> GitHubPorts::lock(policy::Lock::Kind kind, const std::string& environment) {
  return github::read_lock(client_, repo_, kind, environment);
}

std::vector<github::StoredLock> GitHubPorts::locks() { return github::list_locks(client_, repo_); }

std::optional<github::StoredLock> GitHubPorts::take_lock(const policy::Lock& lock,
                                                         const std::optional<github::StoredLock>& replacing) {
  return github::take_lock(client_, repo_, lock, replacing);
}

bool GitHubPorts::release_lock(const github::StoredLock& held) { return github::release_lock(client_, repo_, held); }

}  // namespace deploy::bot::handlers
