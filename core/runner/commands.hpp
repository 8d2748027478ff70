// The GitHub Actions runner contract for a container action: inputs from INPUT_* variables, the
// file commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY), workflow commands
// on stdout (::error::, ::group::, ::add-mask:: ...) and secret masking.
//
// Everything here follows what actions/runner does with the text (Handler.AddInputsToEnvironment,
// FileCommandManager / EnvFileKeyValuePairs, ActionCommand.TryParseV2, AddMaskCommandExtension)
// and what @actions/core writes (getInput, getBooleanInput, prepareKeyValueMessage, command.ts).
// Where we deliberately differ, the declaration says so.
//
// Pure: reading the process environment and writing the files is in core/runner_files.hpp.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace deploy::runner {

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

// Looks a variable up; nullopt when it is not set. Pure code receives one of these and never reads
// the process environment itself.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// For tests and for code that builds an environment (a copy of the map is captured).
Environment environment_from_map(std::map<std::string, std::string, std::less<>> variables);

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

// "INPUT_" + name with spaces replaced by '_' and ASCII letters uppercased; hyphens are kept:
// "github-token" -> "INPUT_GITHUB-TOKEN", "dry run" -> "INPUT_DRY_RUN". Same rule in the runner
// (which sets the variable) and in @actions/core getInput (which reads it).
std::string input_variable(std::string_view input_name);

// The input's value with ASCII whitespace trimmed; "" when unset.
std::string get_input(const Environment& env, std::string_view input_name);

// Like get_input, but an unset or blank value is an error (code "input_required") whose message
// names the input, its variable and the `with:` line that sets it, using `example_value`.
// Differs from @actions/core on purpose: a whitespace-only value counts as missing (toolkit
// checks before trimming and would return "").
Result<std::string> get_required_input(const Environment& env, std::string_view input_name,
                                       std::string_view example_value = "<value>");

// YAML 1.2 core schema booleans, exactly as @actions/core getBooleanInput: true|True|TRUE and
// false|False|FALSE after trimming; anything else ("yes", "1", "tRue", "") is an error (code
// "input_not_boolean") naming the input and the accepted values. When the value is empty and
// `when_empty` is given, that is returned instead (the runner normally fills action.yml defaults,
// so this is for callers running outside it).
Result<bool> get_boolean_input(const Environment& env, std::string_view input_name,
                               std::optional<bool> when_empty = std::nullopt);

// ---------------------------------------------------------------------------------------------
// File commands: GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY
// ---------------------------------------------------------------------------------------------

enum class FileCommand { output, env, state, step_summary };

// The variable that names the file: "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE",
// "GITHUB_STEP_SUMMARY".
std::string_view file_command_variable(FileCommand command);

// The runner refuses (and does not upload) a step summary larger than this.
inline constexpr std::size_t kStepSummaryLimitBytes = 128 * 1024;

// A random UUID v4 text ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase) from two draws.
std::string random_uuid(const RandomSource& random);
// "ghadelimiter_" + random_uuid(random), as @actions/core does.
std::string make_delimiter(const RandomSource& random);

// How many delimiters format_file_command tries before giving up.
inline constexpr int kDelimiterAttempts = 8;

// One heredoc entry, "name<<DELIM\nvalue\nDELIM\n", ready to append.
// Name errors (code "invalid_file_command_name"): empty, or containing '\n', '\r', '<' or '='.
// ('=' is refused because the runner would read "a=b<<D" as the single-line form a = "b<<D" and
// then treat the value's lines as further commands.)
// Delimiter: the toolkit throws when its random delimiter occurs in the name or value; we draw a
// new one instead, up to kDelimiterAttempts, because a value that happens to contain a delimiter
// is input, not an attack on us. Only a broken random source exhausts the attempts (code
// "delimiter_collision").
Result<std::string> format_file_command(std::string_view name, std::string_view value, const RandomSource& random);

// ---------------------------------------------------------------------------------------------
// Parsing file commands as the runner does (EnvFileKeyValuePairs), for tests and e2e checks
// ---------------------------------------------------------------------------------------------

struct FileCommandEntry {
  std::string name;
  std::string value;
  bool operator==(const FileCommandEntry&) const = default;
};

// Lines end at "\n" (the Linux runner: container actions only run there); with
// `windows_line_endings` a "\r\n" also ends a line (the runner's OS_WINDOWS branch). Empty lines
// are skipped. "name=value" is one entry; "name<<DELIM" starts a heredoc whose value is the text
// up to the line equal to DELIM, excluding the newline before it. Whichever of '=' and "<<" comes
// first decides the form. Errors (code "invalid_file_command"): a line with neither, an empty
// heredoc name or delimiter, a missing delimiter line, a value's last line without a newline.
// Like the runner, "=value" yields an entry with an empty name (its check tests the wrong string).
Result<std::vector<FileCommandEntry>> parse_file_commands(std::string_view text, bool windows_line_endings = false);

// ---------------------------------------------------------------------------------------------
// Workflow commands on stdout
// ---------------------------------------------------------------------------------------------

// Data (the text after the second "::"): '%' -> %25, '\r' -> %0D, '\n' -> %0A.
std::string escape_data(std::string_view text);
// Property values additionally: ':' -> %3A, ',' -> %2C.
std::string escape_property(std::string_view text);

enum class AnnotationLevel { error, warning, notice };

struct AnnotationProperties {
  std::optional<std::string> title;
  std::optional<std::string> file;
  std::optional<int> line;
  std::optional<int> end_line;
  std::optional<int> col;
  std::optional<int> end_column;
};

// "::error title=T,file=F,line=1,endLine=2,col=3,endColumn=4::message" (toolkit's property order;
// unset or empty properties are left out, and so is the space when none is set). Lines return
// without a trailing newline.
std::string annotation_command(AnnotationLevel level, std::string_view message,
                               const AnnotationProperties& properties = {});
std::string group_command(std::string_view title);      // "::group::title"
std::string endgroup_command();                         // "::endgroup::"
std::string debug_command(std::string_view message);    // "::debug::message"
std::string add_mask_command(std::string_view secret);  // "::add-mask::secret"
// While commands are stopped the runner ignores every "::command::" line until
// "::<token>::"; use around untrusted output (stage logs) with a fresh random_uuid token.
std::string stop_commands_command(std::string_view token);    // "::stop-commands::token"
std::string resume_commands_command(std::string_view token);  // "::token::"

// A workflow command line as the runner reads it (ActionCommand.TryParseV2), for tests.
struct WorkflowCommand {
  std::string command;
  std::map<std::string, std::string> properties;  // the runner's keys are case-insensitive
  std::string data;
};
// nullopt when the line is not a command: it must start (after leading whitespace) with "::" and
// have a second "::". Properties are comma-separated key=value pairs; pairs with an empty key or
// value are dropped. Values and data are unescaped in the runner's order (%25 last).
std::optional<WorkflowCommand> parse_workflow_command(std::string_view line);

// ---------------------------------------------------------------------------------------------
// Secret masking
// ---------------------------------------------------------------------------------------------

// Masks registered secrets in text we print (stage output, error messages) before the runner ever
// sees it, and produces the ::add-mask:: lines that make the runner mask them in its own logs.
//
// Which values: like the runner, every value that is not blank is masked, however short; masking
// a short secret hurts log readability, printing it hurts more. A multi-line secret is registered
// whole and line by line (each non-blank line, trimmed), because output is masked one line at a
// time and a secret's lines arrive on different lines.
//
// How: mask() finds every occurrence of every secret (overlapping ones included), merges the
// ranges that overlap or touch, and replaces each merged range with "***", as the runner's
// SecretMasker does. Replacing secret by secret (even longest first) can leave part of an
// overlapping secret in clear text; merging ranges cannot. Cost is one find loop per secret plus
// one pass to build the result; no re-scanning of rewritten text.
class Masker {
 public:
  // Registers a secret. Returns the add-mask command lines the action must print (before anything
  // could print the secret): one for the whole value and one per additional line value, so
  // runners that do not split multi-line masks themselves still mask each line. Empty when the
  // secret is blank or already registered.
  std::vector<std::string> add(std::string_view secret);

  std::string mask(std::string_view text) const;

  // Distinct registered values (whole secrets and their lines).
  std::size_t size() const { return secrets_.size(); }

 private:
  bool register_value(std::string_view value);
  std::vector<std::string> secrets_;
  std::vector<std::string> forms_;  // the secrets as JSON, URLs and base64 carry them
};

}  // namespace deploy::runner
