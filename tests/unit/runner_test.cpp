#include "core/runner/commands.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto/crypto.hpp"
#include "tests/unit/fixed_random.hpp"

namespace runner = deploy::runner;
using deploy::test::fixed_random;
using runner::FileCommandEntry;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

TEST_CASE("input names map to INPUT_ variables as the runner sets them") {
  struct Case {
    const char* input;
    const char* variable;
  };
  const std::vector<Case> cases = {
      {"environment", "INPUT_ENVIRONMENT"},
      {"github-token", "INPUT_GITHUB-TOKEN"},
      {"dry run", "INPUT_DRY_RUN"},
      {"Mixed Case-name", "INPUT_MIXED_CASE-NAME"},
      {"a  b", "INPUT_A__B"},
      {"under_score", "INPUT_UNDER_SCORE"},
      {"v2", "INPUT_V2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    CHECK(runner::input_variable(c.input) == c.variable);
  }
}

TEST_CASE("get_input trims and reads through the injected environment") {
  auto env = runner::environment_from_map({
      {"INPUT_ENVIRONMENT", "  staging \n"},
      {"INPUT_GITHUB-TOKEN", "ghs_abc"},
      {"INPUT_DRY_RUN", "\ttrue\t"},
      {"INPUT_BLANK", "   "},
  });
  CHECK(runner::get_input(env, "environment") == "staging");
  CHECK(runner::get_input(env, "github-token") == "ghs_abc");
  CHECK(runner::get_input(env, "dry run") == "true");
  CHECK(runner::get_input(env, "blank") == "");
  CHECK(runner::get_input(env, "absent") == "");
  // Hyphens are kept, so the underscore spelling is a different input.
  CHECK(runner::get_input(env, "github_token") == "");
}

TEST_CASE("required inputs: present, missing, blank") {
  auto env = runner::environment_from_map({{"INPUT_ENVIRONMENT", " production "}, {"INPUT_BLANK", " \t "}});

  auto present = runner::get_required_input(env, "environment", "production");
  REQUIRE(present.ok());
  CHECK(*present == "production");

  auto missing = runner::get_required_input(runner::environment_from_map({}), "environment", "production");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "input_required");
  CHECK(missing.error().message ==
        "input 'environment' is required but was not supplied (INPUT_ENVIRONMENT is unset or blank); "
        "set it on the step: `with: environment: production`");

  auto blank = runner::get_required_input(env, "blank");
  REQUIRE_FALSE(blank.ok());
  CHECK(blank.error().code == "input_required");
  CHECK(blank.error().message.find("`with: blank: <value>`") != std::string::npos);
}

TEST_CASE("boolean inputs accept exactly the YAML 1.2 core schema spellings") {
  struct Case {
    const char* raw;
    bool expected;
  };
  const std::vector<Case> accepted = {
      {"true", true},   {"True", true},   {"TRUE", true},     {"false", false},
      {"False", false}, {"FALSE", false}, {"  true\n", true}, {"\tFALSE ", false},
  };
  for (const auto& c : accepted) {
    CAPTURE(c.raw);
    auto value = runner::get_boolean_input(runner::environment_from_map({{"INPUT_DRY-RUN", c.raw}}), "dry-run");
    REQUIRE(value.ok());
    CHECK(*value == c.expected);
  }

  const std::vector<const char*> rejected = {"yes", "no", "1", "0", "tRue", "FaLsE", "on", "", "true false", "t"};
  for (const char* raw : rejected) {
    CAPTURE(raw);
    auto value = runner::get_boolean_input(runner::environment_from_map({{"INPUT_DRY-RUN", raw}}), "dry-run");
    REQUIRE_FALSE(value.ok());
    CHECK(value.error().code == "input_not_boolean");
    CHECK(value.error().message ==
          "input 'dry-run' must be a YAML 1.2 core schema boolean, one of "
          "true | True | TRUE | false | False | FALSE; got '" +
              std::string(raw) + "'");
  }
}

TEST_CASE("boolean inputs: an unset value is an error unless a default is given") {
  auto empty = runner::environment_from_map({});
  auto unset = runner::get_boolean_input(empty, "dry-run");
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().code == "input_not_boolean");

  auto defaulted = runner::get_boolean_input(empty, "dry-run", false);
  REQUIRE(defaulted.ok());
  CHECK(*defaulted == false);
  // A default never rescues a value that is present but wrong.
  auto wrong = runner::get_boolean_input(runner::environment_from_map({{"INPUT_DRY-RUN", "yes"}}), "dry-run", true);
  CHECK_FALSE(wrong.ok());
}

// ---------------------------------------------------------------------------------------------
// Workflow commands
// ---------------------------------------------------------------------------------------------

TEST_CASE("escaping tables for data and properties") {
  struct Case {
    const char* raw;
    const char* data;
    const char* property;
  };
  const std::vector<Case> cases = {
      {"plain", "plain", "plain"},
      {"%", "%25", "%25"},
      {"\r", "%0D", "%0D"},
      {"\n", "%0A", "%0A"},
      {":", ":", "%3A"},
      {",", ",", "%2C"},
      {"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
      {"100%0A", "100%250A", "100%250A"},  // a literal "%0A" must not turn into a newline
      {"C:\\x,y", "C:\\x,y", "C%3A\\x%2Cy"},
      {"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
      {"=;]", "=;]", "=;]"},
      {"", "", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.raw);
    CHECK(runner::escape_data(c.raw) == c.data);
    CHECK(runner::escape_property(c.raw) == c.property);
  }
}

TEST_CASE("annotation lines") {
  using runner::AnnotationLevel;
  CHECK(runner::annotation_command(AnnotationLevel::error, "boom") == "::error::boom");
  CHECK(runner::annotation_command(AnnotationLevel::warning, "careful") == "::warning::careful");
  CHECK(runner::annotation_command(AnnotationLevel::notice, "fyi") == "::notice::fyi");

  runner::AnnotationProperties all;
  all.title = "Deploy: failed, rolled back";
  all.file = ".github/deploy.yml";
  all.line = 12;
  all.end_line = 14;
  all.col = 3;
  all.end_column = 9;
  CHECK(runner::annotation_command(AnnotationLevel::error, "health check failed\n50% errors", all) ==
        "::error title=Deploy%3A failed%2C rolled back,file=.github/deploy.yml,line=12,endLine=14,col=3,"
        "endColumn=9::health check failed%0A50%25 errors");

  runner::AnnotationProperties some;
  some.file = "a.yml";
  some.title = "";  // empty properties are left out, as the toolkit does
  some.line = 1;
  CHECK(runner::annotation_command(AnnotationLevel::warning, "w", some) == "::warning file=a.yml,line=1::w");
}

TEST_CASE("group, debug, add-mask and stop-commands lines") {
  CHECK(runner::group_command("Stage: migrate\n(2/5)") == "::group::Stage: migrate%0A(2/5)");
  CHECK(runner::endgroup_command() == "::endgroup::");
  CHECK(runner::debug_command("x=1%") == "::debug::x=1%25");
  CHECK(runner::add_mask_command("p@ss:w,rd\n2") == "::add-mask::p@ss:w,rd%0A2");
  CHECK(runner::stop_commands_command("tok") == "::stop-commands::tok");
  CHECK(runner::resume_commands_command("tok") == "::tok::");
}

TEST_CASE("workflow command lines parse back as the runner reads them") {
  runner::AnnotationProperties props;
  props.title = "a:b,c%d\r\ne";
  props.file = "dir/f,1.txt";
  props.line = 7;
  const std::string message = "multi\nline %0A message: with, punctuation\r";
  auto parsed =
      runner::parse_workflow_command(runner::annotation_command(runner::AnnotationLevel::error, message, props));
  REQUIRE(parsed.has_value());
  CHECK(parsed->command == "error");
  CHECK(parsed->data == message);
  CHECK(parsed->properties ==
        std::map<std::string, std::string>{{"title", "a:b,c%d\r\ne"}, {"file", "dir/f,1.txt"}, {"line", "7"}});

  auto mask = runner::parse_workflow_command(runner::add_mask_command("s3cr%3At\nline2"));
  REQUIRE(mask.has_value());
  CHECK(mask->command == "add-mask");
  CHECK(mask->data == "s3cr%3At\nline2");

  auto endgroup = runner::parse_workflow_command("  ::endgroup::");
  REQUIRE(endgroup.has_value());
  CHECK(endgroup->command == "endgroup");
  CHECK(endgroup->data == "");

  CHECK_FALSE(runner::parse_workflow_command("plain output").has_value());
  CHECK_FALSE(runner::parse_workflow_command("::no-second-separator").has_value());
  CHECK_FALSE(runner::parse_workflow_command("x ::error::not at start").has_value());
}

// ---------------------------------------------------------------------------------------------
// File commands
// ---------------------------------------------------------------------------------------------

TEST_CASE("random_uuid is a version 4 UUID built from two draws") {
  auto random = fixed_random({0x0123456789abcdefULL, 0xfedcba9876543210ULL});
  CHECK(runner::random_uuid(random) == "01234567-89ab-4def-bedc-ba9876543210");
  auto zeros = fixed_random({0, 0});
  CHECK(runner::make_delimiter(zeros) == "ghadelimiter_00000000-0000-4000-8000-000000000000");
}

TEST_CASE("format_file_command writes the toolkit's heredoc form") {
  auto random = fixed_random({0, 0});
  auto entry = runner::format_file_command("version", "v1.4.0", random);
  REQUIRE(entry.ok());
  const std::string d = "ghadelimiter_00000000-0000-4000-8000-000000000000";
  CHECK(*entry == "version<<" + d + "\nv1.4.0\n" + d + "\n");
}

TEST_CASE("file command names are validated") {
  auto random = fixed_random({1, 2});
  // "a<" and "a<b": a '<' glued to the heredoc marker makes a file the runner rejects (issue 13).
  for (const char* name : {"", "a\nb", "a\rb", "a<<b", "a=b", "<<", "=", "a<", "a<b", "<"}) {
    CAPTURE(name);
    auto entry = runner::format_file_command(name, "v", random);
    REQUIRE_FALSE(entry.ok());
    CHECK(entry.error().code == "invalid_file_command_name");
  }
  for (const char* name : {"a", "deploy-url", "A_B", "x y"}) {
    CAPTURE(name);
    CHECK(runner::format_file_command(name, "v", random).ok());
  }
}

TEST_CASE("file command round trip through the runner's parser") {
  const std::vector<std::string> values = {
      "simple",
      "",
      "line one\nline two\nline three",
      "key=value=more",
      "a<<b",
      "<<EOF",
      "EOF",
      "before\nEOF\nafter",
      "crlf\r\nlines\r\n",
      "ends with cr\r",
      "\n",
      "\n\nleading newlines",
      "trailing newline\n",
      "name<<ghadelimiter_not-ours\nx\nghadelimiter_not-ours",
      std::string("nul\0byte", 8),
  };
  auto random = fixed_random({0x1111, 0x2222, 0x3333, 0x4444});
  std::string file;
  std::vector<FileCommandEntry> expected;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string name = "out" + std::to_string(i);
    auto entry = runner::format_file_command(name, values[i], random);
    REQUIRE(entry.ok());
    file += *entry;
    expected.push_back({name, values[i]});
  }
  auto parsed = runner::parse_file_commands(file);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK((*parsed)[i] == expected[i]);
  }
}

TEST_CASE("a value holding the delimiter forces a new delimiter") {
  // Draws 1-2 make the first delimiter; 3-4 the second.
  auto preview = fixed_random({1, 2, 3, 4});
  const std::string first = runner::make_delimiter(preview);
  const std::string second = runner::make_delimiter(preview);
  REQUIRE(first != second);

  const std::string value = "EOF\n" + first + "\ninjected=1\n" + first;
  auto random = fixed_random({1, 2, 3, 4});
  auto entry = runner::format_file_command("notes", value, random);
  REQUIRE(entry.ok());
  CHECK(*entry == "notes<<" + second + "\n" + value + "\n" + second + "\n");

  auto parsed = runner::parse_file_commands(*entry);
  REQUIRE(parsed.ok());
  CHECK(*parsed == std::vector<FileCommandEntry>{{"notes", value}});

  // The name is checked too.
  auto random_for_name = fixed_random({1, 2, 3, 4});
  auto named = runner::format_file_command("x" + first, "v", random_for_name);
  REQUIRE(named.ok());
  CHECK(named->find("<<" + second + "\n") != std::string::npos);
}

TEST_CASE("a random source that keeps colliding is an error, not a loop") {
  auto stuck = fixed_random({7, 7});
  const std::string only = runner::make_delimiter(stuck);
  auto entry = runner::format_file_command("n", "x" + only + "x", stuck);
  REQUIRE_FALSE(entry.ok());
  CHECK(entry.error().code == "delimiter_collision");
}

TEST_CASE("parse_file_commands follows the runner's rules") {
  SUBCASE("single-line form, '=' before '<<' wins") {
    auto parsed = runner::parse_file_commands("a=1\n\nb=x<<y\nc=\n");
    REQUIRE(parsed.ok());
    CHECK(*parsed == std::vector<FileCommandEntry>{{"a", "1"}, {"b", "x<<y"}, {"c", ""}});
  }
  SUBCASE("heredoc form, '<<' before '=' wins") {
    auto parsed = runner::parse_file_commands("k<<E=Q\nv=1\nE=Q\n");
    REQUIRE(parsed.ok());
    CHECK(*parsed == std::vector<FileCommandEntry>{{"k", "v=1"}});
  }
  SUBCASE("the last delimiter line may lack its newline") {
    auto parsed = runner::parse_file_commands("k<<EOF\nv\nEOF");
    REQUIRE(parsed.ok());
    CHECK(*parsed == std::vector<FileCommandEntry>{{"k", "v"}});
  }
  SUBCASE("the runner's empty-name quirk in the single-line form") {
    auto parsed = runner::parse_file_commands("=v\n");
    REQUIRE(parsed.ok());
    CHECK(*parsed == std::vector<FileCommandEntry>{{"", "v"}});
  }
  SUBCASE("errors") {
    const std::vector<std::string> bad = {
        "no separator\n", "<<EOF\nv\nEOF\n", "k<<\nv\n\n", "k<<EOF\nv\n", "k<<EOF\nv", "k<<EOF\nv\nEOF \n",
    };
    for (const auto& text : bad) {
      CAPTURE(text);
      auto parsed = runner::parse_file_commands(text);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().code == "invalid_file_command");
    }
  }
}

TEST_CASE("CRLF: Linux runners end lines at LF only, Windows runners also at CRLF") {
  const std::string text = "k<<EOF\r\nv1\r\nv2\r\nEOF\r\n";
  // On Linux the header line is "k<<EOF\r", so the delimiter is "EOF\r" and the value keeps every
  // CR, including the one before the LF that precedes the delimiter line.
  auto linux_parsed = runner::parse_file_commands(text);
  REQUIRE(linux_parsed.ok());
  CHECK(*linux_parsed == std::vector<FileCommandEntry>{{"k", "v1\r\nv2\r"}});

  auto windows_parsed = runner::parse_file_commands(text, true);
  REQUIRE(windows_parsed.ok());
  CHECK(*windows_parsed == std::vector<FileCommandEntry>{{"k", "v1\r\nv2"}});

  // A delimiter line written with CRLF under an LF header is not found on Linux.
  auto mixed = runner::parse_file_commands("k<<EOF\nv\r\nEOF\r\n");
  CHECK_FALSE(mixed.ok());
  auto mixed_windows = runner::parse_file_commands("k<<EOF\nv\r\nEOF\r\n", true);
  REQUIRE(mixed_windows.ok());
  CHECK(*mixed_windows == std::vector<FileCommandEntry>{{"k", "v"}});
}

TEST_CASE("file_command_variable names") {
  CHECK(runner::file_command_variable(runner::FileCommand::output) == "GITHUB_OUTPUT");
  CHECK(runner::file_command_variable(runner::FileCommand::env) == "GITHUB_ENV");
  CHECK(runner::file_command_variable(runner::FileCommand::state) == "GITHUB_STATE");
  CHECK(runner::file_command_variable(runner::FileCommand::step_summary) == "GITHUB_STEP_SUMMARY");
}

// ---------------------------------------------------------------------------------------------
// Masker
// ---------------------------------------------------------------------------------------------

TEST_CASE("masker replaces every occurrence") {
  runner::Masker masker;
  auto commands = masker.add("hunter2");
  CHECK(commands == std::vector<std::string>{"::add-mask::hunter2"});
  CHECK(masker.mask("password is hunter2, again hunter2") == "password is ***, again ***");
  CHECK(masker.mask("no secret here") == "no secret here");
  CHECK(masker.mask("") == "");
}

TEST_CASE("masker handles secrets at line edges and adjacent occurrences") {
  runner::Masker masker;
  masker.add("tok");
  struct Case {
    const char* text;
    const char* masked;
  };
  const std::vector<Case> cases = {
      {"tok", "***"},
      {"tok at start", "*** at start"},
      {"at end tok", "at end ***"},
      {"toktok", "***"},  // touching ranges merge, as in the runner
      {"to", "to"},
      {"xtokx", "x***x"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(masker.mask(c.text) == c.masked);
  }
}

TEST_CASE("masker merges overlapping secrets and overlapping occurrences") {
  runner::Masker masker;
  masker.add("abc");
  masker.add("bcd");
  // Replacing "abc" first would leave "d" of "bcd"; merged ranges leave nothing.
  CHECK(masker.mask("xabcdx") == "x***x");
  CHECK(masker.mask("abc bcd") == "*** ***");

  runner::Masker repeating;
  repeating.add("aba");
  CHECK(repeating.mask("ababa!") == "***!");  // occurrences at 0 and 2 overlap

  runner::Masker nested;
  nested.add("secret");
  nested.add("secret-long-value");
  CHECK(nested.mask("[secret-long-value] [secret]") == "[***] [***]");
}

TEST_CASE("masker registers multi-line secrets whole and line by line") {
  runner::Masker masker;
  auto commands = masker.add("-----BEGIN KEY-----\r\n  abc123  \n\n-----END KEY-----\n");
  CHECK(commands == std::vector<std::string>{
                        "::add-mask::-----BEGIN KEY-----%0D%0A  abc123  %0A%0A-----END KEY-----%0A",
                        "::add-mask::-----BEGIN KEY-----",
                        "::add-mask::abc123",
                        "::add-mask::-----END KEY-----",
                    });
  CHECK(masker.size() == 4);
  // Output arrives line by line; each line of the secret is masked on its own.
  CHECK(masker.mask("key: abc123") == "key: ***");
  CHECK(masker.mask("-----END KEY-----") == "***");
  // Registering again adds nothing and prints nothing.
  CHECK(masker.add("abc123").empty());
  CHECK(masker.size() == 4);
}

TEST_CASE("masker ignores blank values, as the runner does") {
  runner::Masker masker;
  CHECK(masker.add("").empty());
  CHECK(masker.add("   ").empty());
  CHECK(masker.add("\n\t\n").empty());
  CHECK(masker.size() == 0);
  // Short secrets are still masked.
  CHECK(masker.add("x") == std::vector<std::string>{"::add-mask::x"});
  CHECK(masker.mask("axb") == "a***b");
}

TEST_CASE("masker handles a long line with many matches in one pass") {
  runner::Masker masker;
  masker.add("aa");
  masker.add("k3y");
  std::string line;
  for (int i = 0; i < 20000; ++i) line += "k3y-";
  line += std::string(100000, 'a');
  std::string expected;
  for (int i = 0; i < 20000; ++i) expected += "***-";
  expected += "***";
  CHECK(masker.mask(line) == expected);
}

TEST_CASE("masker also masks a secret as JSON, a URL and base64 carry it") {
  runner::Masker masker;
  const std::string secret = "p@ss\"word/with\\odd+chars";
  masker.add(secret);
  struct Case {
    const char* name;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"json string", R"({"token":"p@ss\"word/with\\odd+chars"})"},
      {"url", "https://hooks.example/x?t=p%40ss%22word%2Fwith%5Codd%2Bchars&y=1"},
      {"base64", "Authorization: Basic " + deploy::crypto::base64_encode(secret)},
      {"base64 after one byte", "Basic " + deploy::crypto::base64_encode("u" + secret)},
      {"base64 after two bytes", "Basic " + deploy::crypto::base64_encode("us" + secret + "!")},
      {"base64 after three bytes", "Basic " + deploy::crypto::base64_encode("usr:" + secret)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const std::string masked = masker.mask(c.text);
    CHECK(masked.find("***") != std::string::npos);
    // No run of 8 characters of an encoded secret is left in clear.
    CHECK(masked.find("word") == std::string::npos);
    CHECK(masked.find(deploy::crypto::base64_encode(secret).substr(4, 8)) == std::string::npos);
  }
  // The runner derives the encoded forms itself: only the value is sent with add-mask.
  CHECK(masker.size() == 1);
}
