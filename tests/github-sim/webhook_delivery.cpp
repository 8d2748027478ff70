#include "webhook_delivery.hpp"

#include <algorithm>
#include <stdexcept>

#include "crypto.hpp"
#include "sim_time.hpp"

namespace deploy::sim {

Deliveries::Deliveries(deploy::http::Transport& transport, long long hook_id, long long app_id)
    : transport_(transport), hook_id_(hook_id), app_id_(app_id), worker_([this] { work(); }) {}

Deliveries::~Deliveries() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_all();
  worker_.join();
}

void Deliveries::enqueue(std::string event, std::string action, nlohmann::json payload, long long installation_id) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back({std::move(event), std::move(action), std::move(payload), installation_id});
  }
  queue_ready_.notify_one();
}

void Deliveries::work() {
  for (;;) {
    Queued next;
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to send
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    deliver(next.event, next.action, next.payload, next.installation_id);
  }
}

void Deliveries::configure(std::string url, std::string secret) {
  std::lock_guard lock(mutex_);
  url_ = std::move(url);
  secret_ = std::move(secret);
}

nlohmann::json Deliveries::config() const {
  std::lock_guard lock(mutex_);
  return {{"url", url_}, {"secret_set", !secret_.empty()}, {"hook_id", hook_id_}};
}

Deliveries::Attempt Deliveries::send(const Delivery& delivery, bool redelivery) {
  std::string url;
  std::string secret;
  {
    std::lock_guard lock(mutex_);
    url = url_;
    secret = secret_;
  }
  Attempt attempt;
  attempt.at = iso8601(std::chrono::system_clock::now());
  attempt.redelivery = redelivery;
  if (url.empty()) {
    attempt.error = "no webhook URL configured (--webhook-url or PUT /_sim/webhook)";
    return attempt;
  }
  deploy::http::Request request;
  request.method = "POST";
  request.url = url;
  request.body = delivery.body;
  bool to_app = delivery.installation_id != 0 && app_id_ != 0;
  request.headers = {{"Accept", "*/*"},
                     {"Content-Type", "application/json"},
                     {"User-Agent", "GitHub-Hookshot/" + sha1_hex(std::to_string(hook_id_)).substr(0, 7)},
                     {"X-GitHub-Event", delivery.event},
                     {"X-GitHub-Delivery", delivery.id},
                     {"X-GitHub-Hook-ID", std::to_string(hook_id_)},
                     {"X-GitHub-Hook-Installation-Target-Type", to_app ? "integration" : "repository"},
                     {"X-GitHub-Hook-Installation-Target-ID", std::to_string(to_app ? app_id_ : hook_id_)}};
  if (!secret.empty()) {
    request.headers.emplace_back("X-Hub-Signature", "sha1=" + hmac_sha1_hex(secret, delivery.body));
    request.headers.emplace_back("X-Hub-Signature-256", "sha256=" + hmac_sha256_hex(secret, delivery.body));
  }
  try {
    deploy::http::Response response = transport_.send(request);
    attempt.status = response.status;
    attempt.response_body = response.body.substr(0, 4096);
  } catch (const deploy::http::TransportError& error) {
    attempt.error = error.what();
  }
  return attempt;
}

nlohmann::json Deliveries::summary(const Delivery& delivery) {
  const Attempt& last = delivery.attempts.back();
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : delivery.attempts) {
    attempts.push_back({{"status", a.status == 0 ? nlohmann::json() : nlohmann::json(a.status)},
                        {"error", a.error.empty() ? nlohmann::json() : nlohmann::json(a.error)},
                        {"redelivery", a.redelivery},
                        {"delivered_at", a.at}});
  }
  return {
      {"id", delivery.id},
      {"event", delivery.event},
      {"action", delivery.action == "none" ? nlohmann::json() : nlohmann::json(delivery.action)},
      {"installation_id", delivery.installation_id == 0 ? nlohmann::json() : nlohmann::json(delivery.installation_id)},
      {"status", last.status == 0 ? nlohmann::json() : nlohmann::json(last.status)},
      {"error", last.error.empty() ? nlohmann::json() : nlohmann::json(last.error)},
      {"attempts", attempts}};
}

nlohmann::json Deliveries::deliver(const std::string& event, const std::string& action, const nlohmann::json& payload,
                                   long long installation_id) {
  Delivery delivery;
  delivery.id = random_uuid();
  delivery.event = event;
  delivery.action = action;
  delivery.installation_id = installation_id;
  delivery.body = payload.dump();
  delivery.attempts.push_back(send(delivery, false));
  std::lock_guard lock(mutex_);
  deliveries_.push_back(delivery);
  return summary(deliveries_.back());
}

nlohmann::json Deliveries::redeliver(const std::string& id) {
  Delivery copy;
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(deliveries_.begin(), deliveries_.end(), [&](const Delivery& d) { return d.id == id; });
    if (it == deliveries_.end()) throw std::out_of_range("no delivery " + id);
    copy = *it;
  }
  Attempt attempt = send(copy, true);
  std::lock_guard lock(mutex_);
  auto it = std::find_if(deliveries_.begin(), deliveries_.end(), [&](const Delivery& d) { return d.id == id; });
  it->attempts.push_back(attempt);
  return summary(*it);
}

nlohmann::json Deliveries::list() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& delivery : deliveries_) out.push_back(summary(delivery));
  return out;
}

nlohmann::json Deliveries::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& delivery : deliveries_) {
    if (delivery.id != id) continue;
    nlohmann::json out = summary(delivery);
    out["payload"] = nlohmann::json::parse(delivery.body);
    out["last_response_body"] = delivery.attempts.back().response_body;
    return out;
  }
  throw std::out_of_range("no delivery " + id);
}

}  // namespace deploy::sim
