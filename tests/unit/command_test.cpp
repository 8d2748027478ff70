#include "core/command/command.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace command = deploy::command;
using command::Kind;
using command::ParseResult;
using Type = ParseResult::Type;

namespace {

struct ExpectedCommand {
  Kind kind;
  int line;
  std::string version_text = "";  // "" = no version
  std::string reason = "";
  bool reason_truncated = false;
};

struct Case {
  std::string name;
  std::string body;
  Type type;
  std::vector<ExpectedCommand> commands = {};
  std::string reason_code = "";
  std::vector<std::string> reply_contains = {};
};

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string lines(std::string_view line, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += std::string(line) + "\n";
  return out;
}

const std::string kReason300 = repeat("abcdefghi ", 30);   // 300 chars, space at every 10th
const std::string kReason200 = kReason300.substr(0, 199);  // cut at 200, trailing space trimmed

std::vector<Case> cases() {
  using std::string;
  return {
      // --- nothing to do ---
      {"empty body", "", Type::ignore},
      {"only blank lines", "\n  \r\n\t\n", Type::ignore},
      {"only text", "LGTM, thanks!\nShip it.", Type::ignore},
      {"command in the middle of a sentence", "please /approve", Type::ignore},
      {"slash then space", "/ approve", Type::ignore},
      {"double slash", "//approve", Type::ignore},
      {"slash then digit", "/1.2.3", Type::ignore},
      {"a path", "/usr/bin/foo --flag", Type::ignore},
      {"a command word glued to a path", "/approve/now", Type::ignore},
      {"list item", "- /approve", Type::ignore},

      // --- the basic commands ---
      {"approve", "/approve", Type::commands, {{Kind::approve, 1}}},
      {"leading spaces", "   /approve", Type::commands, {{Kind::approve, 1}}},
      {"trailing spaces", "/approve   \t", Type::commands, {{Kind::approve, 1}}},
      {"CRLF", "Looks good.\r\n/approve\r\n/status\r\n", Type::commands, {{Kind::approve, 2}, {Kind::status, 3}}},
      {"lone CR", "Looks good.\r/approve", Type::commands, {{Kind::approve, 2}}},
      {"case-insensitive word", "/Approve", Type::commands, {{Kind::approve, 1}}},
      {"upper-case word", "/APPROVE", Type::commands, {{Kind::approve, 1}}},
      {"approve cancel", "/approve cancel", Type::commands, {{Kind::approve_cancel, 1}}},
      {"approve CANCEL", "/approve CANCEL", Type::commands, {{Kind::approve_cancel, 1}}},
      {"approve tab cancel", "/approve\tcancel  ", Type::commands, {{Kind::approve_cancel, 1}}},
      {"status", "/status", Type::commands, {{Kind::status, 1}}},
      {"several commands", "/approve\nand also\n/status", Type::commands, {{Kind::approve, 1}, {Kind::status, 3}}},
      {"duplicates are kept, each with its line",
       "/approve\n/approve",
       Type::commands,
       {{Kind::approve, 1}, {Kind::approve, 2}}},
      {"approve then cancel keeps the order",
       "/approve\n/approve cancel",
       Type::commands,
       {{Kind::approve, 1}, {Kind::approve_cancel, 2}}},

      // --- text glued to a command word: never that command ---
      {"/approved", "/approved", Type::reply, {}, "unknown_command", {"Line 1: `/approved` is not a command"}},
      {"/statusx", "/statusx", Type::reply, {}, "unknown_command", {"`/statusx` is not a command"}},
      {"/approve-now", "/approve-now", Type::reply, {}, "unknown_command", {"`/approve-now` is not a command"}},

      // --- quotes ---
      {"quoted", "> /approve", Type::ignore},
      {"quoted twice", ">> /approve", Type::ignore},
      {"quoted after a space", " > /approve", Type::ignore},
      {"quoted without a space", ">/approve", Type::ignore},
      {"quote then own command", "> /approve\n\n/status", Type::commands, {{Kind::status, 3}}},

      // --- fenced code ---
      {"inside ``` fence", "```\n/approve\n```", Type::ignore},
      {"inside ~~~ fence", "~~~\n/approve\n~~~", Type::ignore},
      {"fence with info string, command after it",
       "```bash\n/approve\n```\n/status",
       Type::commands,
       {{Kind::status, 4}}},
      {"fence indented 3 spaces", "   ```\n/approve\n   ```\n/status", Type::commands, {{Kind::status, 4}}},
      {"shorter fence does not close",
       "~~~~\n/approve\n~~~\n/approve\n~~~~\n/status",
       Type::commands,
       {{Kind::status, 6}}},
      {"other fence char does not close", "```\n/approve\n~~~\n/approve", Type::ignore},
      {"closing fence with text after it does not close",
       "```\n``` x\n/approve\n```\n/status",
       Type::commands,
       {{Kind::status, 5}}},
      {"longer fence closes", "```\n/approve\n`````  \n/status", Type::commands, {{Kind::status, 4}}},
      {"unclosed fence hides the rest", "text\n```\n/approve\n\n/status", Type::ignore},
      {"backtick in a backtick info string: not a fence", "```a`b\n/approve", Type::commands, {{Kind::approve, 2}}},
      {"fence interrupts a paragraph", "see:\n```\n/approve\n```", Type::ignore},
      {"fence in CRLF comment", "```\r\n/approve\r\n```\r\n/status\r\n", Type::commands, {{Kind::status, 4}}},

      // --- fences in list items (GitHub renders these lines as code) ---
      {"fence in a list item", "- ```\n  /approve\n  ```", Type::ignore},
      {"fence in an ordered list item", "1. ```\n   /approve\n   ```", Type::ignore},
      {"fence in a `1)` list item", "1) ```\n   /approve", Type::ignore},
      {"fence in a nested list item", "- * ```\n    /approve\n    ```\n/status", Type::commands, {{Kind::status, 4}}},
      {"fence in a list item, closed, then a command",
       "- ```\n  /approve\n  ```\n/status",
       Type::commands,
       {{Kind::status, 4}}},
      {"fence in a list item ends with the item", "- ```\n/approve", Type::commands, {{Kind::approve, 2}}},
      {"fence less indented than its list item opens a new fence", "- ```\n  x\n```\n/approve", Type::ignore},
      {"closing fence 4 columns past the list item does not close",
       "- ```\n  x\n      ```\n  /approve\n  ```\n/status",
       Type::commands,
       {{Kind::status, 6}}},
      {"safe side: a line less indented than a fence in a list item hides the rest",
       "- a\n    ```\n  /approve\n    ```\n/status", Type::ignore},
      {"fence in a list item ended by a less indented line, then a new fence", "1. a\n   ```\n  text\n   ```\n/approve",
       Type::ignore},
      {"fence in a list item whose content starts 4 columns in", "10. a\n    ```\n    /approve", Type::ignore},
      {"fence after a list item, closed less indented: a new fence", "- a\n  ```\n  x\n```\n/approve", Type::ignore},
      {"outside lists, a fence indented 2 closes at any indent up to 3",
       "  ```\nx\n```\n/approve",
       Type::commands,
       {{Kind::approve, 4}}},
      {"outside lists, a 4-space fence after text is text",
       "text\n    ```\n  /approve",
       Type::commands,
       {{Kind::approve, 3}}},
      {"list item starting with indented code", "-     x\n      /approve", Type::ignore},
      {"empty list item then indented code", "-\n      /approve", Type::ignore},
      {"4 spaces continue a list item's paragraph", "- a\n    /approve", Type::commands, {{Kind::approve, 2}}},

      // --- indented code ---
      {"indented code at the start", "    /approve", Type::ignore},
      {"indented code after a blank line", "text\n\n    /approve", Type::ignore},
      {"tab-indented code", "\t/approve", Type::ignore},
      {"spaces and tab reach 4 columns", "  \t/approve", Type::ignore},
      {"indented code continues over blank lines",
       "    code\n\n    /approve\n/status",
       Type::commands,
       {{Kind::status, 4}}},
      {"indented line after a fence is code", "```\n```\n    /approve", Type::ignore},
      {"4 spaces continue a paragraph", "Deploying now\n    /approve", Type::commands, {{Kind::approve, 2}}},
      {"4-space fence is code, not a fence", "    ```\n/approve", Type::commands, {{Kind::approve, 2}}},
      {"indented code after a heading", "# Title\n    /approve", Type::ignore},
      {"indented code after a setext heading", "Title\n===\n    /approve", Type::ignore},
      {"indented code after a thematic break", "***\n    /approve", Type::ignore},
      {"indented code after a quoted heading", "> # h\n    /approve", Type::ignore},

      // --- HTML comments (invisible when rendered) ---
      {"HTML comment block", "<!--\n/approve\n-->\n/status", Type::commands, {{Kind::status, 4}}},
      {"one-line HTML comment", "<!-- /approve -->\n/status", Type::commands, {{Kind::status, 2}}},
      {"unclosed HTML comment hides the rest", "<!-- note\n/approve", Type::ignore},
      {"HTML comment opened mid-line", "ok <!--\n/approve\n-->", Type::ignore},
      {"HTML comment opened mid-line, command after it",
       "ok <!--\n/approve\n-->\n/status",
       Type::commands,
       {{Kind::status, 4}}},
      {"HTML comment closed on its own line hides nothing after",
       "a <!-- x --> b\n/approve",
       Type::commands,
       {{Kind::approve, 2}}},
      {"HTML comment reopened on its closing line hides the rest", "<!--\n--> <!--\n/approve\n-->\n/status",
       Type::ignore},
      {"HTML comment block reopened on its first line hides the rest", "<!-- a --> <!--\n/approve\n-->\n/status",
       Type::ignore},
      {"HTML comment reopened after a closed one",
       "a <!-- x --> <!-- y\n/approve\n-->\n/status",
       Type::commands,
       {{Kind::status, 4}}},
      {"HTML comment in a list item", "- <!--\n/approve\n-->", Type::ignore},
      {"HTML comment closed in its list item",
       "- <!--\n  /approve\n  -->\n/status",
       Type::commands,
       {{Kind::status, 4}}},
      {"HTML comment outliving its list item hides the rest", "- <!--\n/approve\n-->\n/status", Type::ignore},
      {"HTML comment closed in its quote", "> <!--\n> /approve\n> -->\n/status", Type::commands, {{Kind::status, 4}}},
      {"HTML comment outliving its quote hides the rest", "> <!--\n/approve\n-->\n/status", Type::ignore},
      {"HTML comment in a quote in a list item, outliving it", "- > <!--\n> /approve\n> -->\n/status", Type::ignore},
      {"HTML comment opened in a quote", "> a <!--\n/approve\n-->", Type::ignore},
      {"HTML comment in indented code is code", "    <!--\n/approve", Type::commands, {{Kind::approve, 2}}},
      {"HTML comment in a fence is code", "```\n<!--\n```\n/approve", Type::commands, {{Kind::approve, 4}}},
      {"HTML comment block with blank lines (a PR template)",
       "<!--\nTemplate\n\nmore\n-->\n/approve",
       Type::commands,
       {{Kind::approve, 6}}},
      {"HTML comment in raw HTML outliving it hides the rest", "<div>\n<!--\n\n-->\n/approve", Type::ignore},
      {"HTML comment in raw HTML closed in it",
       "<div>\n<!--\n/approve\n-->\n</div>\n\n/status",
       Type::commands,
       {{Kind::status, 7}}},
      {"HTML comment in a paragraph ended by a list item hides the rest", "a <!--\n- <!-- b --> <!--\n-->\n/approve",
       Type::ignore},

      // --- rollback ---
      {"rollback", "/rollback", Type::commands, {{Kind::rollback, 1}}},
      {"rollback v1.1.0", "/rollback v1.1.0", Type::commands, {{Kind::rollback, 1, "v1.1.0"}}},
      {"rollback without v keeps the text as typed", "/rollback 1.1.0", Type::commands, {{Kind::rollback, 1, "1.1.0"}}},
      {"rollback pre-release", "/ROLLBACK v2.0.0-rc.1+b5", Type::commands, {{Kind::rollback, 1, "v2.0.0-rc.1+b5"}}},
      {"rollback with reason",
       "/rollback v1.1.0 broke checkout",
       Type::commands,
       {{Kind::rollback, 1, "v1.1.0", "broke checkout"}}},
      {"control char removed from reason",
       "/rollback v1.1.0 broke checkout\x07 flow",
       Type::commands,
       {{Kind::rollback, 1, "v1.1.0", "broke checkout flow"}}},
      {"reason whitespace collapsed",
       "/rollback\tv1.1.0 \t broke   checkout\t\tflow  ",
       Type::commands,
       {{Kind::rollback, 1, "v1.1.0", "broke checkout flow"}}},
      {"reason only",
       "/rollback very broken checkout",
       Type::commands,
       {{Kind::rollback, 1, "", "very broken checkout"}}},
      {"reason only, starting with v and a letter",
       "/rollback vNext is broken",
       Type::commands,
       {{Kind::rollback, 1, "", "vNext is broken"}}},
      {"300-char reason is truncated to 200",
       "/rollback v1.1.0 " + kReason300,
       Type::commands,
       {{Kind::rollback, 1, "v1.1.0", kReason200, true}}},
      {"200-char reason is kept whole",
       "/rollback " + repeat("x", 200),
       Type::commands,
       {{Kind::rollback, 1, "", repeat("x", 200), false}}},
      {"multibyte reason",
       "/rollback v1.0.0 paiement cass\xc3\xa9 \xe2\x80\x94 \xe6\xb1\xba\xe6\xb8\x88 \xf0\x9f\x9a\x80",
       Type::commands,
       {{Kind::rollback, 1, "v1.0.0", "paiement cass\xc3\xa9 \xe2\x80\x94 \xe6\xb1\xba\xe6\xb8\x88 \xf0\x9f\x9a\x80"}}},
      {"multibyte reason truncated on a code point boundary",
       "/rollback " + repeat("\xc3\xa9", 300),
       Type::commands,
       {{Kind::rollback, 1, "", repeat("\xc3\xa9", 200), true}}},
      {"4-byte reason truncated on a code point boundary",
       "/rollback v1.0.0 " + repeat("\xf0\x9f\x9a\x80", 201),
       Type::commands,
       {{Kind::rollback, 1, "v1.0.0", repeat("\xf0\x9f\x9a\x80", 200), true}}},
      {"rollback v1.2 is an invalid version",
       "/rollback v1.2 oops",
       Type::reply,
       {},
       "invalid_version",
       {"Line 1: `/rollback` needs a release tag as VERSION: 'v1.2' is not a semantic version: "
        "expected MAJOR.MINOR.PATCH (like v1.2.0). Usage: `/rollback [VERSION] [REASON...]`"}},
      {"number as first word is an invalid version",
       "/rollback 500 errors",
       Type::reply,
       {},
       "invalid_version",
       {"'500' is not a semantic version", "start it with a word"}},
      {"upper-case V tag",
       "/rollback V1.2.3",
       Type::reply,
       {},
       "invalid_version",
       {"the prefix must be a lowercase 'v'"}},
      {"leading zero in pre-release",
       "/rollback v1.2.3-01",
       Type::reply,
       {},
       "invalid_version",
       {"'v1.2.3-01' is not a semantic version"}},

      // --- bad arguments ---
      {"status with an argument",
       "/status now",
       Type::reply,
       {},
       "bad_arguments",
       {"Line 1: `/status` takes no arguments, not `now`. Usage: `/status`"}},
      {"approve with a wrong argument",
       "/approve foo",
       Type::reply,
       {},
       "bad_arguments",
       {"Line 1: `/approve` takes no argument or `cancel`, not `foo`. Usage: `/approve [cancel]`"}},
      {"approve cancel with extra words",
       "/approve cancel now",
       Type::reply,
       {},
       "bad_arguments",
       {"not `cancel now`"}},
      {"help with an argument", "/help me", Type::reply, {}, "bad_arguments", {"Usage: `/help`"}},

      // --- unknown commands and help ---
      {"unknown command",
       "/ship",
       Type::reply,
       {},
       "unknown_command",
       {"Line 1: `/ship` is not a command", "Nothing in this comment was run.", command::help_text()}},
      {"unknown lgtm", "/lgtm", Type::reply, {}, "unknown_command", {"`/lgtm` is not a command"}},
      {"an error stops the valid commands too",
       "/approve\n/ship",
       Type::reply,
       {},
       "unknown_command",
       {"Line 2: `/ship` is not a command"}},
      {"every error is listed; the code is the first one",
       "/status now\n/ship",
       Type::reply,
       {},
       "bad_arguments",
       {"Line 1: `/status` takes no arguments", "Line 2: `/ship` is not a command", command::help_text()}},
      {"quoted user text cannot mention or break code spans",
       "/x@team`",
       Type::reply,
       {},
       "unknown_command",
       {"`/x\\x40team\\x60` is not a command"}},
      {"help", "/help", Type::reply, {}, "help", {command::help_text()}},
      {"help with other commands runs nothing",
       "/approve\n/HELP",
       Type::reply,
       {},
       "help",
       {"nothing else in this comment was run", command::help_text()}},

      // --- limits ---
      {"10 commands are allowed",
       lines("/approve", 10),
       Type::commands,
       {{Kind::approve, 1},
        {Kind::approve, 2},
        {Kind::approve, 3},
        {Kind::approve, 4},
        {Kind::approve, 5},
        {Kind::approve, 6},
        {Kind::approve, 7},
        {Kind::approve, 8},
        {Kind::approve, 9},
        {Kind::approve, 10}}},
      {"11 commands: none run",
       lines("/approve", 10) + "/status",
       Type::reply,
       {},
       "too_many_commands",
       {"more than 10 commands", "none of them were run"}},
      {"11 unknown commands count too", lines("/ship", 11), Type::reply, {}, "too_many_commands"},
      {"100000 command lines: too many commands", lines("/status", 100000), Type::reply, {}, "too_many_commands"},

      // --- NUL bytes ---
      {"NUL glued to a command word",
       string("/approve\0", 9),
       Type::reply,
       {},
       "unknown_command",
       {"`/approve\\x00` is not a command"}},
      {"NUL before the slash", string("\0/approve", 9), Type::ignore},
      {"NUL on another line", string("/approve\n\0\n", 11), Type::commands, {{Kind::approve, 1}}},
      {"NUL in a reason is removed",
       string("/rollback v1.0.0 a\0b", 20),
       Type::commands,
       {{Kind::rollback, 1, "v1.0.0", "ab"}}},
      {"NUL as approve argument", string("/approve \0", 10), Type::reply, {}, "bad_arguments", {"not `\\x00`"}},
  };
}

}  // namespace

TEST_CASE("parse_comment: table") {
  for (const Case& c : cases()) {
    CAPTURE(c.name);
    const ParseResult r = command::parse_comment(c.body);
    CHECK(static_cast<int>(r.type) == static_cast<int>(c.type));
    CHECK(r.reason_code == c.reason_code);
    if (c.type == Type::reply) {
      CHECK_FALSE(r.reply.empty());
    } else {
      CHECK(r.reply.empty());
    }
    for (const std::string& part : c.reply_contains) {
      CAPTURE(part);
      CHECK(r.reply.find(part) != std::string::npos);
    }
    REQUIRE(r.commands.size() == c.commands.size());
    for (std::size_t i = 0; i < c.commands.size(); ++i) {
      CAPTURE(i);
      const auto& got = r.commands[i];
      const auto& want = c.commands[i];
      CHECK(command::to_string(got.kind) == command::to_string(want.kind));
      CHECK(got.line == want.line);
      CHECK(got.version_text == want.version_text);
      CHECK(got.version.has_value() == !want.version_text.empty());
      if (got.version) {
        CHECK(got.version->to_string() == deploy::semver::parse_tag(want.version_text)->to_string());
      }
      CHECK(got.reason == want.reason);
      CHECK(got.reason_truncated == want.reason_truncated);
    }
  }
}

TEST_CASE("parse_comment: exact replies") {
  CHECK(command::parse_comment("/help").reply == command::help_text());
  CHECK(command::parse_comment("/status now").reply ==
        "- Line 1: `/status` takes no arguments, not `now`. Usage: `/status`\n"
        "\nNothing in this comment was run.\n");
  CHECK(command::parse_comment("/ship").reply ==
        "- Line 1: `/ship` is not a command\n\nNothing in this comment was run.\n\n" + command::help_text());
  const auto v = command::parse_comment("/rollback v1.1.0");
  REQUIRE(v.commands.size() == 1);
  CHECK(v.commands[0].version->major == 1);
  CHECK(v.commands[0].version->minor == 1);
  CHECK(v.commands[0].version->patch == 0);
}

TEST_CASE("registry: help and usage are generated from the entries") {
  const auto entries = command::registry();
  REQUIRE(entries.size() == 10);
  CHECK(command::help_text() ==
        "Commands, each at the start of its own line (not quoted, not in code):\n"
        "- `/approve [cancel]`: approve deploying this commit; `cancel` withdraws your approval\n"
        "- `/rollback [VERSION] [REASON...]`: roll the environment back to VERSION (a release tag "
        "like v1.4.0), or to the last good version if none is given; REASON is recorded\n"
        "- `/reject [REASON...] | cancel`: block deploying this commit until you withdraw it with `/reject cancel`; "
        "REASON is shown and recorded\n"
        "- `/status`: show environments, versions, approvals and recent deployments\n"
        "- `/lock [ENV [DURATION] [REASON...]]`: lock environment ENV: deploys and rollbacks of it are refused "
        "(unless they are yours) until `/unlock ENV` or DURATION (30m, 2h, 1d) ends; REASON is recorded; without "
        "ENV, list the locks\n"
        "- `/unlock ENV`: remove the lock on environment ENV\n"
        "- `/promote`: let the canary waiting at a `pause: until-promoted` step of this release go on to full "
        "traffic\n"
        "- `/abort [REASON...]`: stop the canary waiting for /promote and roll it back at once; REASON is "
        "recorded\n"
        "- `/deploy ENV [noop]`: on a pull request: deploy its head commit to ENV (if `allow_pull_requests` "
        "allows it), with the same gates; `noop` only shows the plan\n"
        "- `/help`: show this help\n");
  for (const auto& entry : entries) {
    CAPTURE(entry.word);
    CHECK(command::find(entry.word) == &entry);
    CHECK(command::help_text().find("- `" + command::usage(entry) + "`: " + std::string(entry.help)) !=
          std::string::npos);
    // every registered word is recognised at the start of a line, in any case
    std::string upper(entry.word);
    for (char& ch : upper) ch = static_cast<char>(ch - 'a' + 'A');
    const auto r = command::parse_comment("/" + upper);
    CHECK(r.reason_code != "unknown_command");
  }
  CHECK(command::find("ROLLBACK") == &entries[1]);
  CHECK(command::find("redeploy") == nullptr);
  CHECK(command::find("") == nullptr);
  CHECK(command::usage(entries[3]) == "/status");
}

TEST_CASE("to_string(Kind): stable names") {
  CHECK(command::to_string(Kind::approve) == "approve");
  CHECK(command::to_string(Kind::approve_cancel) == "approve_cancel");
  CHECK(command::to_string(Kind::rollback) == "rollback");
  CHECK(command::to_string(Kind::status) == "status");
  CHECK(command::to_string(Kind::help) == "help");
  CHECK(command::to_string(Kind::reject) == "reject");
  CHECK(command::to_string(Kind::reject_cancel) == "reject_cancel");
  CHECK(command::to_string(Kind::lock) == "lock");
  CHECK(command::to_string(Kind::lock_list) == "lock_list");
  CHECK(command::to_string(Kind::unlock) == "unlock");
  CHECK(command::to_string(Kind::promote) == "promote");
  CHECK(command::to_string(Kind::abort) == "abort");
  CHECK(command::to_string(Kind::deploy) == "deploy");
}

TEST_CASE("/reject: a reason, none, or cancel") {
  struct Case {
    const char* body;
    Kind kind;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"/reject", Kind::reject, ""},
      {"/reject   breaks billing\t(see #12)", Kind::reject, "breaks billing (see #12)"},
      {"/REJECT cancel", Kind::reject_cancel, ""},
      {"/reject Cancel  ", Kind::reject_cancel, ""},
      {"/reject cancel the release, it breaks billing", Kind::reject, "cancel the release, it breaks billing"},
      {"/reject `rm -rf` @alice", Kind::reject, "`rm -rf` @alice"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    const auto r = command::parse_comment(c.body);
    REQUIRE(r.type == command::ParseResult::Type::commands);
    REQUIRE(r.commands.size() == 1);
    CHECK(r.commands[0].kind == c.kind);
    CHECK(r.commands[0].reason == c.reason);
  }
  CHECK(command::parse_comment("/rejected").reason_code == "unknown_command");
  CHECK(command::parse_comment("> /reject").type == command::ParseResult::Type::ignore);
}

TEST_CASE("control commands: /lock, /unlock, /promote, /abort, /deploy") {
  using std::chrono::hours;
  using std::chrono::minutes;
  struct Row {
    const char* body;
    Kind kind;
    const char* environment;
    std::optional<std::chrono::milliseconds> duration;
    const char* reason;
    bool noop;
  };
  const std::vector<Row> rows = {
      {"/lock", Kind::lock_list, "", std::nullopt, "", false},
      {"/lock production", Kind::lock, "production", std::nullopt, "", false},
      {"/lock production 2h \"incident 1234\"", Kind::lock, "production", hours{2}, "incident 1234", false},
      {"/lock staging 1h30m", Kind::lock, "staging", minutes{90}, "", false},
      {"/lock eu.west-1 db migration running", Kind::lock, "eu.west-1", std::nullopt, "db migration running", false},
      {"/unlock production", Kind::unlock, "production", std::nullopt, "", false},
      {"/promote", Kind::promote, "", std::nullopt, "", false},
      {"/abort", Kind::abort, "", std::nullopt, "", false},
      {"/abort error rate up", Kind::abort, "", std::nullopt, "error rate up", false},
      {"/deploy staging", Kind::deploy, "staging", std::nullopt, "", false},
      {"/deploy staging noop", Kind::deploy, "staging", std::nullopt, "", true},
  };
  for (const auto& row : rows) {
    CAPTURE(row.body);
    const auto r = command::parse_comment(row.body);
    REQUIRE(r.type == ParseResult::Type::commands);
    REQUIRE(r.commands.size() == 1);
    const auto& c = r.commands[0];
    CHECK(c.kind == row.kind);
    CHECK(c.environment == row.environment);
    CHECK(c.duration == row.duration);
    CHECK(c.reason == row.reason);
    CHECK(c.noop == row.noop);
  }
  struct Bad {
    const char* body;
    const char* fragment;
  };
  const std::vector<Bad> bad = {
      {"/lock prod/uction", "needs an environment name"},
      {"/lock production 2x reason", "needs DURATION like 30m"},
      {"/lock production 0s", "needs DURATION like 30m"},
      {"/unlock", "takes one environment name"},
      {"/unlock production now", "takes one environment name"},
      {"/promote now", "takes no arguments"},
      {"/deploy", "takes an environment name"},
      {"/deploy staging now", "takes an environment name"},
      {"/deploy staging noop extra", "takes an environment name"},
  };
  for (const auto& row : bad) {
    CAPTURE(row.body);
    const auto r = command::parse_comment(row.body);
    REQUIRE(r.type == ParseResult::Type::reply);
    CHECK(r.reason_code == "bad_arguments");
    CHECK(r.reply.find(row.fragment) != std::string::npos);
  }
}

TEST_CASE("clean_reason: table") {
  struct Clean {
    std::string name;
    std::string in;
    std::string out;
    bool truncated = false;
  };
  const std::string fffd = "\xef\xbf\xbd";
  const std::vector<Clean> cases = {
      {"empty", "", ""},
      {"spaces only", "   \t ", ""},
      {"trim and collapse", "  a   b  ", "a b"},
      {"tab and line breaks become spaces", "a\tb\r\nc\nd\ve\ff", "a b c d e f"},
      {"BEL removed",
       "a\x07"
       "b",
       "ab"},
      {"ESC sequence loses its ESC", "\x1b[31mred", "[31mred"},
      {"DEL removed",
       "a\x7f"
       "b",
       "ab"},
      {"NUL removed", std::string("a\0b", 3), "ab"},
      {"C1 NEL removed",
       "a\xc2\x85"
       "b",
       "ab"},
      {"C1 CSI removed",
       "a\xc2\x9b"
       "b",
       "ab"},
      {"U+00A0 kept (not a control)",
       "a\xc2\xa0"
       "b",
       "a\xc2\xa0"
       "b"},
      {"bidi override removed",
       "abc\xe2\x80\xae"
       "def\xe2\x80\xac",
       "abcdef"},
      {"bidi isolate removed",
       "\xe2\x81\xa6"
       "x\xe2\x81\xa9",
       "x"},
      {"invalid byte replaced",
       "a\xff"
       "b",
       "a" + fffd + "b"},
      {"lone continuation replaced",
       "a\x80"
       "b",
       "a" + fffd + "b"},
      {"overlong replaced per byte", "\xc0\xaf", fffd + fffd},
      {"surrogate replaced per byte", "\xed\xa0\x80", fffd + fffd + fffd},
      {"above U+10FFFF replaced", "\xf4\x90\x80\x80", fffd + fffd + fffd + fffd},
      {"truncated sequence at the end is one U+FFFD", "a\xe2\x82", "a" + fffd},
      {"truncated sequence before ASCII is one U+FFFD",
       "\xf0\x9f\x9a"
       "b",
       fffd + "b"},
      {"valid 4-byte kept", "\xf0\x9f\x9a\x80", "\xf0\x9f\x9a\x80"},
      {"exactly 200 kept", repeat("y", 200), repeat("y", 200)},
      {"201 truncated", repeat("y", 201), repeat("y", 200), true},
      {"spaces do not count before collapsing", "   " + repeat("y ", 100) + "   ", repeat("y ", 99) + "y"},
      {"cut after a space trims it", repeat("y", 199) + " zzz", repeat("y", 199), true},
      {"3-byte code points cut whole", repeat("\xe2\x82\xac", 250), repeat("\xe2\x82\xac", 200), true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto r = command::clean_reason(c.in);
    CHECK(r.text == c.out);
    CHECK(r.truncated == c.truncated);
  }
}
