// What the bot spends of GitHub's primary rate limit (5,000 requests an hour per installation),
// counted from the GitHub client's own view of each exchange (github::RequestSeen):
//
//   deploy_bot_github_requests_total{kind,access,conditional}   every exchange, retries included;
//       kind: github::RequestKind; access: read|write; conditional: none (sent without a
//       validator), 304 (answered Not Modified: not charged), modified (a validator was sent and
//       the answer had a body)
//   deploy_bot_commands_handled_total{command}                  deliveries handled, by command
//   deploy_bot_command_github_requests_total{command,class}     their requests: counted_read,
//       not_modified, write
//   deploy_bot_command_charged_requests{command} (histogram)    requests per handled command that
//       count against the limit (everything but 304s)
//
// `command` is what a delivery asked for: the first comment command (approve, approve_cancel,
// rollback, status, help, reply), else the event's name; names outside the fixed set are "other".
// Lock-free counters.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/github/client.hpp"

namespace deploy::bot {

// One delivery's requests (github::RequestSeen folded), for the per-command series and logs.
struct RequestTally {
  int counted_reads = 0;  // reads answered with a body (or an error): charged
  int not_modified = 0;   // reads answered 304: free
  int writes = 0;         // charged
  void add(const github::RequestSeen& seen);
  int charged() const { return counted_reads + writes; }
};

class GitHubRequestMetrics {
 public:
  void request(const github::RequestSeen& seen);
  void command(std::string_view name, const RequestTally& tally);
  std::string render() const;

  static constexpr std::array<std::string_view, 15> kCommands = {"approve",
                                                                 "approve_cancel",
                                                                 "rollback",
                                                                 "status",
                                                                 "help",
                                                                 "reply",
                                                                 "issue_comment",
                                                                 "commit_comment",
                                                                 "pull_request",
                                                                 "pull_request_review",
                                                                 "release",
                                                                 "workflow_run",
                                                                 "deployment_protection_rule",
                                                                 "push",
                                                                 "other"};

 private:
  static constexpr std::size_t kAccess = 2;
  static constexpr std::size_t kConditional = 3;  // none, 304, modified
  static constexpr std::size_t kClasses = 3;      // counted_read, not_modified, write
  static constexpr std::size_t kBuckets = 9;      // le 0 1 2 3 5 8 13 21 34; +Inf is the count
  static std::size_t command_index(std::string_view name);

  std::array<std::atomic<std::uint64_t>, github::kRequestKinds * kAccess * kConditional> requests_{};
  std::array<std::atomic<std::uint64_t>, kCommands.size()> handled_{};
  std::array<std::atomic<std::uint64_t>, kCommands.size() * kClasses> classes_{};
  std::array<std::atomic<std::uint64_t>, kCommands.size() * kBuckets> buckets_{};
  std::array<std::atomic<std::uint64_t>, kCommands.size()> charged_sum_{};
};

}  // namespace deploy::bot
