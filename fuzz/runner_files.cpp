// The runner file writer (core/runner_files.hpp) round trip: name/value pairs written to a
// GITHUB_OUTPUT file, read back as the runner reads it (runner::parse_file_commands).
// The input is split by FuzzedDataProvider into up to four pairs and the random draws the
// heredoc delimiters are made of (so delimiters that collide with a value are tried too).
//
// Properties: each pair is written or refused with a stated reason (and then nothing of it is
// written); what was written reads back as exactly the written pairs, in order.
#include <fuzzer/FuzzedDataProvider.h>

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/runner/commands.hpp"
#include "core/runner/files.hpp"
#include "fuzz/check.hpp"

namespace {

std::filesystem::path* output_file = nullptr;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  output_file = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                          ("fuzz-runner-files-" + std::to_string(::getpid()) + ".txt"));
  std::atexit([] { std::filesystem::remove(*output_file); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  std::ofstream(*output_file, std::ios::binary | std::ios::trunc).close();
  const auto env = deploy::runner::environment_from_map({{"GITHUB_OUTPUT", output_file->string()}});
  // Draws from the input while it lasts, then from a counter (a source that never repeats).
  std::uint64_t counter = 0x9e3779b97f4a7c15ULL;
  const deploy::RandomSource random = [&] {
    return input.remaining_bytes() >= 8 && input.ConsumeBool() ? input.ConsumeIntegral<std::uint64_t>() : ++counter;
  };

  std::vector<deploy::runner::FileCommandEntry> written;
  const int pairs = input.ConsumeIntegralInRange(1, 4);
  for (int i = 0; i < pairs; ++i) {
    std::string name = input.ConsumeRandomLengthString(64);
    std::string value = input.ConsumeRandomLengthString(1024);
    const auto before = read_file(*output_file);
    const auto status =
        deploy::runner::write_file_command(env, deploy::runner::FileCommand::output, name, value, random);
    if (status.ok()) {
      FUZZ_CHECK(*status == deploy::runner::WriteStatus::written);
      written.push_back({std::move(name), std::move(value)});
    } else {
      const auto& code = status.error().code;
      FUZZ_CHECK(code == "invalid_file_command_name" || code == "delimiter_collision");
      FUZZ_CHECK(!status.error().message.empty());
      FUZZ_CHECK(read_file(*output_file) == before);
    }
  }
  const auto parsed = deploy::runner::parse_file_commands(read_file(*output_file));
  FUZZ_CHECK(parsed.ok());
  FUZZ_CHECK(*parsed == written);
  return 0;
}
