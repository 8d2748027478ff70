#include "core/process/process.hpp"

#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace proc = deploy::process;

namespace {

std::vector<std::string> run_lines(const proc::Spec& spec, proc::Result& result) {
  std::vector<std::string> lines;
  result = proc::run(spec, [&](const std::string& line) { lines.push_back(line); });
  return lines;
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0; }

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("process-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("a command's output arrives line by line, stdout and stderr together, with its exit code") {
  proc::Result result;
  auto lines = run_lines(proc::shell("echo one; echo two >&2; printf 'three\\r\\nno-newline'; exit 3"), result);
  CHECK(result.end == proc::Result::End::exited);
  CHECK(result.exit_code == 3);
  CHECK_FALSE(result.succeeded());
  CHECK(result.describe() == "exit 3");
  CHECK(lines == std::vector<std::string>{"one", "two", "three", "no-newline"});
}

TEST_CASE("environment values reach the command as variables, never as shell text") {
  auto spec = proc::shell("printf '%s\\n' \"$DEPLOY_REASON\"");
  spec.env["DEPLOY_REASON"] = "$(touch /tmp/pwned-by-test); `id`";
  proc::Result result;
  auto lines = run_lines(spec, result);
  CHECK(result.succeeded());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "$(touch /tmp/pwned-by-test); `id`");
}

TEST_CASE("unset_env removes inherited variables") {
  ::setenv("PROCESS_TEST_SECRET", "s3cr3t", 1);
  auto spec = proc::shell("echo \"[${PROCESS_TEST_SECRET:-}]\"");
  spec.unset_env = {"PROCESS_TEST_SECRET"};
  proc::Result result;
  auto lines = run_lines(spec, result);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "[]");
  ::unsetenv("PROCESS_TEST_SECRET");
}

TEST_CASE("a command that does not exist fails to start with a clear error") {
  proc::Spec spec;
  spec.argv = {"/nonexistent/deploy-action-test-binary"};
  proc::Result result;
  run_lines(spec, result);
  CHECK(result.end == proc::Result::End::failed_to_start);
  CHECK(result.describe().find("/nonexistent/deploy-action-test-binary") != std::string::npos);
}

TEST_CASE("a timeout stops the whole process group, including children that ignore SIGTERM") {
  auto dir = temp_dir();
  auto pid_file = dir / "child.pid";
  // The shell starts a child that ignores SIGTERM and writes its pid, then waits forever.
  auto spec = proc::shell("sh -c 'trap \"\" TERM; echo $$ > \"$PID_FILE\"; while :; do sleep 1; done' & wait");
  spec.env["PID_FILE"] = pid_file.string();
  spec.timeout = 500ms;
  spec.kill_grace = 300ms;
  proc::Result result;
  run_lines(spec, result);
  CHECK(result.end == proc::Result::End::timed_out);
  CHECK(result.describe().rfind("timed out after", 0) == 0);

  std::ifstream in(pid_file);
  pid_t child = 0;
  in >> child;
  REQUIRE(child > 0);
  // The group was SIGKILLed before run() returned; allow the kernel a moment to finish reaping.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (process_alive(child) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  CHECK_FALSE(process_alive(child));
  std::filesystem::remove_all(dir);
}

TEST_CASE("cancelling stops the process group and says cancelled") {
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  auto spec = proc::shell("sleep 30");
  spec.kill_grace = 2s;
  auto result = proc::run(spec, nullptr, &cancel);
  canceller.join();
  CHECK(result.end == proc::Result::End::cancelled);
  CHECK(result.describe() == "cancelled");
}

TEST_CASE("the working directory is honoured") {
  auto dir = temp_dir();
  auto spec = proc::shell("pwd -P");
  spec.working_directory = dir.string();
  proc::Result result;
  auto lines = run_lines(spec, result);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == std::filesystem::canonical(dir).string());
  std::filesystem::remove_all(dir);
}
