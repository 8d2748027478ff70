// TempDir: a directory of the test's own under the system's temporary directory, removed with all
// it holds when the TempDir goes out of scope. Header-only, so unit tests use it without linking
// the end-to-end support library.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace deploy::test {

class TempDir {
 public:
  // The name is PREFIX-PID-N: unique per process (tests run in parallel) and per TempDir within it.
  explicit TempDir(const std::string& prefix = "deploy-test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);  // a leftover of an earlier process with the same pid
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;  // best effort: a leftover directory must not fail the test
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Where a test keeps deploy-bot's store.
  std::filesystem::path db() const { return path_ / "bot.sqlite3"; }
  // Writes NAME (parent directories created) under the directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace deploy::test
