#include "tests/support/github_sim.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace deploy::test {

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::filesystem::path make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/github-sim-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp(" + pattern + "): " + std::strerror(errno));
  return buffer.data();
}

// RAII for a file descriptor.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

GithubSim::GithubSim(const nlohmann::json& state, GithubSimOptions options) : options_(std::move(options)) {
  deploy::http::ClientOptions client_options;
  client_options.connect_timeout = std::chrono::seconds(10);
  client_options.read_timeout = std::chrono::seconds(60);
  if (!options_.ca_file.empty()) client_options.ca_file = options_.ca_file.string();
  client_ = std::make_unique<deploy::http::Client>(client_options);
  dir_ = make_temp_dir();
  try {
    start(state);
  } catch (...) {
    stop();
    throw;
  }
}

GithubSim::~GithubSim() { stop(); }

void GithubSim::start(const nlohmann::json& state) {
  write_text(dir_ / "state.json", state.dump(2));
  std::vector<std::string> args = {
      GITHUB_SIM_BINARY, "--listen",         "127.0.0.1:0", "--state", (dir_ / "state.json").string(),
      "--log",           log_file().string()};
  if (!options_.tls_cert.empty()) {
    args.insert(args.end(), {"--tls-cert", options_.tls_cert.string(), "--tls-key", options_.tls_key.string()});
  }
  if (!options_.webhook_url.empty()) {
    write_text(dir_ / "webhook-secret", options_.webhook_secret);
    args.insert(args.end(),
                {"--webhook-url", options_.webhook_url, "--webhook-secret-file", (dir_ / "webhook-secret").string()});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  Fd read_end{pipe_fds[0]};
  Fd write_end{pipe_fds[1]};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.fd, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_file().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    pid_ = -1;
    throw std::runtime_error(std::string("cannot start ") + argv[0] + ": " + std::strerror(spawned));
  }
  ::close(write_end.fd);
  write_end.fd = -1;

  // Wait for "github-sim listening on URL".
  std::string output;
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (output.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error("github-sim did not report its port within " +
                               std::to_string(options_.start_timeout.count()) +
                               " ms; stderr: " + read_text(stderr_file()));
    }
    pollfd p{read_end.fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[256];
    ssize_t n = ::read(read_end.fd, buffer, sizeof buffer);
    if (n <= 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("github-sim exited before listening; stderr: " + read_text(stderr_file()));
    }
    output.append(buffer, static_cast<std::size_t>(n));
  }
  // "github-sim listening on http(s)://127.0.0.1:PORT"
  std::string line = output.substr(0, output.find('\n'));
  const std::string prefix = "github-sim listening on ";
  std::string url = line.starts_with(prefix) ? line.substr(prefix.size()) : "";
  auto colon = url.rfind(':');
  std::string port = colon == std::string::npos ? "" : url.substr(colon + 1);
  bool known_scheme = url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:");
  if (!known_scheme || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    throw std::runtime_error("unexpected first line from github-sim: " + line);
  }
  base_url_ = url;
  port_ = static_cast<unsigned short>(std::stoul(port));
}

void GithubSim::stop() noexcept {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    bool killed = false;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        killed = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    // A simulator that did not stop cleanly (a crash, a sanitizer report) is worth a loud note.
    if (killed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::cerr << "github-sim did not stop cleanly ("
                << (killed ? "killed after 10 s" : "status " + std::to_string(status)) << "); its stderr:\n"
                << read_text(stderr_file()) << std::endl;
    }
  }
  const char* keep = std::getenv("GITHUB_SIM_KEEP");
  if (!dir_.empty() && (keep == nullptr || std::string(keep) != "1")) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

deploy::http::Response GithubSim::api(const std::string& method, const std::string& path, const std::string& token,
                                      const nlohmann::json& body) const {
  deploy::http::Request request;
  request.method = method;
  request.url = base_url_ + path;
  request.headers = {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  return client_->send(request);
}

deploy::http::Response GithubSim::admin(const std::string& method, const std::string& path,
                                        const nlohmann::json& body) const {
  deploy::http::Request request;
  request.method = method;
  request.url = base_url_ + path;
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  return client_->send(request);
}

nlohmann::json GithubSim::admin_json(const std::string& method, const std::string& path,
                                     const nlohmann::json& body) const {
  deploy::http::Response response = admin(method, path, body);
  if (response.status < 200 || response.status > 299) {
    throw std::runtime_error("github-sim admin " + method + " " + path + " answered " +
                             std::to_string(response.status) + ": " + response.body);
  }
  return response.body.empty() ? nlohmann::json() : nlohmann::json::parse(response.body);
}

nlohmann::json GithubSim::state() const { return admin_json("GET", "/_sim/state"); }
nlohmann::json GithubSim::requests() const { return admin_json("GET", "/_sim/requests"); }
void GithubSim::clear_requests() const { admin_json("DELETE", "/_sim/requests"); }

std::vector<nlohmann::json> GithubSim::log_lines() const {
  std::vector<nlohmann::json> lines;
  std::ifstream in(log_file());
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

nlohmann::json GithubSim::event(const std::string& kind, const nlohmann::json& body) const {
  return admin_json("POST", "/_sim/events/" + kind, body);
}
nlohmann::json GithubSim::deliveries() const { return admin_json("GET", "/_sim/deliveries"); }
nlohmann::json GithubSim::delivery(const std::string& id) const { return admin_json("GET", "/_sim/deliveries/" + id); }
nlohmann::json GithubSim::redeliver(const std::string& id) const {
  return admin_json("POST", "/_sim/deliveries/" + id + "/redeliver");
}
void GithubSim::set_webhook(const std::string& url, const std::string& secret) const {
  admin_json("PUT", "/_sim/webhook", {{"url", url}, {"secret", secret}});
}
nlohmann::json GithubSim::add_fault(const nlohmann::json& fault) const {
  return admin_json("POST", "/_sim/faults", fault);
}
void GithubSim::clear_faults() const { admin_json("DELETE", "/_sim/faults"); }
void GithubSim::advance_clock(std::chrono::seconds by) const {
  admin_json("POST", "/_sim/clock", {{"advance_seconds", by.count()}});
}
int GithubSim::expire_installation_tokens() const {
  return admin_json("POST", "/_sim/tokens/expire", nlohmann::json::object())["expired"].get<int>();
}

}  // namespace deploy::test
