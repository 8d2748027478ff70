// The GitHub API request pipeline, in order: strip the GHES prefix (/api/v3), resolve the
// /repositories/{id} alias, apply an injected fault, authenticate, match the route, check the
// credential kind the route accepts, count the rate limit, run the handler under the state lock,
// add GitHub's headers, log the request, and (with "webhook": {"api_events": true} in the seed)
// queue the webhooks the change causes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#include "faults.hpp"
#include "webhook_delivery.hpp"
#include "webhook_payloads.hpp"

#include "admin_events.hpp"
#include "call.hpp"
#include "http_types.hpp"
#include "request_log.hpp"
#include "state.hpp"

namespace deploy::sim {

class ApiHandler {
 public:
  ApiHandler(State& state, Faults& faults, RequestLog& log, Deliveries& deliveries, const PayloadTemplates& templates)
      : state_(state), faults_(faults), log_(log), deliveries_(deliveries), templates_(templates) {}
  // Requests held back by a `late` fault that have not landed yet never will: the simulator is
  // stopping. Waits for their threads, which use this handler.
  ~ApiHandler();
  ApiHandler(const ApiHandler&) = delete;
  ApiHandler& operator=(const ApiHandler&) = delete;
  Response handle(const Request& request);

 private:
  std::vector<SimEvent> webhooks_for(Call& call);
  void handle_late(const Request& request, std::chrono::milliseconds late);

  State& state_;
  Faults& faults_;
  RequestLog& log_;
  Deliveries& deliveries_;
  const PayloadTemplates& templates_;

  std::mutex late_mutex_;
  std::condition_variable late_wake_;
  bool stopping_ = false;          // guarded by late_mutex_
  std::vector<std::thread> late_;  // guarded by late_mutex_
};

}  // namespace deploy::sim
