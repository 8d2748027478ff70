// deploy-bot's handlers end to end: github-sim delivers real signed webhooks to a running
// deploy-bot (a child process on a loopback port), and every effect is read back from github-sim
// (its state and request log). Waits poll with a deadline: a delivery is "handled" once the bot
// logs delivery_handled for its id.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/audit/audit.hpp"
#include "core/process/process.hpp"
#include "core/release/tracking_issue.hpp"
#include "tests/support/bot_seed.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_store.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
namespace proc = deploy::process;
using deploy::test::TempDir;

namespace {

const std::string kSecret = "handlers-e2e-secret";
const std::string kBotToken = "ghs_bot_installation_token_0000000000";
const std::string kAliceToken = "tok-alice";
const std::string kRepo = "acme/app";
const std::string kShaMain = "1111111111111111111111111111111111111111";
const std::string kShaV11 = "2222222222222222222222222222222222222222";
const std::string kShaV12 = "3333333333333333333333333333333333333333";
const std::string kShaFeature = "4444444444444444444444444444444444444444";

const char* kDeployYml = R"(version: 1
environments:
  staging:
    on: {branches: [main]}
  production:
    on: {tags: ["v*"]}
    approvals: {required: 2, count_reviews: true}
    rollback: {window: 24h}
stages:
  - name: deploy
    run: ./deploy.sh
rollback:
  run: ./rollback.sh
bot:
  workflow: deploy.yml
)";

constexpr int kTrackingIssue = 1;
constexpr int kPull = 2;

// acme/app: alice (org owner: admin), bob (team deployers: write), carol (write, the PR's author),
// dave (read), erin (no access), renovate[bot]. Production ran v1.0.0, v1.1.0, then v1.2.0.
json seed(bool link_release = false) {
  const std::string marker = deploy::release::marker_line({"v1.2.0", kShaV12});
  json release = {{"tag_name", "v1.2.0"}, {"author", "alice"}, {"draft", false}};
  if (link_release) release["body"] = "Release notes\n\n" + deploy::release::release_link_line(kTrackingIssue) + "\n";
  return {{"users", {"alice", "bob", "carol", "dave", "erin", {{"login", "renovate[bot]"}, {"type", "Bot"}}}},
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
               {{"sha", kShaV11}, {"message", "v1.1"}, {"author", "zed"}, {"files", {{"a.txt", "1\n"}}}},
               {{"sha", kShaV12}, {"message", "v1.2"}, {"author", "zed"}, {"files", {{"a.txt", "2\n"}}}},
               {{"sha", kShaFeature}, {"message", "feature"}, {"author", "carol"}, {"files", {{"b.txt", "x\n"}}}}}},
             {"branches", {{"main", kShaV12}, {"feature", kShaFeature}}},
             {"tags", {{"v1.0.0", kShaMain}, {"v1.1.0", kShaV11}, {"v1.2.0", kShaV12}}},
             {"issues",
              {{{"number", kTrackingIssue},
                {"title", "Release v1.2.0"},
                {"user", "deploy-bot[bot]"},
                {"body", "Approve with /approve\n\n" + marker + "\n"}}}},
             {"pulls",
              {{{"title", "Feature"}, {"user", "carol"}, {"head", {{"ref", "feature"}}}, {"base", {{"ref", "main"}}}}}},
             {"releases", {release}},
             {"deployments",
              {{{"ref", "v1.0.0"},
                {"sha", kShaMain},
                {"environment", "production"},
                {"creator", "alice"},
                {"statuses", {{{"state", "inactive"}}}}},
               {{"ref", "v1.1.0"},
                {"sha", kShaV11},
                {"environment", "production"},
                {"creator", "alice"},
                {"statuses", {{{"state", "inactive"}}}}},
               {{"ref", "v1.2.0"},
                {"sha", kShaV12},
                {"environment", "production"},
                {"creator", "bob"},
                {"statuses", {{{"state", "success"}}}}}}},
             // run-name as examples/workflows/deploy.yml has it: the dispatch-id finds a run whose dispatch answer was
             // lost.
             {"workflows",
              {{{"id", 501},
                {"name", "Deploy"},
                {"file", "deploy.yml"},
                {"run_name",
                 "${{ inputs.mode }} ${{ inputs.environment }} ${{ inputs.version }} ${{ inputs.dispatch-id }}"}}}},
             {"environments", {"staging", "production"}}}}}};
}

// deploy-bot with two workers against the simulator, as an installation; `extra` variables win.
class Bot : public deploy::test::BotProcess {
 public:
  Bot(const fs::path& store, const std::string& github_url, const std::map<std::string, std::string>& extra = {})
      : BotProcess({.store = store, .env = environment(github_url, extra), .workers = 2}) {
    require_listening();
  }

 private:
  static std::map<std::string, std::string> environment(const std::string& github_url,
                                                        const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env = {
        {"WEBHOOK_SECRET", kSecret}, {"GITHUB_TOKEN", kBotToken}, {"GITHUB_API_URL", github_url}};
    for (const auto& [k, v] : extra) env[k] = v;
    return env;
  }
};

// Polls github-sim every 50 ms for up to 20 s.
bool eventually(const std::function<bool()>& condition) { return deploy::test::eventually(condition, 20s, 50ms); }

// One simulator and one bot wired to each other.
struct World {
  explicit World(bool link_release = false) : sim(seed(link_release)) { start(); }
  explicit World(const json& seeded) : sim(seeded) { start(); }
  void start() {
    bot.emplace(store.location(), sim.base_url(), bot_env);
    sim.set_webhook(bot->webhook_url(), kSecret);
  }

  // Acts as GitHub and waits until the bot handled the delivery; returns the delivery id.
  std::string send(const std::string& kind, const json& body) {
    const auto answer = sim.event(kind, body);
    const std::string id = answer.at("delivery").at("id").get<std::string>();
    INFO(answer.dump());
    CHECK(answer.at("delivery").at("status").get<int>() == 202);
    const std::string result = bot->wait_handled(id);
    INFO(bot->output());
    CHECK(result != "");
    CHECK(result != "failed");
    return id;
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
  // The latest deploy/approvals status of `sha` ({} when none).
  json approvals_status(const std::string& sha) const {
    const json combined = get("/repos/acme/app/commits/" + sha + "/status");
    for (const auto& s : combined.at("statuses")) {
      if (s.at("context") == "deploy/approvals") return s;  // the latest per context
    }
    return json::object();
  }
  json bot_comments(int issue) const {
    json out = json::array();
    for (const auto& c : get("/repos/acme/app/issues/" + std::to_string(issue) + "/comments?per_page=100")) {
      if (c.at("user").at("login") == "deploy-bot[bot]") out.push_back(c);
    }
    return out;
  }
  // The URL of the last comment `user` posted on `issue` with exactly this body ("" when none).
  std::string comment_url(int issue, const std::string& user, const std::string& body) const {
    std::string url;
    for (const auto& c : get("/repos/acme/app/issues/" + std::to_string(issue) + "/comments?per_page=100")) {
      if (c.at("user").at("login") == user && c.at("body") == body) url = c.at("html_url").get<std::string>();
    }
    return url;
  }
  // What a dispatched deploy-action run leaves on GitHub when it succeeds: a new production
  // deployment of `version` that went live, and the one it replaced marked inactive.
  void deployed(const std::string& version) {
    std::vector<long long> live;
    for (const auto& d : get("/repos/acme/app/deployments?environment=production&per_page=100")) {
      const auto id = d.at("id").get<long long>();
      const auto statuses = get("/repos/acme/app/deployments/" + std::to_string(id) + "/statuses");
      if (!statuses.empty() && statuses.at(0).at("state") == "success") live.push_back(id);
    }
    const auto created = sim.api("POST", "/repos/acme/app/deployments", kBotToken,
                                 {{"ref", version},
                                  {"environment", "production"},
                                  {"required_contexts", json::array()},
                                  {"payload", {{"deploy_action", {{"version", version}}}}}});
    INFO(created.body);
    REQUIRE(created.status == 201);
    const auto id = json::parse(created.body).at("id").get<long long>();
    auto status = [&](long long deployment, const char* state) {
      const auto answer = sim.api("POST", "/repos/acme/app/deployments/" + std::to_string(deployment) + "/statuses",
                                  kBotToken, {{"state", state}, {"auto_inactive", false}});
      INFO(answer.body);
      REQUIRE(answer.status == 201);
    };
    status(id, "success");
    for (const auto old : live) status(old, "inactive");
    // The runs the bot dispatched have completed (github-sim leaves them queued): GitHub says so.
    for (const auto& d : dispatches()) {
      complete_run(d.at("run_id").get<long long>());
    }
  }
  void complete_run(long long run_id) {
    sim.add_fault({{"method", "GET"},
                   {"path", "/repos/acme/app/actions/runs/" + std::to_string(run_id)},
                   {"count", 1000},
                   {"status", 200},
                   {"body", {{"id", run_id}, {"status", "completed"}, {"conclusion", "success"}}}});
  }
  json dispatches() const {
    const json state = sim.state();
    for (const auto& repo : state.at("repositories")) {
      if (repo.at("owner") == "acme" && repo.at("name") == "app")
        return repo.value("workflow_dispatches", json::array());
    }
    return json::array();
  }
  // GETs of `path_part` GitHub answered, with a body or 304 Not Modified (a conditional read of a
  // kept answer: sent all the same).
  int reads(const std::string& path_part) const {
    int n = 0;
    for (const auto& r : sim.requests()) {
      if (r.at("method") == "GET" && r.at("path").get<std::string>().find(path_part) != std::string::npos &&
          r.at("status").is_number() && (r.at("status").get<int>() < 300 || r.at("status").get<int>() == 304)) {
        ++n;
      }
    }
    return n;
  }
  int requests(const std::string& method, const std::string& path_part) const {
    int n = 0;
    for (const auto& r : sim.requests()) {
      if (r.at("method") == method && r.at("path").get<std::string>().find(path_part) != std::string::npos &&
          r.at("status").is_number() && r.at("status").get<int>() < 300) {
        ++n;
      }
    }
    return n;
  }

  TempDir dir;
  deploy::test::TestStore store{dir.db()};  // SQLite in dir, or PostgreSQL (DEPLOY_TEST_STORE)
  // On PostgreSQL a restarted bot takes back a dead one's claims only when their lease expires
  // (it cannot tell them from a live replica's): a short lease keeps the crash cases quick.
  std::map<std::string, std::string> bot_env =
      deploy::test::postgres_selected() ? std::map<std::string, std::string>{{"DEPLOY_BOT_LEASE_SECONDS", "12"}}
                                        : std::map<std::string, std::string>{};
  deploy::test::GithubSim sim;
  std::optional<Bot> bot;
};

bool any_body_contains(const json& comments, const std::string& text) {
  for (const auto& c : comments) {
    if (c.at("body").get<std::string>().find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("PR approvals: two distinct approvals turn deploy/approvals green; the others do not count") {
  World w;
  w.comment(kPull, "alice", "/approve");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "pending");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");

  struct Refused {
    std::string user, body, reason;
  };
  for (const auto& r : std::vector<Refused>{{"carol", "/approve", "author_cannot_approve"},
                                            {"dave", "/approve", "no_permission"},
                                            {"erin", "/approve", "no_permission"},
                                            {"alice", "/approve", "duplicate"}}) {
    CAPTURE(r.user);
    w.comment(kPull, r.user, r.body);
    CHECK(any_body_contains(w.bot_comments(kPull), "`" + r.reason + "`"));
    CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
  }
  const auto replies = w.bot_comments(kPull).size();
  // Not commands at all: quoted, in a code block, by a bot. No reply, no count.
  w.comment(kPull, "bob", "> /approve");
  w.comment(kPull, "bob", "```\n/approve\n```");
  w.comment(kPull, "renovate[bot]", "/approve");
  CHECK(w.bot_comments(kPull).size() == replies);
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");

  w.comment(kPull, "bob", "/approve");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "2/2 approvals");
  // Accepted commands got 👀.
  CHECK(w.requests("POST", "/reactions") >= 2);

  SUBCASE("a push makes the approvals stale, said once") {
    const auto id =
        w.send("pull_request", {{"repo", kRepo}, {"user", "carol"}, {"action", "synchronize"}, {"number", kPull}});
    const auto pr = w.get("/repos/acme/app/pulls/2");
    const std::string head = pr.at("head").at("sha");
    CHECK(head != kShaFeature);
    CHECK(w.approvals_status(head).value("description", "") == "0/2 approvals");
    CHECK(w.approvals_status(head).value("state", "") == "pending");
    CHECK(any_body_contains(w.bot_comments(kPull), "no longer count"));
    const auto before = w.bot_comments(kPull).size();
    w.sim.redeliver(id);
    CHECK(w.bot->wait_handled(id) != "");
    CHECK(w.bot_comments(kPull).size() == before);
  }
}

TEST_CASE("a person's issue with a copied tracking marker gathers no approvals") {
  World w;
  const auto created = w.sim.api(
      "POST", "/repos/acme/app/issues", kAliceToken,
      {{"title", "Release v1.2.0 (copy)"}, {"body", deploy::release::marker_line({"v1.2.0", kShaV12}) + "\n"}});
  REQUIRE(created.status == 201);
  const int copy = json::parse(created.body).at("number").get<int>();
  w.comment(copy, "alice", "/approve");
  w.comment(copy, "bob", "/approve");
  CHECK(w.bot_comments(copy).empty());
  CHECK(w.approvals_status(kShaV12).empty());
  CHECK(w.dispatches().empty());
}

TEST_CASE("tracking issue: the approval that completes the count dispatches the deploy once") {
  World w;
  // zed wrote the release commit: a release's author cannot approve it, as the action decides.
  w.comment(kTrackingIssue, "zed", "/approve");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "`author_cannot_approve`"));
  w.comment(kTrackingIssue, "alice", "/approve");
  CHECK(w.dispatches().empty());
  CHECK(w.approvals_status(kShaV12).value("description", "") == "1/2 approvals");
  const auto completing = w.comment(kTrackingIssue, "bob", "/approve");
  INFO(w.bot->output());
  REQUIRE(w.dispatches().size() == 1);
  // The same delivery again (GitHub's "redeliver") has no second effect.
  w.sim.redeliver(completing);
  w.comment(kTrackingIssue, "dave", "/help");  // handled after the redelivery
  CHECK(w.dispatches().size() == 1);
  const auto d = w.dispatches()[0];
  INFO(d.dump());
  // bob's approval completed the count: the run (whose actor is the bot) records him as requested_by.
  const std::string bob_url = w.comment_url(kTrackingIssue, "bob", "/approve");
  REQUIRE(!bob_url.empty());
  json inputs = d.at("inputs");
  CHECK(inputs.value("dispatch-id", "").starts_with("db-"));
  inputs.erase("dispatch-id");
  CHECK(inputs == json({{"environment", "production"},
                        {"version", "v1.2.0"},
                        {"mode", "deploy"},
                        {"requested-by", "bob"},
                        {"request-url", bob_url}}));
  CHECK(w.approvals_status(kShaV12).value("state", "") == "success");
  // A third approval and a redelivery change nothing.
  w.comment(kTrackingIssue, "carol", "/approve");
  CHECK(w.dispatches().size() == 1);

  // When the dispatched run completes, the tracking issue says how it ended, once.
  const json payload = {{"action", "completed"},
                        {"workflow_run",
                         {{"id", d.at("run_id")},
                          {"path", ".github/workflows/deploy.yml"},
                          {"conclusion", "success"},
                          {"head_branch", "main"},
                          {"html_url", "https://example.test/run"}}},
                        {"repository", w.get("/repos/acme/app")},
                        {"installation", {{"id", 42}}}};
  for (int i = 0; i < 2; ++i) {
    auto answer = w.sim.admin_json("POST", "/_sim/deliveries", {{"event", "workflow_run"}, {"payload", payload}});
    if (answer.contains("delivery")) answer = answer["delivery"];
    CHECK(w.bot->wait_handled(answer.at("id")) == "done");
  }
  int finished = 0;
  for (const auto& c : w.bot_comments(kTrackingIssue)) {
    if (c.at("body").get<std::string>().find("The deploy run for `v1.2.0` on `production` finished: **success**") !=
        std::string::npos)
      ++finished;
  }
  CHECK(finished == 1);
}

TEST_CASE("/rollback: allowed dispatches with the right inputs; read-only and unknown versions are refused") {
  World w;
  w.comment(kTrackingIssue, "alice", "/rollback v1.1.0 bad latency");
  REQUIRE(w.dispatches().size() == 1);
  // The run's actor is the bot: who asked, and where, go with it.
  const std::string url = w.comment_url(kTrackingIssue, "alice", "/rollback v1.1.0 bad latency");
  REQUIRE(url.find("/acme/app/issues/1#issuecomment-") != std::string::npos);
  json inputs = w.dispatches()[0].at("inputs");
  CHECK(inputs.value("dispatch-id", "").starts_with("db-"));  // finds the run if the answer is lost
  inputs.erase("dispatch-id");
  CHECK(inputs == json({{"environment", "production"},
                        {"mode", "rollback"},
                        {"version", "v1.1.0"},
                        {"reason", "bad latency"},
                        {"requested-by", "alice"},
                        {"request-url", url}}));
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "rolling back `production` from `v1.2.0` to `v1.1.0`"));

  w.comment(kTrackingIssue, "dave", "/rollback");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "`no_permission`"));
  w.comment(kTrackingIssue, "alice", "/rollback v9.9.9");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "`version_never_deployed`"));
  CHECK(w.dispatches().size() == 1);
}

TEST_CASE("/rollback twice without a version: the second goes further back, never forward") {
  World w;  // production ran v1.0.0, v1.1.0, and runs v1.2.0
  w.comment(kTrackingIssue, "alice", "/rollback");
  REQUIRE(w.dispatches().size() == 1);
  CHECK(w.dispatches()[0].at("inputs").at("version") == "v1.1.0");
  w.deployed("v1.1.0");  // the dispatched run went through

  // v1.1.0 runs now, in a deployment newer than v1.2.0's: the next version back is v1.0.0.
  w.comment(kTrackingIssue, "alice", "/rollback");
  REQUIRE(w.dispatches().size() == 2);
  CHECK(w.dispatches()[1].at("inputs").at("version") == "v1.0.0");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "rolling back `production` from `v1.1.0` to `v1.0.0`"));
  w.deployed("v1.0.0");

  // Nothing older went live: refused, nothing dispatched.
  w.comment(kTrackingIssue, "alice", "/rollback");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "`no_previous_version`"));
  CHECK(w.dispatches().size() == 2);
}

TEST_CASE("a workflow that does not declare requested-by and request-url still gets its rollback") {
  World w;
  // GitHub refuses a dispatch naming inputs the workflow does not declare, and dispatches nothing.
  w.sim.add_fault(
      {{"method", "POST"},
       {"path", "/repos/acme/app/actions/workflows/deploy.yml/dispatches"},
       {"count", 1},
       {"status", 422},
       {"body",
        {{"message", "Unexpected inputs provided: [\"request-url\", \"requested-by\"]"},
         {"documentation_url", "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"}}}});
  w.comment(kTrackingIssue, "alice", "/rollback v1.1.0");
  REQUIRE(w.dispatches().size() == 1);
  CHECK(w.dispatches()[0].at("inputs") ==
        json({{"environment", "production"}, {"mode", "rollback"}, {"version", "v1.1.0"}}));
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "rolling back `production` from `v1.2.0` to `v1.1.0`"));
  CHECK(w.bot->output().find("dispatch_without_requester") != std::string::npos);
}

TEST_CASE("/status answers with the table; /help and unknown words with the help") {
  World w;
  w.comment(kTrackingIssue, "bob", "/approve");
  w.comment(kTrackingIssue, "dave", "/status");
  const auto comments = w.bot_comments(kTrackingIssue);
  CHECK(any_body_contains(comments,
                          "| Environment | Deployed now | SHA | Since | By | Approvals | Still needed | Rollback |"));
  CHECK(any_body_contains(comments, "| `production` | `v1.2.0` | `3333333` |"));
  CHECK(any_body_contains(comments, "1/2 `@bob`"));
  // A second /status edits the same sticky comment in place.
  const auto before = w.bot_comments(kTrackingIssue).size();
  w.comment(kTrackingIssue, "alice", "/status");
  CHECK(w.bot_comments(kTrackingIssue).size() == before);
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "_Last asked by `@alice`._"));
  w.comment(kTrackingIssue, "dave", "/frobnicate");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "/rollback"));
}

// A job of run `run_id` waiting on the bot's protection rule: its gate (state, reviews).
json gate_of(const World& w, std::int64_t run_id) {
  const json state = w.sim.state();
  for (const auto& repo : state.at("repositories")) {
    for (const auto& run : repo.value("workflow_runs", json::array())) {
      if (run.at("id") == run_id) return run.at("protection_rules").at(0);
    }
  }
  return json::object();
}

// A tag push's job for `tag` waiting on production; returns the run id once the bot handled it.
std::int64_t waiting_run(World& w, const std::string& tag) {
  auto answer = w.sim.event("deployment_protection_rule",
                            {{"repo", kRepo}, {"environment", "production"}, {"user", "alice"}, {"ref", tag}});
  INFO(answer.dump());
  const std::string delivery = answer.at("delivery").at("id");
  CHECK(w.bot->wait_handled(delivery) == "done");
  return answer.at("workflow_run").at("id").get<std::int64_t>();
}

TEST_CASE(
    "protection rule: n of N on the waiting run as approvals arrive, approved at the count, never by who started the "
    "run") {
  // Production runs v1.1.0, so v1.2.0 is a release the action would deploy.
  json seeded = seed(true);
  auto& deployments = seeded["repositories"][0]["deployments"];
  deployments.erase(2);
  deployments[1]["statuses"] = {{{"state", "success"}}};
  World w(seeded);
  const auto run_id = waiting_run(w, "v1.2.0");
  auto reviews = [&] { return gate_of(w, run_id).value("reviews", json::array()); };
  // Told at once: none yet, two needed, who may give them, and where.
  REQUIRE(reviews().size() == 1);
  CHECK(reviews()[0].at("state").is_null());
  const std::string first = reviews()[0].at("comment");
  CHECK(first.find("0 of 2 approvals for `3333333`") != std::string::npos);
  CHECK(first.find("other than zed (author)") != std::string::npos);
  CHECK(first.find("`/approve` on #1") != std::string::npos);
  CHECK(gate_of(w, run_id).at("state") == "pending");

  // alice started the run: the action in that job would not count her, so neither does the bot,
  // and it says why; the run hears nothing new.
  w.comment(kTrackingIssue, "alice", "/approve");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "`triggerer_cannot_approve`"));
  CHECK(w.approvals_status(kShaV12).value("description", "") == "0/2 approvals");
  CHECK(reviews().size() == 1);

  w.comment(kTrackingIssue, "bob", "/approve");
  REQUIRE(reviews().size() == 2);
  const std::string second = reviews()[1].at("comment");
  CHECK(second.find("1 of 2 approvals for `3333333` so far (bob)") != std::string::npos);
  CHECK(second.find("bob (already approved)") != std::string::npos);
  CHECK(gate_of(w, run_id).at("state") == "pending");
  CHECK(w.approvals_status(kShaV12).value("description", "") == "1/2 approvals");
  // The same count again (a second /approve by bob, answered as a duplicate on the issue) says
  // nothing new on the run.
  w.comment(kTrackingIssue, "bob", "/approve");
  CHECK(reviews().size() == 2);
  CHECK_FALSE(any_body_contains(w.bot_comments(kTrackingIssue), "of 2 approvals"));

  w.comment(kTrackingIssue, "carol", "/approve");
  CHECK(eventually([&] { return gate_of(w, run_id).at("state") == "approved"; }));
  REQUIRE(reviews().size() == 3);
  CHECK(reviews()[2].at("state") == "approved");
  CHECK(reviews()[2].at("comment").get<std::string>().find("2/2 approvals") != std::string::npos);
  CHECK(w.dispatches().empty());  // the waiting run was approved instead of a second deploy
}

TEST_CASE("protection rule: a release the action would refuse is rejected with the action's reason") {
  json seeded = seed(true);
  auto& tags = seeded["repositories"][0]["tags"];
  tags["v1.3"] = kShaV12;        // matches v*, not semver
  tags["v1.3.0"] = kShaFeature;  // on the feature branch only
  World w(seeded);               // production runs v1.2.0
  struct Case {
    std::string tag, reason, says;
  };
  for (const auto& c :
       std::vector<Case>{{"v1.1.0", "not_newer",
                          "v1.1.0 is not newer than v1.2.0, now deployed to production; to go back, use mode rollback"},
                         {"v1.2.0", "not_newer", "v1.2.0 is not newer than v1.2.0"},
                         {"v1.3", "not_semver", "tag v1.3 is not a semver release tag"},
                         {"v1.3.0", "tag_off_default_branch",
                          "tag v1.3.0 points at 4444444, which is not on the default branch main"}}) {
    CAPTURE(c.tag);
    const auto run_id = waiting_run(w, c.tag);
    const json gate = gate_of(w, run_id);
    INFO(gate.dump());
    CHECK(gate.at("state") == "rejected");
    REQUIRE(gate.at("reviews").size() == 1);
    const std::string said = gate.at("reviews")[0].at("comment");
    CHECK(said.find(c.says) != std::string::npos);
    CHECK(said.find("(`" + c.reason + "`)") != std::string::npos);
  }
  // Approvals that complete the count later do not undo a rejection, nor dispatch a deploy.
  // (alice started the waiting runs, so she may not approve them.)
  w.comment(kTrackingIssue, "bob", "/approve");
  w.comment(kTrackingIssue, "carol", "/approve");
  CHECK(w.dispatches().empty());
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue),
                          "stays rejected: Rejected: deploy-action would refuse this release"));
  CHECK_FALSE(any_body_contains(w.bot_comments(kTrackingIssue), "was approved"));
}

TEST_CASE("a committer of a pull request who is not its author cannot approve it, and is told why") {
  json state = seed();
  // bob committed carol's feature commit (a fixup pushed to her branch): he wrote part of the change.
  for (auto& commit : state["repositories"][0]["commits"]) {
    if (commit.at("sha") == kShaFeature) commit["committer"] = "bob";
  }
  World w(state);
  w.comment(kPull, "bob", "/approve");
  CHECK(any_body_contains(w.bot_comments(kPull), "`committer_cannot_approve`"));
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "0/2 approvals");
  w.comment(kPull, "alice", "/approve");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
}

TEST_CASE("one rollback at a time: two /rollback comments a second apart dispatch one rollback") {
  World w;
  // Both arrive before either is handled, as two comments a second apart do.
  const auto first = w.sim.event(
      "issue_comment", {{"repo", kRepo}, {"issue", kTrackingIssue}, {"user", "alice"}, {"body", "/rollback"}});
  w.sim.advance_clock(1s);
  const auto second = w.sim.event("issue_comment",
                                  {{"repo", kRepo}, {"issue", kTrackingIssue}, {"user", "bob"}, {"body", "/rollback"}});
  CHECK(w.bot->wait_handled(first.at("delivery").at("id")) == "done");
  CHECK(w.bot->wait_handled(second.at("delivery").at("id")) == "done");
  INFO(w.bot->output());
  CHECK(w.requests("POST", "/actions/workflows/deploy.yml/dispatches") == 1);
  REQUIRE(w.dispatches().size() == 1);
  const auto run =
      w.get("/repos/acme/app/actions/runs/" + std::to_string(w.dispatches()[0].at("run_id").get<long long>()));
  const std::string run_url = run.at("html_url");
  bool refused = false;
  for (const auto& c : w.bot_comments(kTrackingIssue)) {
    const std::string body = c.at("body");
    if (body.find("already in progress") != std::string::npos &&
        body.find("`rollback_in_progress`") != std::string::npos && body.find(run_url) != std::string::npos) {
      refused = true;
    }
  }
  CHECK(refused);

  // Once GitHub says the run completed, the next /rollback is dispatched.
  w.deployed("v1.1.0");
  w.comment(kTrackingIssue, "alice", "/rollback");
  CHECK(w.dispatches().size() == 2);
}

TEST_CASE("/rollback while a deploy of the environment is running: already in progress, with the run's link") {
  World w;
  const auto created =
      w.sim.api("POST", "/repos/acme/app/deployments", kBotToken,
                {{"ref", "v1.2.0"}, {"environment", "production"}, {"required_contexts", json::array()}});
  REQUIRE(created.status == 201);
  const auto id = json::parse(created.body).at("id").get<long long>();
  const auto status =
      w.sim.api("POST", "/repos/acme/app/deployments/" + std::to_string(id) + "/statuses", kBotToken,
                {{"state", "in_progress"}, {"log_url", "https://github.example/acme/app/actions/runs/77"}});
  REQUIRE(status.status == 201);
  w.comment(kTrackingIssue, "alice", "/rollback v1.1.0");
  CHECK(w.dispatches().empty());
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "`deploy_in_progress`"));
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "https://github.example/acme/app/actions/runs/77"));
}

TEST_CASE("a 502 on a write is retried and the comment lands once") {
  World w;
  w.sim.add_fault({{"method", "POST"}, {"path", "/repos/acme/app/issues/1/comments"}, {"count", 1}, {"status", 502}});
  const auto answer =
      w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kTrackingIssue}, {"user", "alice"}, {"body", "/help"}});
  const std::string id = answer.at("delivery").at("id");
  CHECK(w.bot->wait_handled(id, 30s) == "done");
  CHECK(w.bot_comments(kTrackingIssue).size() == 1);
  int failed_posts = 0;
  for (const auto& r : w.sim.requests()) {
    if (r.at("method") == "POST" && r.at("path") == "/repos/acme/app/issues/1/comments" && r.at("status") == 502)
      ++failed_posts;
  }
  CHECK(failed_posts == 1);
  CHECK(w.requests("POST", "/repos/acme/app/issues/1/comments") == 1);
  INFO(w.bot->output());
  CHECK(w.bot->output().find("\"delivery_retry\"") != std::string::npos);
}

TEST_CASE("a secondary rate limit on a write is waited out and the effect happens once") {
  World w;
  w.sim.add_fault({{"method", "POST"},
                   {"path", "/repos/acme/app/statuses"},
                   {"count", 1},
                   {"rate_limit", {{"status", 403}, {"retry_after", 1}}}});
  w.comment(kPull, "alice", "/approve");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
  CHECK(w.requests("POST", "/repos/acme/app/statuses/") == 1);
}

// Issue 13, finding 5: each decision re-read every earlier approver's permission.
TEST_CASE("a delivery reads each approver's permission once, however many decisions it makes") {
  World w;
  w.comment(kTrackingIssue, "alice", "/approve");
  const int before = w.reads("/repos/acme/app/collaborators/alice/permission");
  CHECK(before == 1);
  // One comment, two decisions over the same approvals: the count for /approve and the /status table.
  w.comment(kTrackingIssue, "dave", "/approve\n/status");
  INFO(w.bot->output());
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "| Environment |"));
  // Asked once in this delivery (conditionally: the answer is kept from the first delivery).
  CHECK(w.reads("/repos/acme/app/collaborators/alice/permission") == before + 1);
  CHECK(w.reads("/repos/acme/app/collaborators/dave/permission") == 1);
}

TEST_CASE("with 5xx, dropped connections and rate limits on a share of calls, every effect lands once") {
  World w;
  // A share of the calls fail, of every kind the bot makes: reads, comments, statuses, reactions.
  const json faults = json::array({
      {{"method", "GET"}, {"path", "/repos/acme/app/collaborators"}, {"count", 2}, {"status", 503}},
      {{"method", "GET"}, {"path", "/repos/acme/app/pulls"}, {"count", 1}, {"drop", true}},
      {{"method", "POST"}, {"path", "/repos/acme/app/issues/2/comments"}, {"count", 2}, {"status", 502}},
      {{"method", "POST"}, {"path", "/repos/acme/app/issues/comments"}, {"count", 1}, {"drop", true}},
      {{"method", "POST"},
       {"path", "/repos/acme/app/statuses"},
       {"count", 1},
       {"rate_limit", {{"status", 429}, {"retry_after", 1}}}},
      {{"method", "POST"}, {"path", "/repos/acme/app/statuses"}, {"count", 1}, {"status", 500}},
  });
  for (const auto& fault : faults) w.sim.add_fault(fault);

  std::vector<std::string> ids;
  for (const auto& [user, body] : std::vector<std::pair<std::string, std::string>>{{"alice", "/approve"},
                                                                                   {"dave", "/approve"},
                                                                                   {"bob", "/approve"},
                                                                                   {"alice", "/status"},
                                                                                   {"carol", "/help"}}) {
    ids.push_back(w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", user}, {"body", body}})
                      .at("delivery")
                      .at("id"));
  }
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(w.bot->wait_handled(id, 60s) == "done");
  }
  INFO(w.bot->output());
  // Every fault was met, and yet: two approvals counted, dave refused once, one /status table and
  // one help reply; no comment twice.
  CHECK(w.sim.admin_json("GET", "/_sim/faults").size() == 0);
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "2/2 approvals");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");
  const auto comments = w.bot_comments(kPull);
  int refusals = 0, tables = 0, helps = 0;
  std::set<std::string> bodies;
  for (const auto& c : comments) {
    const std::string body = c.at("body");
    CHECK(bodies.insert(body).second);  // never the same comment twice
    if (body.find("`no_permission`") != std::string::npos) ++refusals;
    if (body.find("| Environment |") != std::string::npos) ++tables;
    if (body.find("/rollback") != std::string::npos && body.find("| Environment |") == std::string::npos) ++helps;
  }
  CHECK(refusals == 1);
  CHECK(tables == 1);
  CHECK(helps >= 1);
}

TEST_CASE("SIGKILL with deliveries in flight, then a restart: nothing lost, nothing doubled") {
  World w;
  // The first delivery's config fetch hangs, so the bot dies with deliveries in flight.
  w.sim.add_fault({{"method", "GET"}, {"path", "/repos/acme/app/contents"}, {"count", 1}, {"delay_ms", 3000}});
  std::vector<std::string> ids;
  for (const auto& user : {"alice", "bob", "carol"}) {
    auto answer =
        w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", user}, {"body", "/frobnicate"}});
    ids.push_back(answer.at("delivery").at("id"));
  }
  // The fault is used up once the bot's request is being answered (slowly).
  CHECK(
      eventually([&] { return w.sim.admin_json("GET", "/_sim/faults").dump().find("delay_ms") == std::string::npos; }));
  w.bot->stop(SIGKILL);
  // What the first bot finished before it died; the rest is the restarted bot's to do.
  const std::string before = w.bot->output();
  w.start();
  INFO(w.bot->output());
  int restarted_handled = 0;
  for (const auto& id : ids) {
    CAPTURE(id);
    const bool done_before = before.find("\"delivery_handled\",\"delivery\":\"" + id) != std::string::npos;
    if (done_before) continue;
    CHECK(w.bot->wait_handled(id, 30s) == "done");
    ++restarted_handled;
  }
  CHECK(restarted_handled >= 1);  // at least the one in flight when it was killed
  // One help reply per comment, and redelivering them all changes nothing.
  CHECK(eventually([&] { return w.bot_comments(kPull).size() == 3; }));
  for (const auto& id : ids) w.sim.redeliver(id);
  w.comment(kPull, "alice", "/approve");  // a marker that the queue got past the redeliveries
  CHECK(w.bot_comments(kPull).size() == 3);
}

TEST_CASE("every webhook example is acknowledged and the worker survives them") {
  World w;
  for (const auto& entry : fs::directory_iterator(DEPLOY_WEBHOOK_EXAMPLES_DIR)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json") continue;
    CAPTURE(name);
    const std::string event = name.substr(0, name.find('.'));
    std::ifstream in(entry.path());
    json payload = json::parse(in);
    auto answer = w.sim.admin_json("POST", "/_sim/deliveries", {{"event", event}, {"payload", payload}});
    if (answer.contains("delivery")) answer = answer["delivery"];
    INFO(answer.dump());
    const auto status = answer.at("status").get<int>();
    CHECK(status >= 200);
    CHECK(status < 300);
    const std::string id = answer.at("id");
    CHECK(w.bot->wait_handled(id, 30s) != "");
  }
  CHECK_FALSE(w.bot->finished());
  w.comment(kPull, "alice", "/approve");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
}

// Runs `deploy-bot ARGS...` to completion; returns the result and its output.
std::pair<proc::Result, std::string> run_bot_command(const std::vector<std::string>& args) {
  proc::Spec spec;
  spec.argv = {DEPLOY_BOT_BINARY};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.unset_env = {"DEPLOY_BOT_STORE"};
  spec.timeout = 30s;
  std::string output;
  auto result = proc::run(spec, [&](const std::string& line) { output += line + "\n"; });
  return {result, output};
}

TEST_CASE("release.published opens the tracking issue once; the audit trail and deliveries are readable offline") {
  World w;
  const auto release_delivery =
      w.send("release", {{"repo", kRepo}, {"tag_name", "v1.3.0"}, {"user", "alice"}, {"target_commitish", "main"}});
  // Found the way the action finds it: the release's link line names the issue.
  const auto release = w.get("/repos/acme/app/releases/tags/v1.3.0");
  const auto linked = deploy::release::find_release_link(release.at("body").get<std::string>());
  REQUIRE(linked.has_value());
  const auto issue = w.get("/repos/acme/app/issues/" + std::to_string(*linked));
  CHECK(issue.at("title") == "Release v1.3.0");
  auto tracking_issues = [&] { return w.requests("POST", "/repos/acme/app/issues") - w.requests("POST", "/comments"); };
  CHECK(tracking_issues() == 1);
  const auto marker = deploy::release::find_marker(issue.at("body").get<std::string>());
  REQUIRE(marker.has_value());
  CHECK(marker->tag == "v1.3.0");
  CHECK(marker->sha == kShaV12);
  w.sim.redeliver(release_delivery);
  CHECK(w.bot->wait_handled(release_delivery) != "");
  CHECK(tracking_issues() == 1);

  const auto approve = w.comment(kTrackingIssue, "alice", "/approve");
  w.comment(kTrackingIssue, "dave", "/rollback");

  const auto stopped = w.bot->stop(SIGTERM);
  CHECK(stopped.end == proc::Result::End::exited);
  CHECK(stopped.exit_code == 0);

  const std::string store = w.store.location();
  // References, not a structured binding: clang 14 (clang-tidy) cannot capture one in INFO's lambda.
  const auto verified = run_bot_command({"audit", "verify", "--store", store});
  const proc::Result& verify = verified.first;
  const std::string& verify_out = verified.second;
  INFO(verify_out);
  CHECK(verify.exit_code == 0);
  CHECK(verify_out == "ok: 2 records, hash chain intact\n");

  auto [exported, export_out] = run_bot_command({"audit", "export", "--store", store});
  CHECK(exported.exit_code == 0);
  auto lines = deploy::audit::parse_jsonl(export_out);
  REQUIRE(lines);
  REQUIRE(lines->records.size() == 2);
  CHECK(lines->records[0].at("kind") == "approval_decision");
  CHECK(lines->records[0].at("actor") == "alice");
  CHECK(lines->records[0].at("approvals").at(0).at("permission") == "admin");
  CHECK(lines->records[0].at("outcome").at("reason") == "approvals_missing");
  CHECK(lines->records[1].at("kind") == "rollback_decision");
  CHECK(lines->records[1].at("actor") == "dave");
  CHECK(lines->records[1].at("outcome").at("status") == "refused");
  CHECK(lines->records[1].at("outcome").at("reason") == "no_permission");
  CHECK(deploy::audit::verify_chain(lines->records).ok);

  auto [listed, list_out] = run_bot_command({"deliveries", "list", "--store", store, "--state", "done"});
  CHECK(listed.exit_code == 0);
  CHECK(list_out.find("\"delivery_id\":\"" + approve + "\"") != std::string::npos);
  CHECK(list_out.find("\"state\":\"done\"") != std::string::npos);
  auto [bad, bad_out] = run_bot_command({"deliveries", "list", "--store", store, "--state", "bogus"});
  CHECK(bad.exit_code == 2);

  // The whole store, exported, and (a SQLite store, with a test server at hand) moved to
  // PostgreSQL: the audit chain verifies there too, and a second copy is refused.
  auto [dumped, dump_out] = run_bot_command({"store", "export", "--store", store});
  CHECK(dumped.exit_code == 0);
  CHECK(dump_out.find("\"table\":\"deliveries\"") != std::string::npos);
  CHECK(dump_out.find("\"table\":\"audit\"") != std::string::npos);
  CHECK(dump_out.find("\"body_hex\":\"7b") != std::string::npos);  // bodies as hex: "{..."
  if (w.store.postgres() || !deploy::test::postgres_server()) {
    const std::string why =
        w.store.postgres() ? "the store is PostgreSQL already" : "DEPLOY_TEST_POSTGRES_URL is not set";
    MESSAGE("store copy to PostgreSQL not tried: " << why);
    return;
  }
  deploy::test::TestDatabase target;
  // Not a structured binding: INFO captures it in a lambda, which clang's C++20 does not allow.
  const auto copy_run = run_bot_command({"store", "copy", "--from", store, "--to", target.url()});
  const auto& copied = copy_run.first;
  const std::string& copy_out = copy_run.second;
  INFO(copy_out);
  CHECK(copied.exit_code == 0);
  CHECK(copy_out.find("audit: 2 rows") != std::string::npos);
  const auto moved = run_bot_command({"audit", "verify", "--store", target.url()});
  CHECK(moved.first.exit_code == 0);
  CHECK(moved.second == "ok: 2 records, hash chain intact\n");
  auto [moved_list, moved_list_out] =
      run_bot_command({"deliveries", "list", "--store", target.url(), "--state", "done"});
  CHECK(moved_list_out.find("\"delivery_id\":\"" + approve + "\"") != std::string::npos);
  const auto again = run_bot_command({"store", "copy", "--from", store, "--to", target.url()});
  CHECK(again.first.exit_code == 1);
  CHECK(again.second.find("not empty") != std::string::npos);
  const auto migrated = run_bot_command({"store", "migrate", "--store", target.url()});
  CHECK(migrated.first.exit_code == 0);
  CHECK(migrated.second.find("postgres://postgres@") != std::string::npos);
}

TEST_CASE("approving reviews count when count_reviews is set, and a dismissal withdraws one") {
  World w;
  w.send("pull_request_review", {{"repo", kRepo}, {"pull", kPull}, {"user", "alice"}, {"state", "approved"}});
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
  w.send("pull_request_review", {{"repo", kRepo}, {"pull", kPull}, {"user", "dave"}, {"state", "commented"}});
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
  const auto answer =
      w.sim.event("pull_request_review", {{"repo", kRepo}, {"pull", kPull}, {"user", "bob"}, {"state", "approved"}});
  INFO(answer.dump());
  CHECK(w.bot->wait_handled(answer.at("delivery").at("id")) == "done");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "2/2 approvals");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");
  w.send("pull_request_review", {{"repo", kRepo},
                                 {"pull", kPull},
                                 {"user", "bob"},
                                 {"action", "dismissed"},
                                 {"review_id", answer.at("review").at("id")}});
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
}

TEST_CASE("commit comments: /approve binds to the commit; a refusal is answered on the commit") {
  World w;
  w.send("commit_comment", {{"repo", kRepo}, {"sha", kShaV12}, {"user", "dave"}, {"body", "/approve"}});
  const auto comments = w.get("/repos/acme/app/commits/" + kShaV12 + "/comments");
  REQUIRE(comments.size() == 2);
  CHECK(comments[1].at("user").at("login") == "deploy-bot[bot]");
  CHECK(comments[1].at("body").get<std::string>().find("`no_permission`") != std::string::npos);
  w.send("commit_comment", {{"repo", kRepo}, {"sha", kShaV12}, {"user", "alice"}, {"body", "/approve"}});
  CHECK(w.approvals_status(kShaV12).value("description", "") == "1/2 approvals");
  // The tracking issue of that commit sees the commit's approval too.
  w.comment(kTrackingIssue, "bob", "/approve");
  CHECK(w.approvals_status(kShaV12).value("description", "") == "2/2 approvals");
  CHECK(w.dispatches().size() == 1);
}

TEST_CASE("an edited /approve stops counting and the status drops") {
  World w;
  w.comment(kPull, "alice", "/approve");
  const auto bob =
      w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", "bob"}, {"body", "/approve"}});
  CHECK(w.bot->wait_handled(bob.at("delivery").at("id")) == "done");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "2/2 approvals");
  INFO(bob.dump());
  const auto comment_id = bob.contains("comment") ? bob.at("comment").at("id") : bob.at("issue_comment").at("id");
  w.send("issue_comment", {{"repo", kRepo},
                           {"issue", kPull},
                           {"user", "bob"},
                           {"action", "edited"},
                           {"comment_id", comment_id},
                           {"body", "/approve (edited)"}});
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "pending");
  // /approve cancel withdraws alice's approval.
  w.comment(kPull, "alice", "/approve cancel");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "0/2 approvals");
}

TEST_CASE("a push that breaks deploy.yml on the default branch: commands get a reply naming file, line and key") {
  World w;
  w.comment(kTrackingIssue, "alice", "/approve");  // caches the good config
  CHECK(w.approvals_status(kShaV12).value("description", "") == "1/2 approvals");
  std::string broken = kDeployYml;
  const std::string good = "approvals: {required: 2, count_reviews: true}";
  broken.replace(broken.find(good), good.size(), "approvals: {requierd: 2}");
  const auto push = w.send("push", {{"repo", kRepo},
                                    {"ref", "main"},
                                    {"user", "alice"},
                                    {"commits", {{{"message", "typo"}, {"files", {{".github/deploy.yml", broken}}}}}}});
  CHECK(w.bot->wait_handled(push) == "done");  // the cached config was refreshed
  w.comment(kTrackingIssue, "bob", "/approve");
  const auto comments = w.bot_comments(kTrackingIssue);
  CHECK(any_body_contains(comments, ".github/deploy.yml:"));
  CHECK(any_body_contains(comments, "requierd"));
  CHECK(w.dispatches().empty());  // nothing acts on a broken config
}

// Issue 13, finding 4: GitHub answered slower than the bot waited, so the bot's retry looked for
// its reply before it showed, and posted it again.
TEST_CASE("a GitHub slower than the bot's timeout: one reply") {
  World w;
  w.sim.add_fault({{"method", "POST"}, {"path", "/repos/acme/app/issues/1/comments"}, {"count", 1}, {"late_ms", 3000}});
  // dave may not approve: a refusal reply, whose request is answered never and carried out three
  // seconds later.
  const auto id =
      w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kTrackingIssue}, {"user", "dave"}, {"body", "/approve"}})
          .at("delivery")
          .at("id");
  CHECK(w.bot->wait_handled(id, 90s) == "done");
  INFO(w.bot->output());
  CHECK(w.sim.admin_json("GET", "/_sim/faults").size() == 0);
  CHECK(eventually([&] { return w.bot_comments(kTrackingIssue).size() >= 1; }));
  std::this_thread::sleep_for(4s);  // the late request has landed by now, whatever the bot did
  CHECK(w.bot_comments(kTrackingIssue).size() == 1);
}

// Issue 13, finding 4: a status whose answer came too late was set again by the client's own retry
// and by the bot's, leaving extra entries in the commit's statuses.
TEST_CASE("a GitHub slower than the bot's timeout: one approvals status, not three") {
  World w;
  w.sim.add_fault({{"method", "POST"}, {"path", "/repos/acme/app/statuses"}, {"count", 1}, {"late_ms", 3000}});
  const auto id =
      w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", "alice"}, {"body", "/approve"}})
          .at("delivery")
          .at("id");
  CHECK(w.bot->wait_handled(id, 90s) == "done");
  INFO(w.bot->output());
  std::this_thread::sleep_for(4s);  // the late request has landed by now, whatever the bot did
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
  int entries = 0;
  const json state = w.sim.state();  // kept: a range over a temporary's member would dangle
  for (const auto& repo : state.at("repositories")) {
    for (const auto& status : repo.value("statuses", json::array())) {
      if (status.value("context", "") == "deploy/approvals") ++entries;
    }
  }
  CHECK(entries == 1);
}

// Issue 13, finding 1: every acknowledged command has its effect exactly once, or a reply that
// says plainly it could not be done; and neither replies nor the audit trail claim an effect GitHub
// did not confirm. One row per (effect kind x fault x moment); each row gets a fresh bot and sim.
TEST_CASE("effects under GitHub faults: exactly once, or a reply that says it could not be done") {
  const std::string dispatch_path = "/repos/acme/app/actions/workflows/deploy.yml/dispatches";
  const std::string reply_path = "/repos/acme/app/issues/1/comments";
  struct Kind {
    std::string name;
    std::map<std::string, std::pair<std::string, std::string>> moments;  // moment -> (method, path) the fault hits
  };
  const std::vector<Kind> kinds = {
      {"rollback",
       {{"before", {"GET", "/repos/acme/app/deployments"}},
        {"at", {"POST", dispatch_path}},
        {"after", {"POST", reply_path}}}},
      {"deploy",
       {{"before", {"POST", "/repos/acme/app/statuses"}},
        {"at", {"POST", dispatch_path}},
        {"after", {"POST", reply_path}}}},
      {"reply", {{"before", {"GET", "/repos/acme/app/contents"}}, {"at", {"POST", reply_path}}}},
  };
  const std::vector<std::pair<std::string, json>> faults = {
      {"502", {{"status", 502}}},
      {"429", {{"rate_limit", {{"status", 429}, {"retry_after", 1}}}}},
      // Every attempt the client allows one call (4) is rate limited: the call fails with a 429.
      {"429 x4", {{"rate_limit", {{"status", 429}, {"retry_after", 1}}}, {"count", 4}}},
      {"drop", {{"drop", true}}},
      // The request lands and its answer is lost (a timeout): the dispatch is found by its
      // dispatch-id, the reply and the status by their keys; nothing is done twice.
      {"answer lost", {{"drop_after", true}}},
  };
  for (const auto& kind : kinds) {
    // References, not structured bindings: clang 14 (clang-tidy) cannot capture those in CAPTURE's lambda.
    for (const auto& fault_entry : faults) {
      const std::string& fault_name = fault_entry.first;
      const json& fault = fault_entry.second;
      for (const auto& moment_entry : kind.moments) {
        const std::string& moment = moment_entry.first;
        const auto& target = moment_entry.second;
        CAPTURE(kind.name);
        CAPTURE(fault_name);
        CAPTURE(moment);
        World w;
        json spec = fault;
        spec["method"] = target.first;
        spec["path"] = target.second;
        if (!spec.contains("count")) spec["count"] = 1;
        std::vector<std::string> ids;
        auto command = [&](const std::string& user, const std::string& body) {
          ids.push_back(
              w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kTrackingIssue}, {"user", user}, {"body", body}})
                  .at("delivery")
                  .at("id"));
          CHECK(w.bot->wait_handled(ids.back(), 60s) == "done");
        };
        if (kind.name == "deploy") command("alice", "/approve");
        w.sim.add_fault(spec);
        if (kind.name == "rollback") command("alice", "/rollback v1.1.0");
        if (kind.name == "deploy") command("bob", "/approve");
        if (kind.name == "reply") command("dave", "/help");
        // A later command on the same thread must not report an effect that did not happen.
        if (kind.name == "deploy") command("carol", "/approve");
        INFO(w.bot->output());
        CHECK(w.sim.admin_json("GET", "/_sim/faults").size() == 0);  // the fault was met

        const auto comments = w.bot_comments(kTrackingIssue);
        std::set<std::string> bodies;
        for (const auto& c : comments) CHECK(bodies.insert(c.at("body").get<std::string>()).second);  // no reply twice
        const bool said_not_done = any_body_contains(comments, "could not");
        if (kind.name == "reply") {
          CHECK(comments.size() == 1);
          continue;
        }
        const auto dispatched = w.dispatches().size();
        CHECK(dispatched <= 1);
        // A request whose answer was lost did happen: the bot must find it and say so.
        if (fault_name == "answer lost" && moment == "at") CHECK(dispatched == 1);
        const std::string success_text = kind.name == "rollback" ? "rolling back `production`" : "has started";
        if (dispatched == 1) {
          CHECK(any_body_contains(comments, success_text));
        } else {
          CHECK(said_not_done);
          CHECK_FALSE(any_body_contains(comments, success_text));
        }
        // The audit trail states a dispatch only when there is one.
        w.bot->stop(SIGTERM);
        auto [exported, export_out] = run_bot_command({"audit", "export", "--store", w.store.location()});
        CHECK(exported.exit_code == 0);
        auto lines = deploy::audit::parse_jsonl(export_out);
        REQUIRE(lines);
        int claimed = 0;
        for (const auto& record : lines->records) {
          const bool dispatch_record = record.at("kind") == (kind.name == "rollback" ? "rollback_decision" : "deploy");
          if (dispatch_record && record.at("outcome").at("status") == "success") ++claimed;
        }
        CHECK(claimed == static_cast<int>(dispatched));
      }
    }
  }
}

// --- /reject, approval rules and freeze windows (issue 17) --------------------------------------

namespace {

// The seed with .github/deploy.yml's production approvals replaced by `production` (its lines).
json seed_with_production(const std::string& production, bool link_release = false) {
  json seeded = seed(link_release);
  std::string yml = kDeployYml;
  const std::string old = "    approvals: {required: 2, count_reviews: true}\n";
  yml.replace(yml.find(old), old.size(), production);
  seeded["repositories"][0]["commits"][0]["files"][".github/deploy.yml"] = yml;
  return seeded;
}

}  // namespace

// --- replicas on PostgreSQL (DEPLOY_TEST_STORE=postgres: e2e.bot_handlers.postgres) ---

namespace {

const bool kSqlite = !deploy::test::postgres_selected();

// Successful POSTs of comments on `issue` in github-sim's request log: the effects that happened.
int comment_posts(const World& w, int issue) {
  return w.requests("POST", "/repos/acme/app/issues/" + std::to_string(issue) + "/comments");
}

}  // namespace

TEST_CASE("/reject: the commit status goes failure until the same person withdraws it; both are answered and audited") {
  World w;
  w.comment(kPull, "alice", "/approve");
  w.comment(kPull, "bob", "/approve");
  REQUIRE(w.approvals_status(kShaFeature).value("state", "") == "success");

  w.comment(kPull, "dave", "/reject no");  // read permission: may not approve, so may not block
  CHECK(any_body_contains(w.bot_comments(kPull), "`no_permission`"));
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");

  w.comment(kPull, "bob", "/reject breaks billing (see #7)");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "failure");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "rejected by bob: breaks billing (see #7)");
  CHECK(any_body_contains(w.bot_comments(kPull), "is blocked: 4444444 was rejected by bob"));

  w.comment(kPull, "alice", "/reject cancel");  // not hers to withdraw
  CHECK(any_body_contains(w.bot_comments(kPull), "`nothing_to_cancel`"));
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "failure");

  w.comment(kPull, "bob", "/reject cancel");
  CHECK(any_body_contains(w.bot_comments(kPull), "you withdrew your rejection"));
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "2/2 approvals");

  // The bot's audit trail has both, with who and why.
  auto [exported, export_out] = run_bot_command({"audit", "export", "--store", w.store.location()});
  REQUIRE(exported.exit_code == 0);
  CHECK(export_out.find("\"rejected\"") != std::string::npos);
  CHECK(export_out.find("\"rejection_withdrawn\"") != std::string::npos);
  CHECK(export_out.find("breaks billing (see #7)") != std::string::npos);
}

TEST_CASE("a /reject comment edited or deleted: the bot reads the thread as the action does") {
  World w;
  w.comment(kPull, "alice", "/approve");
  w.comment(kPull, "bob", "/approve");
  auto reject = [&](const std::string& body) {
    const auto sent =
        w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", "bob"}, {"body", body}});
    REQUIRE(w.bot->wait_handled(sent.at("delivery").at("id")) == "done");
    REQUIRE(w.approvals_status(kShaFeature).value("state", "") == "failure");
    return sent.contains("comment") ? sent.at("comment").at("id") : sent.at("issue_comment").at("id");
  };
  auto change = [&](const json& id, const char* action, const std::string& body) {
    json fields = {{"repo", kRepo}, {"issue", kPull}, {"user", "bob"}, {"action", action}, {"comment_id", id}};
    if (!body.empty()) fields["body"] = body;
    w.send("issue_comment", fields);
  };
  SUBCASE("an edit that keeps /reject keeps the block, with the new reason") {
    const auto id = reject("/reject breaks billing");
    change(id, "edited", "/reject breaks billing and search");
    CHECK(w.approvals_status(kShaFeature).value("state", "") == "failure");
    CHECK(w.approvals_status(kShaFeature).value("description", "") == "rejected by bob: breaks billing and search");
  }
  SUBCASE("an edit that removes /reject lifts it") {
    const auto id = reject("/reject breaks billing");
    change(id, "edited", "never mind, it was the cache");
    CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");
    // Edited back: the action would read a /reject again, so the bot blocks again.
    change(id, "edited", "/reject it was not the cache");
    CHECK(w.approvals_status(kShaFeature).value("state", "") == "failure");
    CHECK(w.approvals_status(kShaFeature).value("description", "") == "rejected by bob: it was not the cache");
  }
  SUBCASE("a deleted /reject no longer blocks, and the bot's trail says so") {
    const auto id = reject("/reject breaks billing");
    change(id, "deleted", "");
    CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");
    CHECK(w.approvals_status(kShaFeature).value("description", "") == "2/2 approvals");
    auto [exported, export_out] = run_bot_command({"audit", "export", "--store", w.store.location()});
    REQUIRE(exported.exit_code == 0);
    CHECK(export_out.find("rejection_comment_deleted") != std::string::npos);
  }
}

TEST_CASE("/help lists /reject from the registry") {
  World w;
  w.comment(kPull, "dave", "/help");
  CHECK(any_body_contains(w.bot_comments(kPull), "`/reject [REASON...] | cancel`"));
}

TEST_CASE("/approve and /reject racing on one thread: the final status is the count after both") {
  World w;
  w.comment(kPull, "alice", "/approve");
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    // bob approves while alice rejects, delivered at once to the bot's two workers.
    const auto a =
        w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", "bob"}, {"body", "/approve"}});
    const auto b = w.sim.event("issue_comment",
                               {{"repo", kRepo}, {"issue", kPull}, {"user", "alice"}, {"body", "/reject not yet"}});
    CHECK(w.bot->wait_handled(a.at("delivery").at("id")) == "done");
    CHECK(w.bot->wait_handled(b.at("delivery").at("id")) == "done");
    CHECK(w.approvals_status(kShaFeature).value("state", "") == "failure");
    CHECK(w.approvals_status(kShaFeature).value("description", "") == "rejected by alice: not yet");
    // alice withdraws while bob withdraws his approval: rejection gone, one approval left.
    const auto c = w.sim.event("issue_comment",
                               {{"repo", kRepo}, {"issue", kPull}, {"user", "alice"}, {"body", "/reject cancel"}});
    const auto d =
        w.sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", "bob"}, {"body", "/approve cancel"}});
    CHECK(w.bot->wait_handled(c.at("delivery").at("id")) == "done");
    CHECK(w.bot->wait_handled(d.at("delivery").at("id")) == "done");
    CHECK(w.approvals_status(kShaFeature).value("state", "") == "pending");
    CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals");
  }
}

TEST_CASE(
    "/reject on a tracking issue: no deploy is dispatched, a waiting run is rejected, /reject cancel lets it go") {
  SUBCASE("dispatch") {
    World w;
    w.comment(kTrackingIssue, "bob", "/reject wait for the migration");
    w.comment(kTrackingIssue, "alice", "/approve");
    w.comment(kTrackingIssue, "bob", "/approve");
    CHECK(w.dispatches().empty());
    CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "was not started: 3333333 was rejected by bob"));
    w.comment(kTrackingIssue, "bob", "/reject cancel");
    CHECK(w.dispatches().size() == 1);
  }
  SUBCASE("protection rule") {
    json seeded = seed(true);
    auto& deployments = seeded["repositories"][0]["deployments"];
    deployments.erase(2);
    deployments[1]["statuses"] = {{{"state", "success"}}};
    World w(seeded);
    const auto run_id = waiting_run(w, "v1.2.0");
    w.comment(kTrackingIssue, "bob", "/reject wait for the migration");
    const json gate = gate_of(w, run_id);
    INFO(gate.dump());
    CHECK(gate.at("state") == "rejected");
    const std::string said = gate.at("reviews").back().at("comment");
    CHECK(said.find("rejected by bob: \"wait for the migration\"") != std::string::npos);
    CHECK(said.find("(`rejected`)") != std::string::npos);
  }
}

TEST_CASE("approval rules: the commit status and /status show each rule's count") {
  World w(
      seed_with_production("    approvals:\n"
                           "      rules:\n"
                           "        - { name: deployers, from: [\"@acme/deployers\"], count: 1 }\n"
                           "        - { name: total, count: 2 }\n"));
  w.comment(kPull, "alice", "/approve");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "pending");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "1/2 approvals; deployers 0/1, total 1/2");
  w.comment(kPull, "bob", "/approve");
  CHECK(w.approvals_status(kShaFeature).value("state", "") == "success");
  CHECK(w.approvals_status(kShaFeature).value("description", "") == "2/2 approvals; deployers 1/1, total 2/2");
  w.comment(kPull, "dave", "/status");
  CHECK(any_body_contains(w.bot_comments(kPull), "(deployers 1/1, total 2/2)"));
}

TEST_CASE("freeze: approvals complete inside a window dispatch nothing, and the bot says why") {
  World w(seed_with_production(
      "    approvals: {required: 2}\n"
      "    freeze:\n"
      "      windows:\n"
      "        - { name: change-freeze, start: 2000-01-01T00:00:00Z, end: 2100-01-01T00:00:00Z }\n"));
  w.comment(kTrackingIssue, "alice", "/approve");
  w.comment(kTrackingIssue, "bob", "/approve");
  CHECK(w.dispatches().empty());
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue),
                          "was not started: deploys are frozen by 'change-freeze' (2000-01-01T00:00:00Z to "
                          "2100-01-01T00:00:00Z), until 2100-01-01T00:00:00Z"));
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "(`frozen`)"));
  w.comment(kTrackingIssue, "dave", "/status");
  CHECK(any_body_contains(w.bot_comments(kTrackingIssue), "frozen by change-freeze until 2100-01-01T00:00:00Z"));
}

TEST_CASE("two replicas on one PostgreSQL, each delivery sent to both: every effect exactly once" *
          doctest::skip(kSqlite)) {
  World w;  // replica a, as the webhook's target
  Bot b(w.store.location(), w.sim.base_url(), w.bot_env);
  constexpr int kComments = 12;
  std::vector<std::string> ids;
  const std::vector<std::string> users = {"alice", "bob", "carol", "dave"};
  for (int i = 0; i < kComments; ++i) {
    w.sim.set_webhook(i % 2 == 0 ? w.bot->webhook_url() : b.webhook_url(), kSecret);
    auto answer = w.sim.event("issue_comment", {{"repo", kRepo},
                                                {"issue", kPull},
                                                {"user", users[static_cast<std::size_t>(i) % users.size()]},
                                                {"body", "/frobnicate " + std::to_string(i)}});
    const std::string id = answer.at("delivery").at("id");
    CHECK(answer.at("delivery").at("status").get<int>() == 202);
    // The same delivery to the other replica (as a load balancer retrying elsewhere would).
    w.sim.set_webhook(i % 2 == 0 ? b.webhook_url() : w.bot->webhook_url(), kSecret);
    const auto again = w.sim.redeliver(id);
    INFO(again.dump());
    ids.push_back(id);
  }
  // Every delivery handled by one of them, and each help reply posted once.
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(eventually([&] {
      const auto out = w.bot->output() + b.output();
      return out.find("\"delivery_handled\",\"delivery\":\"" + id + "\"") != std::string::npos;
    }));
  }
  CHECK(eventually([&] { return comment_posts(w, kPull) >= kComments; }));
  std::this_thread::sleep_for(1s);  // a second post would come now, if any
  CHECK(comment_posts(w, kPull) == kComments);
  CHECK(w.bot_comments(kPull).size() == kComments);
  // (Which replica handled which is up to them: one repository's deliveries run one at a time, so
  // one replica may take them all.)
  // The audit trail is readable and intact on PostgreSQL.
  const auto verified = run_bot_command({"audit", "verify", "--store", w.store.location()});
  CHECK(verified.first.exit_code == 0);
}

TEST_CASE("SIGKILL of one replica under load: the other finishes its claimed deliveries after the lease" *
          doctest::skip(kSqlite)) {
  World w;
  w.bot_env["DEPLOY_BOT_LEASE_SECONDS"] = "4";
  w.bot.reset();
  w.start();  // replica a, with a short lease
  // a's config read hangs, so it dies with a delivery claimed; a repository's deliveries run one at
  // a time, so the rest wait for that claim's lease to expire too.
  w.sim.add_fault({{"method", "GET"}, {"path", "/repos/acme/app/contents"}, {"count", 1}, {"delay_ms", 3000}});
  std::vector<std::string> ids;
  const std::vector<std::string> users = {"alice", "bob", "carol"};
  for (int i = 0; i < 8; ++i) {
    auto answer = w.sim.event("issue_comment", {{"repo", kRepo},
                                                {"issue", kPull},
                                                {"user", users[static_cast<std::size_t>(i) % users.size()]},
                                                {"body", "/frobnicate " + std::to_string(i)}});
    ids.push_back(answer.at("delivery").at("id"));
  }
  CHECK(
      eventually([&] { return w.sim.admin_json("GET", "/_sim/faults").dump().find("delay_ms") == std::string::npos; }));
  Bot b(w.store.location(), w.sim.base_url(), w.bot_env);  // replica b joins while a holds the claim
  w.bot->stop(SIGKILL);
  // b handles everything a acknowledged, a's claim once its lease expired.
  CHECK(eventually([&] { return comment_posts(w, kPull) >= 8; }));
  std::this_thread::sleep_for(2s);
  INFO(b.output());
  CHECK(comment_posts(w, kPull) == 8);
  CHECK(w.bot_comments(kPull).size() == 8);
  CHECK(b.output().find("\"leases_expired\"") != std::string::npos);
}

TEST_CASE("PostgreSQL stopped mid-run: 503 and /readyz failing, then recovery by itself, nothing acknowledged lost" *
          doctest::skip(kSqlite)) {
  deploy::test::PrivateServer server;
  deploy::test::GithubSim sim(seed());
  Bot bot(server.url(), sim.base_url(), {{"DEPLOY_BOT_LEASE_SECONDS", "5"}});
  sim.set_webhook(bot.webhook_url(), kSecret);
  deploy::http::Client client;
  auto ready = [&] {
    deploy::http::Request request;
    request.method = "GET";
    request.url = bot.url("/readyz");
    return client.send(request).status;
  };
  CHECK(ready() == 200);
  auto acknowledged = sim.event("issue_comment",
                                {{"repo", kRepo}, {"issue", kPull}, {"user", "alice"}, {"body", "/frobnicate before"}});
  CHECK(acknowledged.at("delivery").at("status").get<int>() == 202);

  server.stop();
  auto refused =
      sim.event("issue_comment", {{"repo", kRepo}, {"issue", kPull}, {"user", "bob"}, {"body", "/frobnicate during"}});
  INFO(refused.dump());
  CHECK(refused.at("delivery").at("status").get<int>() == 503);
  CHECK(ready() == 503);

  server.start();
  CHECK(deploy::test::eventually([&] { return ready() == 200; }, 30s));
  // GitHub's "Redeliver" on the failed one: stored now.
  const auto redelivered = sim.redeliver(refused.at("delivery").at("id"));
  INFO(redelivered.dump());
  INFO(bot.output());
  CHECK(deploy::test::eventually(
      [&] {
        int n = 0;
        for (const auto& r : sim.requests()) {
          if (r.at("method") == "POST" && r.at("path") == "/repos/acme/app/issues/2/comments" &&
              r.at("status").is_number() && r.at("status").get<int>() < 300)
            ++n;
        }
        return n == 2;
      },
      60s));
}
