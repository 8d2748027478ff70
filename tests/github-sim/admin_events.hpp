// The admin calls that act as GitHub towards a bot (POST /_sim/events/KIND): each changes the
// state as the named user's action would on github.com, then the caller delivers the matching
// webhook. Kinds: issue_comment, commit_comment, pull_request_review, push, release, pull_request,
// deployment_protection_rule, workflow_run, check_run. Input formats are in README.md.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "render.hpp"
#include "webhook_payloads.hpp"

namespace deploy::sim {

// A bad admin request: the message says what to send instead (answered with 400, or 404 when
// `not_found`).
class AdminError : public std::runtime_error {
 public:
  explicit AdminError(const std::string& message, bool not_found = false)
      : std::runtime_error(message), not_found_(not_found) {}
  bool not_found() const { return not_found_; }

 private:
  bool not_found_;
};

struct SimEvent {
  std::string event;   // X-GitHub-Event; empty when the change causes no webhook
  std::string action;  // "none" for events without one
  nlohmann::json payload;
  long long installation_id = 0;
  nlohmann::json result;       // what the admin call answers besides the delivery (the created objects)
  std::vector<SimEvent> then;  // webhooks the same change causes after this one (e.g. check_suite.completed)
};

bool is_event_kind(const std::string& kind);
// Runs under the state lock. Throws AdminError.
SimEvent run_event(const std::string& kind, const nlohmann::json& input, View& view, const PayloadTemplates& templates);

}  // namespace deploy::sim
