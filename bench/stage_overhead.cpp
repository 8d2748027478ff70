// The deploy engine's cost per stage against a bash script doing the same work: 20 no-op stages
// (`true`, each in its own process, as a stage command runs), repeated, median and p90 of the
// wall time of one whole run. The engine side is what deploy-action adds around the commands
// (process group, output capture and masking, stop-commands tokens, timing); the bash side runs
// the same commands from a script, one fork and exec each. Prints one JSON object on stdout.
//
//   bench_stage_overhead [--stages 20] [--runs 50]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/config/config.hpp"
#include "core/engine/engine.hpp"
#include "core/plan/plan.hpp"
#include "core/process/process.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const std::size_t index =
      std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  int stages = 20;
  int runs = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--stages") == 0)
      stages = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--runs") == 0)
      runs = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_stage_overhead [--stages N] [--runs N]\n");
      return 2;
    }
  }

  std::string yaml =
      "version: 1\nenvironments:\n  bench:\n    on: { branches: [main] }\n    rollback: { automatic: false }\n"
      "rollback:\n  run: \"true\"\nstages:\n";
  std::string script = "#!/bin/bash\nset -e\n";
  for (int i = 0; i < stages; ++i) {
    yaml += "  - name: stage-" + std::to_string(i) + "\n    run: \"true\"\n";
    // The same command a stage runs: `/bin/sh -c true`, as its own process.
    script += "/bin/sh -c true\n";
  }
  auto loaded = deploy::config::load_config(yaml, "bench.yml");
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.format().c_str());
    return 1;
  }
  const auto& config = *loaded.config;
  auto plan = deploy::plan::make_plan(config, "bench");
  if (!plan) return 1;
  const auto script_path = std::filesystem::temp_directory_path() / "bench_stage_overhead.sh";
  std::ofstream(script_path) << script;

  std::vector<double> engine_ms, bash_ms;
  deploy::SystemClock clock;
  for (int run = 0; run < runs; ++run) {
    {
      deploy::engine::Inputs inputs{
          *plan, *config.environment("bench"),
          deploy::engine::ReleaseFacts{"bench", "v1.0.0", std::string(40, 'a'), "", "", "", ""}, clock,
          [](const std::string&) {}};
      const auto start = Clock::now();
      auto report =
          deploy::engine::run_deploy(inputs, [](const deploy::config::Check&) { return deploy::analysis::Sample{}; });
      engine_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (report.status != deploy::engine::Status::succeeded) {
        std::fprintf(stderr, "engine run failed: %s\n", report.message.c_str());
        return 1;
      }
    }
    {
      deploy::process::Spec spec;
      spec.argv = {"/bin/bash", script_path.string()};
      const auto start = Clock::now();
      auto result = deploy::process::run(spec, [](const std::string&) {});
      bash_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (!result.succeeded()) return 1;
    }
  }
  std::filesystem::remove(script_path);
  const double engine_p50 = percentile(engine_ms, 0.5), bash_p50 = percentile(bash_ms, 0.5);
  std::printf(
      "{\"stages\":%d,\"runs\":%d,\"engine_p50_ms\":%.2f,\"engine_p90_ms\":%.2f,\"bash_p50_ms\":%.2f,"
      "\"bash_p90_ms\":%.2f,\"engine_per_stage_us\":%.0f,\"bash_per_stage_us\":%.0f,\"ratio_p50\":%.3f}\n",
      stages, runs, engine_p50, percentile(engine_ms, 0.9), bash_p50, percentile(bash_ms, 0.9),
      engine_p50 * 1000 / stages, bash_p50 * 1000 / stages, engine_p50 / bash_p50);
  return 0;
}
