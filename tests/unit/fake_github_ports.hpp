// A recording in-process fake of the handlers' ports (bot/handlers/ports.hpp): reads answer from
// what the test put in, effects are recorded in order (`effects`, one line each, plus the typed
// lists) so a test reads what a handler did. A read the test did not prepare throws, so a handler
// that asks for something unexpected fails its test instead of getting an empty answer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bot/handlers/ports.hpp"
#include "core/text/text.hpp"

namespace deploy::testing {

class FakeGitHubPorts final : public bot::handlers::RepositoryReader,
                              public bot::handlers::PeopleReader,
                              public bot::handlers::ApprovalsReader,
                              public bot::handlers::StatusWriter,
                              public bot::handlers::DeploymentsReader,
                              public bot::handlers::WorkflowDispatcher,
                              public bot::handlers::GateReviewer,
                              public bot::handlers::CommentPoster,
                              public bot::handlers::LockKeeper {
 public:
  bot::handlers::Ports ports() { return {*this, *this, *this, *this, *this, *this, *this, *this, *this}; }

  // ---- what reads answer ----
  std::map<int, github::PullRequest> pulls;
  std::map<std::string, github::Commit> commits;    // by ref (tag, branch or SHA)
  std::map<std::string, github::Release> releases;  // by tag
  std::map<std::int64_t, github::WorkflowRun> runs;
  std::map<std::string, github::Content> files;  // by path; absent: the file does not exist
  std::optional<release::Facts> release_facts_answer;
  github::ChangeAuthors authors;  // of every change asked about
  // Permission by login (lowercase); anyone else has none.
  std::map<std::string, policy::Permission> permissions;
  std::map<std::string, std::vector<github::DeploymentSeen>> history;  // by environment
  std::vector<policy::RunInFlight> in_flight;
  std::vector<github::WorkflowRun> dispatched_runs_answer;
  github::WorkflowDispatchResult dispatch_answer{std::int64_t{9001}, "",
                                                 "https://github.test/acme/app/actions/runs/9001"};

  // ---- what was done ----
  struct Dispatch {
    std::string workflow, ref;
    std::map<std::string, std::string> inputs;
  };
  struct KeyedComment {
    int number = 0;
    std::string key, body;
    std::int64_t id = 0;
  };
  std::vector<std::string> effects;  // "status <sha> <state> <description>", "dispatch ...", ...
  std::vector<std::pair<std::string, github::NewCommitStatus>> statuses_set;
  std::vector<Dispatch> dispatches;
  std::vector<std::pair<std::int64_t, github::ProtectionRuleReview>> gate_reviews;
  std::vector<KeyedComment> comments;  // one entry per key: a repost updates it in place
  std::vector<github::CommitComment> commit_comment_list;
  std::vector<release::IssueText> tracking_issues;
  std::vector<store::ApprovalRecord> ledger;

  const KeyedComment* comment(const std::string& key) const {
    for (const auto& c : comments) {
      if (c.key == key) return &c;
    }
    return nullptr;
  }
  bool did(const std::string& prefix) const {
    return std::any_of(effects.begin(), effects.end(), [&](const std::string& e) { return e.starts_with(prefix); });
  }

  // ---- RepositoryReader ----
  github::PullRequest pull_request(int number) override { return find(pulls, number, "pull request"); }
  github::Commit commit(const std::string& ref) override { return find(commits, ref, "commit"); }
  std::optional<github::Release> release_by_tag(const std::string& tag) override {
    auto it = releases.find(tag);
    return it == releases.end() ? std::nullopt : std::optional<github::Release>(it->second);
  }
  github::WorkflowRun workflow_run(std::int64_t run_id) override { return find(runs, run_id, "workflow run"); }
  std::optional<github::Content> content(const std::string& path) override {
    effects.push_back("read " + path);
    auto it = files.find(path);
    return it == files.end() ? std::nullopt : std::optional<github::Content>(it->second);
  }
  release::Facts release_facts(const release::Request&) override {
    if (!release_facts_answer) throw std::logic_error("fake: no release facts prepared");
    return *release_facts_answer;
  }

  // ---- PeopleReader ----
  github::ChangeAuthors pull_request_authors(const github::PullRequest&) override { return authors; }
  github::ChangeAuthors release_authors(const std::string&, const std::optional<std::string>&) override {
    return authors;
  }
  policy::Actor actor(const std::string& login, bool is_bot, const std::vector<policy::Principal>&) override {
    policy::Actor actor;
    actor.login = login;
    actor.is_bot = is_bot;
    if (auto it = permissions.find(text::to_lower(login)); it != permissions.end()) actor.permission = it->second;
    return actor;
  }

  // ---- ApprovalsReader: an in-memory ledger ----
  std::vector<store::ApprovalRecord> approvals(std::int64_t subject, const std::string& sha) override {
    std::vector<store::ApprovalRecord> found;
    for (const auto& r : ledger) {
      if (r.subject == subject && text::iequals(r.sha, sha)) found.push_back(r);
    }
    return found;
  }
  bool record_approval(const store::ApprovalRecord& approval) override {
    for (const auto& r : ledger) {
      if (r.source == approval.source && r.event_id == approval.event_id) return false;
    }
    ledger.push_back(approval);
    effects.push_back(std::string(approval.cancel ? "cancel " : "approve ") + approval.login + " " + approval.sha);
    return true;
  }
  bool mark_approval_edited(store::ApprovalSource source, std::int64_t event_id) override {
    for (auto& r : ledger) {
      if (r.source == source && r.event_id == event_id) {
        r.edited = true;
        effects.push_back("edited " + std::to_string(event_id));
        return true;
      }
    }
    return false;
  }

  // ---- StatusWriter ----
  void set_status(const std::string& sha, const github::NewCommitStatus& status) override {
    statuses_set.emplace_back(sha, status);
    effects.push_back("status " + sha + " " + status.state + " " + status.description.value_or(""));
  }
  std::vector<github::CommitStatus> statuses(const std::string&) override { return {}; }

  // ---- DeploymentsReader ----
  std::vector<github::DeploymentSeen> deployments(const std::string& environment, std::size_t limit) override {
    auto list = history[environment];
    if (list.size() > limit) list.resize(limit);
    return list;
  }
  std::vector<policy::RunInFlight> runs_in_flight(const std::vector<github::DeploymentSeen>&,
                                                  const std::vector<github::DispatchedRunRef>&) override {
    return in_flight;
  }

  // ---- WorkflowDispatcher ----
  github::WorkflowDispatchResult dispatch(const std::string& workflow, const std::string& ref,
                                          const std::map<std::string, std::string>& inputs) override {
    dispatches.push_back({workflow, ref, inputs});
    effects.push_back("dispatch " + workflow + " " + ref + " " + inputs.at("mode") + " " + inputs.at("version"));
    return dispatch_answer;
  }
  std::vector<github::WorkflowRun> dispatched_runs(const std::string&, const std::string&) override {
    return dispatched_runs_answer;
  }

  // ---- GateReviewer ----
  void review_gate(std::int64_t run_id, const github::ProtectionRuleReview& review) override {
    gate_reviews.emplace_back(run_id, review);
    effects.push_back("gate " + std::to_string(run_id) + " " + review.state.value_or("comment"));
  }

  // ---- CommentPoster ----
  std::int64_t keyed_comment(int number, const std::string& key, const std::string& body) override {
    for (auto& c : comments) {
      if (c.number == number && c.key == key) {
        c.body = body;
        effects.push_back("comment-updated #" + std::to_string(number) + " " + key);
        return c.id;
      }
    }
    comments.push_back({number, key, body, next_id_++});
    effects.push_back("comment #" + std::to_string(number) + " " + key);
    return comments.back().id;
  }
  std::vector<github::CommitComment> commit_comments(const std::string& sha) override {
    std::vector<github::CommitComment> found;
    for (const auto& c : commit_comment_list) {
      if (c.commit_id == sha) found.push_back(c);
    }
    return found;
  }
  std::int64_t create_commit_comment(const std::string& sha, const std::string& body) override {
    github::CommitComment c;
    c.id = next_id_++;
    c.commit_id = sha;
    c.body = body;
    c.user = {"deploy-bot[bot]", 1, "Bot"};
    commit_comment_list.push_back(c);
    effects.push_back("commit-comment " + sha);
    return c.id;
  }
  void react(On on, std::int64_t comment_id, const std::string& content) override {
    effects.push_back(std::string(on == On::commit_comment ? "react commit " : "react issue ") +
                      std::to_string(comment_id) + " " + content);
  }
  github::TrackingIssue tracking_issue(const release::IssueText& text, const std::vector<std::string>&) override {
    tracking_issues.push_back(text);
    effects.push_back("tracking-issue " + text.marker.tag + " " + text.marker.sha);
    return {static_cast<int>(next_id_++), "https://github.test/acme/app/issues/1", true};
  }

  // ---- environment locks: by "sticky:env" / "run:env" (lowercase), as refs would hold them ----
  std::map<std::string, github::StoredLock> lock_refs;
  static std::string lock_key(policy::Lock::Kind kind, const std::string& environment) {
    return std::string(policy::to_string(kind)) + ":" + text::to_lower(environment);
  }
  std::optional<github::StoredLock> lock(policy::Lock::Kind kind, const std::string& environment) override {
    auto it = lock_refs.find(lock_key(kind, environment));
    if (it == lock_refs.end()) return std::nullopt;
    return it->second;
  }
  std::vector<github::StoredLock> locks() override {
    std::vector<github::StoredLock> out;
    for (const auto& [key, held] : lock_refs) out.push_back(held);
    return out;
  }
  std::optional<github::StoredLock> take_lock(const policy::Lock& lock,
                                              const std::optional<github::StoredLock>& replacing) override {
    const auto key = lock_key(lock.kind, lock.environment);
    auto it = lock_refs.find(key);
    if (replacing ? (it == lock_refs.end() || it->second.sha != replacing->sha) : it != lock_refs.end()) {
      return std::nullopt;
    }
    github::StoredLock held{lock, "lock" + std::to_string(next_id_++)};
    lock_refs[key] = held;
    effects.push_back("lock " + key + " " + lock.holder);
    return held;
  }
  bool release_lock(const github::StoredLock& held) override {
    auto it = lock_refs.find(lock_key(held.lock.kind, held.lock.environment));
    if (it == lock_refs.end() || (!held.sha.empty() && it->second.sha != held.sha)) return false;
    effects.push_back("unlock " + it->first);
    lock_refs.erase(it);
    return true;
  }

 private:
  template <class Map, class Key>
  static typename Map::mapped_type find(const Map& map, const Key& key, const char* what) {
    auto it = map.find(key);
    if (it == map.end()) throw std::logic_error(std::string("fake: no ") + what + " prepared for this read");
    return it->second;
  }

  std::int64_t next_id_ = 100;
};

}  // namespace deploy::testing
