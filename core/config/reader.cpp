#include "core/config/reader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <string>

namespace deploy::config::detail {

namespace {

std::string normalized(std::string_view word) {
  std::string out(word);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-') c = '_';
  }
  return out;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, which are the
// most common typing slip ("form" for "from").
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 60;  // enough to recognise the value, short enough for one line
  if (text.size() > kMax) return "'" + std::string(text.substr(0, kMax)) + "...'";
  return "'" + std::string(text) + "'";
}

// Records where documents start and ignores their content.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

DocumentScan scan_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  while (handler.starts.size() < 2 && parser.HandleNextDocument(handler)) {
  }
  DocumentScan scan;
  scan.count = static_cast<int>(handler.starts.size());
  if (scan.count == 2) {
    scan.second = handler.starts[1];
    scan.stuck = handler.starts[1].pos == handler.starts[0].pos;
  }
  return scan;
}

void Reader::error(Position at, std::string key, std::string message, std::string suggestion) {
  errors_.push_back(ConfigError{file_, at.line, at.column, std::move(key), std::move(message), std::move(suggestion)});
}

std::vector<ConfigError> Reader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return std::move(errors_);
}

Position position_of(const YAML::Mark& mark, Position fallback) {
  if (mark.line < 0 || mark.column < 0) return fallback;
  return Position{mark.line + 1, mark.column + 1};
}

std::string format_number(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc{}) return std::to_string(value);
  return std::string(buffer, end);
}

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string item_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quoted(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates) {
  const std::string w = normalized(word);
  std::string best;
  std::size_t best_distance = 0;
  for (std::string_view candidate : candidates) {
    const std::string c = normalized(candidate);
    const std::size_t distance = edit_distance(w, c);
    // A third of the shorter word, at least one edit: "requird" -> "required", while "on" is
    // not a typo of "url".
    const std::size_t limit = std::max<std::size_t>(1, std::min(w.size(), c.size()) / 3);
    if (distance > limit) continue;
    if (best.empty() || distance < best_distance) {
      best = std::string(candidate);
      best_distance = distance;
    }
  }
  return best;
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

Mapping::Mapping(Reader& reader, const Node& node, std::vector<std::string_view> known) : reader_(reader), node_(node) {
  if (!node.yaml.IsMap()) {
    std::string expected = "expected a mapping (key: value lines)";
    if (!known.empty()) expected = "expected a mapping with keys such as " + join(known);
    reader_.error(node.at, node.path, expected + ", found " + describe(node.yaml));
    return;
  }
  valid_ = true;
  for (auto it = node.yaml.begin(); it != node.yaml.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const Position key_at = position_of(key.Mark(), node.at);
    if (!key.IsScalar() || key.Scalar().empty()) {
      reader_.error(key_at, node.path, "expected a key name, found " + describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string path = child_path(node.path, name);
    const auto first =
        std::find_if(entries_.begin(), entries_.end(), [&](const auto& entry) { return entry.first == name; });
    if (first != entries_.end()) {
      reader_.error(
          key_at, path,
          "duplicate key '" + name + "' (first given on line " + std::to_string(first->second.key_at.line) + ")");
      continue;
    }
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      if (name == "<<") {
        reader_.error(key_at, path, "YAML merge keys (<<) are not supported; write the keys out");
        continue;
      }
      const std::string suggestion = nearest(name, known);
      std::string message = "unknown key '" + name + "'";
      if (suggestion.empty()) message += " (expected " + join(known) + ")";
      if (!suggestion.empty()) suggested_.push_back(suggestion);
      reader_.error(key_at, path, message, suggestion);
      continue;
    }
    const Position value_at = value.IsNull() ? key_at : position_of(value.Mark(), key_at);
    entries_.emplace_back(name, Node{value, path, value_at, key_at});
  }
}

std::optional<Node> Mapping::get(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return value;
  }
  return std::nullopt;
}

std::optional<Node> Mapping::require(std::string_view key, std::string_view what_it_is) const {
  if (!valid_) return std::nullopt;  // the mapping itself was reported
  auto found = get(key);
  // A misspelt required key was already reported with this key as the suggestion; saying it is
  // missing as well would only repeat the same mistake.
  const bool misspelt = std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end();
  if (!found && !misspelt) {
    reader_.error(node_.key_at, child_path(node_.path, key),
                  "missing required key '" + std::string(key) + "' (" + std::string(what_it_is) + ")");
  }
  return found;
}

std::optional<std::string> read_string(Reader& r, const Node& n) {
  if (!n.yaml.IsScalar() || n.yaml.Scalar().empty()) {
    r.error(n.at, n.path, "expected a non-empty string, found " + describe(n.yaml));
    return std::nullopt;
  }
  return n.yaml.Scalar();
}

std::optional<bool> read_bool(Reader& r, const Node& n) {
  if (n.yaml.IsScalar()) {
    // YAML 1.2 booleans only: yes/no/on/off are strings there, and a reader cannot tell which
    // meaning the author had in mind.
    const std::string& s = n.yaml.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  r.error(n.at, n.path, "expected true or false, found " + describe(n.yaml));
  return std::nullopt;
}

std::optional<int> read_int(Reader& r, const Node& n, int min, int max) {
  if (n.yaml.IsScalar()) {
    const std::string& s = n.yaml.Scalar();
    long long value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc{} && end == s.data() + s.size() && value >= min && value <= max) {
      return static_cast<int>(value);
    }
  }
  r.error(n.at, n.path,
          "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", found " +
              describe(n.yaml));
  return std::nullopt;
}

std::optional<double> read_number(Reader& r, const Node& n) {
  if (n.yaml.IsScalar()) {
    const std::string& s = n.yaml.Scalar();
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc{} && end == s.data() + s.size() && std::isfinite(value)) return value;
  }
  r.error(n.at, n.path, "expected a number, found " + describe(n.yaml));
  return std::nullopt;
}

std::optional<Duration> read_duration(Reader& r, const Node& n, Duration min, Duration max) {
  if (!n.yaml.IsScalar()) {
    r.error(n.at, n.path, "expected a duration like 90s, 5m or 1h, found " + describe(n.yaml));
    return std::nullopt;
  }
  auto parsed = parse_duration(n.yaml.Scalar());
  if (!parsed) {
    r.error(n.at, n.path, parsed.error().message);
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    r.error(n.at, n.path,
            "expected a duration from " + format_duration(min) + " to " + format_duration(max) + ", found " +
                quoted(n.yaml.Scalar()));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<double> read_percent(Reader& r, const Node& n, double min, double max) {
  if (!n.yaml.IsScalar()) {
    r.error(n.at, n.path, "expected a percentage like 5 or 5%, found " + describe(n.yaml));
    return std::nullopt;
  }
  auto parsed = parse_percent(n.yaml.Scalar());
  if (!parsed) {
    r.error(n.at, n.path, parsed.error().message);
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    r.error(n.at, n.path,
            "expected a percentage from " + format_number(min) + " to " + format_number(max) + ", found " +
                quoted(n.yaml.Scalar()));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::vector<Node>> read_list(Reader& r, const Node& n, std::string_view example) {
  if (!n.yaml.IsSequence()) {
    // A single value where a list belongs is the usual slip; show it in list form.
    const std::string suggestion = n.yaml.IsScalar() ? "[" + n.yaml.Scalar() + "]" : std::string{};
    r.error(n.at, n.path, "expected a list like " + std::string(example) + ", found " + describe(n.yaml), suggestion);
    return std::nullopt;
  }
  std::vector<Node> items;
  std::size_t index = 0;
  for (const YAML::Node& item : n.yaml) {
    const Position at = position_of(item.Mark(), n.at);
    items.push_back(Node{item, item_path(n.path, index), at, at});
    ++index;
  }
  return items;
}

std::optional<std::vector<Text>> read_strings(Reader& r, const Node& n, std::string_view example) {
  auto items = read_list(r, n, example);
  if (!items) return std::nullopt;
  std::vector<Text> out;
  for (const Node& item : *items) {
    if (auto value = read_string(r, item)) out.push_back(Text{*value, item});
  }
  return out;
}

}  // namespace deploy::config::detail
