#include "core/cli/cli.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using deploy::cli::Command;

namespace {

const Command kPlan{"plan",
                    {{"--config", "FILE", "the config"},
                     {"--environment", "NAME", "the environment", true},
                     {"--ref", "REF", "the ref"},
                     {"--dry", "", "a switch"}},
                    false,
                    {{{"--config", "--environment"}, {"--ref"}, "", "Plans.\nTwo lines."}},
                    ""};
const Command kFiles{"verify", {{"--key-env", "VAR", "the key's variable"}}, true, {}, "Checks files."};
const std::vector<Command> kCommands = {
    kPlan, kFiles, {"audit export", {}, false, {}, "Exports."}, {"audit verify", {}, false, {}, "Verifies."}};

}  // namespace

TEST_CASE("parse: options, switches, operands and every error naming the option and the fix") {
  struct Case {
    const char* name;
    const Command* command;
    std::vector<std::string> args;
    std::map<std::string, std::string, std::less<>> values;  // when it parses
    std::vector<std::string> operands;
    std::string error;  // when it does not
  };
  const std::vector<Case> cases = {
      {"separate value", &kPlan, {"--environment", "prod"}, {{"--environment", "prod"}}, {}, ""},
      {"joined value",
       &kPlan,
       {"--environment=prod", "--ref=v1"},
       {{"--environment", "prod"}, {"--ref", "v1"}},
       {},
       ""},
      {"empty joined value", &kPlan, {"--environment="}, {{"--environment", ""}}, {}, ""},
      {"the last value wins", &kPlan, {"--environment", "a", "--environment", "b"}, {{"--environment", "b"}}, {}, ""},
      {"a value that looks like an option", &kPlan, {"--environment", "--ref"}, {{"--environment", "--ref"}}, {}, ""},
      {"switch", &kPlan, {"--dry", "--environment", "e"}, {{"--dry", ""}, {"--environment", "e"}}, {}, ""},
      {"operands", &kFiles, {"a.jsonl", "--key-env", "K", "b.jsonl"}, {{"--key-env", "K"}}, {"a.jsonl", "b.jsonl"}, ""},
      {"unknown option",
       &kPlan,
       {"--bogus", "x"},
       {},
       {},
       "unknown option --bogus (known: --config, --environment, --ref, --dry)"},
      {"missing value", &kPlan, {"--environment"}, {}, {}, "option --environment needs a value: --environment NAME"},
      {"switch with a value", &kPlan, {"--dry=yes", "--environment", "e"}, {}, {}, "option --dry takes no value"},
      {"required", &kPlan, {"--ref", "v1"}, {}, {}, "--environment NAME is required"},
      {"no operands", &kPlan, {"x"}, {}, {}, "unexpected argument 'x' (plan takes no arguments besides its options)"},
      {"command without options", &kCommands[2], {"--x"}, {}, {}, "unknown option --x (it takes none)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto parsed = deploy::cli::parse(*c.command, c.args);
    if (!c.error.empty()) {
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().code == "usage");
      CHECK(parsed.error().message == c.error);
      continue;
    }
    REQUIRE(parsed.ok());
    CHECK(parsed->values == c.values);
    CHECK(parsed->operands == c.operands);
  }
}

TEST_CASE("find: a command by its leading words; group: a group's commands") {
  std::size_t words = 0;
  const std::vector<std::string> plan = {"plan", "--environment", "e"};
  CHECK(deploy::cli::find(kCommands, plan, words) == &kCommands[0]);
  CHECK(words == 1);
  const std::vector<std::string> verify = {"audit", "verify", "--store", "x"};
  CHECK(deploy::cli::find(kCommands, verify, words) == &kCommands[3]);
  CHECK(words == 2);
  const std::vector<std::string> half = {"audit"};
  CHECK(deploy::cli::find(kCommands, half, words) == nullptr);
  const std::vector<std::string> other = {"frobnicate"};
  CHECK(deploy::cli::find(kCommands, other, words) == nullptr);
  const auto audit = deploy::cli::group(kCommands, "audit");
  REQUIRE(audit.size() == 2);
  CHECK(audit[0]->name == "audit export");
  CHECK(deploy::cli::group(kCommands, "plan").empty());
}

TEST_CASE("usage is made from the definitions: synopses, help, option and name lists") {
  CHECK(deploy::cli::synopses("tool", kPlan) ==
        std::vector<std::string>{"tool plan --config FILE --environment NAME [--ref REF]"});
  // Without forms: required options bare, the others bracketed, operands last.
  CHECK(deploy::cli::synopses("tool", kFiles) == std::vector<std::string>{"tool verify [--key-env VAR]"});
  // Long lines wrap, continued under the command's name.
  CHECK(deploy::cli::synopses("tool", kPlan, 40) ==
        std::vector<std::string>{"tool plan --config FILE", "          --environment NAME [--ref REF]"});
  CHECK(deploy::cli::usage("tool", std::vector<Command>{kPlan, kCommands[2]}) ==
        "  tool plan --config FILE --environment NAME [--ref REF]\n"
        "      Plans.\n"
        "      Two lines.\n"
        "  tool audit export\n"
        "      Exports.\n");
  CHECK(deploy::cli::table(deploy::cli::option_entries(kFiles), 20) == "  --key-env VAR     the key's variable\n");
  const std::vector<deploy::cli::Entry> long_name = {{"A_VERY_LONG_VARIABLE_NAME", "help"}};
  CHECK(deploy::cli::table(long_name, 10) == "  A_VERY_LONG_VARIABLE_NAME help\n");
}

TEST_CASE("a form naming an option the command lacks is a bug, found at once") {
  const Command broken{"x", {}, false, {{{"--nope"}, {}, "", ""}}, ""};
  CHECK_THROWS_AS(deploy::cli::synopses("tool", broken), std::logic_error);
}
