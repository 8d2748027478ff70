// Child processes for stage commands, rollback commands and analysis commands: each runs in its
// own process group so a timeout or a cancellation stops everything it started, not just the shell.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deploy::process {

struct Spec {
  std::vector<std::string> argv;                // argv[0] is looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;       // set on top of the inherited environment
  std::vector<std::string> unset_env;           // removed from the inherited environment
  std::string working_directory;                // empty = inherit
  std::chrono::milliseconds timeout{0};         // 0 = none
  std::chrono::milliseconds kill_grace{5'000};  // between SIGTERM and SIGKILL to the group
};

struct Result {
  enum class End { exited, signalled, timed_out, cancelled, failed_to_start };
  End end = End::failed_to_start;
  int exit_code = -1;  // when exited
  int signal = 0;      // when signalled (or the signal that finally stopped it)
  std::chrono::milliseconds duration{0};
  std::string error;  // when failed_to_start: why

  bool succeeded() const { return end == End::exited && exit_code == 0; }
  // "exit 0", "exit 3", "killed by signal 9", "timed out after 30s", "cancelled", "could not start: ..."
  std::string describe() const;
};

// Called with each line of combined stdout+stderr as it arrives (without the newline); a final
// partial line is delivered at the end.
using LineSink = std::function<void(const std::string& line)>;

// Runs the process to completion. `cancel`, when set to true by another thread or a signal handler,
// stops the process group (SIGTERM, then SIGKILL after kill_grace) and returns End::cancelled.
Result run(const Spec& spec, const LineSink& on_line, const std::atomic<bool>* cancel = nullptr);

// `/bin/sh -c COMMAND`: the command comes from trusted config only; values from untrusted sources
// reach it as environment variables, never by interpolation.
Spec shell(const std::string& command);

}  // namespace deploy::process
