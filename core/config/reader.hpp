// Reading typed values out of a yaml-cpp tree while collecting every error with its position and
// key path. Internal to the config loader (config.cpp); not part of the public API.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config.hpp"

namespace deploy::config::detail {

struct Position {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
};

// A value in the tree with where it came from.
struct Node {
  YAML::Node yaml;
  std::string path;  // "environments.production.approvals"; "" for the document itself
  Position at;       // the value; the key when the value is empty (yaml-cpp puts it elsewhere)
  Position key_at;   // the key (or list dash) that introduced the value
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(Position at, std::string key, std::string message, std::string suggestion = {});
  std::size_t error_count() const { return errors_.size(); }
  std::vector<ConfigError> take_errors();  // ordered by position

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

// How many documents the text holds, found without building them. yaml-cpp 0.7's LoadAll loops
// forever, allocating, on some invalid input (a stray ',' where a document starts: upstream
// issue jbeder/yaml-cpp#1040, fixed after 0.8 by PRs #1318 and #1319): its parser reports the
// same empty document again and again. This scan stops after two documents and calls a
// document that starts where the previous one did a syntax error, so a broken file is reported
// instead of exhausting memory. May throw YAML::ParserException like any parse.
struct DocumentScan {
  int count = 0;       // 0, 1 or 2 (two means "more than one")
  YAML::Mark second;   // where the second document starts, when count == 2
  bool stuck = false;  // the parser stopped making progress at `second`
};
DocumentScan scan_documents(const std::string& text);

Position position_of(const YAML::Mark& mark, Position fallback);
std::string child_path(std::string_view parent, std::string_view key);
std::string item_path(std::string_view parent, std::size_t index);
// Shortest text that reads back as the same number: 0.02, 5, 1e-07.
std::string format_number(double value);
// How a value reads in "found ..." messages: 'soon', a list, a mapping, nothing.
std::string describe(const YAML::Node& node);

// The candidate closest to word by edit distance (ignoring case, and '-' versus '_'), or "" when
// none is close enough to be a plausible typo.
std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates);
std::string join(const std::vector<std::string_view>& words);  // "a, b or c"

// A mapping read against the keys valid at its place. Reports a non-mapping, duplicate keys,
// non-string keys, and unknown keys (with the nearest known key as suggestion).
class Mapping {
 public:
  // known empty: any key is accepted (the keys are names the user chooses, like environments).
  Mapping(Reader& reader, const Node& node, std::vector<std::string_view> known);

  bool valid() const { return valid_; }
  const Node& node() const { return node_; }
  const std::vector<std::pair<std::string, Node>>& entries() const { return entries_; }
  std::optional<Node> get(std::string_view key) const;
  // Reports a missing key at the position of the key that introduced this mapping. what_it_is
  // explains the key to someone who forgot it ("the command this stage runs").
  std::optional<Node> require(std::string_view key, std::string_view what_it_is) const;

 private:
  Reader& reader_;
  Node node_;
  bool valid_ = false;
  std::vector<std::pair<std::string, Node>> entries_;
  std::vector<std::string> suggested_;  // known keys offered for unknown ones
};

// Each read reports its own error and returns nullopt; the caller keeps its default.
std::optional<std::string> read_string(Reader& r, const Node& n);  // non-empty scalar
std::optional<bool> read_bool(Reader& r, const Node& n);
std::optional<int> read_int(Reader& r, const Node& n, int min, int max);
std::optional<double> read_number(Reader& r, const Node& n);
std::optional<Duration> read_duration(Reader& r, const Node& n, Duration min, Duration max);
std::optional<double> read_percent(Reader& r, const Node& n, double min, double max);
// A list's items with their own paths ("stages[2]"). example shows the expected form ("[main]").
std::optional<std::vector<Node>> read_list(Reader& r, const Node& n, std::string_view example);

struct Text {
  std::string value;
  Node node;
};
// A list of strings; items that are not strings are reported and left out.
std::optional<std::vector<Text>> read_strings(Reader& r, const Node& n, std::string_view example);

// One of a fixed set of words; a typo gets the nearest word as suggestion.
template <class T>
std::optional<T> read_choice(Reader& r, const Node& n, const std::vector<std::pair<std::string_view, T>>& choices) {
  std::vector<std::string_view> words;
  for (const auto& [word, value] : choices) words.push_back(word);
  if (n.yaml.IsScalar()) {
    for (const auto& [word, value] : choices) {
      if (n.yaml.Scalar() == word) return value;
    }
  }
  r.error(n.at, n.path, "expected " + join(words) + ", found " + describe(n.yaml),
          n.yaml.IsScalar() ? nearest(n.yaml.Scalar(), words) : std::string{});
  return std::nullopt;
}

}  // namespace deploy::config::detail
