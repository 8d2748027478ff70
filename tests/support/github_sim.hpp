// GithubSim: runs tests/github-sim as a real process for one test. It starts the simulator on
// port 0 in a temporary directory with the given state, waits until it reports its port, offers
// the admin API (/_sim/) and the request log, and stops it (SIGTERM, then SIGKILL) and removes the
// directory when destroyed. Set GITHUB_SIM_KEEP=1 to keep the directory for a post-mortem.
//
//   deploy::test::GithubSim sim(seed);                       // seed: the state (tests/github-sim/README.md)
//   auto r = sim.api("GET", "/repos/acme/app", "tok-alice"); // a GitHub call through deploy::http::Client
//   sim.event("issue_comment", {{"repo", "acme/app"}, {"issue", 1}, {"user", "bob"}, {"body", "/approve"}});
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http/client.hpp"

namespace deploy::test {

struct GithubSimOptions {
  // HTTPS: the simulator serves this certificate; the fixture's client trusts ca_file.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  std::filesystem::path ca_file;
  // Where webhooks go (can also be set later with set_webhook, e.g. once the bot has a port).
  std::string webhook_url;
  std::string webhook_secret;
  std::vector<std::string> extra_args;
  std::chrono::milliseconds start_timeout{15'000};
};

class GithubSim {
 public:
  // Throws std::runtime_error (with the simulator's stderr) when it does not start in time.
  explicit GithubSim(const nlohmann::json& state, GithubSimOptions options = {});
  ~GithubSim();
  GithubSim(const GithubSim&) = delete;
  GithubSim& operator=(const GithubSim&) = delete;

  const std::string& base_url() const { return base_url_; }       // http(s)://127.0.0.1:PORT
  std::string ghes_url() const { return base_url_ + "/api/v3"; }  // the same API, GitHub Enterprise style
  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path log_file() const { return dir_ / "requests.jsonl"; }
  std::filesystem::path stderr_file() const { return dir_ / "stderr.log"; }

  // A client that trusts the simulator (ca_file in TLS mode).
  deploy::http::Client& client() const { return *client_; }

  // One GitHub API call: PATH is relative to base_url() (e.g. "/repos/acme/app"); a non-empty
  // token is sent as "Authorization: Bearer TOKEN"; a non-null body is sent as JSON.
  deploy::http::Response api(const std::string& method, const std::string& path, const std::string& token = "",
                             const nlohmann::json& body = nullptr) const;

  // --- admin API (/_sim/) ---
  deploy::http::Response admin(const std::string& method, const std::string& path,
                               const nlohmann::json& body = nullptr) const;
  // The parsed JSON answer; throws std::runtime_error unless the status is 2xx.
  nlohmann::json admin_json(const std::string& method, const std::string& path,
                            const nlohmann::json& body = nullptr) const;

  nlohmann::json state() const;                   // GET /_sim/state (a valid seed)
  nlohmann::json requests() const;                // GET /_sim/requests: the request log entries
  std::vector<nlohmann::json> log_lines() const;  // the --log file, parsed line by line
  void clear_requests() const;
  // Acts as GitHub: changes the state as `user` would and delivers the webhook (see README.md).
  // Answers {..created objects.., "delivery": {"id", "status", ...}}.
  nlohmann::json event(const std::string& kind, const nlohmann::json& body) const;
  nlohmann::json deliveries() const;
  nlohmann::json delivery(const std::string& id) const;  // with payload
  nlohmann::json redeliver(const std::string& id) const;
  void set_webhook(const std::string& url, const std::string& secret) const;
  nlohmann::json add_fault(const nlohmann::json& fault) const;
  void clear_faults() const;
  void advance_clock(std::chrono::seconds by) const;
  int expire_installation_tokens() const;  // returns how many were expired

 private:
  void start(const nlohmann::json& state);
  void stop() noexcept;

  GithubSimOptions options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  std::string base_url_;
  std::unique_ptr<deploy::http::Client> client_;
};

}  // namespace deploy::test
