// Changelog: which pull requests a range of commits merged, read from the commits' summaries
// (their first lines) the way GitHub writes them:
//   merge commits   "Merge pull request #12 from owner/branch"
//   squash merges   "Fix the login page (#13)"   (the number in the last parentheses)
// Rebase merges leave no trace in the message and are not found. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace deploy::release {

// The first line of a commit message, without a trailing '\r'.
std::string_view summary(std::string_view message);

// The pull request a commit merged, from its message (only the first line counts). Numbers are
// 1..999999999999 without leading zeros; anything else is not a pull request reference.
std::optional<std::uint64_t> merged_pull_request(std::string_view message);

// Every pull request merged by these commit messages, ascending, each once.
std::vector<std::uint64_t> merged_pull_requests(const std::vector<std::string_view>& messages);

}  // namespace deploy::release
