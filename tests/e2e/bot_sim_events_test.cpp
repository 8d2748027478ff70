// deploy-bot acting on webhooks github-sim emits as GitHub would, rather than on payloads a test
// built by hand: workflow_run events when a dispatched run moves on, and pull requests from forks
// (head repository and owner differ from the base), denied by default and allowed by
// bot.allow_fork_pull_requests. The bot runs as a child process on loopback; every effect is read
// back from github-sim.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/process/process.hpp"
#include "core/release/tracking_issue.hpp"
#include "tests/support/bot_seed.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
namespace proc = deploy::process;
using deploy::test::TempDir;

namespace {

const std::string kSecret = "sim-events-e2e-secret";
const std::string kBotToken = "ghs_bot_installation_token_0000000000";
const std::string kAliceToken = "tok-alice";
const std::string kRepo = "acme/app";
const std::string kFork = "mallory/app";
const std::string kShaMain = "1111111111111111111111111111111111111111";
const std::string kShaV12 = "3333333333333333333333333333333333333333";
const std::string kShaFork = "4444444444444444444444444444444444444444";
constexpr int kTrackingIssue = 1;
constexpr int kForkPull = 2;

std::string deploy_yml(bool allow_forks) {
  return std::string(R"(version: 1
environments:
  production:
    on: {tags: ["v*"]}
    approvals: {required: 2}
stages:
  - name: deploy
    run: ./deploy.sh
bot:
  workflow: deploy.yml
)") + (allow_forks ? "  allow_fork_pull_requests: true\n" : "");
}

// acme/app: alice (org owner), bob (team deployers: write); zed wrote v1.2.0. Pull request #2 comes
// from mallory's fork mallory/app (its commit is in acme/app's store, as GitHub keeps fork heads).
json seed(bool allow_forks) {
  return {{"users", {"alice", "bob", "mallory", "zed"}},
          {"organizations", deploy::test::acme_organizations()},
          {"tokens", {{kAliceToken, "alice"}, {kBotToken, {{"installation_id", 42}}}}},
          {"app", deploy::test::deploy_bot_app()},
          {"installations", deploy::test::deploy_bot_installations()},
          {"repositories",
           {{{"owner", "acme"},
             {"name", "app"},
             {"private", true},
             {"default_branch", "main"},
             {"commits",
              {{{"sha", kShaMain},
                {"message", "Initial"},
                {"author", "alice"},
                {"files", {{".github/deploy.yml", deploy_yml(allow_forks)}}}},
               {{"sha", kShaV12}, {"message", "v1.2"}, {"author", "zed"}, {"files", {{"a.txt", "2\n"}}}},
               {{"sha", kShaFork},
                {"message", "from the fork"},
                {"author", "mallory"},
                {"parents", {"@2"}},
                {"files", {{"b.txt", "x\n"}}}}}},
             {"branches", {{"main", kShaV12}}},
             {"tags", {{"v1.2.0", kShaV12}}},
             {"issues",
              {{{"number", kTrackingIssue},
                {"title", "Release v1.2.0"},
                {"user", "deploy-bot[bot]"},
                {"body", "Approve with /approve\n\n" + deploy::release::marker_line({"v1.2.0", kShaV12}) + "\n"}}}},
             {"pulls",
              {{{"title", "From a fork"},
                {"user", "mallory"},
                {"head", {{"ref", "feature"}, {"sha", kShaFork}, {"repo", kFork}}},
                {"base", {{"ref", "main"}}}}}},
             {"releases", {{{"tag_name", "v1.2.0"}, {"author", "alice"}}}},
             {"workflows", {{{"id", 501}, {"name", "Deploy"}, {"file", "deploy.yml"}}}},
             {"environments", {"production"}}}}}};
}

// deploy-bot with two workers against the simulator, as an installation.
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
  explicit World(bool allow_forks = false) : sim(seed(allow_forks)), bot(dir.db(), sim.base_url()) {
    sim.set_webhook(bot.webhook_url(), kSecret);
  }

  // Acts as GitHub; waits until the bot handled the delivery and returns its result.
  std::string send(const std::string& kind, const json& body) {
    const auto answer = sim.event(kind, body);
    INFO(answer.dump());
    REQUIRE(answer.at("delivery").is_object());
    CHECK(answer.at("delivery").at("status").get<int>() == 202);
    const std::string result = bot.wait_handled(answer.at("delivery").at("id").get<std::string>());
    INFO(bot.output());
    CHECK(result != "");
    CHECK(result != "failed");
    return result;
  }
  std::string comment(int issue, const std::string& user, const std::string& body) {
    return send("issue_comment", {{"repo", kRepo}, {"issue", issue}, {"user", user}, {"body", body}});
  }
  json get(const std::string& path) const {
    auto response = sim.api("GET", path, kAliceToken);
    INFO(response.body);
    REQUIRE(response.status == 200);
    return json::parse(response.body);
  }
  std::vector<std::string> bot_comment_bodies(int issue) const {
    std::vector<std::string> out;
    const json comments = get("/repos/acme/app/issues/" + std::to_string(issue) + "/comments?per_page=100");
    for (const auto& c : comments) {
      if (c.at("user").at("login") == "deploy-bot[bot]") out.push_back(c.at("body").get<std::string>());
    }
    return out;
  }
  int bot_comments_containing(int issue, const std::string& text) const {
    int n = 0;
    for (const auto& body : bot_comment_bodies(issue)) n += body.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  json approvals_status(const std::string& sha) const {
    const json combined = get("/repos/acme/app/commits/" + sha + "/status");  // kept: the loop refers into it
    for (const auto& s : combined.at("statuses")) {
      if (s.at("context") == "deploy/approvals") return s;
    }
    return json::object();
  }
  json dispatches() const {
    const json state = sim.state();  // kept: the loop refers into it
    for (const auto& repo : state.at("repositories")) {
      if (repo.at("owner") == "acme" && repo.at("name") == "app")
        return repo.value("workflow_dispatches", json::array());
    }
    return json::array();
  }

  TempDir dir;
  deploy::test::GithubSim sim;
  Bot bot;
};

}  // namespace

TEST_CASE(
    "the workflow_run github-sim sends when the dispatched deploy run completes is reported on the tracking issue") {
  World w;
  w.comment(kTrackingIssue, "alice", "/approve");
  w.comment(kTrackingIssue, "bob", "/approve");
  INFO(w.bot.output());
  INFO(json(w.bot_comment_bodies(kTrackingIssue)).dump());
  REQUIRE(w.dispatches().size() == 1);
  const auto run_id = w.dispatches()[0].at("run_id").get<long long>();

  // GitHub Actions picks the run up, then finishes it: github-sim sends workflow_run.in_progress,
  // which the bot has nothing to do with, then workflow_run.completed.
  CHECK(w.send("workflow_run", {{"repo", kRepo}, {"user", "alice"}, {"run_id", run_id}, {"status", "in_progress"}}) ==
        "ignored");
  CHECK(w.bot_comments_containing(kTrackingIssue, "finished") == 0);
  CHECK(w.send("workflow_run", {{"repo", kRepo}, {"user", "alice"}, {"run_id", run_id}, {"conclusion", "failure"}}) ==
        "done");
  const std::string run_url =
      w.get("/repos/acme/app/actions/runs/" + std::to_string(run_id)).at("html_url").get<std::string>();
  CHECK(w.bot_comments_containing(
            kTrackingIssue, "The deploy run for `v1.2.0` on `production` finished: **failure** (" + run_url + ")") ==
        1);
}

TEST_CASE("github-sim models a pull request from a fork: head repository and owner differ from the base") {
  World w;
  const json pull = w.get("/repos/acme/app/pulls/" + std::to_string(kForkPull));
  CHECK(pull.at("head").at("repo").at("full_name") == kFork);
  CHECK(pull.at("head").at("repo").at("fork") == true);
  CHECK(pull.at("head").at("repo").at("owner").at("login") == "mallory");
  CHECK(pull.at("head").at("label") == "mallory:feature");
  CHECK(pull.at("head").at("sha") == kShaFork);
  CHECK(pull.at("base").at("repo").at("full_name") == kRepo);
  CHECK(pull.at("head").at("repo").at("id") != pull.at("base").at("repo").at("id"));

  // Opened through the admin API too, with the webhook saying the same.
  const auto opened = w.sim.event(
      "pull_request",
      {{"repo", kRepo}, {"user", "mallory"}, {"action", "opened"}, {"head", "patch"}, {"head_repo", kFork}});
  const auto delivery = w.sim.delivery(opened.at("delivery").at("id").get<std::string>());
  CHECK(delivery.at("payload").at("pull_request").at("head").at("repo").at("full_name") == kFork);
  CHECK(delivery.at("payload").at("pull_request").at("head").at("repo").at("fork") == true);
  CHECK(delivery.at("payload").at("pull_request").at("head").at("user").at("login") == "mallory");
}

TEST_CASE("commands on a fork's pull request are refused with the reason by default") {
  World w;
  CHECK(w.comment(kForkPull, "alice", "/approve") == "done");
  CHECK(w.bot_comments_containing(kForkPull, "does not act on commands on pull requests from forks") == 1);
  CHECK(w.bot_comments_containing(kForkPull, "`bot.allow_fork_pull_requests`") == 1);
  CHECK(w.approvals_status(kShaFork).empty());
  w.comment(kForkPull, "bob", "/approve");
  CHECK(w.approvals_status(kShaFork).empty());
  CHECK(w.dispatches().empty());
  // A pull_request event from the fork sets no status either.
  w.send("pull_request", {{"repo", kRepo}, {"user", "mallory"}, {"action", "synchronize"}, {"number", kForkPull}});
  CHECK(w.approvals_status(kShaFork).empty());
}

TEST_CASE("with bot.allow_fork_pull_requests, approvals on a fork's pull request count") {
  World w(true);
  CHECK(w.comment(kForkPull, "alice", "/approve") == "done");
  INFO(json(w.bot_comment_bodies(kForkPull)).dump());
  INFO(w.bot.output());
  CHECK(w.bot_comments_containing(kForkPull, "pull requests from forks") == 0);
  CHECK(w.approvals_status(kShaFork).value("description", "") == "1/2 approvals");
  w.comment(kForkPull, "bob", "/approve");
  CHECK(w.approvals_status(kShaFork).value("state", "") == "success");
}
