// The runner contract's I/O edge: the process environment, and appending to the file command
// files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY). The formats themselves are
// pure and live in core/runner.hpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/runner/commands.hpp"

namespace deploy::runner {

// The real process environment (getenv), for production.
Environment process_environment();

// Appends text to one file command file. Opens in append mode for every call, as the
// toolkit does, so nothing is buffered across a crash. Throws std::runtime_error naming the path
// and the OS error when the file cannot be opened or written.
class FileCommandWriter {
 public:
  explicit FileCommandWriter(std::filesystem::path path) : path_(std::move(path)) {}
  void append(std::string_view text) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The writer for a file command, or nullopt when its variable is unset or empty (running outside
// Actions: the caller prints a notice; we never fall back to the deprecated ::set-output).
std::optional<FileCommandWriter> file_command_writer(const Environment& env, FileCommand command);

enum class WriteStatus {
  written,  // appended to the file
  no_file,  // the variable is unset: nothing written, caller decides what to tell the user
};

// Formats and appends name/value to the GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE file.
// Errors as format_file_command (a step_summary command is "invalid_file_command"); I/O failures
// throw as FileCommandWriter::append.
Result<WriteStatus> write_file_command(const Environment& env, FileCommand command, std::string_view name,
                                       std::string_view value, const RandomSource& random);

// Appends markdown to GITHUB_STEP_SUMMARY, adding a final newline when missing.
WriteStatus append_step_summary(const Environment& env, std::string_view markdown);

}  // namespace deploy::runner
