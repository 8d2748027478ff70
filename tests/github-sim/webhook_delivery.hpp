// Sending webhooks as GitHub's Hookshot does: POST the exact payload bytes with X-GitHub-Event,
// X-GitHub-Delivery (a UUID), X-GitHub-Hook-ID, X-Hub-Signature-256 (HMAC-SHA256 of the body with
// the secret, hex) and X-Hub-Signature (SHA-1), a 10 s timeout, no retries. A delivery to an App
// (one with an installation) has X-GitHub-Hook-Installation-Target-Type "integration" and
// -Target-ID the App's id, as GitHub sends them; others name the repository hook. Every delivery and
// attempt is kept so tests can list them and ask for a redelivery (same body, same delivery id).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http/client.hpp"

namespace deploy::sim {

class Deliveries {
 public:
  Deliveries(deploy::http::Transport& transport, long long hook_id, long long app_id);  // app_id 0: no App
  ~Deliveries();  // finishes the queued deliveries
  Deliveries(const Deliveries&) = delete;
  Deliveries& operator=(const Deliveries&) = delete;

  void configure(std::string url, std::string secret);
  nlohmann::json config() const;  // {"url", "secret_set", "hook_id"}; never the secret

  // Records and sends one delivery; returns its summary (id, event, action, status, error).
  nlohmann::json deliver(const std::string& event, const std::string& action, const nlohmann::json& payload,
                         long long installation_id);
  // The same, later, from a background thread (for changes made through the API, delivered after
  // their answer as GitHub does).
  void enqueue(std::string event, std::string action, nlohmann::json payload, long long installation_id);
  // Resends a recorded delivery with the same body and id; throws std::out_of_range if unknown.
  nlohmann::json redeliver(const std::string& id);

  nlohmann::json list() const;
  nlohmann::json get(const std::string& id) const;  // with headers and payload; throws std::out_of_range

 private:
  struct Attempt {
    int status = 0;  // 0: no HTTP response
    std::string error;
    std::string response_body;
    std::string at;
    bool redelivery = false;
  };
  struct Delivery {
    std::string id;
    std::string event;
    std::string action;
    long long installation_id = 0;
    std::string body;
    std::vector<Attempt> attempts;
  };

  Attempt send(const Delivery& delivery, bool redelivery);
  static nlohmann::json summary(const Delivery& delivery);

  deploy::http::Transport& transport_;
  long long hook_id_;
  long long app_id_;
  mutable std::mutex mutex_;
  std::string url_;
  std::string secret_;
  std::vector<Delivery> deliveries_;

  struct Queued {
    std::string event;
    std::string action;
    nlohmann::json payload;
    long long installation_id = 0;
  };
  void work();
  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace deploy::sim
