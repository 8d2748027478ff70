// The simulator assembled: state, faults, request log, webhook deliveries, and the two request
// handlers (GitHub's API and the /_sim/ admin API), behind one entry point for the server.
#pragma once

#include <memory>
#include <string>

#include "admin_handler.hpp"
#include "api_handler.hpp"
#include "core/http/client.hpp"
#include "options.hpp"

namespace deploy::sim {

class Simulator {
 public:
  // Reads the seed and opens the logs; throws std::runtime_error saying what is wrong.
  Simulator(const Options& options, const std::string& instance_name);
  Response handle(const Request& request);

 private:
  std::unique_ptr<State> state_;
  Faults faults_;
  std::unique_ptr<RequestLog> log_;
  deploy::http::Client client_;
  std::unique_ptr<Deliveries> deliveries_;
  std::unique_ptr<PayloadTemplates> templates_;
  std::unique_ptr<ApiHandler> api_;
  std::unique_ptr<AdminHandler> admin_;
};

}  // namespace deploy::sim
