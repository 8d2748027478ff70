// The deploy.yml loader (core/config.hpp) on any text, as the action and the bot read it.
//
// Properties: no crash, leak or uncaught exception, whatever the YAML (yaml-cpp's own exceptions
// included); the result is a config or a list of errors, never both or neither; every error has a
// position inside the file and a key or message, and formats.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "fuzz/check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = deploy::config::load_config(text, "deploy.yml");
  FUZZ_CHECK(result.ok() == result.errors.empty());
  std::size_t lines = 1;
  for (const char c : text) lines += c == '\n' ? 1 : 0;
  for (const auto& error : result.errors) {
    FUZZ_CHECK(error.file == "deploy.yml");
    FUZZ_CHECK(error.line >= 1 && static_cast<std::size_t>(error.line) <= lines + 1);
    FUZZ_CHECK(error.column >= 1);
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK(error.format().starts_with("deploy.yml:"));
  }
  if (result.ok()) {
    const auto& config = *result.config;
    for (const auto& environment : config.environments) {
      FUZZ_CHECK(config.environment(environment.name) != nullptr);
      for (const auto* stage : config.stages_for(environment.name)) FUZZ_CHECK(stage != nullptr);
    }
  } else {
    FUZZ_CHECK(!result.format().empty());
  }
  return 0;
}
