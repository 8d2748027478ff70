// Whole-file reads for tests: a file's bytes as a string.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace deploy::test {

// The file's bytes; "" when it cannot be opened (the test's own checks then say what was missing).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace deploy::test
