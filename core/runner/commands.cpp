#include "core/runner/commands.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "core/crypto/crypto.hpp"

namespace deploy::runner {

namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
  return text;
}

bool is_blank(std::string_view text) { return trim(text).empty(); }

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  std::size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

Environment environment_from_map(std::map<std::string, std::string, std::less<>> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

std::string input_variable(std::string_view input_name) {
  std::string variable = "INPUT_";
  variable.reserve(variable.size() + input_name.size());
  for (char c : input_name) {
    if (c == ' ') {
      variable += '_';
    } else if (c >= 'a' && c <= 'z') {
      variable += static_cast<char>(c - 'a' + 'A');
    } else {
      variable += c;
    }
  }
  return variable;
}

std::string get_input(const Environment& env, std::string_view input_name) {
  auto value = env(input_variable(input_name));
  if (!value) return {};
  return std::string(trim(*value));
}

Result<std::string> get_required_input(const Environment& env, std::string_view input_name,
                                       std::string_view example_value) {
  std::string value = get_input(env, input_name);
  if (value.empty()) {
    return Error{"input_required", "input '" + std::string(input_name) + "' is required but was not supplied (" +
                                       input_variable(input_name) + " is unset or blank); set it on the step: `with: " +
                                       std::string(input_name) + ": " + std::string(example_value) + "`"};
  }
  return value;
}

Result<bool> get_boolean_input(const Environment& env, std::string_view input_name, std::optional<bool> when_empty) {
  const std::string value = get_input(env, input_name);
  if (value == "true" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "False" || value == "FALSE") return false;
  if (value.empty() && when_empty) return *when_empty;
  return Error{"input_not_boolean", "input '" + std::string(input_name) +
                                        "' must be a YAML 1.2 core schema boolean, one of " +
                                        "true | True | TRUE | false | False | FALSE; got '" + value + "'"};
}

// ---------------------------------------------------------------------------------------------
// File commands
// ---------------------------------------------------------------------------------------------

std::string_view file_command_variable(FileCommand command) {
  switch (command) {
    case FileCommand::output:
      return "GITHUB_OUTPUT";
    case FileCommand::env:
      return "GITHUB_ENV";
    case FileCommand::state:
      return "GITHUB_STATE";
    case FileCommand::step_summary:
      return "GITHUB_STEP_SUMMARY";
  }
  throw std::logic_error("file_command_variable: unknown FileCommand");
}

std::string random_uuid(const RandomSource& random) {
  std::uint64_t high = random();
  std::uint64_t low = random();
  // RFC 4122 version 4: the version nibble is 4, the variant's top two bits are 10.
  high = (high & ~std::uint64_t{0xF000}) | std::uint64_t{0x4000};
  low = (low & ~(std::uint64_t{0xC} << 60)) | (std::uint64_t{0x8} << 60);

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  auto put = [&](std::uint64_t word, int first_nibble, int count) {
    for (int i = first_nibble; i < first_nibble + count; ++i) {
      out += kHex[(word >> (60 - 4 * i)) & 0xF];
    }
  };
  put(high, 0, 8);
  out += '-';
  put(high, 8, 4);
  out += '-';
  put(high, 12, 4);
  out += '-';
  put(low, 0, 4);
  out += '-';
  put(low, 4, 12);
  return out;
}

std::string make_delimiter(const RandomSource& random) { return "ghadelimiter_" + random_uuid(random); }

Result<std::string> format_file_command(std::string_view name, std::string_view value, const RandomSource& random) {
  // '<' anywhere, not only "<<": a name ending in '<' glues onto the heredoc marker ("a<" +
  // "<<D" reads as name "a" with delimiter "<D"), and the runner then rejects the whole file.
  if (name.empty() || name.find_first_of("\r\n=<") != std::string_view::npos) {
    return Error{"invalid_file_command_name",
                 "file command name '" + std::string(name) +
                     "' is invalid: it must be non-empty and contain no newline, '=' or '<'"};
  }
  for (int attempt = 0; attempt < kDelimiterAttempts; ++attempt) {
    const std::string delimiter = make_delimiter(random);
    if (name.find(delimiter) != std::string_view::npos || value.find(delimiter) != std::string_view::npos) {
      continue;
    }
    std::string entry;
    entry.reserve(name.size() + value.size() + 2 * delimiter.size() + 5);
    entry.append(name).append("<<").append(delimiter).append("\n");
    entry.append(value).append("\n");
    entry.append(delimiter).append("\n");
    return entry;
  }
  return Error{"delimiter_collision", "could not find a heredoc delimiter absent from the value of '" +
                                          std::string(name) + "' after " + std::to_string(kDelimiterAttempts) +
                                          " attempts; the random source is not random"};
}

// ---------------------------------------------------------------------------------------------
// Parsing file commands
// ---------------------------------------------------------------------------------------------

namespace {

// One line of `text` starting at `index`, as the runner's ReadLine: nullopt at the end; the line
// excludes its terminator; `newline` is the terminator's length (0 when the text ended).
struct Line {
  std::string_view text;
  std::size_t newline = 0;
};

std::optional<Line> read_line(std::string_view text, std::size_t& index, bool windows_line_endings) {
  if (index >= text.size()) return std::nullopt;
  const std::size_t start = index;
  const std::size_t lf = text.find('\n', index);
  if (lf == std::string_view::npos) {
    index = text.size();
    return Line{text.substr(start), 0};
  }
  if (windows_line_endings) {
    const std::size_t crlf = text.find("\r\n", index);
    if (crlf != std::string_view::npos && crlf < lf) {
      index = crlf + 2;
      return Line{text.substr(start, crlf - start), 2};
    }
  }
  index = lf + 1;
  return Line{text.substr(start, lf - start), 1};
}

Error invalid_file_command(std::string message) { return Error{"invalid_file_command", std::move(message)}; }

}  // namespace

Result<std::vector<FileCommandEntry>> parse_file_commands(std::string_view text, bool windows_line_endings) {
  std::vector<FileCommandEntry> entries;
  std::size_t index = 0;
  for (auto line = read_line(text, index, windows_line_endings); line;
       line = read_line(text, index, windows_line_endings)) {
    const std::string_view current = line->text;
    if (current.empty()) continue;

    const std::size_t equals = current.find('=');
    const std::size_t heredoc = current.find("<<");
    if (equals != std::string_view::npos && (heredoc == std::string_view::npos || equals < heredoc)) {
      entries.push_back({std::string(current.substr(0, equals)), std::string(current.substr(equals + 1))});
      continue;
    }
    if (heredoc == std::string_view::npos) {
      return invalid_file_command("invalid file command line '" + std::string(current) +
                                  "': expected name=value or name<<DELIMITER");
    }

    const std::string_view name = current.substr(0, heredoc);
    const std::string_view delimiter = current.substr(heredoc + 2);
    if (name.empty() || delimiter.empty()) {
      return invalid_file_command("invalid file command line '" + std::string(current) +
                                  "': name and delimiter must not be empty");
    }
    const std::size_t value_start = index;
    std::size_t value_end = index;
    for (;;) {
      auto value_line = read_line(text, index, windows_line_endings);
      if (!value_line) {
        return invalid_file_command("value of '" + std::string(name) + "': matching delimiter '" +
                                    std::string(delimiter) + "' not found");
      }
      if (value_line->text == delimiter) break;
      if (value_line->newline == 0) {
        return invalid_file_command("value of '" + std::string(name) +
                                    "': the text ends without a newline before the delimiter line");
      }
      value_end = index - value_line->newline;
    }
    entries.push_back({std::string(name), std::string(text.substr(value_start, value_end - value_start))});
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Workflow commands
// ---------------------------------------------------------------------------------------------

std::string escape_data(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_property(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += "%3A";
        break;
      case ',':
        out += "%2C";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

std::string_view level_name(AnnotationLevel level) {
  switch (level) {
    case AnnotationLevel::error:
      return "error";
    case AnnotationLevel::warning:
      return "warning";
    case AnnotationLevel::notice:
      return "notice";
  }
  throw std::logic_error("level_name: unknown AnnotationLevel");
}

}  // namespace

std::string annotation_command(AnnotationLevel level, std::string_view message,
                               const AnnotationProperties& properties) {
  std::vector<std::pair<std::string_view, std::string>> pairs;
  auto add_text = [&](std::string_view key, const std::optional<std::string>& value) {
    if (value && !value->empty()) pairs.emplace_back(key, escape_property(*value));
  };
  auto add_number = [&](std::string_view key, std::optional<int> value) {
    if (value) pairs.emplace_back(key, std::to_string(*value));
  };
  add_text("title", properties.title);
  add_text("file", properties.file);
  add_number("line", properties.line);
  add_number("endLine", properties.end_line);
  add_number("col", properties.col);
  add_number("endColumn", properties.end_column);

  std::string line = "::";
  line += level_name(level);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    line += i == 0 ? ' ' : ',';
    line.append(pairs[i].first).append("=").append(pairs[i].second);
  }
  line += "::";
  line += escape_data(message);
  return line;
}

std::string group_command(std::string_view title) { return "::group::" + escape_data(title); }
std::string endgroup_command() { return "::endgroup::"; }
std::string debug_command(std::string_view message) { return "::debug::" + escape_data(message); }
std::string add_mask_command(std::string_view secret) { return "::add-mask::" + escape_data(secret); }
std::string stop_commands_command(std::string_view token) { return "::stop-commands::" + escape_data(token); }
std::string resume_commands_command(std::string_view token) { return "::" + std::string(token) + "::"; }

namespace {

// Sequential replacements in the runner's table order; "%25" comes last so an escaped '%'
// cannot combine with the following text into another escape.
std::string unescape(std::string_view text, bool property) {
  std::string out(text);
  replace_all(out, "%0D", "\r");
  replace_all(out, "%0A", "\n");
  if (property) {
    replace_all(out, "%3A", ":");
    replace_all(out, "%2C", ",");
  }
  replace_all(out, "%25", "%");
  return out;
}

}  // namespace

std::optional<WorkflowCommand> parse_workflow_command(std::string_view line) {
  while (!line.empty() && is_ascii_space(line.front())) line.remove_prefix(1);
  if (line.substr(0, 2) != "::") return std::nullopt;
  const std::size_t end = line.find("::", 2);
  if (end == std::string_view::npos) return std::nullopt;

  const std::string_view info = line.substr(2, end - 2);
  const std::size_t space = info.find(' ');
  WorkflowCommand command;
  command.command = std::string(info.substr(0, space));
  if (command.command.empty()) return std::nullopt;

  if (space != std::string_view::npos && space > 0) {
    std::string_view rest = trim(info.substr(space + 1));
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view pair = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || eq == 0 || eq + 1 == pair.size()) continue;
      command.properties[std::string(pair.substr(0, eq))] = unescape(pair.substr(eq + 1), true);
    }
  }
  command.data = unescape(line.substr(end + 2), false);
  return command;
}

// ---------------------------------------------------------------------------------------------
// Masker
// ---------------------------------------------------------------------------------------------

bool Masker::register_value(std::string_view value) {
  if (is_blank(value)) return false;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return false;
  secrets_.emplace_back(value);
  return true;
}

namespace {

// A secret as it appears once its carrier encodes it: inside a JSON string, a URL, or base64 at
// any of the three byte alignments (the runner's SecretMasker has the same encoders). The ends of
// a base64 form that depend on neighbouring bytes are left out, so the form is found wherever the
// secret is encoded; forms under 8 characters would mask ordinary text and are skipped.
std::vector<std::string> encoded_forms(std::string_view secret) {
  std::vector<std::string> forms;
  std::string json;
  for (unsigned char c : secret) {
    switch (c) {
      case '"':
        json += "\\\"";
        break;
      case '\\':
        json += "\\\\";
        break;
      case '\n':
        json += "\\n";
        break;
      case '\r':
        json += "\\r";
        break;
      case '\t':
        json += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          json += buffer;
        } else {
          json += static_cast<char>(c);
        }
    }
  }
  forms.push_back(json);
  std::string uri;
  for (unsigned char c : secret) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      uri += buffer;
    }
  }
  forms.push_back(uri);
  for (std::size_t shift = 0; shift < 3; ++shift) {
    std::string encoded = crypto::base64_encode(std::string(shift, '\0') + std::string(secret));
    while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
    const std::size_t lead = shift == 0 ? 0 : shift == 1 ? 2 : 3;       // characters carrying prefix bits
    const std::size_t tail = (shift + secret.size()) % 3 == 0 ? 0 : 1;  // bits shared with what follows
    if (encoded.size() > lead + tail) forms.push_back(encoded.substr(lead, encoded.size() - lead - tail));
  }
  std::erase_if(forms, [&](const std::string& form) { return form.size() < 8 || form == secret; });
  return forms;
}

}  // namespace

std::vector<std::string> Masker::add(std::string_view secret) {
  std::vector<std::string> commands;
  if (register_value(secret)) commands.push_back(add_mask_command(secret));
  // Masked here only: the runner derives the same forms from the add-mask value itself.
  for (auto& form : encoded_forms(secret)) {
    if (std::find(forms_.begin(), forms_.end(), form) == forms_.end()) forms_.push_back(std::move(form));
  }

  if (secret.find_first_of("\r\n") != std::string_view::npos) {
    std::size_t start = 0;
    while (start <= secret.size()) {
      std::size_t stop = secret.find_first_of("\r\n", start);
      if (stop == std::string_view::npos) stop = secret.size();
      const std::string_view part = trim(secret.substr(start, stop - start));
      if (register_value(part)) commands.push_back(add_mask_command(part));
      start = stop + 1;
    }
  }
  return commands;
}

std::string Masker::mask(std::string_view text) const {
  struct Range {
    std::size_t begin;
    std::size_t end;
  };
  std::vector<Range> ranges;
  for (const auto* values : {&secrets_, &forms_}) {
    for (const std::string& secret : *values) {
      // Step by one so overlapping occurrences of the same secret ("aba" in "ababa") all count.
      for (std::size_t pos = text.find(secret); pos != std::string_view::npos; pos = text.find(secret, pos + 1)) {
        ranges.push_back({pos, pos + secret.size()});
      }
    }
  }
  if (ranges.empty()) return std::string(text);

  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text before this offset is already in `out`
  std::size_t i = 0;
  while (i < ranges.size()) {
    // Merge every range that overlaps or touches the current one into one "***".
    const std::size_t begin = ranges[i].begin;
    std::size_t end = ranges[i].end;
    for (++i; i < ranges.size() && ranges[i].begin <= end; ++i) end = std::max(end, ranges[i].end);
    out.append(text.substr(copied, begin - copied));
    out.append("***");
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace deploy::runner
