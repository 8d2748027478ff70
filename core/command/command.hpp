// The comment grammar: which lines of a GitHub comment are commands, and what they say.
// Pure: the bot's handlers are bound elsewhere; this file knows only words and arguments.
//
// A command line is a line whose first non-blank text is `/WORD`, WORD matched case-insensitively
// against the registry below, followed by a space, a tab or the end of the line. Only lines that
// GitHub shows as text can be commands: a command shown as code, or not shown at all, must not act.
// Not commands:
//  - lines in fenced code blocks (``` or ~~~, closed by a fence of the same character and at
//    least the same length; an unclosed fence hides the rest). A fence opens at the start of a
//    line or after list item markers (`- ````, `1. ````, `- * ````); a fence in a list item ends,
//    as on GitHub, at a closing fence indented 0-3 columns past the item's content column, or at
//    the first non-blank line indented less than that column (which ends the item and is read);
//  - lines in indented code blocks (4+ columns of indentation, a tab counting to the next
//    multiple of 4) unless they continue paragraph text: after a blank line, a fence, a heading,
//    a thematic break, a quote, a table row, an HTML comment or an empty list item such a line is
//    code;
//  - lines inside an HTML comment: from a `<!--` with no `-->` after it on its line (anywhere in
//    a line outside code), up to the next line that holds `-->`;
//  - quoted lines (`> /approve`, `>> /approve`): quoting someone's command is not giving it;
//  - `/` in the middle of a line (`please /approve`), and list items (`- /approve`);
//  - `/` followed by a non-letter (`/ `, `//`, `/1`) or a path (`/usr/bin`, a second `/` before
//    the first blank): ordinary text.
// Any other `/WORD...` at the start of a line is an unknown command, including a known word with
// text glued to it (`/approved`, `/approve-now`, `/status.`): it never runs, and the reply shows
// the help text, since the author most likely meant a command.
//
// This is not a markdown parser, and where it cannot tell what GitHub shows it hides (less is read
// as a command: a command that did not run can be posted again, one that ran cannot be taken
// back). Indentation is measured from the start of the line, not from the list item. List item
// content columns are not tracked from line to line, so when a comment has list items, a fence on
// a line of its own, indented N columns, may be in a list item with its content column anywhere
// in [N-3, N]: a line between those columns, or a closing fence that only some of them would
// accept, stops the reading, and the rest of the comment is hidden. The rest is hidden too when
// an HTML comment outlives the block it opened in (a comment block ends with its quote or list
// item, a comment in paragraph text with the paragraph, one in raw HTML at a blank line), when a
// comment block is opened again after its `-->`, and at a fence inside raw HTML (`<div>`): GitHub
// then leaves a `<!--` unclosed, or the model cannot tell. An HTML comment in inline code
// (`` `<!--` ``) still hides the lines after it. Lazy block-quote continuation is not followed:
// a line without `>` was typed by the author. These rules were checked against cmark-gfm, the
// renderer GitHub uses, on randomly generated comments: no line it shows as code or hides was
// read as a command.
//
// Per comment the result is exactly one of: commands to run, a reply to post, or ignore.
//  - More than max_commands command lines (known or unknown): a too_many_commands reply and
//    nothing runs. All or nothing: running the first ten would act on a comment whose author
//    may believe all of it ran, or that none of it did; a refusal is unambiguous and cheap to fix.
//  - Any line in error (unknown_command, bad_arguments, invalid_version): a reply listing every
//    such line, and nothing runs, for the same reason.
//  - `/help` anywhere (and no errors): the help reply; nothing else in the comment runs.
//  - Otherwise the commands, in line order. Duplicates are kept (each with its line): the policy
//    counts each person once per commit, and `/approve` then `/approve cancel` needs the order.
// Replies are markdown; any user text they quote is escaped (no control bytes, backticks or @).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/semver/semver.hpp"

namespace deploy::command {

enum class Kind {
  approve,
  approve_cancel,
  rollback,
  status,
  help,
  reject,
  reject_cancel,
  lock,
  lock_list,
  unlock,
  promote,
  abort,
  deploy
};
// Stable snake_case name ("approve_cancel"), for logs and audit records.
std::string_view to_string(Kind kind);

struct Command {
  Kind kind = Kind::help;
  std::optional<semver::Version> version;  // rollback only; empty means "the last good version"
  std::string version_text;                // as typed, e.g. "v1.4.0" or "1.4.0"; "" if none
  std::string reason;                      // rollback and reject; plain text, see clean_reason
  bool reason_truncated = false;
  int line = 0;  // 1-based line in the comment
  // lock, unlock, deploy: the environment named (as typed; matched against deploy.yml later).
  std::string environment;
  std::optional<std::chrono::milliseconds> duration;  // lock: how long it holds; none = until /unlock
  bool noop = false;                                  // deploy: only show the plan
};

// One registered command. The help text and every usage reply are generated from these entries,
// so they cannot drift from the grammar. Adding a command is adding an entry (and a Kind).
struct Entry {
  std::string_view word;       // lowercase, without the '/'
  std::string_view arguments;  // usage after the word, e.g. "[VERSION] [REASON...]"; "" if none
  std::string_view help;       // one line for help_text()
  // Parses the text after the word on its line (empty, or starting with a blank). Sets every
  // field but `line`. Errors: "bad_arguments", "invalid_version" (message without usage).
  Result<Command> (*parse_arguments)(std::string_view arguments);
};

std::span<const Entry> registry();
const Entry* find(std::string_view word);  // case-insensitive, without '/'; nullptr if unknown
std::string usage(const Entry& entry);     // "/rollback [VERSION] [REASON...]"
std::string help_text();                   // markdown list of every entry

inline constexpr std::size_t max_commands = 10;
inline constexpr std::size_t max_reason_code_points = 200;

// Free text made safe to store and show: invalid UTF-8 becomes U+FFFD; tabs and line breaks
// become spaces; other C0 and C1 controls, DEL and the bidirectional overrides/isolates (U+202A-U+202E, U+2066-U+2069,
// which can make shown text differ from stored text) are removed; runs of spaces collapse to one
// and the ends are trimmed; then at most max_reason_code_points code points are kept (cut on a
// code point boundary, trailing space trimmed again).
struct CleanText {
  std::string text;
  bool truncated = false;
};
CleanText clean_reason(std::string_view text);

struct ParseResult {
  enum class Type { ignore, commands, reply };
  Type type = Type::ignore;
  std::vector<Command> commands;  // type == commands: in line order, duplicates kept
  std::string reply;              // type == reply: markdown to post on the thread
  // type == reply: "unknown_command", "invalid_version", "bad_arguments" (the first line in
  // error), "too_many_commands" or "help".
  std::string reason_code;
};

ParseResult parse_comment(std::string_view body);

}  // namespace deploy::command
