// Each handler over the recording fake of its ports (tests/unit/fake_github_ports.hpp): a delivery
// goes through the registry's Dispatcher as the worker hands it over (typed event parsed at the
// edge, repository lock, Context), and the test reads what the handler did. No network (the client
// behind the ports refuses every request), no process; the store is a throwaway SQLite file for the
// exactly-once machinery and the audit trail. The end-to-end tests (tests/e2e/bot_handlers_test.cpp,
// bot_sim_events_test.cpp) run the same handlers against github-sim.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/handlers/registry.hpp"
#include "core/clock.hpp"
#include "core/github/client.hpp"
#include "core/release/tracking_issue.hpp"
#include "core/store/store.hpp"
#include "tests/unit/fake_github_ports.hpp"

namespace {

using deploy::bot::HandleResult;
using nlohmann::json;
namespace store = deploy::store;
namespace github = deploy::github;

const std::string kHead = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kOldHead = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const std::string kRelease = "cccccccccccccccccccccccccccccccccccccccc";
const std::string kPrevious = "dddddddddddddddddddddddddddddddddddddddd";

const char* kDeployYml = R"(version: 1
environments:
  staging:
    on: {branches: [main]}
    approvals: {required: 1, count_reviews: true}
  production:
    on: {tags: ["v*"]}
    approvals: {required: 1}
    rollback: {window: 24h}
stages:
  - name: deploy
    run: ./deploy.sh
rollback:
  run: ./rollback.sh
bot:
  workflow: deploy.yml
)";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bot-handlers-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The client behind the fake ports: a handler that goes around its ports fails the test.
class NoNetwork final : public deploy::http::Transport {
 public:
  deploy::http::Response send(const deploy::http::Request& request) override {
    throw std::logic_error("unit test: a handler went around its ports: " + request.method + " " + request.url);
  }
};

store::Options store_options(const std::filesystem::path& dir) {
  store::Options options;
  options.path = dir / "bot.db";
  return options;
}

// One bot over the fake, for one repository (acme/app).
struct Bot {
  TempDir dir;
  store::Store store{store_options(dir.path())};
  deploy::ManualClock clock;
  NoNetwork transport;
  github::Client client{transport, clock, [] { return std::uint64_t{0}; }, github::TokenCredentials{"token"}};
  deploy::testing::FakeGitHubPorts github;
  deploy::bot::handlers::Ports ports = github.ports();
  deploy::bot::handlers::Services services{store, client, false, clock, "", &ports};
  deploy::bot::handlers::Dispatcher dispatcher{services};
  int deliveries = 0;

  Bot() {
    store.put_config({"acme/app", "blob", kDeployYml, clock.now()});
    github.permissions = {{"alice", deploy::policy::Permission::admin},
                          {"bob", deploy::policy::Permission::write},
                          {"carol", deploy::policy::Permission::write},
                          {"dave", deploy::policy::Permission::read}};
    github.authors.author = "carol";
    github::PullRequest pull;
    pull.number = 2;
    pull.user = {"carol", 3, "User"};
    pull.head_sha = kHead;
    pull.base_ref = "main";
    pull.head_repo_full_name = "acme/app";
    github.pulls[2] = pull;
    github::Commit tagged;
    tagged.sha = kRelease;
    github.commits["v1.2.0"] = tagged;
  }

  HandleResult deliver(const std::string& event, const std::string& action, json payload) {
    payload["repository"] = {
        {"owner", {{"login", "acme"}}}, {"name", "app"}, {"full_name", "acme/app"}, {"default_branch", "main"}};
    if (!action.empty()) payload["action"] = action;
    store::Delivery delivery;
    delivery.delivery_id = "d" + std::to_string(++deliveries);
    delivery.event = event;
    delivery.action = action;
    delivery.repository = "acme/app";
    delivery.received_at = clock.now();
    delivery.body = payload.dump();
    return dispatcher.handle(delivery);
  }

  json last_audit() {
    auto records = store.audit().records(0, 1000);
    REQUIRE_FALSE(records.empty());
    return json::parse(records.back().record);
  }
};

json user(const std::string& login, const std::string& type = "User") { return {{"login", login}, {"type", type}}; }

json pr_comment(std::int64_t id, const std::string& login, const std::string& body) {
  return {
      {"comment",
       {{"id", id},
        {"user", user(login)},
        {"body", body},
        {"html_url", "https://github.test/c/" + std::to_string(id)},
        {"created_at", "2023-11-14T22:13:20Z"}}},
      {"issue", {{"number", 2}, {"pull_request", {{"url", "https://github.test/pulls/2"}}}, {"user", user("carol")}}}};
}

json tracking_comment(std::int64_t id, const std::string& login, const std::string& body) {
  return {{"comment",
           {{"id", id},
            {"user", user(login)},
            {"body", body},
            {"html_url", "https://github.test/c/" + std::to_string(id)}}},
          {"issue",
           {{"number", 1},
            {"body", "Release v1.2.0\n\n" + deploy::release::marker_line({"v1.2.0", kRelease})},
            {"user", user("github-actions[bot]", "Bot")}}}};
}

json pull_request(const std::string& head, std::optional<std::string> before = std::nullopt) {
  json payload = {{"number", 2},
                  {"pull_request",
                   {{"number", 2},
                    {"user", user("carol")},
                    {"head", {{"sha", head}, {"repo", {{"full_name", "acme/app"}}}}},
                    {"base", {{"ref", "main"}}}}}};
  if (before) payload["before"] = *before;
  return payload;
}

deploy::github::DeploymentSeen deployed(std::int64_t id, const std::string& version, const std::string& sha,
                                        std::chrono::system_clock::time_point at) {
  deploy::github::DeploymentSeen seen;
  seen.record.id = id;
  seen.record.version = version;
  seen.record.sha = sha;
  seen.record.state = deploy::policy::DeploymentState::success;
  seen.record.created_at = at;
  seen.latest_status = "success";
  seen.updated_at = at;
  return seen;
}

deploy::release::Facts release_on_default_branch() {
  deploy::release::Facts facts;
  deploy::release::Ref ref;
  ref.kind = deploy::release::RefKind::tag;
  ref.name = "v1.2.0";
  ref.full_name = "refs/tags/v1.2.0";
  ref.sha = kRelease;
  facts.ref = ref;
  facts.default_branch_sha = kRelease;
  facts.tags = {{"v1.1.0", kPrevious, false}, {"v1.2.0", kRelease, false}};
  facts.on_default_branch = [](const std::string&) { return true; };
  return facts;
}

json protection_rule(std::int64_t run_id) {
  return {{"environment", "production"},
          {"deployment", {{"sha", kRelease}, {"ref", "v1.2.0"}}},
          {"deployment_callback_url", "https://api.github.test/repos/acme/app/actions/runs/" + std::to_string(run_id) +
                                          "/deployment_protection_rule"},
          {"sender", user("alice")}};
}

}  // namespace

TEST_SUITE("dispatcher") {
  TEST_CASE("a malformed payload fails before its handler, naming the field; nothing is done") {
    Bot bot;
    json payload = pr_comment(11, "bob", "/approve");
    payload["comment"].erase("id");
    CHECK_THROWS_WITH_AS(bot.deliver("issue_comment", "created", payload),
                         "malformed payload: issue_comment: comment.id: missing", deploy::bot::PermanentError);
    payload = pr_comment(11, "bob", "/approve");
    payload["issue"]["number"] = "two";
    CHECK_THROWS_WITH_AS(bot.deliver("issue_comment", "created", payload),
                         "malformed payload: issue_comment: issue.number: expected an integer",
                         deploy::bot::PermanentError);
    CHECK(bot.github.effects.empty());
  }

  TEST_CASE("events no handler wants are ignored; ping is acknowledged") {
    Bot bot;
    CHECK(bot.deliver("star", "created", json::object()) == HandleResult::ignored);
    CHECK(bot.deliver("issue_comment", "pinned", pr_comment(11, "bob", "/approve")) == HandleResult::ignored);
    CHECK(bot.deliver("ping", "", json::object()) == HandleResult::done);
    CHECK(bot.github.effects.empty());
  }
}

TEST_SUITE("comment_commands") {
  TEST_CASE("/approve on a pull request: eyes, the approval, deploy/approvals met, the decision audited") {
    Bot bot;
    CHECK(bot.deliver("issue_comment", "created", pr_comment(11, "bob", "/approve")) == HandleResult::done);
    CHECK(bot.github.effects == std::vector<std::string>{"react issue 11 eyes", "approve bob " + kHead,
                                                         "status " + kHead + " success 1/1 approval"});
    const auto record = bot.last_audit();
    CHECK(record.at("kind") == "approval_decision");
    CHECK(record.at("actor") == "bob");
    CHECK(record.at("outcome").at("status") == "success");
  }

  TEST_CASE("the author's /approve does not count, and the reply says why") {
    Bot bot;
    CHECK(bot.deliver("issue_comment", "created", pr_comment(12, "carol", "/approve")) == HandleResult::done);
    CHECK(bot.github.did("status " + kHead + " pending 0/1 approval"));
    const auto* reply = bot.github.comment("c12:refused");
    REQUIRE(reply != nullptr);
    CHECK(reply->number == 2);
    CHECK(reply->body.starts_with("@carol your approval does not count"));
  }

  TEST_CASE("a redelivered /approve changes nothing more") {
    Bot bot;
    bot.deliver("issue_comment", "created", pr_comment(11, "bob", "/approve"));
    const auto effects = bot.github.effects;
    // Same comment, new delivery: the approval is recorded once and the keyed effects are done.
    bot.deliver("issue_comment", "created", pr_comment(11, "bob", "/approve"));
    CHECK(std::count(bot.github.effects.begin(), bot.github.effects.end(), "approve bob " + kHead) == 1);
    CHECK(std::count(bot.github.effects.begin(), bot.github.effects.end(), "react issue 11 eyes") == 1);
  }

  TEST_CASE("an edited /approve stops counting and the status is set again") {
    Bot bot;
    bot.deliver("issue_comment", "created", pr_comment(11, "bob", "/approve"));
    CHECK(bot.deliver("issue_comment", "edited", pr_comment(11, "bob", "/approve please")) == HandleResult::done);
    CHECK(bot.github.did("edited 11"));
    CHECK(bot.github.effects.back() == "status " + kHead + " pending 0/1 approval");
    // A comment that recorded nothing: nothing to withdraw.
    CHECK(bot.deliver("issue_comment", "deleted", pr_comment(99, "bob", "hello")) == HandleResult::ignored);
  }

  TEST_CASE("comments that are not commands, and the bot's own, are ignored; /help replies") {
    Bot bot;
    CHECK(bot.deliver("issue_comment", "created", pr_comment(13, "bob", "looks good")) == HandleResult::ignored);
    json own = pr_comment(14, "deploy-bot[bot]", "/approve");
    own["comment"]["user"]["type"] = "Bot";
    CHECK(bot.deliver("issue_comment", "created", own) == HandleResult::ignored);
    CHECK(bot.github.effects.empty());
    CHECK(bot.deliver("issue_comment", "created", pr_comment(15, "dave", "/help")) == HandleResult::done);
    const auto* help = bot.github.comment("c15:reply");
    REQUIRE(help != nullptr);
    CHECK(help->body.starts_with("@dave "));
  }

  TEST_CASE("a commit comment: /approve binds to that commit; a line comment is about code") {
    Bot bot;
    json on_commit = {{"comment", {{"id", 21}, {"user", user("bob")}, {"body", "/approve"}, {"commit_id", kHead}}}};
    CHECK(bot.deliver("commit_comment", "created", on_commit) == HandleResult::done);
    CHECK(bot.github.effects == std::vector<std::string>{"react commit 21 eyes", "approve bob " + kHead,
                                                         "status " + kHead + " success 1/1 approval"});
    on_commit["comment"]["id"] = 22;
    on_commit["comment"]["path"] = "src/main.cpp";
    CHECK(bot.deliver("commit_comment", "created", on_commit) == HandleResult::ignored);
  }

  TEST_CASE("the approval that completes a release's count dispatches its deploy once, and says so") {
    Bot bot;
    CHECK(bot.deliver("issue_comment", "created", tracking_comment(31, "bob", "/approve")) == HandleResult::done);
    REQUIRE(bot.github.dispatches.size() == 1);
    const auto& dispatch = bot.github.dispatches[0];
    CHECK(dispatch.workflow == "deploy.yml");
    CHECK(dispatch.ref == "main");
    CHECK(dispatch.inputs.at("mode") == "deploy");
    CHECK(dispatch.inputs.at("version") == "v1.2.0");
    CHECK(dispatch.inputs.at("environment") == "production");
    CHECK(dispatch.inputs.at("requested-by") == "bob");
    const auto* said = bot.github.comment("deploy:" + kRelease + ":production");
    REQUIRE(said != nullptr);
    CHECK(said->body.find("has started: https://github.test/acme/app/actions/runs/9001") != std::string::npos);
    CHECK(bot.last_audit().at("outcome").at("reason") == "deploy_dispatched");
    // A second approval finds the deploy done.
    bot.deliver("issue_comment", "created", tracking_comment(32, "alice", "/approve"));
    CHECK(bot.github.dispatches.size() == 1);
  }

  TEST_CASE("a tracking issue whose tag moved gathers no approvals") {
    Bot bot;
    bot.github.commits["v1.2.0"].sha = kPrevious;
    CHECK(bot.deliver("issue_comment", "created", tracking_comment(33, "bob", "/approve")) == HandleResult::ignored);
    CHECK(bot.github.effects.empty());
  }

  TEST_CASE("/rollback dispatches the previous release; a refused one says why") {
    Bot bot;
    const auto now = bot.clock.now();
    bot.github.history["production"] = {deployed(2, "v1.2.0", kRelease, now - std::chrono::hours(1)),
                                        deployed(1, "v1.1.0", kPrevious, now - std::chrono::hours(30))};
    CHECK(bot.deliver("issue_comment", "created", tracking_comment(41, "dave", "/rollback")) == HandleResult::done);
    CHECK(bot.github.dispatches.empty());
    const auto* refused = bot.github.comment("c41:rollback:1");
    REQUIRE(refused != nullptr);
    CHECK(refused->body.find("rollback refused") != std::string::npos);
    CHECK(bot.last_audit().at("outcome").at("status") == "refused");

    CHECK(bot.deliver("issue_comment", "created", tracking_comment(42, "bob", "/rollback")) == HandleResult::done);
    REQUIRE(bot.github.dispatches.size() == 1);
    CHECK(bot.github.dispatches[0].inputs.at("mode") == "rollback");
    CHECK(bot.github.dispatches[0].inputs.at("version") == "v1.1.0");
    const auto* started = bot.github.comment("c42:rollback:1");
    REQUIRE(started != nullptr);
    CHECK(started->body.find("rolling back `production` from `v1.2.0` to `v1.1.0`") != std::string::npos);
  }

  TEST_CASE("/rollback waits while a deploy of the environment is running") {
    Bot bot;
    const auto now = bot.clock.now();
    bot.github.history["production"] = {deployed(2, "v1.2.0", kRelease, now - std::chrono::hours(1)),
                                        deployed(1, "v1.1.0", kPrevious, now - std::chrono::hours(30))};
    deploy::policy::RunInFlight running;
    running.state = deploy::policy::RunInFlight::State::in_progress;
    running.url = "https://github.test/acme/app/actions/runs/5";
    running.since = now - std::chrono::minutes(3);
    bot.github.in_flight = {running};
    CHECK(bot.deliver("issue_comment", "created", tracking_comment(43, "bob", "/rollback")) == HandleResult::done);
    CHECK(bot.github.dispatches.empty());
    const auto* said = bot.github.comment("c43:rollback:1");
    REQUIRE(said != nullptr);
    CHECK(said->body.find("rollback not started") != std::string::npos);
    CHECK(said->body.find("runs/5") != std::string::npos);
    const auto record = bot.last_audit();
    CHECK(record.at("kind") == "rollback_decision");
    CHECK(record.at("outcome").at("status") == "refused");
  }

  TEST_CASE("/status edits the thread's one status comment") {
    Bot bot;
    bot.deliver("issue_comment", "created", pr_comment(51, "bob", "/status"));
    bot.deliver("issue_comment", "created", pr_comment(52, "dave", "/status"));
    const auto* status = bot.github.comment("status:2");
    REQUIRE(status != nullptr);
    CHECK(bot.github.did("comment-updated #2 status:2"));
    CHECK(status->body.find("Last asked by `@dave`") != std::string::npos);
  }
}

TEST_SUITE("pull_request") {
  TEST_CASE("a new head starts from 0/N; a push that leaves approvals behind says so once") {
    Bot bot;
    CHECK(bot.deliver("pull_request", "opened", pull_request(kOldHead)) == HandleResult::done);
    CHECK(bot.github.effects == std::vector<std::string>{"status " + kOldHead + " pending 0/1 approval"});
    store::ApprovalRecord old;
    old.repository = "acme/app";
    old.subject = 2;
    old.sha = kOldHead;
    old.login = "bob";
    old.event_id = 7;
    bot.github.ledger.push_back(old);
    CHECK(bot.deliver("pull_request", "synchronize", pull_request(kHead, kOldHead)) == HandleResult::done);
    CHECK(bot.github.did("status " + kHead + " pending 0/1 approval"));
    const auto* stale = bot.github.comment("stale:2:" + kHead);
    REQUIRE(stale != nullptr);
    CHECK(stale->body.find("`@bob` were for `bbbbbbb`") != std::string::npos);
  }

  TEST_CASE("a pull request from a fork is left alone unless the config allows it") {
    Bot bot;
    json payload = pull_request(kHead);
    payload["pull_request"]["head"]["repo"]["full_name"] = "mallory/app";
    CHECK(bot.deliver("pull_request", "opened", payload) == HandleResult::ignored);
    CHECK(bot.github.effects.empty());
  }
}

TEST_SUITE("pull_request_review") {
  json review(std::int64_t id, const std::string& login, const std::string& state) {
    json payload = pull_request(kHead);
    payload["review"] = {{"id", id},
                         {"user", user(login)},
                         {"state", state},
                         {"commit_id", kHead},
                         {"submitted_at", "2023-11-14T22:13:20Z"}};
    return payload;
  }

  TEST_CASE("an approving review counts like /approve; a dismissal withdraws it") {
    Bot bot;
    CHECK(bot.deliver("pull_request_review", "submitted", review(61, "bob", "approved")) == HandleResult::done);
    CHECK(bot.github.effects ==
          std::vector<std::string>{"approve bob " + kHead, "status " + kHead + " success 1/1 approval"});
    CHECK(bot.last_audit().at("kind") == "approval_decision");
    CHECK(bot.deliver("pull_request_review", "dismissed", review(61, "bob", "dismissed")) == HandleResult::done);
    CHECK(bot.github.effects.back() == "status " + kHead + " pending 0/1 approval");
  }

  TEST_CASE("other reviews are not approvals") {
    Bot bot;
    CHECK(bot.deliver("pull_request_review", "submitted", review(62, "bob", "commented")) == HandleResult::ignored);
    CHECK(bot.github.effects.empty());
  }
}

TEST_SUITE("release") {
  TEST_CASE("a published release gets its tracking issue once; drafts and undeployed tags none") {
    Bot bot;
    CHECK(bot.deliver("release", "published", {{"release", {{"tag_name", "v1.2.0"}, {"draft", false}}}}) ==
          HandleResult::done);
    bot.deliver("release", "published", {{"release", {{"tag_name", "v1.2.0"}}}});
    REQUIRE(bot.github.tracking_issues.size() == 1);
    CHECK(bot.github.tracking_issues[0].marker.sha == kRelease);
    CHECK(bot.github.tracking_issues[0].environment == "production");
    CHECK(bot.github.tracking_issues[0].needed.find("needs 1 approval") != std::string::npos);
    CHECK(bot.deliver("release", "published", {{"release", {{"tag_name", "v1.3.0"}, {"draft", true}}}}) ==
          HandleResult::ignored);
    CHECK(bot.deliver("release", "published", {{"release", {{"tag_name", "nightly"}}}}) == HandleResult::ignored);
    CHECK(bot.github.tracking_issues.size() == 1);
  }
}

TEST_SUITE("workflow_run") {
  json completed(std::int64_t id, const std::string& path, const std::string& head_branch) {
    return {{"workflow_run",
             {{"id", id},
              {"path", path},
              {"head_branch", head_branch},
              {"conclusion", "success"},
              {"html_url", "https://github.test/acme/app/actions/runs/" + std::to_string(id)}}}};
  }

  TEST_CASE("a run the bot dispatched: how it ended, on the issue that asked, once") {
    Bot bot;
    bot.deliver("issue_comment", "created", tracking_comment(31, "bob", "/approve"));  // dispatches run 9001
    CHECK(bot.deliver("workflow_run", "completed", completed(9001, ".github/workflows/deploy.yml", "main")) ==
          HandleResult::done);
    const auto* said = bot.github.comment("run:9001");
    REQUIRE(said != nullptr);
    CHECK(said->number == 1);
    CHECK(said->body ==
          "The deploy run for `v1.2.0` on `production` finished: **success** "
          "(https://github.test/acme/app/actions/runs/9001).");
  }

  TEST_CASE("a tag-triggered run finds its issue through the release; other workflows are not ours") {
    Bot bot;
    github::Release release;
    release.tag_name = "v1.2.0";
    release.body = "Notes\n\n" + deploy::release::release_link_line(5);
    bot.github.releases["v1.2.0"] = release;
    CHECK(bot.deliver("workflow_run", "completed", completed(77, ".github/workflows/deploy.yml", "v1.2.0")) ==
          HandleResult::done);
    REQUIRE(bot.github.comment("run:77") != nullptr);
    CHECK(bot.github.comment("run:77")->number == 5);
    CHECK(bot.deliver("workflow_run", "completed", completed(78, ".github/workflows/ci.yml", "v1.2.0")) ==
          HandleResult::ignored);
    CHECK(bot.deliver("workflow_run", "completed", completed(79, ".github/workflows/deploy.yml", "main")) ==
          HandleResult::ignored);
  }
}

TEST_SUITE("protection_rule") {
  github::WorkflowRun started_by(std::int64_t id, const std::string& login) {
    github::WorkflowRun run;
    run.id = id;
    run.actor = github::User{login, 9, "User"};
    return run;
  }

  TEST_CASE("a waiting run hears n of N, then is approved once the commit has its approvals") {
    Bot bot;
    bot.github.release_facts_answer = release_on_default_branch();
    bot.github.runs[88] = started_by(88, "alice");
    CHECK(bot.deliver("deployment_protection_rule", "requested", protection_rule(88)) == HandleResult::done);
    CHECK(bot.github.effects == std::vector<std::string>{"gate 88 comment"});
    CHECK(bot.github.gate_reviews[0].second.comment->find("0 of 1 approval") != std::string::npos);

    store::ApprovalRecord approval;
    approval.repository = "acme/app";
    approval.sha = kRelease;
    approval.login = "bob";
    approval.event_id = 8;
    bot.github.ledger.push_back(approval);  // on the commit itself
    bot.github.runs[89] = started_by(89, "alice");
    CHECK(bot.deliver("deployment_protection_rule", "requested", protection_rule(89)) == HandleResult::done);
    CHECK(bot.github.effects.back() == "gate 89 approved");
  }

  TEST_CASE("whoever started the run does not count for it") {
    Bot bot;
    bot.github.release_facts_answer = release_on_default_branch();
    bot.github.runs[90] = started_by(90, "bob");
    store::ApprovalRecord approval;
    approval.repository = "acme/app";
    approval.sha = kRelease;
    approval.login = "bob";
    approval.event_id = 8;
    bot.github.ledger.push_back(approval);
    bot.deliver("deployment_protection_rule", "requested", protection_rule(90));
    CHECK(bot.github.effects == std::vector<std::string>{"gate 90 comment"});
  }

  TEST_CASE("a release the action would refuse is rejected at once, with the action's reason, and audited") {
    Bot bot;
    bot.github.release_facts_answer = release_on_default_branch();
    bot.github.release_facts_answer->tags.push_back({"v1.3.0", kPrevious, false});
    bot.github.history["production"] = {deployed(3, "v1.3.0", kPrevious, bot.clock.now() - std::chrono::hours(2))};
    bot.github.runs[91] = started_by(91, "alice");
    CHECK(bot.deliver("deployment_protection_rule", "requested", protection_rule(91)) == HandleResult::done);
    CHECK(bot.github.effects == std::vector<std::string>{"gate 91 rejected"});
    CHECK(bot.github.gate_reviews[0].second.comment->find("not_newer") != std::string::npos);
    const auto record = bot.last_audit();
    CHECK(record.at("outcome").at("status") == "refused");
    CHECK(record.at("actor") == "alice");
    // Redelivered: a gate is settled once.
    CHECK(bot.deliver("deployment_protection_rule", "requested", protection_rule(91)) == HandleResult::done);
    CHECK(bot.github.effects.size() == 1);
  }
}

TEST_SUITE("repository_events") {
  json push(const std::string& ref, const std::string& path) {
    return {{"ref", ref}, {"commits", json::array({{{"modified", json::array({path})}}})}, {"head_commit", nullptr}};
  }

  TEST_CASE("a push to the default branch that changes deploy.yml refreshes the cached config") {
    Bot bot;
    github::Content content;
    content.type = "file";
    content.sha = "blob2";
    content.text = kDeployYml;
    bot.github.files[".github/deploy.yml"] = content;
    CHECK(bot.deliver("push", "", push("refs/heads/main", ".github/deploy.yml")) == HandleResult::done);
    CHECK(bot.github.effects == std::vector<std::string>{"read .github/deploy.yml"});
    CHECK(bot.store.config("acme/app")->blob_sha == "blob2");
  }

  TEST_CASE("other pushes are ignored") {
    Bot bot;
    CHECK(bot.deliver("push", "", push("refs/heads/main", "README.md")) == HandleResult::ignored);
    CHECK(bot.deliver("push", "", push("refs/heads/feature", ".github/deploy.yml")) == HandleResult::ignored);
    CHECK(bot.github.effects.empty());
  }
}

TEST_CASE("state_at_ingest: which deliveries need no worker, decided as the handlers would") {
  using deploy::store::DeliveryState;
  struct Case {
    std::string event;
    std::string action;
    std::optional<std::string> comment;
    DeliveryState state;
  };
  const std::vector<Case> cases = {
      {"issue_comment", "created", "/approve", DeliveryState::queued},
      {"issue_comment", "created", "LGTM\n\n/approve", DeliveryState::queued},
      {"issue_comment", "created", "/no-such-command", DeliveryState::queued},  // gets a reply
      {"issue_comment", "created", "looks good to me", DeliveryState::ignored},
      {"issue_comment", "created", "", DeliveryState::ignored},
      {"issue_comment", "created", std::nullopt, DeliveryState::ignored},
      {"commit_comment", "created", "/approve", DeliveryState::queued},
      {"commit_comment", "created", "nice", DeliveryState::ignored},
      // An edit or a deletion may take back an /approve: always the handler's.
      {"issue_comment", "edited", "looks good", DeliveryState::queued},
      {"issue_comment", "deleted", std::nullopt, DeliveryState::queued},
      {"issue_comment", "pinned", "/approve", DeliveryState::ignored},  // no entry wants it
      {"pull_request", "opened", std::nullopt, DeliveryState::queued},
      // Events that only make kept GitHub answers stale still need the worker, which drops them.
      {"pull_request", "labeled", std::nullopt, DeliveryState::queued},
      {"ping", "", std::nullopt, DeliveryState::queued},
      {"deployment", "created", std::nullopt, DeliveryState::queued},
      {"member", "added", std::nullopt, DeliveryState::queued},
      {"membership", "removed", std::nullopt, DeliveryState::queued},
      {"star", "created", std::nullopt, DeliveryState::ignored},
      {"no_such_event", "", std::nullopt, DeliveryState::ignored},
  };
  for (const auto& c : cases) {
    CAPTURE(c.event);
    CAPTURE(c.action);
    CAPTURE(c.comment.value_or("<none>"));
    CHECK(deploy::bot::handlers::state_at_ingest(c.event, c.action, c.comment) == c.state);
  }
}
