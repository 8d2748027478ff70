// deploy-bot's control commands end to end against github-sim: /lock, /unlock and the lock list
// (refs on GitHub, /status), /promote and /abort (the commit status a waiting run reads), /deploy
// ENV from a pull request (the dispatch and its refusals, /deploy ENV noop's plan), and /help
// listing every command of the registry.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/command/command.hpp"
#include "core/release/tracking_issue.hpp"
#include "tests/support/bot_seed.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
using deploy::test::TempDir;

namespace {

const std::string kSecret = "control-e2e-secret";
const std::string kBotToken = "ghs_bot_installation_token_0000000000";
const std::string kAliceToken = "tok-alice";
const std::string kRepo = "acme/app";
const std::string kShaMain = "1111111111111111111111111111111111111111";
const std::string kShaV12 = "3333333333333333333333333333333333333333";
const std::string kShaFeature = "4444444444444444444444444444444444444444";
constexpr int kTrackingIssue = 1;
constexpr int kPull = 2;

const char* kDeployYml = R"(version: 1
environments:
  staging:
    on: {branches: [main]}
    allow_pull_requests: true
  qa:
    on: {branches: [main]}
  production:
    on: {tags: ["v*"]}
    approvals: {required: 2, from: ["@acme/deployers", maintain]}
    strategy:
      type: canary
      pause_timeout: 30m
      steps:
        - {traffic: 10, pause: until-promoted}
        - {traffic: 100}
stages:
  - name: deploy
    run: ./deploy.sh
    traffic: true
locks:
  allowed: ["@acme/deployers", "@carol", admin]
bot:
  workflow: deploy.yml
)";

// alice (org owner: admin), bob (team deployers), carol (write, the PR's author), dave (read).
// Production runs v1.2.0 in a deployment still in progress: a canary holding at 10 %.
json seed() {
  const std::string marker = deploy::release::marker_line({"v1.2.0", kShaV12});
  return {{"users", {"alice", "bob", "carol", "dave"}},
          {"organizations", deploy::test::acme_organizations()},
          {"tokens", {{kAliceToken, "alice"}, {kBotToken, {{"installation_id", 42}}}}},
          {"app", deploy::test::deploy_bot_app()},
          {"installations", deploy::test::deploy_bot_installations()},
          {"repositories",
           {{{"owner", "acme"},
             {"name", "app"},
             {"private", true},
             {"default_branch", "main"},
             {"collaborators", {{"carol", "write"}, {"dave", "read"}}},
             {"commits",
              {{{"sha", kShaMain},
                {"message", "Initial"},
                {"author", "alice"},
                {"files", {{".github/deploy.yml", kDeployYml}}}},
               {{"sha", kShaV12}, {"message", "v1.2"}, {"author", "zed"}, {"files", {{"a.txt", "2\n"}}}},
               {{"sha", kShaFeature}, {"message", "feature"}, {"author", "carol"}, {"files", {{"b.txt", "x\n"}}}}}},
             {"branches", {{"main", kShaV12}, {"feature", kShaFeature}}},
             {"tags", {{"v1.2.0", kShaV12}}},
             {"issues",
              {{{"number", kTrackingIssue},
                {"title", "Release v1.2.0"},
                {"user", "deploy-bot[bot]"},
                {"body", "Approve with /approve\n\n" + marker + "\n"}}}},
             {"pulls",
              {{{"title", "Feature"}, {"user", "carol"}, {"head", {{"ref", "feature"}}}, {"base", {{"ref", "main"}}}}}},
             {"deployments",
              {{{"ref", "v1.2.0"},
                {"sha", kShaV12},
                {"environment", "production"},
                {"creator", "alice"},
                {"payload", {{"deploy_action", {{"version", "v1.2.0"}}}}},
                {"statuses", {{{"state", "in_progress"}}}}}}},
             {"workflows",
              {{{"id", 501},
                {"name", "Deploy"},
                {"file", "deploy.yml"},
                {"run_name",
                 "${{ inputs.mode }} ${{ inputs.environment }} ${{ inputs.version }} ${{ inputs.dispatch-id }}"}}}},
             {"environments", {"staging", "qa", "production"}}}}}};
}

class Bot : public deploy::test::BotProcess {
 public:
  Bot(const fs::path& store, const std::string& github_url)
      : BotProcess({.store = store,
                    .env = {{"WEBHOOK_SECRET", kSecret}, {"GITHUB_TOKEN", kBotToken}, {"GITHUB_API_URL", github_url}},
                    .workers = 2}) {
    require_listening();
  }
};

struct World {
  World() : sim(seed()) {
    bot.emplace(dir.db(), sim.base_url());
    sim.set_webhook(bot->webhook_url(), kSecret);
  }

  void comment(int issue, const std::string& user, const std::string& body) {
    const auto answer = sim.event("issue_comment", {{"repo", kRepo}, {"issue", issue}, {"user", user}, {"body", body}});
    INFO(answer.dump());
    REQUIRE(answer.at("delivery").at("status").get<int>() == 202);
    const std::string result = bot->wait_handled(answer.at("delivery").at("id").get<std::string>());
    INFO(bot->output());
    CHECK(result == "done");
  }
  json get(const std::string& path) const {
    auto response = sim.api("GET", path, kAliceToken);
    INFO(response.body);
    REQUIRE(response.status == 200);
    return json::parse(response.body);
  }
  // The bot's newest comment on the thread.
  std::string last_reply(int issue) const {
    std::string last;
    for (const auto& c : get("/repos/acme/app/issues/" + std::to_string(issue) + "/comments?per_page=100")) {
      if (c.at("user").at("login") == "deploy-bot[bot]") last = c.at("body").get<std::string>();
    }
    return last;
  }
  bool has_ref(const std::string& name) const {
    return sim.state()["repositories"][0].value("refs", json::object()).contains(name);
  }
  json promotion_status() const {
    const json combined = get("/repos/acme/app/commits/" + kShaV12 + "/status");
    for (const auto& s : combined.at("statuses")) {
      if (s.at("context") == "deploy/promotion/production") return s;
    }
    return json::object();
  }
  json dispatches() const { return sim.state()["repositories"][0].value("workflow_dispatches", json::array()); }

  TempDir dir;
  deploy::test::GithubSim sim;
  std::optional<Bot> bot;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("/lock and /unlock: a ref on GitHub, who may, the list and /status") {
  World w;
  w.comment(kTrackingIssue, "bob", "/lock production 2h \"incident 1234\"");
  CHECK(contains(w.last_reply(kTrackingIssue), "locked `production`"));
  CHECK(w.has_ref("refs/deploy-locks/production"));
  // The lock is readable by anyone, as the action reads it: a commit whose message holds it.
  const auto ref = w.get("/repos/acme/app/git/ref/deploy-locks/production");
  const auto commit = w.get("/repos/acme/app/commits/" + ref.at("object").at("sha").get<std::string>());
  CHECK(contains(commit.at("commit").at("message").get<std::string>(), "\"holder\":\"bob\""));
  CHECK(contains(commit.at("commit").at("message").get<std::string>(), "\"reason\":\"incident 1234\""));

  w.comment(kTrackingIssue, "dave", "/lock staging");
  CHECK(contains(w.last_reply(kTrackingIssue), "`not_allowed`"));
  CHECK_FALSE(w.has_ref("refs/deploy-locks/staging"));
  w.comment(kTrackingIssue, "carol", "/lock production");
  CHECK(contains(w.last_reply(kTrackingIssue), "`already_locked`"));
  CHECK(contains(w.last_reply(kTrackingIssue), "incident 1234"));
  w.comment(kTrackingIssue, "alice", "/lock nowhere");
  CHECK(contains(w.last_reply(kTrackingIssue), "`unknown_environment`"));

  w.comment(kTrackingIssue, "dave", "/lock");
  CHECK(contains(w.last_reply(kTrackingIssue), "- `production`: locked by `@bob`"));
  w.comment(kTrackingIssue, "dave", "/status");
  bool status_shows_lock = false;
  for (const auto& c : w.get("/repos/acme/app/issues/1/comments?per_page=100")) {
    const auto body = c.at("body").get<std::string>();
    if (contains(body, "### Deploy status") && contains(body, "**Locks**") && contains(body, "`incident 1234`"))
      status_shows_lock = true;
  }
  CHECK(status_shows_lock);

  w.comment(kTrackingIssue, "dave", "/unlock production");
  CHECK(contains(w.last_reply(kTrackingIssue), "`not_allowed`"));
  CHECK(w.has_ref("refs/deploy-locks/production"));
  w.comment(kTrackingIssue, "carol", "/unlock production");  // anyone allowed may end someone else's lock
  CHECK(contains(w.last_reply(kTrackingIssue), "unlocked `production`"));
  CHECK_FALSE(w.has_ref("refs/deploy-locks/production"));
  w.comment(kTrackingIssue, "carol", "/unlock production");
  CHECK(contains(w.last_reply(kTrackingIssue), "`not_locked`"));
  w.comment(kTrackingIssue, "dave", "/lock");
  CHECK(contains(w.last_reply(kTrackingIssue), "no environment is locked"));
}

TEST_CASE("a locked environment: the bot starts no run the action would refuse, and starts it after /unlock") {
  World w;
  w.comment(kTrackingIssue, "bob", "/lock production \"incident 77\"");
  REQUIRE(w.has_ref("refs/deploy-locks/production"));
  w.comment(kTrackingIssue, "bob", "/approve");
  w.comment(kTrackingIssue, "alice", "/approve");  // completes the count, but alice does not hold the lock
  CHECK(w.dispatches().empty());
  const auto refused = w.last_reply(kTrackingIssue);
  CHECK(contains(refused, "was not started"));
  CHECK(contains(refused, "`environment_locked`"));
  CHECK(contains(refused, "incident 77"));
  CHECK(contains(refused, "/unlock production"));

  w.comment(kTrackingIssue, "bob", "/unlock production");
  w.comment(kTrackingIssue, "alice", "/approve");
  REQUIRE(w.dispatches().size() == 1);
  CHECK(w.dispatches()[0].at("inputs").at("version") == "v1.2.0");
  CHECK(w.dispatches()[0].at("inputs").at("requested-by") == "alice");
  CHECK(contains(w.last_reply(kTrackingIssue), "has started"));

  // From a pull request too: a deploy for someone other than the holder is refused before dispatch.
  w.comment(kPull, "alice", "/lock staging");
  w.comment(kPull, "bob", "/deploy staging");
  CHECK(contains(w.last_reply(kPull), "`environment_locked`"));
  CHECK(w.dispatches().size() == 1);
  w.comment(kPull, "alice", "/deploy staging");  // the holder's own deploy goes ahead
  CHECK(w.dispatches().size() == 2);
}

TEST_CASE("/promote and /abort: a commit status naming the waiting deployment, approvers only") {
  World w;
  w.comment(kTrackingIssue, "dave", "/promote");
  CHECK(contains(w.last_reply(kTrackingIssue), "`not_allowed`"));
  CHECK(w.promotion_status().empty());

  const auto deployments = w.get("/repos/acme/app/deployments?environment=production");
  const auto id = std::to_string(deployments.at(0).at("id").get<long long>());
  w.comment(kTrackingIssue, "bob", "/abort error rate up");
  INFO(w.last_reply(kTrackingIssue));
  auto status = w.promotion_status();
  CHECK(status.value("state", "") == "failure");
  CHECK(status.value("description", "") == "abort deployment " + id + " by @bob: error rate up");
  CHECK(contains(status.value("target_url", ""), "/acme/app/issues/1#issuecomment-"));
  CHECK(contains(w.last_reply(kTrackingIssue), "aborting the canary of `production`"));

  w.comment(kTrackingIssue, "alice", "/promote");
  status = w.promotion_status();
  CHECK(status.value("state", "") == "success");
  CHECK(status.value("description", "") == "promote deployment " + id + " by @alice");

  // Once the run has finished, nothing waits.
  const auto finished =
      w.sim.api("POST", "/repos/acme/app/deployments/" + id + "/statuses", kBotToken, {{"state", "success"}});
  REQUIRE(finished.status == 201);
  w.comment(kTrackingIssue, "alice", "/promote");
  CHECK(contains(w.last_reply(kTrackingIssue), "`nothing_waiting`"));
}

TEST_CASE("/deploy ENV from a pull request: the dispatch, its refusals, and noop's plan") {
  World w;
  w.comment(kPull, "bob", "/deploy staging");
  REQUIRE(w.dispatches().size() == 1);
  const auto inputs = w.dispatches()[0].at("inputs");
  CHECK(inputs.at("environment") == "staging");
  CHECK(inputs.at("mode") == "deploy");
  CHECK(inputs.at("ref") == "refs/pull/2/head");
  CHECK(inputs.at("requested-by") == "bob");
  CHECK(contains(w.last_reply(kPull), "deploying pull request #2"));

  w.comment(kPull, "bob", "/deploy production");
  CHECK(contains(w.last_reply(kPull), "`production_never_from_pull_request`"));
  w.comment(kPull, "bob", "/deploy qa");
  CHECK(contains(w.last_reply(kPull), "`pull_requests_not_allowed`"));
  w.comment(kPull, "dave", "/deploy staging");
  CHECK(contains(w.last_reply(kPull), "`not_allowed`"));
  w.comment(kTrackingIssue, "bob", "/deploy staging");
  CHECK(contains(w.last_reply(kTrackingIssue), "`not_a_pull_request`"));
  CHECK(w.dispatches().size() == 1);

  w.comment(kPull, "dave", "/deploy staging noop");
  const auto plan = w.last_reply(kPull);
  CHECK(contains(plan, "Plan for staging at refs/pull/2/head"));
  CHECK(contains(plan, "Trigger: pull request #2 (allow_pull_requests)"));
  CHECK(w.dispatches().size() == 1);
}

TEST_CASE("/help lists every command of the registry") {
  World w;
  w.comment(kPull, "dave", "/help");
  const auto help = w.last_reply(kPull);
  for (const auto& entry : deploy::command::registry()) {
    CAPTURE(entry.word);
    CHECK(contains(help, "`" + deploy::command::usage(entry) + "`"));
  }
}
