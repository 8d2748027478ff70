// From a failed check to the previous version serving, for each strategy: the deploy engine runs a
// release of tests/demo-service that is broken under traffic, and this measures the engine's own
// figure (Report::time_to_restore: from the round that failed the analysis to the end of the
// rollback's health check) and, from outside, when GET /version first answers the previous
// version again after the failure was detected. The rollback command is the user's own (`printf`
// into the service's state here), so the figures are what deploy-action adds around it. Prints
// one JSON object per strategy.
//
//   bench_rollback_time [--runs 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/checks/checks.hpp"
#include "core/clock.hpp"
#include "core/config/config.hpp"
#include "core/engine/engine.hpp"
#include "core/http/client.hpp"
#include "core/plan/plan.hpp"
#include "core/process/process.hpp"
#include "tests/support/demo_service.hpp"

namespace fs = std::filesystem;

namespace {

std::string config_for(const std::string& strategy, const fs::path& state, const std::string& live_url,
                       const std::string& preview_url) {
  const std::string dir = "'" + state.string() + "'";
  std::string text = "version: 1\nenvironments:\n  bench:\n    on: { branches: [main] }\n";
  if (strategy == "canary") {
    text += "    strategy: { type: canary, steps: [{ traffic: 10, pause: 1s }, { traffic: 100 }] }\n";
  } else if (strategy == "blue-green") {
    text += "    strategy:\n      type: blue-green\n      switch: printf '%s' \"$DEPLOY_COLOR\" > " + dir +
            "/live-color\n      preview_url: \"" + preview_url + "\"\n";
  }
  text += "    analysis:\n      interval: 1s\n      checks:\n        - name: health\n          http: { url: \"" +
          live_url + "/healthz\" }\n";
  if (strategy == "blue-green") {
    // Fails only while green serves: the release is bad under real traffic, not on the preview.
    text +=
        "        - name: live\n          command: { run: \"test \\\"$(cat " + dir + "/live-color)\\\" != green\" }\n";
    text += "stages:\n  - name: deploy\n    run: printf '%s' \"$DEPLOY_VERSION\" > " + dir + "/$DEPLOY_COLOR/version\n";
  } else {
    text += "stages:\n  - name: deploy\n    traffic: true\n    run: printf '%s' \"$DEPLOY_VERSION\" > " + dir +
            "/version\n";
    text += "rollback:\n  run: printf '%s' \"$DEPLOY_VERSION\" > " + dir + "/version\n";
  }
  return text;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0)
      runs = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_rollback_time [--runs N]\n");
      return 2;
    }
  }
  for (const std::string strategy : {"rolling", "canary", "blue-green"}) {
    std::vector<double> engine_ms, seen_ms;
    for (int run = 0; run < runs; ++run) {
      const auto state = fs::temp_directory_path() / ("bench_rollback_time_" + std::to_string(::getpid()));
      fs::remove_all(state);
      fs::create_directories(state / "blue");
      fs::create_directories(state / "green");
      std::ofstream(state / "version") << "v1.0.0";
      std::ofstream(state / "blue" / "version") << "v1.0.0";
      if (strategy != "blue-green") std::ofstream(state / "broken") << "v2.0.0\n";
      {
        const bool bg = strategy == "blue-green";
        deploy::test::DemoService live(state, bg ? "live" : "");
        deploy::test::DemoService preview(state, "idle");
        auto loaded = deploy::config::load_config(config_for(strategy, state, live.url(), preview.url()), "bench.yml");
        if (!loaded.ok()) {
          std::fprintf(stderr, "%s\n", loaded.format().c_str());
          return 1;
        }
        const auto& config = *loaded.config;
        auto plan = deploy::plan::make_plan(config, "bench");
        if (!plan) return 1;
        deploy::SystemClock clock;
        deploy::http::Client client;
        deploy::checks::Probes probes{client, clock, {}, nullptr};
        std::atomic<bool> failed{false};
        std::chrono::steady_clock::time_point failed_at;
        deploy::engine::Inputs inputs{
            *plan, *config.environment("bench"),
            deploy::engine::ReleaseFacts{"bench", "v2.0.0", std::string(40, 'a'), "v1.0.0", "", "", ""}, clock,
            [&](const std::string& line) {
              if (!failed && line.find(": failed") != std::string::npos && line.rfind("analysis ", 0) == 0) {
                failed_at = std::chrono::steady_clock::now();
                failed = true;
              }
            }};
        // Watch from outside: the first moment after the failure that the service answers v1.0.0.
        std::atomic<bool> stop{false};
        std::chrono::steady_clock::time_point restored_at{};
        std::thread watcher([&] {
          while (!stop) {
            if (failed && restored_at == std::chrono::steady_clock::time_point{} && live.get("/version") == "v1.0.0") {
              restored_at = std::chrono::steady_clock::now();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{2});
          }
        });
        auto report = deploy::engine::run_deploy(
            inputs, [&](const deploy::config::Check& check) { return deploy::checks::run_check(check, probes); });
        deploy::test::eventually([&] { return restored_at != std::chrono::steady_clock::time_point{}; },
                                 std::chrono::seconds{5});
        stop = true;
        watcher.join();
        if (!report.rolled_back || !report.time_to_restore) {
          std::fprintf(stderr, "%s: not rolled back: %s\n", strategy.c_str(), report.message.c_str());
          return 1;
        }
        engine_ms.push_back(static_cast<double>(report.time_to_restore->count()));
        seen_ms.push_back(std::chrono::duration<double, std::milli>(restored_at - failed_at).count());
      }
      fs::remove_all(state);
    }
    std::printf(
        "{\"strategy\":\"%s\",\"runs\":%d,\"engine_failure_to_restored_ms_p50\":%.0f,"
        "\"seen_over_http_ms_p50\":%.1f,\"max_engine_ms\":%.0f}\n",
        strategy.c_str(), runs, median(engine_ms), median(seen_ms),
        *std::max_element(engine_ms.begin(), engine_ms.end()));
  }
  return 0;
}
