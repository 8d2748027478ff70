// Reading a child's log lines in tests: numbers after a marker, and how often a word appears.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace deploy::test {

// The decimal number right after `marker` in `line`; nullopt when the marker or the digits are missing.
inline std::optional<int> number_after(const std::string& line, const std::string& marker) {
  const auto at = line.find(marker);
  if (at == std::string::npos) return std::nullopt;
  int value = 0;
  bool any = false;
  for (std::size_t i = at + marker.size(); i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i, any = true) {
    value = value * 10 + (line[i] - '0');
  }
  return any ? std::optional<int>(value) : std::nullopt;
}

// How many times `word` occurs in `text`, not overlapping.
inline int count_of(const std::string& text, const std::string& word) {
  int n = 0;
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + word.size())) ++n;
  return n;
}

}  // namespace deploy::test
