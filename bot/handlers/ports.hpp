// The narrow seams between the handlers and the world, one per use: the repository's objects an
// event refers to, who wrote a change and what a person may do, the approvals the bot recorded, the commit status it
// writes, the deployment history it reads, the workflow it dispatches, the protection rule reviews it gives, the
// comments (and reactions) it posts. Each names only what the handlers call, for the Context's repository; GitHubPorts
// is the production adapter over github::Client and the store, tests/unit/fake_github_ports.hpp a recording in-process
// fake of the same interfaces.
//
// The production adapter reads the facts through core/github_facts and core/github_release_facts,
// the readers the action uses too: one implementation for both programs. Handlers see no
// github::Client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/github/locks.hpp"
#include "core/policy/policy.hpp"
#include "core/release/release.hpp"
#include "core/release/tracking_issue.hpp"
#include "core/store/store.hpp"

namespace deploy::bot::handlers {

// The repository's objects a handler looks up by the event's reference.
class RepositoryReader {
 public:
  virtual ~RepositoryReader() = default;
  virtual github::PullRequest pull_request(int number) = 0;
  virtual github::Commit commit(const std::string& ref) = 0;  // a tag peels to its commit
  virtual std::optional<github::Release> release_by_tag(const std::string& tag) = 0;
  virtual github::WorkflowRun workflow_run(std::int64_t run_id) = 0;
  // A file of the default branch; nullopt when it does not exist.
  virtual std::optional<github::Content> content(const std::string& path) = 0;
  // What the action's release rules are decided on (github::release_facts).
  virtual release::Facts release_facts(const release::Request& request) = 0;
};

// Who wrote a change (no one of them may approve it) and what a person may do now.
class PeopleReader {
 public:
  virtual ~PeopleReader() = default;
  virtual github::ChangeAuthors pull_request_authors(const github::PullRequest& pull) = 0;
  // The commit's, and those of every commit since `previous` (the release before it).
  virtual github::ChangeAuthors release_authors(const std::string& sha, const std::optional<std::string>& previous) = 0;
  // Permission now, and membership of the teams `lists` name (read once per delivery).
  virtual policy::Actor actor(const std::string& login, bool is_bot, const std::vector<policy::Principal>& lists) = 0;
};

// The approvals the bot recorded for the repository (comments and reviews), and where new ones go.
class ApprovalsReader {
 public:
  virtual ~ApprovalsReader() = default;
  // Oldest first. subject: the pull request or tracking issue, 0 for commit comments.
  virtual std::vector<store::ApprovalRecord> approvals(std::int64_t subject, const std::string& sha) = 0;
  // false: this event was recorded before.
  virtual bool record_approval(const store::ApprovalRecord& approval) = 0;
  // false: no such approval was recorded.
  virtual bool mark_approval_edited(store::ApprovalSource source, std::int64_t event_id) = 0;
};

// The `deploy/approvals` commit status.
class StatusWriter {
 public:
  virtual ~StatusWriter() = default;
  virtual void set_status(const std::string& sha, const github::NewCommitStatus& status) = 0;
  // The commit's statuses, every context (to see whether an earlier try landed).
  virtual std::vector<github::CommitStatus> statuses(const std::string& sha) = 0;
};

// An environment's deployments as GitHub has them (github::deployment_history), newest first.
inline constexpr std::size_t kDeploymentHistoryLimit = 30;  // github::deployment_history's default
class DeploymentsReader {
 public:
  virtual ~DeploymentsReader() = default;
  virtual std::vector<github::DeploymentSeen> deployments(const std::string& environment, std::size_t limit) = 0;
  // Which of `history` and of the runs the bot dispatched are queued or running now
  // (github::runs_in_flight).
  virtual std::vector<policy::RunInFlight> runs_in_flight(const std::vector<github::DeploymentSeen>& history,
                                                          const std::vector<github::DispatchedRunRef>& dispatched) = 0;
};

// The deploy workflow: dispatching it, and finding the runs dispatches created.
class WorkflowDispatcher {
 public:
  virtual ~WorkflowDispatcher() = default;
  // Not idempotent: call it inside Context::once.
  virtual github::WorkflowDispatchResult dispatch(const std::string& workflow, const std::string& ref,
                                                  const std::map<std::string, std::string>& inputs) = 0;
  // Runs of `workflow` a workflow_dispatch created at or after `created_since` (RFC 3339).
  virtual std::vector<github::WorkflowRun> dispatched_runs(const std::string& workflow,
                                                           const std::string& created_since) = 0;
};

// Reviews of a run waiting on the bot's custom deployment protection rule (approve, reject, or a
// comment without a state). GitHub answers 422 once the run was reviewed or is gone.
class GateReviewer {
 public:
  virtual ~GateReviewer() = default;
  virtual void review_gate(std::int64_t run_id, const github::ProtectionRuleReview& review) = 0;
};

// Comments on issues, pull requests and commits, the reaction that says a command was seen, and the
// release tracking issue.
class CommentPoster {
 public:
  virtual ~CommentPoster() = default;
  // The bot's comment carrying `key` on the thread: posted, or updated in place when it is there
  // (github::post_keyed_comment). Returns its id.
  virtual std::int64_t keyed_comment(int number, const std::string& key, const std::string& body) = 0;
  virtual std::vector<github::CommitComment> commit_comments(const std::string& sha) = 0;
  // Not idempotent.
  virtual std::int64_t create_commit_comment(const std::string& sha, const std::string& body) = 0;
  enum class On { issue_comment, commit_comment };
  virtual void react(On on, std::int64_t comment_id, const std::string& content) = 0;
  // github::find_or_open_tracking_issue: found through the release, else opened and linked.
  virtual github::TrackingIssue tracking_issue(const release::IssueText& text,
                                               const std::vector<std::string>& trusted_authors) = 0;
};

// Environment locks on GitHub (core/github/locks.hpp): the refs the action honours.
class LockKeeper {
 public:
  virtual ~LockKeeper() = default;
  virtual std::optional<github::StoredLock> lock(policy::Lock::Kind kind, const std::string& environment) = 0;
  virtual std::vector<github::StoredLock> locks() = 0;
  // nullopt: someone else holds it (the ref exists, or moved since `replacing` was read).
  virtual std::optional<github::StoredLock> take_lock(const policy::Lock& lock,
                                                      const std::optional<github::StoredLock>& replacing) = 0;
  virtual bool release_lock(const github::StoredLock& held) = 0;
};

// What a Context hands its handler.
struct Ports {
  RepositoryReader& repository;
  PeopleReader& people;
  ApprovalsReader& approvals;
  StatusWriter& statuses;
  DeploymentsReader& deployments;
  WorkflowDispatcher& workflows;
  GateReviewer& gates;
  CommentPoster& comments;
  LockKeeper& locks;
};

// The production adapter: the Context's client (acting as the delivery's installation) and the
// store, for one repository.
class GitHubPorts final : public RepositoryReader,
                          public PeopleReader,
                          public ApprovalsReader,
                          public StatusWriter,
                          public DeploymentsReader,
                          public WorkflowDispatcher,
                          public GateReviewer,
                          public CommentPoster,
                          public LockKeeper {
 public:
  // `people`: the delivery's cache of permissions and teams.
  GitHubPorts(github::Client& client, store::Store& store, github::Repo repo, std::string own_login,
              github::PeopleCache& people)
      : client_(client), store_(store), repo_(std::move(repo)), own_login_(std::move(own_login)), people_(people) {}

  Ports ports() { return {*this, *this, *this, *this, *this, *this, *this, *this, *this}; }

  github::PullRequest pull_request(int number) override;
  github::Commit commit(const std::string& ref) override;
  std::optional<github::Release> release_by_tag(const std::string& tag) override;
  github::WorkflowRun workflow_run(std::int64_t run_id) override;
  std::optional<github::Content> content(const std::string& path) override;
  release::Facts release_facts(const release::Request& request) override;

  github::ChangeAuthors pull_request_authors(const github::PullRequest& pull) override;
  github::ChangeAuthors release_authors(const std::string& sha, const std::optional<std::string>& previous) override;
  policy::Actor actor(const std::string& login, bool is_bot, const std::vector<policy::Principal>& lists) override;

  std::vector<store::ApprovalRecord> approvals(std::int64_t subject, const std::string& sha) override;
  bool record_approval(const store::ApprovalRecord& approval) override;
  bool mark_approval_edited(store::ApprovalSource source, std::int64_t event_id) override;

  void set_status(const std::string& sha, const github::NewCommitStatus& status) override;
  std::vector<github::CommitStatus> statuses(const std::string& sha) override;

  std::vector<github::DeploymentSeen> deployments(const std::string& environment, std::size_t limit) override;
  std::vector<policy::RunInFlight> runs_in_flight(const std::vector<github::DeploymentSeen>& history,
                                                  const std::vector<github::DispatchedRunRef>& dispatched) override;

  github::WorkflowDispatchResult dispatch(const std::string& workflow, const std::string& ref,
                                          const std::map<std::string, std::string>& inputs) override;
  std::vector<github::WorkflowRun> dispatched_runs(const std::string& workflow,
                                                   const std::string& created_since) override;

  void review_gate(std::int64_t run_id, const github::ProtectionRuleReview& review) override;

  std::int64_t keyed_comment(int number, const std::string& key, const std::string& body) override;
  std::vector<github::CommitComment> commit_comments(const std::string& sha) override;
  std::int64_t create_commit_comment(const std::string& sha, const std::string& body) override;
  void react(On on, std::int64_t comment_id, const std::string& content) override;
  github::TrackingIssue tracking_issue(const release::IssueText& text,
                                       const std::vector<std::string>& trusted_authors) override;

  std::optional<github::StoredLock> lock(policy::Lock::Kind kind, const std::string& environment) override;
  std::vector<github::StoredLock> locks() override;
  std::optional<github::StoredLock> take_lock(const policy::Lock& lock,
                                              const std::optional<github::StoredLock>& replacing) override;
  bool release_lock(const github::StoredLock& held) override;

 private:
  github::Client& client_;
  store::Store& store_;
  github::Repo repo_;
  std::string own_login_;
  github::PeopleCache& people_;
};

}  // namespace deploy::bot::handlers
