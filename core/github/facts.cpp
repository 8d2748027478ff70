#include "core/github/facts.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>
#include <utility>

#include "core/command/command.hpp"
#include "core/github/time.hpp"
#include "core/semver/semver.hpp"

namespace deploy::github {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool is_bot_user(const github::User& user) { return is_bot_account(user); }

void add_login(std::vector<std::string>& logins, const std::optional<github::User>& user) {
  if (!user || user->login.empty()) return;
  const std::string key = lower(user->login);
  for (const auto& login : logins) {
    if (lower(login) == key) return;
  }
  logins.push_back(user->login);
}

// role_name is the fine-grained role (maintain, triage); permission the legacy one. Custom roles
// fall back to the legacy permission.
policy::Permission permission_of(const github::CollaboratorPermission& answer) {
  if (auto role = policy::parse_permission(answer.role_name)) return *role;
  if (auto legacy = policy::parse_permission(answer.permission)) return *legacy;
  return policy::Permission::none;
}

// Events of one comment: its /approve and /approve cancel lines, bound to `sha`.
void add_comment_events(std::vector<policy::ApprovalEvent>& out, const std::string& body, const github::User& user,
                        const std::string& created_at, const std::string& updated_at, const std::string& id,
                        const std::string& sha, People& people) {
  auto parsed = command::parse_comment(body);
  if (parsed.type != command::ParseResult::Type::commands) return;
  for (const auto& cmd : parsed.commands) {
    const bool reject = cmd.kind == command::Kind::reject || cmd.kind == command::Kind::reject_cancel;
    if (cmd.kind != command::Kind::approve && cmd.kind != command::Kind::approve_cancel && !reject) continue;
    const bool bot = is_bot_user(user);
    policy::Actor actor = people.actor(user.login, bot);
    policy::ApprovalEvent event;
    event.user = user.login;
    event.source = policy::ApprovalSource::comment;
    event.sha = sha;
    event.permission = actor.permission;
    event.teams = actor.teams;
    event.is_bot = bot;
    // GitHub sets updated_at on edits only; a reaction or a label does not touch the comment.
    event.edited = !updated_at.empty() && updated_at != created_at;
    event.cancel = cmd.kind == command::Kind::approve_cancel || cmd.kind == command::Kind::reject_cancel;
    event.reject = reject;
    event.reason = cmd.reason;
    event.id = id;
    out.push_back(std::move(event));
  }
}

struct Timed {
  std::string at;
  policy::ApprovalEvent event;
};

}  // namespace

bool is_bot_account(std::string_view login, std::string_view type, std::string_view own_login) {
  if (policy::is_bot(login, type == "Bot")) return true;
  return !own_login.empty() && lower(std::string(login)) == lower(std::string(own_login));
}

bool is_bot_account(const github::User& user, std::string_view own_login) {
  return is_bot_account(user.login, user.type, own_login);
}

ChangeAuthors pull_request_authors(github::Client& client, const Repo& repo, const github::PullRequest& pull) {
  ChangeAuthors authors;
  authors.author = pull.user.login;
  std::vector<std::string> logins;
  if (!pull.base_sha.empty() && !pull.head_sha.empty()) {
    for (const auto& commit : client.compare(repo.owner, repo.name, pull.base_sha, pull.head_sha).commits) {
      add_login(logins, commit.author);
      add_login(logins, commit.committer);
    }
  }
  for (auto& login : logins) {
    if (lower(login) != lower(authors.author)) authors.committers.push_back(std::move(login));
  }
  return authors;
}

ChangeAuthors release_authors(github::Client& client, const Repo& repo, const std::string& sha,
                              const std::optional<std::string>& previous) {
  ChangeAuthors authors;
  const auto commit = client.get_commit(repo.owner, repo.name, sha);
  if (commit.author) authors.author = commit.author->login;
  std::vector<std::string> logins;
  add_login(logins, commit.committer);
  if (previous && lower(*previous) != lower(sha)) {
    const auto range = client.compare(repo.owner, repo.name, *previous, sha).commits;
    std::vector<std::string> shas;
    for (const auto& c : range) {
      add_login(logins, c.author);
      add_login(logins, c.committer);
      shas.push_back(lower(c.sha));
    }
    // A squash merge keeps only the merger's commit: the pull request's author wrote it.
    for (const auto& pull : release_changes(client, repo, shas).pulls)
      add_login(logins, github::User{pull.author, 0, ""});
  }
  for (auto& login : logins) {
    if (lower(login) != lower(authors.author)) authors.committers.push_back(std::move(login));
  }
  return authors;
}

std::vector<std::string> run_starters(const github::WorkflowRun& run) {
  std::vector<std::string> starters;
  add_login(starters, run.triggering_actor);
  add_login(starters, run.actor);
  return starters;
}

void exclude_starters(policy::ApprovalRequest& request, const std::vector<std::string>& starters) {
  request.triggered_by = starters.empty() ? std::string() : starters.front();
  request.also_triggered_by.assign(starters.begin() + (starters.empty() ? 0 : 1), starters.end());
}

People::People(github::Client& client, Repo repo, std::vector<policy::Principal> lists_of_interest, PeopleCache* shared)
    : client_(client), repo_(std::move(repo)), cache_(shared != nullptr ? shared : &own_) {
  for (const auto& principal : lists_of_interest) {
    if (principal.kind == policy::Principal::Kind::team) teams_.push_back(principal.name);
  }
}

policy::Actor People::actor(const std::string& login, bool is_bot_account) {
  const std::string key = lower(login);
  policy::Actor actor;
  actor.login = login;
  actor.is_bot = is_bot_account;
  if (auto found = cache_->permissions.find(key); found != cache_->permissions.end()) {
    actor.permission = found->second;
  } else {
    if (auto answer = client_.get_collaborator_permission(repo_.owner, repo_.name, login)) {
      actor.permission = permission_of(*answer);
    }
    cache_->permissions.emplace(key, actor.permission);
  }
  for (const auto& team : teams_) {
    auto slash = team.find('/');
    if (slash == std::string::npos) continue;
    const std::string member_key = team + "\n" + key;
    auto found = cache_->memberships.find(member_key);
    if (found == cache_->memberships.end()) {
      auto membership = client_.get_team_membership(team.substr(0, slash), team.substr(slash + 1), login);
      found = cache_->memberships.emplace(member_key, membership && membership->state == "active").first;
    }
    if (found->second) actor.teams.push_back(team);
  }
  return actor;
}

std::vector<policy::ApprovalEvent> approval_events(github::Client& client, const Repo& repo,
                                                   const ApprovalSources& sources, People& people) {
  std::vector<Timed> timed;
  auto add = [&](const std::string& at, std::vector<policy::ApprovalEvent> events) {
    for (auto& event : events) timed.push_back({at, std::move(event)});
  };

  if (sources.tracking_issue) {
    for (const auto& comment : client.list_issue_comments(repo.owner, repo.name, *sources.tracking_issue)) {
      std::vector<policy::ApprovalEvent> events;
      add_comment_events(events, comment.body, comment.user, comment.created_at, comment.updated_at,
                         comment.html_url.empty() ? std::to_string(comment.id) : comment.html_url, sources.sha, people);
      add(comment.created_at, std::move(events));
    }
  }
  std::optional<github::PullRequest> pull;
  if (sources.pull_request) {
    pull = client.get_pull_request(repo.owner, repo.name, *sources.pull_request);
    // Comments carry no commit: they approve the head the PR has now. When the head moved past
    // `sha` they approve something else, and the events get the head so policy calls them stale.
    const std::string head = lower(pull->head_sha);
    for (const auto& comment : client.list_issue_comments(repo.owner, repo.name, *sources.pull_request)) {
      std::vector<policy::ApprovalEvent> events;
      add_comment_events(events, comment.body, comment.user, comment.created_at, comment.updated_at,
                         comment.html_url.empty() ? std::to_string(comment.id) : comment.html_url, head, people);
      add(comment.created_at, std::move(events));
    }
  }
  if (sources.commit_comments) {
    for (const auto& comment : client.list_commit_comments(repo.owner, repo.name, sources.sha)) {
      if (!comment.path.empty()) continue;  // a line comment is about code, not the release
      std::vector<policy::ApprovalEvent> events;
      add_comment_events(events, comment.body, comment.user, comment.created_at, comment.updated_at,
                         comment.html_url.empty() ? std::to_string(comment.id) : comment.html_url,
                         lower(comment.commit_id.empty() ? sources.sha : comment.commit_id), people);
      add(comment.created_at, std::move(events));
    }
  }
  if (sources.count_reviews) {
    std::vector<github::PullRequest> pulls;
    if (pull)
      pulls.push_back(*pull);
    else
      pulls = client.list_pull_requests_for_commit(repo.owner, repo.name, sources.sha);
    for (const auto& pr : pulls) {
      for (const auto& review : client.list_reviews(repo.owner, repo.name, pr.number)) {
        if (review.state != "APPROVED" && review.state != "DISMISSED") continue;
        const bool bot = is_bot_user(review.user);
        policy::Actor actor = people.actor(review.user.login, bot);
        policy::ApprovalEvent event;
        event.user = review.user.login;
        event.source = policy::ApprovalSource::review;
        event.sha = lower(review.commit_id);
        event.permission = actor.permission;
        event.teams = actor.teams;
        event.is_bot = bot;
        // A dismissed review withdraws that reviewer's approval of its commit.
        event.cancel = review.state == "DISMISSED";
        event.id = "review:" + std::to_string(review.id);
        timed.push_back({review.submitted_at, std::move(event)});
      }
    }
  }
  // ISO 8601 UTC timestamps sort as text; stable, so one comment's lines keep their order.
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) { return a.at < b.at; });
  std::vector<policy::ApprovalEvent> events;
  events.reserve(timed.size());
  for (auto& t : timed) events.push_back(std::move(t.event));
  return events;
}

policy::ReleaseChanges release_changes(github::Client& client, const Repo& repo, const std::vector<std::string>& shas) {
  if (shas.size() > kMaxReleaseCommits) {
    throw std::runtime_error(
        "the release has " + std::to_string(shas.size()) + " commits; deploy-action checks the reviews of at most " +
        std::to_string(kMaxReleaseCommits) +
        " per release: release more often, or set reviewed_changes.required_reviews to 0 for this environment");
  }
  policy::ReleaseChanges changes;
  std::map<int, policy::PullRequest> pulls;
  for (const auto& sha : shas) {
    bool in_pull = false;
    for (const auto& pr : client.list_pull_requests_for_commit(repo.owner, repo.name, sha)) {
      if (pr.merged_at.empty() && !pr.merged) continue;  // an open PR containing the commit proves nothing
      in_pull = true;
      if (pulls.count(pr.number)) continue;
      policy::PullRequest entry;
      entry.number = pr.number;
      entry.author = pr.user.login;
      entry.head_sha = lower(pr.head_sha);
      for (const auto& review : client.list_reviews(repo.owner, repo.name, pr.number)) {
        policy::Review r;
        r.user = review.user.login;
        r.commit_id = lower(review.commit_id);
        r.is_bot = is_bot_user(review.user);
        if (review.state == "APPROVED")
          r.state = policy::ReviewState::approved;
        else if (review.state == "CHANGES_REQUESTED")
          r.state = policy::ReviewState::changes_requested;
        else if (review.state == "DISMISSED")
          r.state = policy::ReviewState::dismissed;
        else
          r.state = policy::ReviewState::commented;
        entry.reviews.push_back(std::move(r));
      }
      pulls.emplace(pr.number, std::move(entry));
    }
    if (!in_pull) changes.direct_commits.push_back(sha);
  }
  for (auto& [number, pr] : pulls) changes.pulls.push_back(std::move(pr));
  return changes;
}

std::vector<policy::CheckObservation> check_observations(github::Client& client, const Repo& repo,
                                                         const std::string& sha) {
  // Branch protection reads both: commit statuses (external CI) and check runs (GitHub Actions
  // jobs, Apps). A name reported both ways counts by its check run, which comes last.
  auto combined = client.get_combined_status(repo.owner, repo.name, sha);
  // GitHub lists the newest first; policy wants the current one last.
  std::vector<policy::CheckObservation> observed;
  for (auto it = combined.statuses.rbegin(); it != combined.statuses.rend(); ++it) {
    observed.push_back({it->context, policy::check_state_of_status(it->state)});
  }
  const auto runs = client.list_check_runs_for_ref(repo.owner, repo.name, sha);
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    observed.push_back({it->name, policy::check_state_of_run(it->status, it->conclusion)});
  }
  return observed;
}

std::string short_description(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::string head = text.substr(0, max_bytes >= 3 ? max_bytes - 3 : 0);
  // Drop a trailing partial UTF-8 sequence: continuation bytes, then the lead byte they belong to.
  std::size_t end = head.size();
  while (end > 0 && (static_cast<unsigned char>(head[end - 1]) & 0xC0) == 0x80) --end;
  if (end > 0 && (static_cast<unsigned char>(head[end - 1]) & 0x80)) {
    const unsigned char lead = static_cast<unsigned char>(head[end - 1]);
    const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (head.size() - (end - 1) < length) head.resize(end - 1);
  }
  return head + "...";
}

std::string audit_status_description(const std::string& message, std::uint64_t seq, const std::string& hash) {
  const std::string tail = " \u00b7 audit#" + std::to_string(seq) + " " + hash;
  return short_description(message, 140 - tail.size()) + tail;
}

std::optional<AuditLink> parse_audit_status(const std::string& description) {
  const std::string key = "audit#";
  auto at = description.rfind(key);
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + key.size();
  std::size_t digits = i;
  while (digits < description.size() && std::isdigit(static_cast<unsigned char>(description[digits]))) ++digits;
  if (digits == i || digits - i > 18 || digits >= description.size() || description[digits] != ' ') return std::nullopt;
  std::string hash = description.substr(digits + 1);
  if (hash.size() != 64 ||
      !std::all_of(hash.begin(), hash.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return std::nullopt;
  }
  return AuditLink{std::stoull(description.substr(i, digits - i)), hash};
}

std::vector<DeploymentSeen> deployment_history(github::Client& client, const Repo& repo, const std::string& environment,
                                               std::size_t limit) {
  github::DeploymentFilter filter;
  filter.environment = environment;
  std::vector<DeploymentSeen> history;
  for (const auto& deployment : client.list_deployments(repo.owner, repo.name, filter, limit)) {
    DeploymentSeen seen;
    seen.record.id = deployment.id;
    seen.record.sha = lower(deployment.sha);
    // The action deploys tags by name and branches by SHA; a ref given in full means the same.
    seen.record.version = deployment.ref;
    for (std::string_view prefix : {"refs/tags/", "refs/heads/"}) {
      if (seen.record.version.starts_with(prefix)) seen.record.version = seen.record.version.substr(prefix.size());
    }
    seen.task = deployment.task;
    const auto& payload = deployment.payload;
    if (payload.is_object() && payload.contains("deploy_action") && payload["deploy_action"].is_object()) {
      const auto& ours = payload["deploy_action"];
      if (ours.contains("version") && ours["version"].is_string() && !ours["version"].get<std::string>().empty()) {
        seen.record.version = ours["version"].get<std::string>();
      }
      // Only the two colours the engine knows; anything else is treated as unknown.
      if (ours.contains("color") && ours["color"].is_string()) {
        const auto color = ours["color"].get<std::string>();
        if (color == "blue" || color == "green") seen.color = color;
      }
    }
    if (auto created = github::parse_rfc3339(deployment.created_at)) seen.record.created_at = *created;
    seen.updated_at = seen.record.created_at;
    if (deployment.creator) seen.creator = deployment.creator->login;
    // A later `inactive` (GitHub's auto_inactive) hides the status that carries the audit link.
    auto statuses = client.list_deployment_statuses(repo.owner, repo.name, deployment.id, 10);
    seen.record.state = policy::DeploymentState::in_progress;
    if (!statuses.empty()) {
      const auto& latest = statuses.front();  // GitHub lists the newest first
      seen.latest_status = latest.state;
      // GitHub's own `inactive` (auto_inactive) has no log_url: the run is in an earlier status.
      for (const auto& status : statuses) {
        if (!status.log_url.empty()) {
          seen.log_url = status.log_url;
          break;
        }
      }
      if (auto at = github::parse_rfc3339(latest.created_at)) seen.updated_at = *at;
      if (latest.state == "success")
        seen.record.state = policy::DeploymentState::success;
      else if (latest.state == "inactive")
        seen.record.state = policy::DeploymentState::inactive;
      else if (latest.state == "failure")
        seen.record.state = policy::DeploymentState::failure;
      else if (latest.state == "error")
        seen.record.state = policy::DeploymentState::error;
      for (const auto& status : statuses) {
        if (auto link = parse_audit_status(status.description)) {
          seen.audit_seq = link->seq;
          seen.audit_hash = link->hash;
          break;
        }
      }
    }
    history.push_back(std::move(seen));
  }
  return history;
}

std::optional<std::string> previous_release_sha(const std::vector<DeploymentSeen>& history,
                                                const std::string& version) {
  const auto wanted = semver::parse_tag(version);
  if (!wanted) return std::nullopt;
  const DeploymentSeen* best = nullptr;
  for (const auto& seen : history) {
    const auto state = seen.record.state;
    if (state != policy::DeploymentState::success && state != policy::DeploymentState::inactive) continue;
    const auto v = semver::parse_tag(seen.record.version);
    if (!v || !(*v < *wanted)) continue;
    if (best == nullptr || seen.record.created_at > best->record.created_at ||
        (seen.record.created_at == best->record.created_at && seen.record.id > best->record.id)) {
      best = &seen;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->record.sha;
}

std::vector<policy::RunInFlight> runs_in_flight(github::Client& client, const Repo& repo,
                                                const std::vector<DeploymentSeen>& history,
                                                const std::vector<DispatchedRunRef>& dispatched) {
  std::vector<policy::RunInFlight> runs;
  for (const auto& seen : history) {
    // No status yet, or "waiting": a job held by its environment's protection rules (perhaps for
    // approvals that take hours) has not touched the environment, and must not block a rollback.
    const auto& s = seen.latest_status;
    if (s != "queued" && s != "pending" && s != "in_progress") continue;
    policy::RunInFlight run;
    run.kind = seen.task == "deploy:rollback" ? policy::RunInFlight::Kind::rollback : policy::RunInFlight::Kind::deploy;
    run.state = s == "in_progress" ? policy::RunInFlight::State::in_progress : policy::RunInFlight::State::queued;
    run.url = seen.log_url;
    run.since = seen.updated_at;
    runs.push_back(std::move(run));
  }
  // A run whose deployment of this environment has reached a final status is done with the
  // environment, even while the run itself still finishes (its later steps, or a runner that never
  // reports back). deploy-action puts the run's URL in every status's log_url.
  auto deployment_finished = [&](std::int64_t run_id) {
    const std::string path = "/actions/runs/" + std::to_string(run_id);
    for (const auto& seen : history) {
      const auto at = seen.log_url.find(path);
      if (at == std::string::npos) continue;
      const auto end = at + path.size();
      if (end != seen.log_url.size() && seen.log_url[end] != '/') continue;  // runs/12 is not runs/123
      const auto& s = seen.latest_status;
      if (s == "success" || s == "failure" || s == "error" || s == "inactive") return true;
    }
    return false;
  };
  for (const auto& ref : dispatched) {
    if (ref.run_id != 0 && deployment_finished(ref.run_id)) continue;
    policy::RunInFlight run;
    run.kind = ref.kind;
    run.url = ref.url;
    run.since = ref.dispatched_at;
    if (ref.run_id == 0) {
      run.state = policy::RunInFlight::State::unknown;
    } else {
      github::WorkflowRun seen;
      try {
        seen = client.get_workflow_run(repo.owner, repo.name, ref.run_id);
      } catch (const github::GitHubError& error) {
        if (error.status() != 404) throw;
        continue;  // deleted: nothing runs
      }
      if (seen.status == "completed" || seen.status == "waiting") continue;  // waiting: held, as above
      run.state =
          seen.status == "in_progress" ? policy::RunInFlight::State::in_progress : policy::RunInFlight::State::queued;
      if (!seen.html_url.empty()) run.url = seen.html_url;
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

TrackingIssue find_or_open_tracking_issue(github::Client& client, const Repo& repo, const release::IssueText& text,
                                          const std::vector<std::string>& trusted_authors) {
  const auto& tag = text.marker.tag;
  auto linked_issue = [&](const std::optional<github::Release>& release) -> std::optional<github::Issue> {
    if (!release) return std::nullopt;
    auto number = release::find_release_link(release->body);
    if (!number) return std::nullopt;
    github::Issue issue;
    try {
      issue = client.get_issue(repo.owner, repo.name, *number);
    } catch (const github::GitHubError& error) {
      // Deleted (404, 410) or transferred (301): the link is dead, open a new issue.
      if (error.status() == 404 || error.status() == 410 || error.status() == 301) return std::nullopt;
      throw;
    }
    // Only an issue the automation opened tracks a release: a person's issue (or a pull request)
    // carrying a copied marker must not gather approvals for it.
    const bool trusted = is_bot_user(issue.user) ||
                         std::any_of(trusted_authors.begin(), trusted_authors.end(),
                                     [&](const std::string& login) { return lower(login) == lower(issue.user.login); });
    if (issue.is_pull_request || !trusted) return std::nullopt;
    auto marker = release::find_marker(issue.body);
    if (!marker || !(*marker == text.marker)) return std::nullopt;
    return issue;
  };

  auto release = client.get_release_by_tag(repo.owner, repo.name, tag);
  if (auto issue = linked_issue(release)) return {issue->number, issue->html_url, false};

  github::NewIssue fresh;
  fresh.title = release::issue_title(tag);
  fresh.body = release::issue_body(text);
  auto opened = client.create_issue(repo.owner, repo.name, fresh);

  // Someone else (the bot, another run) may have linked theirs meanwhile: theirs wins, ours closes.
  release = client.get_release_by_tag(repo.owner, repo.name, tag);
  if (auto theirs = linked_issue(release)) {
    github::IssueUpdate close;
    close.state = "closed";
    close.state_reason = "not_planned";
    close.body = "Duplicate of #" + std::to_string(theirs->number) + ": approve this release there.\n";
    client.update_issue(repo.owner, repo.name, opened.number, close);
    return {theirs->number, theirs->html_url, false};
  }
  if (release) {
    github::ReleaseUpdate update;
    update.body = release::with_release_link(release->body, opened.number);
    client.update_release(repo.owner, repo.name, release->id, update);
  } else {
    github::NewRelease create;
    create.tag_name = tag;
    create.name = tag;
    create.body = release::with_release_link("", opened.number);
    // Not approved yet: it must not become the repository's "Latest" release by being created.
    create.make_latest = "false";
    create.prerelease = tag.find('-') != std::string::npos;
    try {
      client.create_release(repo.owner, repo.name, create);
    } catch (const github::GitHubError& error) {
      // 422 already_exists: a release appeared since we looked; link ours into it.
      if (error.status() != 422) throw;
      auto now = client.get_release_by_tag(repo.owner, repo.name, tag);
      if (!now) throw;
      github::ReleaseUpdate update;
      update.body = release::with_release_link(now->body, opened.number);
      client.update_release(repo.owner, repo.name, now->id, update);
    }
  }
  return {opened.number, opened.html_url, true};
}

std::int64_t post_keyed_comment(github::Client& client, const Repo& repo, int issue_number, const std::string& key,
                                const std::string& body, const std::string& own_login) {
  const std::string full = body + "\n\n" + release::comment_key_line(key) + "\n";
  for (const auto& comment : client.list_issue_comments(repo.owner, repo.name, issue_number)) {
    // Only our own comment: anyone can paste a key line into theirs.
    const bool ours = own_login.empty() ? is_bot_user(comment.user) : lower(comment.user.login) == lower(own_login);
    if (ours && release::find_comment_key(comment.body) == key) {
      if (comment.body != full) client.update_issue_comment(repo.owner, repo.name, comment.id, full);
      return comment.id;
    }
  }
  return client.create_issue_comment(repo.owner, repo.name, issue_number, full).id;
}

}  // namespace deploy::github
