// The facts core/policy decides on, read from GitHub: who approved which commit (tracking-issue
// and commit comments, approving reviews), each person's permission and teams at decision time,
// who wrote a change (its author and committers) and who started a run, whether an account is a
// bot, the pull requests in a release and their reviews, the status checks of a commit, and an
// environment's deployment history and runs in flight. The action and the bot both gather their
// facts here, and only here, so they reach the same verdict from the same facts.
//
// Edge: every function calls GitHub through github::Client and may throw github::GitHubError.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/github/client.hpp"
#include "core/policy/policy.hpp"
#include "core/release/tracking_issue.hpp"

namespace deploy::github {

struct Repo {
  std::string owner;
  std::string name;
  std::string full_name() const { return owner + "/" + name; }
};

// Whether an account is a bot: GitHub says so (type "Bot"), its login is a GitHub App's
// ("name[bot]"), or it is `own_login`, the account a token-run deploy-bot acts as. The one place
// that decides it, for approvals, tracking issues, comments the bot may take as its own and the
// comments it ignores.
bool is_bot_account(std::string_view login, std::string_view type = {}, std::string_view own_login = {});
bool is_bot_account(const github::User& user, std::string_view own_login = {});

// Who wrote a change. Neither may approve it unless allow_author (policy: author_cannot_approve,
// committer_cannot_approve); both programs fill ApprovalRequest::author and ::committers from here.
struct ChangeAuthors {
  std::string author;                   // may be empty (a commit whose email maps to no account)
  std::vector<std::string> committers;  // every other account that wrote or committed part of it
};
// A pull request: its author; committers: the accounts that authored or committed its commits
// (compare base...head), so someone who pushed to another person's pull request cannot approve it.
ChangeAuthors pull_request_authors(github::Client& client, const Repo& repo, const github::PullRequest& pull);
// A release commit `sha`: the commit's author; committers: its committer and, when `previous` (the
// previous release's commit) is known, the authors and committers of every commit since it and
// the authors of the pull requests merged in them (at most kMaxReleaseCommits, as release_changes).
ChangeAuthors release_authors(github::Client& client, const Repo& repo, const std::string& sha,
                              const std::optional<std::string>& previous);

// Who started a workflow run: the triggering actor (who re-ran it, else who started it) first,
// then the actor when different. Neither may approve what the run deploys (policy:
// triggerer_cannot_approve); the action reads the same two from GITHUB_TRIGGERING_ACTOR and
// GITHUB_ACTOR.
std::vector<std::string> run_starters(const github::WorkflowRun& run);
// Sets request.triggered_by and request.also_triggered_by from run_starters' list.
void exclude_starters(policy::ApprovalRequest& request, const std::vector<std::string>& starters);

// What People read from GitHub, kept for as long as the caller says the answers stay current (the
// bot: one handled delivery, so several decisions in it read each person once).
struct PeopleCache {
  std::map<std::string, policy::Permission> permissions;  // by lowercased login
  std::map<std::string, bool> memberships;                // "org/slug\nlogin" (lowercased login): active
};

// Resolves people once per decision (or once per `shared` cache): permission on the repository and
// membership of the teams the config's lists name. A login GitHub does not know has permission none.
class People {
 public:
  People(github::Client& client, Repo repo, std::vector<policy::Principal> lists_of_interest,
         PeopleCache* shared = nullptr);

  policy::Actor actor(const std::string& login, bool is_bot_account);

 private:
  github::Client& client_;
  Repo repo_;
  std::vector<std::string> teams_;  // "org/slug" named by the lists
  PeopleCache own_;
  PeopleCache* cache_;
};

// Where approvals of one commit come from.
struct ApprovalSources {
  std::string sha;                    // the commit under decision (full SHA)
  std::optional<int> tracking_issue;  // comments on it approve `sha` (the issue's marker says so)
  std::optional<int> pull_request;    // comments on a PR approve its head at the time: only
                                      // counted when the PR's head is still `sha`
  bool commit_comments = true;        // /approve as a comment on the commit itself
  bool count_reviews = false;         // approving reviews of PRs whose head is `sha`
};

// Every /approve and /approve cancel (and, with count_reviews, approving and dismissed reviews)
// bound to a commit, with permissions resolved, in chronological order; /reject and /reject cancel
// come with them (event.reject set: policy::decide_rejections judges those, count_approvals skips them). Comments that
// are not exactly one command list (help replies, errors) are ignored here: the bot answers those.
std::vector<policy::ApprovalEvent> approval_events(github::Client& client, const Repo& repo,
                                                   const ApprovalSources& sources, People& people);

// The pull requests merged in a release and the commits that came without one. `shas` are the
// release's commits; at most kMaxReleaseCommits are looked up (more is an error: the release is
// too large to prove reviewed).
policy::ReleaseChanges release_changes(github::Client& client, const Repo& repo, const std::vector<std::string>& shas);
inline constexpr std::size_t kMaxReleaseCommits = 250;

// The commit statuses and check runs of `sha` as check observations (statuses, then check runs,
// each oldest first, so the current one of a name is last). Needs statuses: read and checks: read.
std::vector<policy::CheckObservation> check_observations(github::Client& client, const Repo& repo,
                                                         const std::string& sha);

// This environment's deployments, newest first (at most `limit`), each with its latest status.
// The version is the deploy-action payload's (payload.deploy_action.version), else the ref. The
// audit link is read from the latest status's description (see audit_status_description).
// The version is the payload's when set, else the ref without refs/tags/ or refs/heads/. The one
// reader of deployment history: the action (previous version, audit chain, rollback target) and
// the bot (/rollback, /status, the previous release, runs in flight) both read it here.
struct DeploymentSeen {
  policy::DeploymentRecord record;  // version, sha, state, created_at, id
  std::string creator;
  std::string color;          // blue-green: payload.deploy_action.color, the colour this version went to
  std::string task;           // "deploy", or "deploy:rollback" for deploy-action's rollbacks
  std::string latest_status;  // GitHub's state of the newest status; "" when it has none yet
  std::string log_url;        // the newest log_url among its statuses (the run), "" when none
  std::chrono::system_clock::time_point updated_at;  // the newest status's time, else created_at
  std::optional<std::uint64_t> audit_seq;
  std::optional<std::string> audit_hash;
};
std::vector<DeploymentSeen> deployment_history(github::Client& client, const Repo& repo, const std::string& environment,
                                               std::size_t limit = 30);

// The commit of the release before `version` in an environment, from its history: the newest
// deployment that went live with a semver version lower than `version`. nullopt when none did or
// `version` is not semver. (The action knows the previous release from git; the bot, with no
// checkout, from what ran before. What ran before is never newer than the previous tag, so the
// bot's range of commits, and so its committers, contains the action's.)
std::optional<std::string> previous_release_sha(const std::vector<DeploymentSeen>& history, const std::string& version);

// The deploys and rollbacks of an environment that are queued or running now, as GitHub shows
// them: deployments whose newest status is queued, pending or in_progress, and the workflow runs
// in `dispatched` (runs the caller started, by id) that have not completed and whose deployment of
// the environment (found by the run's URL in its statuses' log_url) has no final status. A run or
// deployment held by protection rules (waiting, or no status yet) has not touched the environment:
// not counted.
// `history` is the environment's deployment_history.
struct DispatchedRunRef {
  std::int64_t run_id = 0;  // 0: GitHub did not say which run the dispatch started
  policy::RunInFlight::Kind kind = policy::RunInFlight::Kind::deploy;
  std::string url;
  std::chrono::system_clock::time_point dispatched_at;
};
std::vector<policy::RunInFlight> runs_in_flight(github::Client& client, const Repo& repo,
                                                const std::vector<DeploymentSeen>& history,
                                                const std::vector<DispatchedRunRef>& dispatched);

// The audit record's place in its chain, kept in the deployment's final status so the next run of
// the environment can link to it: "MESSAGE · audit#SEQ HASH" (MESSAGE shortened to fit GitHub's
// 140 characters).
std::string audit_status_description(const std::string& message, std::uint64_t seq, const std::string& hash);
// `text` cut to at most `max_bytes` on a UTF-8 boundary, "..." marking a cut (GitHub refuses
// descriptions over 140 characters, and a cut sequence would not even serialise).
std::string short_description(const std::string& text, std::size_t max_bytes = 140);
struct AuditLink {
  std::uint64_t seq = 0;
  std::string hash;
};
std::optional<AuditLink> parse_audit_status(const std::string& description);

// The release tracking issue of `marker` (tag and commit): found through the link line in the
// GitHub release's body, else opened (and the release body updated to link it, creating the
// release when the tag has none). When the linked issue tracks another commit (the tag moved), a
// new one is opened and linked instead. `text` fills a new issue's body.
struct TrackingIssue {
  int number = 0;
  std::string html_url;
  bool opened = false;  // this call opened it
};
// Only an issue a bot account opened (GITHUB_TOKEN and App tokens act as bots), or one of
// `trusted_authors` (the account a token-run deploy-bot acts as), is taken as a tracking issue.
TrackingIssue find_or_open_tracking_issue(github::Client& client, const Repo& repo, const release::IssueText& text,
                                          const std::vector<std::string>& trusted_authors = {});

// Posts `body` on the issue unless our comment carrying the same key is already there (after a
// crash or a retry, or a second run), in which case that comment is updated in place. "Ours" is a
// comment by `own_login`, or by any bot account when own_login is empty (GITHUB_TOKEN and App
// tokens act as bots; a person's comment that quotes the key is never taken over). Returns its id.
std::int64_t post_keyed_comment(github::Client& client, const Repo& repo, int issue_number, const std::string& key,
                                const std::string& body, const std::string& own_login = {});

}  // namespace deploy::github
