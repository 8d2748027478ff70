#include "core/cli/cli.hpp"

#include <algorithm>
#include <stdexcept>

namespace deploy::cli {
namespace {

Error usage_error(std::string message) { return Error{"usage", std::move(message)}; }

const Option* option_named(const Command& command, std::string_view name) {
  for (const auto& option : command.options) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

// "--config FILE", or "--from-github" for a switch.
std::string spelled(const Option& option) {
  return option.value.empty() ? option.name : option.name + " " + option.value;
}

std::string known_options(const Command& command) {
  std::string known;
  for (const auto& option : command.options) known += (known.empty() ? "" : ", ") + option.name;
  return known.empty() ? "it takes none" : "known: " + known;
}

// A form's option, which a definition names; a misspelt name is a bug in the definition.
const Option& form_option(const Command& command, const std::string& name) {
  const Option* option = option_named(command, name);
  if (option == nullptr) throw std::logic_error("cli: form of '" + command.name + "' names no option " + name);
  return *option;
}

Form implicit_form(const Command& command) {
  Form form;
  for (const auto& option : command.options) (option.required ? form.shown : form.optional).push_back(option.name);
  form.help = command.help;
  return form;
}

std::vector<std::string_view> words_of(std::string_view name) {
  std::vector<std::string_view> words;
  while (!name.empty()) {
    const auto space = name.find(' ');
    words.push_back(name.substr(0, space));
    if (space == std::string_view::npos) break;
    name.remove_prefix(space + 1);
  }
  return words;
}

}  // namespace

std::optional<std::string> Parsed::get(std::string_view option) const {
  auto it = values.find(option);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Result<Parsed> parse(const Command& command, std::span<const std::string> args) {
  Parsed parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      if (!command.takes_operands) {
        return usage_error("unexpected argument '" + arg + "' (" + command.name +
                           " takes no arguments besides its options)");
      }
      parsed.operands.push_back(arg);
      continue;
    }
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const Option* option = option_named(command, name);
    if (option == nullptr) return usage_error("unknown option " + name + " (" + known_options(command) + ")");
    if (option->value.empty()) {
      if (eq != std::string::npos) return usage_error("option " + name + " takes no value");
      parsed.values[name] = "";
    } else if (eq != std::string::npos) {
      parsed.values[name] = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      parsed.values[name] = args[++i];
    } else {
      return usage_error("option " + name + " needs a value: " + spelled(*option));
    }
  }
  for (const auto& option : command.options) {
    if (option.required && !parsed.has(option.name)) return usage_error(spelled(option) + " is required");
  }
  return parsed;
}

const Command* find(std::span<const Command> commands, std::span<const std::string> args, std::size_t& words) {
  for (const auto& command : commands) {
    const auto name = words_of(command.name);
    if (name.size() > args.size()) continue;
    if (std::equal(name.begin(), name.end(), args.begin())) {
      words = name.size();
      return &command;
    }
  }
  words = 0;
  return nullptr;
}

std::vector<const Command*> group(std::span<const Command> commands, std::string_view first_word) {
  std::vector<const Command*> found;
  for (const auto& command : commands) {
    const auto name = words_of(command.name);
    if (name.size() > 1 && name.front() == first_word) found.push_back(&command);
  }
  return found;
}

std::vector<std::string> synopses(std::string_view program, const Command& command, std::size_t width) {
  std::vector<std::string> lines;
  const std::vector<Form> forms = command.forms.empty() ? std::vector<Form>{implicit_form(command)} : command.forms;
  for (const auto& form : forms) {
    std::vector<std::string> parts;
    for (const auto& name : form.shown) parts.push_back(spelled(form_option(command, name)));
    for (const auto& name : form.optional) parts.push_back("[" + spelled(form_option(command, name)) + "]");
    if (!form.operands.empty()) parts.push_back(form.operands);
    const std::string head = std::string(program) + " " + command.name;
    std::string line = head;
    for (const auto& part : parts) {
      if (line.size() + 1 + part.size() > width && line.size() > head.size()) {
        lines.push_back(line);
        line = std::string(head.size(), ' ');
      }
      line += " " + part;
    }
    lines.push_back(line);
  }
  return lines;
}

std::string usage(std::string_view program, std::span<const Command> commands) {
  std::string out;
  for (const auto& command : commands) {
    const std::vector<Form> forms = command.forms.empty() ? std::vector<Form>{implicit_form(command)} : command.forms;
    for (const auto& form : forms) {
      Command one = command;
      one.forms = {form};
      for (const auto& line : synopses(program, one)) out += "  " + line + "\n";
      std::string_view help = form.help;
      while (!help.empty()) {
        const auto end = help.find('\n');
        out += "      " + std::string(help.substr(0, end)) + "\n";
        if (end == std::string_view::npos) break;
        help.remove_prefix(end + 1);
      }
    }
  }
  return out;
}

std::string table(std::span<const Entry> entries, std::size_t column) {
  std::string out;
  for (const auto& entry : entries) {
    const std::size_t used = 2 + entry.name.size();
    out += "  " + entry.name + std::string(used < column ? column - used : 1, ' ') + entry.help + "\n";
  }
  return out;
}

std::vector<Entry> option_entries(const Command& command) {
  std::vector<Entry> entries;
  for (const auto& option : command.options) entries.push_back({spelled(option), option.help});
  return entries;
}

}  // namespace deploy::cli
