// The release tracking issue: one issue per release (tag and commit) where people `/approve` a
// production deploy and `/rollback` it. The action opens it when a production release is waiting
// for approvals, the bot when a release is published; whoever comes first opens it and the other
// finds it. This file is the pure part both share: the marker lines and the texts.
//
// Finding it without searching issues: the GitHub release of the tag carries a hidden link line
// (`<!-- deploy-action:tracking-issue=123 -->`) in its body, and the issue's body carries a hidden
// marker naming the tag and the commit it tracks. The commit binds the approvals: comments on an
// issue count for the commit in its marker only, and only when that is the commit the tag points
// at now (a moved tag gets a new issue; approvals of the old commit stay with the old one).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploy::release {

struct Marker {
  std::string tag;  // "v1.2.0"
  std::string sha;  // 40 lowercase hex digits
  bool operator==(const Marker&) const = default;
};

// `<!-- deploy-action:release tag=v1.2.0 sha=0123...abcd -->`
std::string marker_line(const Marker& marker);
// The first marker line in an issue body; nullopt when there is none or it is malformed (a tag with
// characters git refuses, a SHA that is not 40 hex digits).
std::optional<Marker> find_marker(std::string_view issue_body);

// `<!-- deploy-action:tracking-issue=123 -->`, kept in the GitHub release's body.
std::string release_link_line(int issue_number);
std::optional<int> find_release_link(std::string_view release_body);
// The release body with its link line set to `issue_number` (replaced in place when present,
// appended on a line of its own otherwise). Everything else is kept byte for byte.
std::string with_release_link(std::string_view release_body, int issue_number);

struct IssueText {
  Marker marker;
  std::string environment;           // the environment waiting for approval, e.g. "production"
  std::string previous_version;      // may be empty
  std::vector<std::string> changes;  // one markdown line per change (already escaped by the caller)
  std::string needed;                // policy::describe_needed text; may be empty
};

std::string issue_title(std::string_view tag);  // "Release v1.2.0"
// The body: what is released, how to approve (`/approve`), roll back and ask for status, the
// changes, and the marker line last.
std::string issue_body(const IssueText& text);

// A comment's hidden key, so a comment posted once is found again after a crash or a retry instead
// of being posted twice: `<!-- deploy-action:comment=KEY -->`. KEY is [A-Za-z0-9._:/-]+.
std::string comment_key_line(std::string_view key);
std::optional<std::string> find_comment_key(std::string_view comment_body);

}  // namespace deploy::release
