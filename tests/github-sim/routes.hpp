// Route handlers, grouped by resource; each file routes_GROUP.cpp implements one group. A handler
// runs with the state locked, reads the request through Call, and returns GitHub's response or
// throws ApiError.
#pragma once

#include "call.hpp"
#include "http_types.hpp"

namespace deploy::sim::handlers {

// routes_apps.cpp: the App, installations, rate limit, team membership
Response get_app(Call& call);
Response create_installation_token(Call& call);
Response get_repo_installation(Call& call);
Response get_rate_limit(Call& call);
Response get_team_membership(Call& call);

// routes_repos.cpp: repositories, collaborators, environments
Response get_repo(Call& call);
Response get_collaborator_permission(Call& call);
Response get_environment(Call& call);

// routes_git.cpp: commits, refs, contents, compare
Response get_commit(Call& call);
Response compare_commits(Call& call);
Response get_content(Call& call);
Response get_ref(Call& call);
Response list_tags(Call& call);

// routes_git_data.cpp: the Git Data API (blobs, trees, commits, refs)
Response create_blob(Call& call);
Response get_blob(Call& call);
Response get_tree(Call& call);
Response create_tree(Call& call);
Response create_git_commit(Call& call);
Response create_ref(Call& call);
Response update_ref(Call& call);
Response delete_ref(Call& call);
Response list_matching_refs(Call& call);

// routes_issues.cpp: issues, issue comments and their reactions
Response create_issue(Call& call);
Response get_issue(Call& call);
Response update_issue(Call& call);
Response list_issue_comments(Call& call);
Response create_issue_comment(Call& call);
Response get_issue_comment(Call& call);
Response update_issue_comment(Call& call);
Response create_issue_comment_reaction(Call& call);

// routes_pulls.cpp: pull requests and reviews
Response get_pull(Call& call);
Response list_reviews(Call& call);
Response list_pulls_for_commit(Call& call);

// routes_commit_comments.cpp
Response list_commit_comments(Call& call);
Response create_commit_comment(Call& call);
Response create_commit_comment_reaction(Call& call);

// routes_releases.cpp
Response list_releases(Call& call);
Response create_release(Call& call);
Response get_release(Call& call);
Response get_release_by_tag(Call& call);
Response update_release(Call& call);

// routes_deployments.cpp
Response list_deployments(Call& call);
Response create_deployment(Call& call);
Response get_deployment(Call& call);
Response list_deployment_statuses(Call& call);
Response create_deployment_status(Call& call);

// routes_checks.cpp: commit statuses and check runs
Response create_commit_status(Call& call);
Response get_combined_status(Call& call);
Response list_commit_statuses_for_ref(Call& call);
Response create_check_run(Call& call);
Response list_check_runs_for_ref(Call& call);
Response list_check_suites_for_ref(Call& call);
Response update_check_run(Call& call);

// routes_actions.cpp: workflow runs, dispatches, custom deployment protection rules
Response get_workflow_run(Call& call);
Response list_workflow_runs(Call& call);
Response review_custom_gates(Call& call);
Response create_workflow_dispatch(Call& call);
Response create_repository_dispatch(Call& call);

}  // namespace deploy::sim::handlers
