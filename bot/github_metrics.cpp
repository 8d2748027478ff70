#include "bot/github_metrics.hpp"

namespace deploy::bot {
namespace {

constexpr std::array<std::string_view, 2> kAccessNames = {"read", "write"};
constexpr std::array<std::string_view, 3> kConditionalNames = {"none", "304", "modified"};
constexpr std::array<std::string_view, 3> kClassNames = {"counted_read", "not_modified", "write"};
constexpr std::array<int, 9> kBucketBounds = {0, 1, 2, 3, 5, 8, 13, 21, 34};

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}
std::uint64_t read(const std::atomic<std::uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

}  // namespace

void RequestTally::add(const github::RequestSeen& seen) {
  if (seen.write)
    ++writes;
  else if (seen.not_modified)
    ++not_modified;
  else
    ++counted_reads;
}

std::size_t GitHubRequestMetrics::command_index(std::string_view name) {
  for (std::size_t i = 0; i < kCommands.size(); ++i) {
    if (kCommands[i] == name) return i;
  }
  return kCommands.size() - 1;  // other
}

void GitHubRequestMetrics::request(const github::RequestSeen& seen) {
  const auto kind = static_cast<std::size_t>(seen.kind);
  const std::size_t access = seen.write ? 1 : 0;
  const std::size_t conditional = !seen.conditional ? 0 : seen.not_modified ? 1 : 2;
  if (kind >= github::kRequestKinds) return;
  bump(requests_[(kind * kAccess + access) * kConditional + conditional]);
}

void GitHubRequestMetrics::command(std::string_view name, const RequestTally& tally) {
  const std::size_t c = command_index(name);
  bump(handled_[c]);
  bump(classes_[c * kClasses + 0], static_cast<std::uint64_t>(tally.counted_reads));
  bump(classes_[c * kClasses + 1], static_cast<std::uint64_t>(tally.not_modified));
  bump(classes_[c * kClasses + 2], static_cast<std::uint64_t>(tally.writes));
  const int charged = tally.charged();
  for (std::size_t b = 0; b < kBuckets; ++b) {
    if (charged <= kBucketBounds[b]) bump(buckets_[c * kBuckets + b]);
  }
  bump(charged_sum_[c], static_cast<std::uint64_t>(charged));
}

// Series with a zero count are left out: a kind or command the bot never met adds no lines.
std::string GitHubRequestMetrics::render() const {
  std::string out;
  out +=
      "# HELP deploy_bot_github_requests_total HTTP exchanges with GitHub by kind, read or write, and whether a "
      "conditional read was answered 304 (not charged against the rate limit).\n";
  out += "# TYPE deploy_bot_github_requests_total counter\n";
  for (std::size_t k = 0; k < github::kRequestKinds; ++k) {
    for (std::size_t a = 0; a < kAccess; ++a) {
      for (std::size_t c = 0; c < kConditional; ++c) {
        const auto n = read(requests_[(k * kAccess + a) * kConditional + c]);
        if (n == 0) continue;
        out += "deploy_bot_github_requests_total{kind=\"" +
               std::string(github::to_string(static_cast<github::RequestKind>(k))) + "\",access=\"" +
               std::string(kAccessNames[a]) + "\",conditional=\"" + std::string(kConditionalNames[c]) + "\"} " +
               std::to_string(n) + "\n";
      }
    }
  }
  out += "# HELP deploy_bot_commands_handled_total Deliveries handled, by the command (or event) they carried.\n";
  out += "# TYPE deploy_bot_commands_handled_total counter\n";
  for (std::size_t c = 0; c < kCommands.size(); ++c) {
    if (const auto n = read(handled_[c]); n > 0) {
      out += "deploy_bot_commands_handled_total{command=\"" + std::string(kCommands[c]) + "\"} " + std::to_string(n) +
             "\n";
    }
  }
  out +=
      "# HELP deploy_bot_command_github_requests_total GitHub requests made while handling each command: counted "
      "reads, 304s, writes.\n";
  out += "# TYPE deploy_bot_command_github_requests_total counter\n";
  for (std::size_t c = 0; c < kCommands.size(); ++c) {
    if (read(handled_[c]) == 0) continue;
    for (std::size_t k = 0; k < kClasses; ++k) {
      out += "deploy_bot_command_github_requests_total{command=\"" + std::string(kCommands[c]) + "\",class=\"" +
             std::string(kClassNames[k]) + "\"} " + std::to_string(read(classes_[c * kClasses + k])) + "\n";
    }
  }
  out +=
      "# HELP deploy_bot_command_charged_requests GitHub requests charged against the rate limit per handled "
      "command.\n";
  out += "# TYPE deploy_bot_command_charged_requests histogram\n";
  for (std::size_t c = 0; c < kCommands.size(); ++c) {
    const auto count = read(handled_[c]);
    if (count == 0) continue;
    const std::string label = "command=\"" + std::string(kCommands[c]) + "\"";
    for (std::size_t b = 0; b < kBuckets; ++b) {
      out += "deploy_bot_command_charged_requests_bucket{" + label + ",le=\"" + std::to_string(kBucketBounds[b]) +
             "\"} " + std::to_string(read(buckets_[c * kBuckets + b])) + "\n";
    }
    out += "deploy_bot_command_charged_requests_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(count) + "\n";
    out += "deploy_bot_command_charged_requests_sum{" + label + "} " + std::to_string(read(charged_sum_[c])) + "\n";
    out += "deploy_bot_command_charged_requests_count{" + label + "} " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace deploy::bot
