#include "core/release/changelog.hpp"

#include <algorithm>

namespace deploy::release {
namespace {

// 12 digits is far above any pull request number GitHub has issued and keeps the value exact.
constexpr std::size_t kMaxDigits = 12;

std::optional<std::uint64_t> number(std::string_view digits) {
  if (digits.empty() || digits.size() > kMaxDigits || digits.front() == '0') return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// "Merge pull request #12 from owner/branch": the source after "from " must be non-empty.
std::optional<std::uint64_t> from_merge_commit(std::string_view line) {
  constexpr std::string_view kPrefix = "Merge pull request #";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto rest = line.substr(space);
  constexpr std::string_view kFrom = " from ";
  if (!rest.starts_with(kFrom) || rest.size() == kFrom.size()) return std::nullopt;
  return number(line.substr(0, space));
}

// "Title (#13)": GitHub appends the number to the pull request title; trailing spaces are allowed
// because editors and tools sometimes leave them.
std::optional<std::uint64_t> from_squash(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (!line.ends_with(')')) return std::nullopt;
  const auto open = line.rfind(" (#");
  if (open == std::string_view::npos || open == 0) return std::nullopt;
  return number(line.substr(open + 3, line.size() - 1 - (open + 3)));
}

}  // namespace

std::string_view summary(std::string_view message) {
  auto line = message.substr(0, message.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

std::optional<std::uint64_t> merged_pull_request(std::string_view message) {
  const auto line = summary(message);
  if (auto n = from_merge_commit(line)) return n;
  return from_squash(line);
}

std::vector<std::uint64_t> merged_pull_requests(const std::vector<std::string_view>& messages) {
  std::vector<std::uint64_t> out;
  for (auto message : messages) {
    if (auto n = merged_pull_request(message)) out.push_back(*n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace deploy::release
