// The action's contract in its three places: action.yml (what the runner and workflow authors
// read), `deploy-action --help` (made from action/action_interface.cpp, the table the action reads
// its inputs by) and docs/ACTION.md. They must name the same inputs and outputs, with the same
// defaults where the docs state one.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run_action.hpp"

namespace {

const std::string kSource = DEPLOY_SOURCE_DIR;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines of the markdown section headed `heading`, up to the next heading of its level.
std::vector<std::string> section(const std::string& markdown, const std::string& heading) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& line : lines_of(markdown)) {
    if (line.rfind("## ", 0) == 0) {
      if (in) break;
      in = line == heading;
      continue;
    }
    if (in) out.push_back(line);
  }
  return out;
}

// Every `code span` of the text, in order.
std::vector<std::string> code_spans(const std::string& text) {
  std::vector<std::string> spans;
  for (std::size_t at = text.find('`'); at != std::string::npos; at = text.find('`', at)) {
    const auto end = text.find('`', at + 1);
    if (end == std::string::npos) break;
    spans.push_back(text.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return spans;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// "a, b, c": vectors compared as text so a failure shows both lists.
std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

struct Input {
  bool required = false;
  std::string default_value;
};

}  // namespace

TEST_CASE("action.yml, deploy-action --help and docs/ACTION.md name the same inputs and outputs") {
  const YAML::Node action = YAML::LoadFile(kSource + "/action.yml");
  std::map<std::string, Input> yml_inputs;
  std::vector<std::string> yml_input_order;
  for (const auto& entry : action["inputs"]) {
    const auto name = entry.first.as<std::string>();
    yml_inputs[name] = {entry.second["required"].as<bool>(false), entry.second["default"].as<std::string>("")};
    yml_input_order.push_back(name);
  }
  std::vector<std::string> yml_outputs;
  for (const auto& entry : action["outputs"]) yml_outputs.push_back(entry.first.as<std::string>());
  REQUIRE(yml_inputs.size() >= 10);
  REQUIRE(yml_outputs.size() >= 8);

  // --help: the inputs, one a line under "As a container action", and the "Outputs:" line.
  const auto help = deploy::test::run_action({"--help"});
  REQUIRE(help.exit_code == 0);
  std::vector<std::string> help_inputs;
  std::vector<std::string> help_outputs;
  bool in_inputs = false;
  for (const auto& line : lines_of(help.output)) {
    if (line.rfind("As a container action", 0) == 0) {
      in_inputs = true;
    } else if (in_inputs && line.rfind("  ", 0) == 0) {
      help_inputs.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (in_inputs) {
      in_inputs = false;
    }
    if (line.rfind("Outputs: ", 0) == 0) {
      std::string list = line.substr(9);
      if (!list.empty() && list.back() == '.') list.pop_back();
      for (std::size_t at = 0; at <= list.size();) {
        const auto comma = list.find(", ", at);
        help_outputs.push_back(list.substr(at, comma - at));
        if (comma == std::string::npos) break;
        at = comma + 2;
      }
    }
  }
  CHECK(joined(help_inputs) == joined(yml_input_order));
  CHECK(joined(help_outputs) == joined(yml_outputs));

  // docs/ACTION.md: the inputs table (| `name` | default | what |) and the outputs paragraph.
  const std::string docs = read(kSource + "/docs/ACTION.md");
  std::vector<std::string> doc_input_order;
  for (const auto& line : section(docs, "## Inputs")) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    for (std::size_t at = 1; at < line.size();) {
      const auto bar = line.find(" |", at);
      if (bar == std::string::npos) break;
      cells.push_back(trim(line.substr(at, bar - at)));
      at = bar + 2;
    }
    REQUIRE(cells.size() >= 2);
    const auto name = code_spans(cells[0]).at(0);
    doc_input_order.push_back(name);
    CAPTURE(name);
    auto it = yml_inputs.find(name);
    if (it == yml_inputs.end()) continue;  // reported by the order check below
    const std::string& yml_default = it->second.default_value;
    if (it->second.required) {
      CHECK(cells[1] == "(required)");
    } else if (yml_default.empty()) {
      // An empty default: the docs say "empty" or what the action then uses, never a value.
      CHECK(code_spans(cells[1]).empty());
    } else {
      CHECK(cells[1] == "`" + yml_default + "`");
    }
  }
  CHECK(joined(doc_input_order) == joined(yml_input_order));

  std::string outputs_text;
  for (const auto& line : section(docs, "## Outputs")) outputs_text += line + " ";
  // The paragraph names the outputs, then points at action.yml for the status values.
  outputs_text = outputs_text.substr(0, outputs_text.find("(see"));
  CHECK(joined(code_spans(outputs_text)) == joined(yml_outputs));
}
