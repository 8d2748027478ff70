// A github-sim seed (tests/github-sim/README.md) for counting the bot's GitHub requests per command
// (bench/github_requests.cpp, tests/e2e/bot_rate_budget_test.cpp): the e2e handlers' repository
// acme/app with a tracking issue (#1) for v1.2.0, a pull request (#2) from `feature` by carol,
// production's history v1.0.0, v1.1.0, v1.2.0 (live), and the deploy workflow. alice owns acme;
// bob and erin are in its team `deployers` (write); carol and frank write; dave reads. Production
// needs three approvals, so several people can approve before the count is met.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/release/tracking_issue.hpp"
#include "tests/support/bot_seed.hpp"

namespace deploy::test {

inline const std::string kBudgetShaMain = "1111111111111111111111111111111111111111";
inline const std::string kBudgetShaV11 = "2222222222222222222222222222222222222222";
inline const std::string kBudgetShaV12 = "3333333333333333333333333333333333333333";
inline const std::string kBudgetShaFeature = "4444444444444444444444444444444444444444";
inline const char* kRateBudgetDeployYml = R"(version: 1
environments:
  staging:
    on: {branches: [main]}
  production:
    on: {tags: ["v*"]}
    approvals: {required: 3, count_reviews: true}
    rollback: {window: 24h}
stages:
  - name: deploy
    run: ./deploy.sh
rollback:
  run: ./rollback.sh
bot:
  workflow: deploy.yml
)";

inline nlohmann::json rate_budget_seed(const std::string& bot_token) {
  const std::string marker = deploy::release::marker_line({"v1.2.0", kBudgetShaV12});
  auto deployment = [](const char* ref, const std::string& sha, const char* creator, const char* state) {
    return nlohmann::json{{"ref", ref},
                          {"sha", sha},
                          {"environment", "production"},
                          {"creator", creator},
                          {"statuses", {{{"state", state}}}}};
  };
  return {
      {"users", {"alice", "bob", "carol", "dave", "erin", "frank"}},
      {"organizations",
       {{{"login", "acme"},
         {"members", {{"alice", "admin"}, {"bob", "member"}, {"erin", "member"}}},
         {"teams",
          {{{"slug", "deployers"},
            {"members", {{"bob", "member"}, {"erin", "member"}}},
            {"repositories", {{"acme/app", "write"}}}}}}}}},
      {"tokens", {{"tok-alice", "alice"}, {bot_token, {{"installation_id", 42}}}}},
      {"app", deploy::test::deploy_bot_app()},
      {"installations", deploy::test::deploy_bot_installations()},
      {"repositories",
       {{{"owner", "acme"},
         {"name", "app"},
         {"private", true},
         {"default_branch", "main"},
         {"collaborators", {{"carol", "write"}, {"dave", "read"}, {"frank", "write"}}},
         {"commits",
          {{{"sha", kBudgetShaMain},
            {"message", "Initial"},
            {"author", "alice"},
            {"files", {{".github/deploy.yml", kRateBudgetDeployYml}}}},
           {{"sha", kBudgetShaV11}, {"message", "v1.1"}, {"author", "zed"}, {"files", {{"a.txt", "1\n"}}}},
           {{"sha", kBudgetShaV12}, {"message", "v1.2"}, {"author", "zed"}, {"files", {{"a.txt", "2\n"}}}},
           {{"sha", kBudgetShaFeature}, {"message", "feature"}, {"author", "carol"}, {"files", {{"b.txt", "x\n"}}}}}},
         {"branches", {{"main", kBudgetShaV12}, {"feature", kBudgetShaFeature}, {"feature-2", kBudgetShaFeature}}},
         {"tags", {{"v1.0.0", kBudgetShaMain}, {"v1.1.0", kBudgetShaV11}, {"v1.2.0", kBudgetShaV12}}},
         {"issues",
          {{{"number", 1},
            {"title", "Release v1.2.0"},
            {"user", "deploy-bot[bot]"},
            {"body", "Approve with /approve\n\n" + marker + "\n"}}}},
         {"pulls",
          {{{"title", "Feature"}, {"user", "carol"}, {"head", {{"ref", "feature"}}}, {"base", {{"ref", "main"}}}}}},
         {"releases", {{{"tag_name", "v1.2.0"}, {"author", "alice"}, {"draft", false}}}},
         {"deployments",
          {deployment("v1.0.0", kBudgetShaMain, "alice", "inactive"),
           deployment("v1.1.0", kBudgetShaV11, "alice", "inactive"),
           deployment("v1.2.0", kBudgetShaV12, "bob", "success")}},
         {"workflows",
          {{{"id", 501},
            {"name", "Deploy"},
            {"file", "deploy.yml"},
            {"run_name",
             "${{ inputs.mode }} ${{ inputs.environment }} ${{ inputs.version }} ${{ inputs.dispatch-id }}"}}}},
         {"environments", {"staging", "production"}}}}}};
}

}  // namespace deploy::test
