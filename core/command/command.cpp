#include "core/command/command.hpp"

#include <array>

#include "core/config/duration.hpp"
#include "core/text/text.hpp"

namespace deploy::command {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_blanks(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// User text quoted in a reply: capped and escaped, so a quoted word cannot end a code span,
// mention someone or carry control bytes.
std::string shown(std::string_view text) {
  static constexpr std::size_t kMaxBytes = 32;
  return text::shown(text, kMaxBytes);
}

// ---- argument grammars, one per entry ----

Command of_kind(Kind kind) {
  Command command;
  command.kind = kind;
  return command;
}

Error bad_arguments(std::string what) { return Error{"bad_arguments", std::move(what)}; }

Result<Command> parse_approve(std::string_view arguments) {
  const auto words = split_blanks(arguments);
  if (words.empty()) return of_kind(Kind::approve);
  if (words.size() == 1 && text::iequals(words[0], "cancel")) return of_kind(Kind::approve_cancel);
  return bad_arguments("takes no argument or `cancel`, not `" + shown(trim_blanks(arguments)) + "`");
}

Result<Command> parse_rollback(std::string_view arguments) {
  Command command = of_kind(Kind::rollback);
  std::string_view rest = trim_blanks(arguments);
  std::size_t first_end = 0;
  while (first_end < rest.size() && !is_blank(rest[first_end])) ++first_end;
  const std::string_view first = rest.substr(0, first_end);
  // "v1.2.3", "v1.2", "1.2.3", "500" look like versions; "very broken" does not. A version-like
  // word that does not parse is an error rather than the start of the reason, so a typo in the
  // version never rolls back to "the last good version" instead.
  const bool looks_like_version =
      !first.empty() && (is_ascii_digit(first[0]) ||
                         ((first[0] == 'v' || first[0] == 'V') && first.size() > 1 && is_ascii_digit(first[1])));
  if (looks_like_version) {
    auto version = semver::parse_tag(first);
    if (!version.ok()) {
      std::string message = "needs a release tag as VERSION: " + version.error().message;
      if (is_ascii_digit(first[0])) message += "; to give only a REASON, start it with a word";
      return Error{"invalid_version", std::move(message)};
    }
    command.version = std::move(version).value();
    command.version_text = std::string(first);
    rest = rest.substr(first_end);
  }
  auto reason = clean_reason(rest);
  command.reason = std::move(reason.text);
  command.reason_truncated = reason.truncated;
  return command;
}

// `/reject cancel` withdraws; anything else after the word is the reason (a reason starting with
// "cancel" and more words is a reason: "cancel the release, it breaks billing").
Result<Command> parse_reject(std::string_view arguments) {
  const std::string_view rest = trim_blanks(arguments);
  if (text::iequals(rest, "cancel")) return of_kind(Kind::reject_cancel);
  Command command = of_kind(Kind::reject);
  auto reason = clean_reason(rest);
  command.reason = std::move(reason.text);
  command.reason_truncated = reason.truncated;
  return command;
}

// An environment name as deploy.yml allows it: letters, digits, '-', '_' and '.'.
bool is_environment_name(std::string_view word) {
  if (word.empty() || word.size() > 100) return false;
  for (char c : word) {
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// A reason given in double quotes ("incident 1234") loses them.
std::string_view unquoted(std::string_view text) {
  text = trim_blanks(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  return text;
}

void set_reason(Command& command, std::string_view text) {
  auto reason = clean_reason(unquoted(text));
  command.reason = std::move(reason.text);
  command.reason_truncated = reason.truncated;
}

// The first word and what follows it.
std::pair<std::string_view, std::string_view> first_word(std::string_view arguments) {
  std::string_view rest = trim_blanks(arguments);
  std::size_t end = 0;
  while (end < rest.size() && !is_blank(rest[end])) ++end;
  return {rest.substr(0, end), rest.substr(end)};
}

Result<Command> environment_word(Kind kind, std::string_view word) {
  if (!is_environment_name(word)) {
    return bad_arguments("needs an environment name (letters, digits, `-`, `_`, `.`), not `" + shown(word) + "`");
  }
  Command command = of_kind(kind);
  command.environment = std::string(word);
  return command;
}

// /lock                          the locks
// /lock ENV [DURATION] [REASON]  a sticky lock; DURATION like 30m, 2h or 1d (a word starting with
//                                a digit must be one), REASON free text, quotes optional
Result<Command> parse_lock(std::string_view arguments) {
  const auto [env, rest] = first_word(arguments);
  if (env.empty()) return of_kind(Kind::lock_list);
  auto named = environment_word(Kind::lock, env);
  if (!named.ok()) return named;
  Command command = std::move(named).value();
  auto [maybe_duration, after] = first_word(rest);
  std::string_view reason = rest;
  if (!maybe_duration.empty() && is_ascii_digit(maybe_duration[0])) {
    auto duration = config::parse_duration(maybe_duration);
    if (!duration.ok() || duration->count() <= 0) {
      return bad_arguments("needs DURATION like 30m, 2h or 1d, not `" + shown(maybe_duration) +
                           "`; to give only a REASON, start it with a word");
    }
    command.duration = std::chrono::duration_cast<std::chrono::milliseconds>(duration.value());
    reason = after;
  }
  set_reason(command, reason);
  return command;
}

Result<Command> parse_unlock(std::string_view arguments) {
  const auto [env, rest] = first_word(arguments);
  if (env.empty() || !trim_blanks(rest).empty()) {
    return bad_arguments("takes one environment name, not `" + shown(trim_blanks(arguments)) + "`");
  }
  return environment_word(Kind::unlock, env);
}

// /deploy ENV [noop]
Result<Command> parse_deploy(std::string_view arguments) {
  const auto [env, rest] = first_word(arguments);
  const auto [flag, extra] = first_word(rest);
  if (env.empty() || !trim_blanks(extra).empty() || (!flag.empty() && !text::iequals(flag, "noop"))) {
    return bad_arguments("takes an environment name and optionally `noop`, not `" + shown(trim_blanks(arguments)) +
                         "`");
  }
  auto named = environment_word(Kind::deploy, env);
  if (!named.ok()) return named;
  Command command = std::move(named).value();
  command.noop = !flag.empty();
  return command;
}

Result<Command> parse_abort(std::string_view arguments) {
  Command command = of_kind(Kind::abort);
  set_reason(command, arguments);
  return command;
}

template <Kind K>
Result<Command> parse_no_arguments(std::string_view arguments) {
  if (trim_blanks(arguments).empty()) return of_kind(K);
  return bad_arguments("takes no arguments, not `" + shown(trim_blanks(arguments)) + "`");
}

// The registry. Order is the order of the help text.
constexpr std::array kEntries = {
    Entry{"approve", "[cancel]", "approve deploying this commit; `cancel` withdraws your approval", &parse_approve},
    Entry{"rollback", "[VERSION] [REASON...]",
          "roll the environment back to VERSION (a release tag like v1.4.0), or to the last good "
          "version if none is given; REASON is recorded",
          &parse_rollback},
    Entry{"reject", "[REASON...] | cancel",
          "block deploying this commit until you withdraw it with `/reject cancel`; REASON is shown and recorded",
          &parse_reject},
    Entry{"status", "", "show environments, versions, approvals and recent deployments",
          &parse_no_arguments<Kind::status>},
    Entry{"lock", "[ENV [DURATION] [REASON...]]",
          "lock environment ENV: deploys and rollbacks of it are refused (unless they are yours) until "
          "`/unlock ENV` or DURATION (30m, 2h, 1d) ends; REASON is recorded; without ENV, list the locks",
          &parse_lock},
    Entry{"unlock", "ENV", "remove the lock on environment ENV", &parse_unlock},
    Entry{"promote", "",
          "let the canary waiting at a `pause: until-promoted` step of this release go on to full traffic",
          &parse_no_arguments<Kind::promote>},
    Entry{"abort", "[REASON...]", "stop the canary waiting for /promote and roll it back at once; REASON is recorded",
          &parse_abort},
    Entry{"deploy", "ENV [noop]",
          "on a pull request: deploy its head commit to ENV (if `allow_pull_requests` allows it), with the same "
          "gates; `noop` only shows the plan",
          &parse_deploy},
    Entry{"help", "", "show this help", &parse_no_arguments<Kind::help>},
};

// ---- the markdown block structure, as far as it decides what is a command ----
//
// Not a markdown parser: just enough of CommonMark (as GitHub renders it) to tell which lines
// show as text. Where the model is unsure, it hides the line: a command that is not run can be
// posted again, one that runs from a line shown as code cannot be taken back.

// Columns count from the start of the line; a tab advances to the next multiple of 4.
std::size_t next_column(std::size_t column, char blank) { return blank == '\t' ? (column / 4 + 1) * 4 : column + 1; }

struct Indent {
  std::size_t columns = 0;
  std::size_t offset = 0;  // index of the first non-blank character
};

Indent indentation(std::string_view line) {
  Indent indent;
  while (indent.offset < line.size() && is_blank(line[indent.offset])) {
    indent.columns = next_column(indent.columns, line[indent.offset]);
    ++indent.offset;
  }
  return indent;
}

// The length of the list item marker that starts `text` (`-`, `*`, `+`, or 1 to 9 digits and `.`
// or `)`, then a blank or the end of the line), or 0.
std::size_t list_marker_length(std::string_view text) {
  std::size_t n = 0;
  if (!text.empty() && (text[0] == '-' || text[0] == '*' || text[0] == '+')) {
    n = 1;
  } else {
    while (n < text.size() && n < 9 && is_ascii_digit(text[n])) ++n;
    if (n == 0 || n == text.size() || (text[n] != '.' && text[n] != ')')) return 0;
    ++n;
  }
  return (n == text.size() || is_blank(text[n])) ? n : 0;
}

// A line's text after its block quote and list item markers (`> - 1. <!--` holds "<!--"): a
// fence or an HTML comment block may open there as well as at the start of a line.
struct Content {
  std::string_view text;
  std::size_t column = 0;       // of text's first character in the line
  std::size_t quote_depth = 0;  // `>` markers stripped
  bool in_list_item = false;    // a list marker was stripped
  bool list_item = false;       // the last marker stripped is a list marker: column is its content's
  bool indented_code = false;   // 5+ columns after the last list marker: the item starts with code
};

// A `>` after 4+ columns of blanks is a marker inside a list item, or text (indented code or a
// paragraph continuation) elsewhere. Where a higher quote depth is the safe side (the line that
// opens a comment), such a `>` counts; where a lower one is (the lines that may close it), not.
enum class IndentedQuotes { count, stop };

Content after_markers(std::string_view line, IndentedQuotes indented_quotes) {
  const Indent indent = indentation(line);
  Content content{line.substr(indent.offset), indent.columns};
  std::size_t blanks = indent.columns;  // columns of blanks before content.text
  while (!content.text.empty() && !content.indented_code) {
    const bool quote = content.text[0] == '>';
    std::size_t marker = 1;
    if (quote) {
      if (blanks > 3 && indented_quotes == IndentedQuotes::stop) break;
    } else if ((marker = list_marker_length(content.text)) == 0) {
      break;
    }
    std::size_t i = marker;
    std::size_t after = content.column + marker;
    while (i < content.text.size() && is_blank(content.text[i])) after = next_column(after, content.text[i++]);
    blanks = after - (content.column + marker);
    if (quote) {
      ++content.quote_depth;
      content.list_item = false;
      if (blanks > 0) --blanks;  // the blank of "> " belongs to the marker
    } else {
      content.in_list_item = content.list_item = true;
      content.indented_code = i < content.text.size() && blanks >= 5;
      blanks = 0;  // the item's content column is where its text starts
    }
    content.text = content.text.substr(i);
    content.column = after;
  }
  return content;
}

std::size_t run_of(std::string_view s, char c) {
  std::size_t n = 0;
  while (n < s.size() && s[n] == c) ++n;
  return n;
}

// An open fenced code block. It may sit in a list item whose content column C the model knows
// only within [min_column, max_column]: exactly after list markers on its own line, 0 outside
// lists. GitHub ends it at a closing fence indented 0-3 columns past C, or at a non-blank line
// indented less than C, which ends the list item and is read as a new line (it may even open a
// new fence).
struct Fence {
  char marker = '`';
  std::size_t length = 0;
  std::size_t min_column = 0;
  std::size_t max_column = 0;
};

// A fence opening at `content`, in a line indented `indent` columns; `lists` says whether the
// comment may have list items at all. Quoted lines never open one: they are not read as commands
// anyway, and an unquoted line ends the quote and any fence in it.
std::optional<Fence> opening_fence(const Content& content, std::size_t indent, bool lists) {
  const std::string_view text = content.text;
  if (content.quote_depth > 0 || content.indented_code) return std::nullopt;
  if (text.empty() || (text[0] != '`' && text[0] != '~')) return std::nullopt;
  const char marker = text[0];
  const std::size_t length = run_of(text, marker);
  if (length < 3) return std::nullopt;
  // A backtick info string cannot contain a backtick (that line is inline code, not a fence).
  if (marker == '`' && text.substr(length).find('`') != std::string_view::npos) return std::nullopt;
  if (content.list_item) return Fence{marker, length, content.column, content.column};
  // Outside lists a fence is indented at most 3 columns (4+ is indented code or paragraph text).
  // On a line of its own in a list item, it is indented 0-3 columns past the item's content
  // column, which the model does not track: C is somewhere in [indent - 3, indent].
  if (!lists) {
    if (indent > 3) return std::nullopt;
    return Fence{marker, length, 0, 0};
  }
  return Fence{marker, length, indent > 3 ? indent - 3 : 0, indent};
}

// What a line inside a fence is. `lost`: it may be inside the fence or past the end of its list
// item, and the model cannot tell which, so it cannot follow the rest of the comment.
enum class InFence { hidden, closes, ends_before, lost };

InFence in_fence(const Fence& fence, std::string_view line) {
  const Indent indent = indentation(line);
  const std::string_view text = line.substr(indent.offset);
  if (text.empty()) return InFence::hidden;  // blank lines do not end a list item
  if (indent.columns < fence.min_column) return InFence::ends_before;
  if (indent.columns < fence.max_column) return InFence::lost;
  const std::size_t length = run_of(text, fence.marker);
  if (length >= fence.length && trim_blanks(text.substr(length)).empty()) {
    if (indent.columns <= fence.min_column + 3) return InFence::closes;
    if (indent.columns <= fence.max_column + 3) return InFence::lost;
  }
  return InFence::hidden;
}

// The HTML comments of one line of text: is one still open at its end (a `<!--` with no `-->`
// after it), and did another one close before it opened?
struct Comments {
  bool left_open = false;
  bool reopened = false;
};

Comments html_comments(std::string_view text) {
  Comments comments;
  std::size_t from = 0;
  while (true) {
    const std::size_t open = text.find("<!--", from);
    if (open == std::string_view::npos) return comments;
    const std::size_t close = text.find("-->", open + 4);
    if (close == std::string_view::npos) {
      comments.left_open = true;
      return comments;
    }
    comments.reopened = true;  // meaningful once left_open is set
    from = close + 3;
  }
}

// Whether `content` may start a raw HTML block (`<div>`, `</p>`, `<?php`, `<!DOCTYPE`), whose
// lines GitHub passes on as HTML up to a blank line: a `<!--` there opens a comment in the
// browser even when the markdown around it is not an HTML comment block.
bool may_start_raw_html(std::string_view text) {
  return text.size() >= 2 && text[0] == '<' && !text.starts_with("<!--") &&
         (is_ascii_letter(text[1]) || text[1] == '/' || text[1] == '?' || text[1] == '!');
}

// An open HTML comment: GitHub shows nothing of it, up to the next line that holds `-->` while
// the block holding the comment lasts. If that block ends first, GitHub sends an unclosed `<!--`
// to the browser (or none at all, for a paragraph), and the model cannot tell what is shown after
// it: it stops reading, so the rest of the comment is hidden.
//  - block: `<!--` first on its line opens an HTML comment block, which lasts until a line holds
//    `-->` or its quote or list item ends; `<!--` again after that `-->` is left unclosed;
//  - raw: a comment in a raw HTML block (`<div>` ...), which a blank line ends (and a fence, or
//    the end of its quote or list item, may);
//  - paragraph: a comment in paragraph text, which any line that may start another block ends
//    (a blank line, a heading, a list item, a quote, a fence, HTML ...).
struct HtmlComment {
  enum class Kind { none, block, raw, paragraph };
  Kind kind = Kind::none;
  std::size_t quote_depth = 0;  // block, raw: a line with fewer `>` markers ends the quote
  std::size_t min_column = 0;   // block, raw: a line whose text starts before this column (inside
                                // those quotes) ends the list item
};

// A line seen from inside `max_depth` block quotes: how many of their `>` markers it has (each
// after at most 3 columns of blanks), and the column of its first character after them, if any.
struct InsideQuotes {
  std::size_t depth = 0;
  std::optional<std::size_t> column;  // nullopt: nothing but blanks after the markers
};

InsideQuotes inside_quotes(std::string_view line, std::size_t max_depth) {
  InsideQuotes out;
  const Indent indent = indentation(line);
  std::size_t i = indent.offset;
  std::size_t column = indent.columns;
  std::size_t blanks = indent.columns;
  while (out.depth < max_depth && i < line.size() && line[i] == '>' && blanks <= 3) {
    ++i;
    ++out.depth;
    const std::size_t after_marker = ++column;
    while (i < line.size() && is_blank(line[i])) column = next_column(column, line[i++]);
    blanks = column - after_marker;
    if (blanks > 0) --blanks;  // the blank of "> " belongs to the marker
  }
  if (i < line.size()) out.column = column;
  return out;
}

// Whether a line with this content leaves a paragraph open, so that a next line indented 4+
// columns continues it instead of being indented code. Headings, thematic breaks and setext
// underlines, quotes (their paragraph may or may not go on lazily), table rows, HTML comments,
// empty list items and items that start with code do not.
bool leaves_paragraph_open(const Content& content) {
  const std::string_view text = content.text;
  if (text.empty() || content.indented_code || content.quote_depth > 0) return false;
  if (text[0] == '>' || text[0] == '|' || text.starts_with("<!--")) return false;
  const std::size_t hashes = run_of(text, '#');
  if (hashes >= 1 && hashes <= 6 && (hashes == text.size() || is_blank(text[hashes]))) return false;
  if (text[0] == '-' || text[0] == '*' || text[0] == '_' || text[0] == '=') {
    bool only_that_char = true;
    for (char c : text) only_that_char = only_that_char && (c == text[0] || is_blank(c));
    if (only_that_char) return false;
  }
  return true;
}

// Whether a line with this content, inside the quotes it has, may start a block (and so end a
// paragraph before it) rather than go on with a paragraph.
bool may_start_block(const Content& content) {
  Content inside = content;
  inside.quote_depth = 0;
  if (content.in_list_item || !leaves_paragraph_open(inside)) return true;
  const char first = content.text[0];
  return first == '`' || first == '~' || first == '<';
}

struct Found {
  int line;
  Result<Command> result;
};

// Reads one line that is not code, quote or HTML; records it in `found` if it is command-shaped.
void read_line(std::string_view text, int line, std::vector<Found>& found) {
  if (text.empty() || text[0] != '/') return;
  std::size_t end = 1;
  while (end < text.size() && !is_blank(text[end])) ++end;
  const std::string_view word = text.substr(1, end - 1);
  if (word.empty() || !is_ascii_letter(word[0])) return;  // "/ ", "//", "/1": text
  if (word.find('/') != std::string_view::npos) return;   // "/usr/bin/foo": a path
  const Entry* entry = find(word);
  if (entry == nullptr) {
    found.push_back({line, Error{"unknown_command", "`/" + shown(word) + "` is not a command"}});
    return;
  }
  auto result = entry->parse_arguments(text.substr(end));
  if (!result.ok()) {
    found.push_back({line, Error{result.error().code, "`/" + std::string(entry->word) + "` " + result.error().message +
                                                          ". Usage: `" + usage(*entry) + "`"}});
    return;
  }
  Command command = std::move(result).value();
  command.line = line;
  found.push_back({line, std::move(command)});
}

// Whether any line may be a list item (a list marker after blanks and quote markers), even in
// code: without lists, fences and indented code need no guessing about list item columns.
bool may_have_lists(std::string_view body) {
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t end = pos;
    while (end < body.size() && body[end] != '\n' && body[end] != '\r') ++end;
    if (after_markers(body.substr(pos, end - pos), IndentedQuotes::count).in_list_item) return true;
    pos = end + 1;
  }
  return false;
}

// Splits on \n, \r\n and a lone \r (all line endings in CommonMark) and classifies each line.
// Stops once more than max_commands command lines are seen: that is already the answer. Stops
// too where the model loses track of what GitHub shows (see InFence::lost and HtmlComment): the
// rest of the comment is then hidden, on the safe side.
std::vector<Found> scan(std::string_view body) {
  const bool lists = may_have_lists(body);
  std::vector<Found> found;
  std::optional<Fence> fence;
  HtmlComment comment;
  bool paragraph_open = false;  // an indented line continues a paragraph instead of being code
  bool raw_html = false;        // in a raw HTML block, which a blank line ends
  int number = 0;
  std::size_t pos = 0;
  while (pos <= body.size() && found.size() <= max_commands) {
    std::size_t end = pos;
    while (end < body.size() && body[end] != '\n' && body[end] != '\r') ++end;
    const std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (end < body.size() && body[end] == '\r' && pos < body.size() && body[pos] == '\n') ++pos;
    ++number;
    const Indent indent = indentation(line);

    if (fence) {
      const InFence where = in_fence(*fence, line);
      if (where == InFence::lost) break;
      if (where == InFence::hidden) continue;
      fence.reset();
      if (where == InFence::closes) continue;
      // ends_before: the line ended the list item holding the fence; read it as any other.
    }
    if (comment.kind != HtmlComment::Kind::none) {
      const Content content = after_markers(line, IndentedQuotes::stop);
      if (comment.kind == HtmlComment::Kind::paragraph) {
        if (content.quote_depth > comment.quote_depth || may_start_block(content)) break;
      } else {
        const InsideQuotes inside = inside_quotes(line, comment.quote_depth);
        if (inside.depth < comment.quote_depth) break;                    // the quote ended
        if (inside.column && *inside.column < comment.min_column) break;  // the list item ended
        if (comment.kind == HtmlComment::Kind::raw &&
            (!inside.column || content.in_list_item || opening_fence(content, indent.columns, lists))) {
          break;  // a blank line ends raw HTML; a list item or a fence may
        }
      }
      const std::size_t close = line.find("-->");
      if (close == std::string_view::npos) continue;
      if (html_comments(line.substr(close + 3)).left_open) {
        if (comment.kind != HtmlComment::Kind::paragraph) break;  // its block may have ended
        continue;                                                 // another comment in the same paragraph
      }
      comment = HtmlComment{};
      paragraph_open = false;
      continue;
    }
    const std::string_view text = line.substr(indent.offset);
    if (text.empty()) {
      paragraph_open = false;
      raw_html = false;
      continue;
    }
    const Content content = after_markers(line, IndentedQuotes::count);
    // Before the indented-code rule: in a list item, a fence may be indented 4+ columns.
    if (auto opened = opening_fence(content, indent.columns, lists)) {
      // In raw HTML a fence is HTML text, unless the HTML block ended with its list item: the
      // model cannot tell.
      if (raw_html) break;
      fence = opened;
      paragraph_open = false;
      continue;
    }
    const bool indented_code = indent.columns >= 4 && !paragraph_open;
    if (!indented_code) {
      read_line(text, number, found);  // list items and quoted lines start with a marker: text
      paragraph_open = leaves_paragraph_open(content);
      raw_html = raw_html || may_start_raw_html(content.text);
    } else if (!lists) {
      continue;  // indented code for sure
    }
    // With lists, "indented code" may be a list item's text: an HTML comment it opens counts.
    if (const Comments comments = html_comments(text); comments.left_open) {
      using enum HtmlComment::Kind;
      const bool block_start = content.text.starts_with("<!--");
      if (block_start && comments.reopened) break;  // the block ended with its `-->`
      comment.kind = raw_html ? raw : block_start ? block : paragraph;
      comment.quote_depth = content.quote_depth;
      comment.min_column = content.column;
      paragraph_open = false;
    }
  }
  return found;
}

}  // namespace

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::approve:
      return "approve";
    case Kind::approve_cancel:
      return "approve_cancel";
    case Kind::rollback:
      return "rollback";
    case Kind::reject:
      return "reject";
    case Kind::reject_cancel:
      return "reject_cancel";
    case Kind::status:
      return "status";
    case Kind::help:
      return "help";
    case Kind::lock:
      return "lock";
    case Kind::lock_list:
      return "lock_list";
    case Kind::unlock:
      return "unlock";
    case Kind::promote:
      return "promote";
    case Kind::abort:
      return "abort";
    case Kind::deploy:
      return "deploy";
  }
  return "unknown";
}

std::span<const Entry> registry() { return kEntries; }

const Entry* find(std::string_view word) {
  for (const Entry& entry : kEntries) {
    if (text::iequals(entry.word, word)) return &entry;
  }
  return nullptr;
}

std::string usage(const Entry& entry) {
  std::string out = "/" + std::string(entry.word);
  if (!entry.arguments.empty()) out += " " + std::string(entry.arguments);
  return out;
}

std::string help_text() {
  std::string out = "Commands, each at the start of its own line (not quoted, not in code):\n";
  for (const Entry& entry : kEntries) {
    out += "- `" + usage(entry) + "`: " + std::string(entry.help) + "\n";
  }
  return out;
}

CleanText clean_reason(std::string_view input) {
  // 1. Decode leniently; drop or replace what must not be stored or shown.
  std::string kept;
  std::size_t i = 0;
  while (i < input.size()) {
    const auto c = static_cast<unsigned char>(input[i]);
    if (c < 0x80) {
      if (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        kept += ' ';
      } else if (c >= 0x20 && c != 0x7f) {
        kept += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const text::Utf8Char decoded = text::decode_utf8(input, i);
    if (!decoded.valid) {
      kept += "\xef\xbf\xbd";  // one U+FFFD per maximal invalid subpart, as Unicode recommends
    } else {
      const char32_t cp = decoded.code_point;
      const bool c1_control = cp >= 0x80 && cp <= 0x9f;
      const bool bidi_control = (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
      if (!c1_control && !bidi_control) kept.append(input.substr(i, decoded.length));
    }
    i += decoded.length;
  }

  // 2. Collapse runs of spaces, trim both ends.
  std::string collapsed;
  bool pending_space = false;
  for (char ch : kept) {
    if (ch == ' ') {
      pending_space = !collapsed.empty();
      continue;
    }
    if (pending_space) collapsed += ' ';
    pending_space = false;
    collapsed += ch;
  }

  // 3. Keep at most max_reason_code_points code points (the text is valid UTF-8 now, so every
  //    byte that is not 10xxxxxx starts a code point).
  CleanText out;
  std::size_t code_points = 0;
  for (std::size_t b = 0; b < collapsed.size(); ++b) {
    if ((static_cast<unsigned char>(collapsed[b]) & 0xc0) == 0x80) continue;
    if (code_points == max_reason_code_points) {
      collapsed.resize(b);
      while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
      out.truncated = true;
      break;
    }
    ++code_points;
  }
  out.text = std::move(collapsed);
  return out;
}

ParseResult parse_comment(std::string_view body) {
  const std::vector<Found> found = scan(body);
  ParseResult out;
  if (found.empty()) return out;  // ignore

  if (found.size() > max_commands) {
    out.type = ParseResult::Type::reply;
    out.reason_code = "too_many_commands";
    out.reply = "This comment has more than " + std::to_string(max_commands) + " commands; at most " +
                std::to_string(max_commands) +
                " are allowed in one comment, so none of them were run. Split them over several "
                "comments.";
    return out;
  }

  bool any_unknown = false;
  for (const Found& f : found) {
    if (f.result.ok()) continue;
    if (out.reason_code.empty()) out.reason_code = f.result.error().code;
    any_unknown = any_unknown || f.result.error().code == "unknown_command";
    out.reply += "- Line " + std::to_string(f.line) + ": " + f.result.error().message + "\n";
  }
  if (!out.reason_code.empty()) {
    out.type = ParseResult::Type::reply;
    out.reply += "\nNothing in this comment was run.\n";
    if (any_unknown) out.reply += "\n" + help_text();
    return out;
  }

  bool asks_help = false;
  for (const Found& f : found) asks_help = asks_help || f.result->kind == Kind::help;
  if (asks_help) {
    out.type = ParseResult::Type::reply;
    out.reason_code = "help";
    if (found.size() > 1) {
      out.reply =
          "Only the help is shown: nothing else in this comment was run. Post the commands "
          "again without `/help`.\n\n";
    }
    out.reply += help_text();
    return out;
  }

  out.type = ParseResult::Type::commands;
  for (const Found& f : found) out.commands.push_back(f.result.value());
  return out;
}

}  // namespace deploy::command
