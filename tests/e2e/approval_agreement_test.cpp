// The bot and the action agree about who counts. One github-sim state is driven through both
// programs for a table of approvers: deploy-bot hears the /approve comments (and, in one mode, the
// deployment protection rule of a run someone started), then deploy-action runs against the same
// state as the job would. The bot must never approve the waiting run, or dispatch the deploy, when
// the action then refuses it on approvals; and both must count the same people, refusing the others
// with the same reason code.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/process/process.hpp"
#include "core/release/tracking_issue.hpp"
#include "tests/support/bot_seed.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/run_action.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
namespace proc = deploy::process;
using deploy::test::TempDir;

namespace {

const std::string kSecret = "agreement-e2e-secret";
const std::string kBotToken = "ghs_bot_installation_token_0000000000";
const std::string kRunnerToken = "ghs_runner_token";
const std::string kAliceToken = "tok-alice";
constexpr int kTrackingIssue = 1;

const char* kDeployYml = R"(version: 1
environments:
  production:
    on: {tags: ["v*"]}
    approvals: {required: 2}
stages:
  - name: deploy
    run: "true"
rollback:
  run: "true"
bot:
  workflow: deploy.yml
)";

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string git(const fs::path& dir, std::vector<std::string> args, const std::string& who = "alice") {
  proc::Spec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.working_directory = dir.string();
  spec.env = {{"GIT_AUTHOR_NAME", who},
              {"GIT_AUTHOR_EMAIL", who + "@example.com"},
              {"GIT_COMMITTER_NAME", who},
              {"GIT_COMMITTER_EMAIL", who + "@example.com"},
              {"GIT_AUTHOR_DATE", "1700000000 +0000"},
              {"GIT_COMMITTER_DATE", "1700000000 +0000"},
              {"GIT_CONFIG_NOSYSTEM", "1"},
              {"HOME", dir.string()}};
  spec.timeout = 30s;
  std::string out;
  auto result = proc::run(spec, [&](const std::string& line) { out += line + "\n"; });
  INFO("git " << args[0] << ": " << out);
  REQUIRE(result.succeeded());
  return trim(out);
}

// v1.0.0 "Initial" (alice), live in production. v1.1.0 merges carol's pull request #1: carol wrote
// its first commit and bob pushed a fixup to it; frank merged it (the release commit's author).
struct Repository {
  TempDir temp{"approval-agreement-repo"};
  fs::path dir = temp.path() / "repo";
  std::map<std::string, std::string> sha;

  Repository() {
    fs::create_directories(dir);
    git(dir, {"init", "-q", "-b", "main"});
    commit("alice", "README.md", "# app\n", "Initial");
    git(dir, {"tag", "-a", "-m", "Release v1.0.0", "v1.0.0"});
    sha["v1.0.0"] = head();
    git(dir, {"checkout", "-q", "-b", "feature"});
    commit("carol", "a.txt", "a\n", "Add feature");
    commit("bob", "a.txt", "a fixed\n", "Fix feature");
    sha["feature"] = head();
    git(dir, {"checkout", "-q", "main"});
    git(dir, {"merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/feature", "feature"}, "frank");
    git(dir, {"tag", "-a", "-m", "Release v1.1.0", "v1.1.0"});
    sha["v1.1.0"] = head();
  }
  void commit(const std::string& who, const std::string& file, const std::string& text, const std::string& message) {
    std::ofstream(dir / file) << text;
    git(dir, {"add", file}, who);
    git(dir, {"commit", "-q", "-m", message}, who);
  }
  std::string head() { return git(dir, {"rev-parse", "HEAD"}); }

  json commits_for_sim() {
    json commits = json::array();
    std::istringstream log(git(dir, {"log", "--all", "--topo-order", "--reverse", "--format=%H|%P|%an|%s"}));
    for (std::string line; std::getline(log, line);) {
      std::vector<std::string> parts;
      std::stringstream fields(line);
      for (std::string part; std::getline(fields, part, '|');) parts.push_back(part);
      json parents = json::array();
      std::stringstream ps(parts[1]);
      for (std::string p; ps >> p;) parents.push_back(p);
      commits.push_back({{"sha", parts[0]}, {"parents", parents}, {"author", parts[2]}, {"message", parts[3]}});
    }
    // The bot reads its rules from the default branch.
    commits[0]["files"] = {{".github/deploy.yml", kDeployYml}};
    return commits;
  }
};

Repository& repository() {
  static Repository repo;
  return repo;
}

json seed(Repository& repo) {
  return {{"users",
           {"alice",
            "bob",
            "carol",
            "dave",
            "erin",
            "frank",
            "grace",
            "mallory",
            {{"login", "renovate[bot]"}, {"type", "Bot"}}}},
          {"organizations", {{{"login", "acme"}, {"members", {{"alice", "admin"}}}}}},
          {"tokens",
           {{kAliceToken, "alice"}, {kBotToken, {{"installation_id", 42}}}, {kRunnerToken, {{"installation_id", 42}}}}},
          {"app", deploy::test::deploy_bot_app()},
          {"installations", deploy::test::deploy_bot_installations()},
          {"repositories",
           {{{"owner", "acme"},
             {"name", "app"},
             {"private", true},
             {"default_branch", "main"},
             {"collaborators",
              {{"bob", "write"},
               {"carol", "write"},
               {"dave", "read"},
               {"erin", "write"},
               {"frank", "maintain"},
               {"grace", "write"},
               {"mallory", "write"}}},
             {"commits", repo.commits_for_sim()},
             {"branches", {{"main", repo.sha["v1.1.0"]}, {"feature", repo.sha["feature"]}}},
             {"tags", {{"v1.0.0", repo.sha["v1.0.0"]}, {"v1.1.0", repo.sha["v1.1.0"]}}},
             {"pulls",
              {{{"title", "Add feature"},
                {"user", "carol"},
                {"head", {{"ref", "feature"}, {"sha", repo.sha["feature"]}}},
                {"base", {{"ref", "main"}, {"sha", repo.sha["v1.0.0"]}}},
                {"merged", true},
                {"merge_commit_sha", repo.sha["v1.1.0"]}}}},
             {"issues",
              {{{"number", kTrackingIssue},
                {"title", "Release v1.1.0"},
                {"user", "deploy-bot[bot]"},
                {"body",
                 "Approve with /approve\n\n" + deploy::release::marker_line({"v1.1.0", repo.sha["v1.1.0"]}) + "\n"}}}},
             {"releases",
              {{{"tag_name", "v1.1.0"},
                {"author", "alice"},
                {"draft", false},
                {"body", deploy::release::release_link_line(kTrackingIssue) + "\n"}}}},
             {"deployments",
              {{{"ref", "v1.0.0"},
                {"sha", repo.sha["v1.0.0"]},
                {"environment", "production"},
                {"creator", "alice"},
                {"payload", {{"deploy_action", {{"version", "v1.0.0"}}}}},
                {"statuses", {{{"state", "success"}}}}}}},
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

// What the bot decided, read back from GitHub.
struct BotVerdict {
  int counted = 0;     // from deploy/approvals "n/2 approvals"
  std::string reason;  // the reason code in its reply to the approver ("" when none)
  bool approved_or_dispatched = false;
};

// What the action decided, read from its audit record.
struct ActionVerdict {
  bool approvals_passed = false;
  std::set<std::string> counted;
  std::map<std::string, std::string> refused;  // approver -> reason
};

struct Case {
  std::string name;
  std::string approver;  // comments /approve after erin did
  std::string reason;    // expected refusal code for the approver; "" = counted
};

enum class Mode { protection_rule, dispatch };

void run_case(Repository& repo, const Case& c, Mode mode) {
  CAPTURE(c.name);
  CAPTURE(mode == Mode::protection_rule ? "protection rule" : "dispatch");
  TempDir temp("approval-agreement");
  deploy::test::GithubSim sim(seed(repo));
  Bot bot(temp.path() / "bot.sqlite3", sim.base_url());
  sim.set_webhook(bot.webhook_url(), kSecret);
  auto deliver = [&](const std::string& kind, const json& body) {
    const auto answer = sim.event(kind, body);
    const std::string result = bot.wait_handled(answer.at("delivery").at("id").get<std::string>());
    INFO(bot.output());
    REQUIRE(result != "");
    REQUIRE(result != "failed");
    return answer;
  };

  // mallory's job for production waits on the bot (protection rule mode); otherwise the bot
  // dispatches the deploy itself once approvals are complete.
  std::int64_t run_id = 0;
  if (mode == Mode::protection_rule) {
    const auto answer =
        deliver("deployment_protection_rule",
                {{"repo", "acme/app"}, {"environment", "production"}, {"user", "mallory"}, {"ref", "v1.1.0"}});
    run_id = answer.at("workflow_run").at("id").get<std::int64_t>();
  }
  deliver("issue_comment", {{"repo", "acme/app"}, {"issue", kTrackingIssue}, {"user", "erin"}, {"body", "/approve"}});
  sim.advance_clock(1s);
  deliver("issue_comment",
          {{"repo", "acme/app"}, {"issue", kTrackingIssue}, {"user", c.approver}, {"body", "/approve"}});

  auto get = [&](const std::string& path) {
    const auto response = sim.api("GET", path, kAliceToken);
    REQUIRE(response.status == 200);
    return json::parse(response.body);
  };
  BotVerdict from_bot;
  const json combined = get("/repos/acme/app/commits/" + repo.sha["v1.1.0"] + "/status");
  INFO(combined.dump());
  for (const auto& s : combined.at("statuses")) {
    if (s.at("context") == "deploy/approvals") {
      from_bot.counted = std::stoi(s.at("description").get<std::string>());
      break;
    }
  }
  for (const auto& comment : get("/repos/acme/app/issues/1/comments?per_page=100")) {
    const std::string body = comment.at("body");
    if (comment.at("user").at("login") != "deploy-bot[bot]" || body.find("@" + c.approver + " ") != 0) continue;
    const auto open = body.find("(`");
    if (open != std::string::npos) from_bot.reason = body.substr(open + 2, body.find("`)", open) - open - 2);
  }
  const json state = sim.state();
  const auto& repo_state = state.at("repositories").at(0);
  if (mode == Mode::protection_rule) {
    for (const auto& run : repo_state.value("workflow_runs", json::array())) {
      if (run.at("id") == run_id)
        from_bot.approved_or_dispatched = run.at("protection_rules").at(0).at("state") == "approved";
    }
  } else {
    from_bot.approved_or_dispatched = !repo_state.value("workflow_dispatches", json::array()).empty();
  }

  // The job runs: mallory's, or the one the bot dispatched (its actor is the bot).
  const std::string actor = mode == Mode::protection_rule ? "mallory" : "deploy-bot[bot]";
  git(repo.dir, {"checkout", "-q", "--detach", "v1.1.0"});
  const auto config = temp.write("deploy.yml", kDeployYml);
  fs::create_directories(temp.path() / "runner-temp");
  const auto output = temp.write("output", "");
  const auto summary = temp.write("summary", "");
  const auto event = temp.write("event.json", R"({"repository":{"default_branch":"main"}})");
  proc::Spec spec;
  spec.argv = {DEPLOY_ACTION_BINARY};
  spec.env = {{"GITHUB_ACTIONS", "true"},
              {"INPUT_MODE", "deploy"},
              {"INPUT_ENVIRONMENT", "production"},
              {"INPUT_CONFIG", config},
              {"INPUT_ON-UNAPPROVED", "fail"},
              {"INPUT_GITHUB-TOKEN", kRunnerToken},
              {"GITHUB_REF", "refs/tags/v1.1.0"},
              {"GITHUB_REPOSITORY", "acme/app"},
              {"GITHUB_API_URL", sim.base_url()},
              {"GITHUB_SERVER_URL", "https://github.example"},
              {"GITHUB_RUN_ID", "9001"},
              {"GITHUB_RUN_ATTEMPT", "1"},
              {"GITHUB_ACTOR", actor},
              {"GITHUB_TRIGGERING_ACTOR", actor},
              {"GITHUB_EVENT_NAME", "push"},
              {"GITHUB_EVENT_PATH", event},
              {"GITHUB_WORKSPACE", repo.dir.string()},
              {"RUNNER_TEMP", (temp.path() / "runner-temp").string()},
              {"GITHUB_OUTPUT", output},
              {"GITHUB_STEP_SUMMARY", summary}};
  spec.timeout = 120s;
  std::string action_output;
  const auto result = proc::run(spec, [&](const std::string& line) { action_output += line + "\n"; });
  INFO(action_output);
  REQUIRE(result.end == proc::Result::End::exited);

  ActionVerdict from_action;
  bool found = false;
  for (const auto& entry : fs::recursive_directory_iterator(temp.path() / "runner-temp")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      const auto record = json::parse(line, nullptr, false);
      if (!record.is_object() || !record.contains("approvals")) continue;
      found = true;
      for (const auto& gate : record.value("gates", json::array())) {
        if (gate.at("name") == "approvals") from_action.approvals_passed = gate.at("allowed").get<bool>();
      }
      for (const auto& a : record.at("approvals")) {
        if (a.at("counted").get<bool>())
          from_action.counted.insert(a.at("approver").get<std::string>());
        else
          from_action.refused[a.at("approver").get<std::string>()] = a.at("reason").get<std::string>();
      }
    }
  }
  REQUIRE(found);

  // The table's expectation, for both programs.
  const bool counts = c.reason.empty();
  CHECK(from_action.approvals_passed == counts);
  CHECK(from_action.counted.size() == (counts ? 2u : 1u));
  CHECK(from_action.counted.contains("erin"));
  if (!counts) CHECK(from_action.refused[c.approver] == c.reason);
  CHECK(from_bot.approved_or_dispatched == counts);
  // The bot's bots are ignored, not answered (a reply could start two bots talking).
  if (!counts && c.approver != "renovate[bot]") CHECK(from_bot.reason == c.reason);

  // The property: never approved or dispatched what the action refuses; the same count.
  CHECK((!from_bot.approved_or_dispatched || from_action.approvals_passed));
  CHECK(from_bot.counted == static_cast<int>(from_action.counted.size()));
}

}  // namespace

TEST_CASE("the bot and the action count the same approvers: a waiting run, and a dispatched deploy") {
  auto& repo = repository();
  const std::vector<Case> protection_rule_cases = {
      {"the release commit's author", "frank", "author_cannot_approve"},
      {"a committer of the pull request", "bob", "committer_cannot_approve"},
      {"the pull request's author", "carol", "committer_cannot_approve"},
      {"the person who started the run", "mallory", "triggerer_cannot_approve"},
      {"a bot", "renovate[bot]", "bot_cannot_approve"},
      {"no permission", "dave", "no_permission"},
      {"a duplicate", "erin", "duplicate"},
      {"a valid distinct approver", "grace", ""},
  };
  for (const auto& c : protection_rule_cases) run_case(repo, c, Mode::protection_rule);

  // A deploy the bot dispatches runs as the bot: mallory started nothing and counts; the rest as above.
  const std::vector<Case> dispatch_cases = {
      {"a committer of the pull request", "bob", "committer_cannot_approve"},
      {"no longer the run's starter", "mallory", ""},
      {"a valid distinct approver", "grace", ""},
  };
  for (const auto& c : dispatch_cases) run_case(repo, c, Mode::dispatch);
}
