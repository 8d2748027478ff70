// The facts core/policy decides on, read from GitHub: who approved which commit (tracking-issue
// and commit comments, approving reviews), each person's permission and teams at decision time,
// the pull requests in a release and their reviews, and the status checks of a commit. The action
// and the bot both gather their facts here, so they reach the same verdict from the same facts.
//
// Edge: every function calls GitHub through github::Client and may throw github::GitHubError.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/github_client.hpp"
#include "core/policy.hpp"
#include "core/tracking_issue.hpp"

namespace deploy::facts {

struct Repo {
  std::string owner;
  std::string name;
  std::string full_name() const { return owner + "/" + name; }
};

// What People read from GitHub, kept for as long as the caller says the answers stay current (the
// bot: one handled delivery, so several decisions in it read each person once).
struct PeopleCache {
  std::map<std::string, policy::Permission> permissions;  // by lowercased login
  std::map<std::string, bool> memberships;               // "org/slug\nlogin" (lowercased login): active
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
  std::string sha;                         // the commit under decision (full SHA)
  std::optional<int> tracking_issue;       // comments on it approve `sha` (the issue's marker says so)
  std::optional<int> pull_request;         // comments on a PR approve its head at the time: only
                                           // counted when the PR's head is still `sha`
  bool commit_comments = true;             // /approve as a comment on the commit itself
  bool count_reviews = false;              // approving reviews of PRs whose head is `sha`
};

// Every /approve and /approve cancel (and, with count_reviews, approving and dismissed reviews)
// bound to a commit, with permissions resolved, in chronological order. Comments that are not
// exactly one command list (help replies, errors) are ignored here: the bot answers those.
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
struct DeploymentSeen {
  policy::DeploymentRecord record;  // version, sha, state, created_at, id
  std::string creator;
  std::string color;  // blue-green: payload.deploy_action.color, the colour this version went to
  std::optional<std::uint64_t> audit_seq;
  std::optional<std::string> audit_hash;
};
std::vector<DeploymentSeen> deployment_history(github::Client& client, const Repo& repo, const std::string& environment,
                                               std::size_t limit = 30);

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
TrackingIssue find_or_open_tracking_issue(github::Client& client, const Repo& repo, const tracking::IssueText& text,
                                          const std::vector<std::string>& trusted_authors = {});

// Posts `body` on the issue unless our comment carrying the same key is already there (after a
// crash or a retry, or a second run), in which case that comment is updated in place. "Ours" is a
// comment by `own_login`, or by any bot account when own_login is empty (GITHUB_TOKEN and App
// tokens act as bots; a person's comment that quotes the key is never taken over). Returns its id.
std::int64_t post_keyed_comment(github::Client& client, const Repo& repo, int issue_number, const std::string& key,
                                const std::string& body, const std::string& own_login = {});

}  // namespace deploy::facts
