// The command lines of deploy-action and deploy-bot: each command and its options are defined once,
// as data, and both the parser and the usage text (--help) are made from that definition, so the
// help cannot name an option the parser does not know or miss one it does. Pure: arguments in, a
// parse result or an error that names the option and the fix out; printing is the caller's.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace deploy::cli {

struct Option {
  std::string name;       // "--config"
  std::string value;      // what it takes, as usage shows it ("FILE"); empty = a switch, no value
  std::string help;       // one line for an option list ("overrides DEPLOY_BOT_STORE")
  bool required = false;  // parse refuses the command without it
};

// One way to call a command, one synopsis line in the usage: the options it shows bare (needed in
// this form, or always given in practice), those it shows in brackets, then its operands.
struct Form {
  std::vector<std::string> shown;     // option names, in order
  std::vector<std::string> optional;  // option names, in order, shown as [--name VALUE]
  std::string operands;               // "FILE..."; empty = none
  std::string help;                   // what this form does; lines kept as written
};

struct Command {
  std::string name;             // "plan", or a group's command in two words ("audit export")
  std::vector<Option> options;  // every option of every form: what parse accepts
  bool takes_operands = false;  // arguments that are not options (files); refused otherwise
  // The synopsis lines; empty = one form showing required options bare and the others in brackets.
  std::vector<Form> forms;
  std::string help;  // with no forms: what the command does; lines kept as written
};

struct Parsed {
  std::map<std::string, std::string, std::less<>> values;  // option name -> last value ("" for a switch)
  std::vector<std::string> operands;

  bool has(std::string_view option) const { return values.find(option) != values.end(); }
  std::optional<std::string> get(std::string_view option) const;
};

// Options are `--name VALUE` or `--name=VALUE` (the argument after `--name` is its value whatever it
// looks like); a switch takes none. Error code "usage", messages (the caller adds the program and
// command):
//   unknown option --bogus (known: --config, --environment, --ref)
//   option --config needs a value: --config FILE
//   option --from-github takes no value
//   --environment NAME is required
//   unexpected argument 'x' (plan takes no arguments besides its options)
Result<Parsed> parse(const Command& command, std::span<const std::string> args);

// The command `args` names (its words first: "audit", "export"), nullptr when none; `words` is
// set to how many arguments the name took.
const Command* find(std::span<const Command> commands, std::span<const std::string> args, std::size_t& words);
// The commands of a group ("audit" -> "audit export", "audit verify"), for a "use ... or ..." hint.
std::vector<const Command*> group(std::span<const Command> commands, std::string_view first_word);

// "deploy-action plan --config FILE --environment NAME [--ref REF]", one per form, each wrapped
// at `width` with continuation lines aligned after the command's name.
std::vector<std::string> synopses(std::string_view program, const Command& command, std::size_t width = 100);

// The "Usage:" block: each form's synopsis indented by 2, its help under it indented by 6.
std::string usage(std::string_view program, std::span<const Command> commands);

// A name-help list: "  NAME<pad>help", help aligned at `column` (at least one space after a long
// name). Used for option lists, environment variables and action inputs alike.
struct Entry {
  std::string name;
  std::string help;
};
std::string table(std::span<const Entry> entries, std::size_t column);
// The command's options as such a list: "--listen HOST:PORT" and the option's help.
std::vector<Entry> option_entries(const Command& command);

}  // namespace deploy::cli
