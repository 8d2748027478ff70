// The comment command parser (core/command.hpp) on any comment body.
//
// Properties: exactly one of ignore, commands or a reply; commands number 1..max_commands, in
// line order, each on a real line of the comment; a rollback reason is clean (clean_reason is
// idempotent on it) and within its length; a reply has a reason code and no control bytes but
// line breaks; clean_reason on any text is idempotent, valid UTF-8 and within its length.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/command/command.hpp"
#include "fuzz/check.hpp"

namespace {

bool valid_utf8(std::string_view text, std::size_t& code_points) {
  code_points = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
    ++code_points;
  }
  return true;
}

void check_clean(std::string_view text) {
  const auto cleaned = deploy::command::clean_reason(text);
  std::size_t code_points = 0;
  FUZZ_CHECK(valid_utf8(cleaned.text, code_points));
  FUZZ_CHECK(code_points <= deploy::command::max_reason_code_points);
  FUZZ_CHECK(cleaned.text.find_first_of("\t\r\n") == std::string::npos);
  FUZZ_CHECK(cleaned.text.empty() || (cleaned.text.front() != ' ' && cleaned.text.back() != ' '));
  FUZZ_CHECK(cleaned.text.find("  ") == std::string::npos);
  const auto again = deploy::command::clean_reason(cleaned.text);
  FUZZ_CHECK(again.text == cleaned.text && !again.truncated);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  using Type = deploy::command::ParseResult::Type;
  const auto result = deploy::command::parse_comment(body);
  // Lines end at \n, \r\n or a lone \r, as in CommonMark.
  std::size_t lines = 1;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' || (body[i] == '\r' && (i + 1 == body.size() || body[i + 1] != '\n'))) ++lines;
  }

  switch (result.type) {
    case Type::ignore:
      FUZZ_CHECK(result.commands.empty() && result.reply.empty());
      break;
    case Type::commands: {
      FUZZ_CHECK(result.reply.empty());
      FUZZ_CHECK(!result.commands.empty() && result.commands.size() <= deploy::command::max_commands);
      int previous = 0;
      for (const auto& command : result.commands) {
        FUZZ_CHECK(command.line > previous && static_cast<std::size_t>(command.line) <= lines);
        previous = command.line;
        FUZZ_CHECK(command.kind != deploy::command::Kind::help);
        using Kind = deploy::command::Kind;
        // Only /rollback names a version; only the commands whose grammar ends in REASON carry one.
        if (command.kind != Kind::rollback) FUZZ_CHECK(!command.version);
        const bool takes_reason = command.kind == Kind::rollback || command.kind == Kind::reject ||
                                  command.kind == Kind::lock || command.kind == Kind::abort;
        if (!takes_reason) FUZZ_CHECK(command.reason.empty());
        // Only /lock, /unlock and /deploy name an environment.
        const bool takes_environment =
            command.kind == Kind::lock || command.kind == Kind::unlock || command.kind == Kind::deploy;
        if (!takes_environment) FUZZ_CHECK(command.environment.empty());
        const auto again = deploy::command::clean_reason(command.reason);
        FUZZ_CHECK(again.text == command.reason);
      }
      break;
    }
    case Type::reply:
      FUZZ_CHECK(result.commands.empty() && !result.reply.empty() && !result.reason_code.empty());
      for (const char c : result.reply) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u >= 0x20 || c == '\n');
        FUZZ_CHECK(u != 0x7F);
      }
      break;
  }
  check_clean(body);
  return 0;
}
