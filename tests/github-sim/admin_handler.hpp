// The simulator's own API under /_sim/ (not GitHub's; no credentials): inspect and steer the
// simulation from tests. Routes are listed in README.md.
#pragma once

#include "faults.hpp"
#include "http_types.hpp"
#include "request_log.hpp"
#include "state.hpp"
#include "webhook_delivery.hpp"
#include "webhook_payloads.hpp"

namespace deploy::sim {

class AdminHandler {
 public:
  AdminHandler(State& state, Faults& faults, RequestLog& log, Deliveries& deliveries, const PayloadTemplates& templates)
      : state_(state), faults_(faults), log_(log), deliveries_(deliveries), templates_(templates) {}

  Response handle(const Request& request);

 private:
  Response event(const std::string& kind, const Request& request);

  State& state_;
  Faults& faults_;
  RequestLog& log_;
  Deliveries& deliveries_;
  const PayloadTemplates& templates_;
};

}  // namespace deploy::sim
