#include "core/runner/files.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace deploy::runner {

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

void FileCommandWriter::append(std::string_view text) const {
  std::ofstream file(path_, std::ios::binary | std::ios::app);
  if (!file) {
    throw std::runtime_error("cannot open file command file '" + path_.string() +
                             "' for appending: " + std::strerror(errno));
  }
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.flush();
  if (!file) {
    throw std::runtime_error("cannot write to file command file '" + path_.string() + "': " + std::strerror(errno));
  }
}

std::optional<FileCommandWriter> file_command_writer(const Environment& env, FileCommand command) {
  auto path = env(file_command_variable(command));
  if (!path || path->empty()) return std::nullopt;
  return FileCommandWriter(*path);
}

Result<WriteStatus> write_file_command(const Environment& env, FileCommand command, std::string_view name,
                                       std::string_view value, const RandomSource& random) {
  if (command == FileCommand::step_summary) {
    return Error{"invalid_file_command",
                 "GITHUB_STEP_SUMMARY takes markdown, not name/value pairs; use append_step_summary"};
  }
  // Validate before looking at the environment so a bad name fails the same way everywhere.
  auto entry = format_file_command(name, value, random);
  if (!entry) return entry.error();
  auto writer = file_command_writer(env, command);
  if (!writer) return WriteStatus::no_file;
  writer->append(*entry);
  return WriteStatus::written;
}

WriteStatus append_step_summary(const Environment& env, std::string_view markdown) {
  auto writer = file_command_writer(env, FileCommand::step_summary);
  if (!writer) return WriteStatus::no_file;
  if (markdown.empty() || markdown.back() == '\n') {
    writer->append(markdown);
  } else {
    writer->append(std::string(markdown) + "\n");
  }
  return WriteStatus::written;
}

}  // namespace deploy::runner
