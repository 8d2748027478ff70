#include "core/release/tracking_issue.hpp"
#include "action/steps/steps.hpp"

namespace deploy::action {
namespace {

// A commit's line in the issue: nothing in it may mention, link or break the markdown.
std::string change_line(const release::Commit& commit) {
  std::string line = commit.summary;
  for (char& c : line) {
    if (c == '<' || c == '>' || c == '@' || c == '`') c = ' ';
  }
  return "`" + commit.sha.substr(0, 7) + "` " + line;
}

}  // namespace

std::optional<github::TrackingIssue> open_tracking_issue(const RunRecord& record, const Connection& github,
                                                         const RunLog& log) {
  const auto& release = record.release->release;
  const bool skip_approvals = record.rollback_gate && record.rollback_gate->skip_approvals;
  const bool needs_approvals = record.config->environment.approvals.required > 0 && !skip_approvals;
  if (!needs_approvals || release.kind != release::RefKind::tag) return std::nullopt;
  release::IssueText text;
  text.marker = {release.tag, release.sha};
  text.environment = record.inputs.environment;
  if (release.previous) text.previous_version = release.previous->tag;
  for (const auto& commit : release.commits) text.changes.push_back(change_line(commit));
  try {
    auto issue = github::find_or_open_tracking_issue(github.github(), github.repo, text);
    if (issue.opened) log.print("deploy-action: opened the release tracking issue " + issue.html_url);
    return issue;
  } catch (const std::exception& error) {
    // Approvals can still come from commit comments and reviews; say why the issue is missing.
    log.annotate(runner::AnnotationLevel::warning,
                 std::string("could not open the release tracking issue: ") + error.what());
    return std::nullopt;
  }
}

}  // namespace deploy::action
