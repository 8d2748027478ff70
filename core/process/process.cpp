#include "core/process/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>

extern char** environ;

namespace deploy::process {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() { ::posix_spawnattr_init(&attr_); }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

std::vector<std::string> build_environment(const Spec& spec) {
  std::set<std::string> drop(spec.unset_env.begin(), spec.unset_env.end());
  for (const auto& [name, value] : spec.env) drop.insert(name);
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (drop.count(entry.substr(0, eq)) == 0) out.push_back(std::move(entry));
  }
  for (const auto& [name, value] : spec.env) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string seconds_text(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return text;
}

// Streams bytes from the pipe into lines.
class LineSplitter {
 public:
  explicit LineSplitter(const LineSink& sink) : sink_(sink) {}
  void feed(const char* data, std::size_t size) {
    buffer_.append(data, size);
    std::size_t start = 0;
    for (auto nl = buffer_.find('\n', start); nl != std::string::npos; nl = buffer_.find('\n', start)) {
      std::size_t end = nl;
      if (end > start && buffer_[end - 1] == '\r') --end;
      emit(buffer_.substr(start, end - start));
      start = nl + 1;
    }
    buffer_.erase(0, start);
  }
  void finish() {
    if (!buffer_.empty()) emit(buffer_);
    buffer_.clear();
  }

 private:
  void emit(const std::string& line) {
    if (sink_) sink_(line);
  }
  const LineSink& sink_;
  std::string buffer_;
};

}  // namespace

std::string Result::describe() const {
  switch (end) {
    case End::exited:
      return "exit " + std::to_string(exit_code);
    case End::signalled:
      return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    case End::timed_out:
      return "timed out after " + seconds_text(duration);
    case End::cancelled:
      return "cancelled";
    case End::failed_to_start:
      return "could not start: " + error;
  }
  return "unknown";
}

Spec shell(const std::string& command) {
  Spec spec;
  spec.argv = {"/bin/sh", "-c", command};
  return spec;
}

Result run(const Spec& spec, const LineSink& on_line, const std::atomic<bool>* cancel) {
  Result result;
  const auto started = Clock::now();
  if (spec.argv.empty()) {
    result.error = "no command given";
    return result;
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);

  FileActions actions;
  ::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 1);
  ::posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 2);
  if (!spec.working_directory.empty()) {
    ::posix_spawn_file_actions_addchdir_np(actions.get(), spec.working_directory.c_str());
  }

  SpawnAttributes attributes;
  // Own process group (pgid = child pid), so signals reach everything the command starts. Signal
  // dispositions and mask are reset: the action may ignore or block signals it handles itself.
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD}) sigaddset(&default_signals, s);
  ::posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  ::posix_spawnattr_setpgroup(attributes.get(), 0);
  ::posix_spawnattr_setsigmask(attributes.get(), &empty_mask);
  ::posix_spawnattr_setsigdefault(attributes.get(), &default_signals);

  std::vector<std::string> argv_strings = spec.argv;
  std::vector<std::string> env_strings = build_environment(spec);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], actions.get(), attributes.get(), argv.data(), envp.data());
  write_end.reset();
  if (rc != 0) {
    result.error = spec.argv[0] + ": " + std::strerror(rc);
    return result;
  }

  // If anything below throws (a sink, an allocation), the group must not outlive us.
  struct Reaper {
    pid_t pid;
    bool done = false;
    ~Reaper() {
      if (done) return;
      ::kill(-pid, SIGKILL);
      int ignored = 0;
      ::waitpid(pid, &ignored, 0);
    }
  } reaper{pid};

  // Readable when the child exits, so the loop wakes at once instead of on its next slice: a
  // stage's fixed cost stays that of a fork and exec, as in a shell script. Kernels without
  // pidfd_open (before 5.3) fall back to 1 ms slices once the output pipe is closed.
  Fd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  LineSplitter splitter(on_line);
  const bool has_deadline = spec.timeout.count() > 0;
  const auto deadline = started + spec.timeout;
  std::optional<Clock::time_point> kill_at;  // set once SIGTERM was sent
  bool pipe_open = true;
  int status = 0;
  bool reaped = false;

  auto stop_group = [&](Result::End why) {
    if (kill_at) return;
    result.end = why;
    ::kill(-pid, SIGTERM);
    kill_at = Clock::now() + spec.kill_grace;
  };

  while (!reaped) {
    const auto now = Clock::now();
    if (!kill_at) {
      if (cancel && cancel->load())
        stop_group(Result::End::cancelled);
      else if (has_deadline && now >= deadline)
        stop_group(Result::End::timed_out);
    } else if (now >= *kill_at) {
      ::kill(-pid, SIGKILL);
    }

    // Wait for output, the child's exit or the end of a slice (timeouts and cancellation are
    // looked at once per slice).
    pollfd fds[2];
    nfds_t count = 0;
    if (pipe_open) fds[count++] = pollfd{read_end.get(), POLLIN, 0};
    if (exit_fd.get() >= 0) fds[count++] = pollfd{exit_fd.get(), POLLIN, 0};
    if (count == 0) {
      ::usleep(1'000);
    } else if (::poll(fds, count, 50) > 0 && pipe_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buffer[8192];
      ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
      if (n > 0)
        splitter.feed(buffer, static_cast<std::size_t>(n));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        pipe_open = false;
    }

    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) reaped = true;
  }
  reaper.done = true;

  // The shell is gone; stop anything it left behind in its group, and drain what they wrote.
  ::kill(-pid, SIGKILL);
  while (pipe_open) {
    pollfd pfd{read_end.get(), POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) break;
    char buffer[8192];
    ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    splitter.feed(buffer, static_cast<std::size_t>(n));
  }
  splitter.finish();

  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  if (kill_at) {
    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;  // end already says timed_out or cancelled
  }
  if (WIFEXITED(status)) {
    result.end = Result::End::exited;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.end = Result::End::signalled;
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace deploy::process
