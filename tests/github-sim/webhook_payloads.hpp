// Webhook payloads as GitHub sends them: each starts from a real example payload
// (webhook-examples/EVENT.ACTION.N.json) and has the objects the delivery is about replaced by the
// simulator's own (repository, sender, organization, installation, and the event's subject:
// issue, comment, pull_request, review, release, commits...). Events with no example
// (deployment_protection_rule) are built from the fields alone; when webhook-schemas/ has a schema
// for the event, its required top-level properties are checked.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "render.hpp"

namespace deploy::sim {

class PayloadTemplates {
 public:
  // examples_dir holds EVENT.ACTION.N.json; schemas_dir (may be empty) holds EVENT-ACTION.json.
  PayloadTemplates(std::string examples_dir, std::string schemas_dir);

  // The example with the lowest N for event.action ("none" for events without actions), else any
  // example of the event, else an empty object.
  nlohmann::json example(const std::string& event, const std::string& action) const;
  // Throws std::logic_error when the payload lacks a property the event's schema requires.
  void check_required(const std::string& event, const std::string& action, const nlohmann::json& payload) const;

 private:
  std::string examples_dir_;
  std::string schemas_dir_;
};

// Builds the payload for `event`/`action` about `repo`, sent by `sender`, with `fields` (the
// event-specific objects, already rendered) overriding the example's. The state must be locked.
nlohmann::json build_payload(const PayloadTemplates& templates, View& view, nlohmann::json& repo,
                             const std::string& event, const std::string& action, const nlohmann::json& fields,
                             const std::string& sender);

// The installation that receives events for this repository (0 when none).
long long installation_for(State& state, nlohmann::json& repo);

}  // namespace deploy::sim
