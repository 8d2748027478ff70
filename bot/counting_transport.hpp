// A Transport that counts every HTTP exchange with GitHub by status in the bot's metrics, then
// passes it on. Thread-safe when the wrapped transport is.
#pragma once

#include "bot/metrics.hpp"
#include "core/http/client.hpp"

namespace deploy::bot {

class CountingTransport final : public http::Transport {
 public:
  CountingTransport(http::Transport& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}
  http::Response send(const http::Request& request) override {
    try {
      auto response = inner_.send(request);
      metrics_.github_call(static_cast<unsigned>(response.status));
      return response;
    } catch (...) {
      metrics_.github_call(0);
      throw;
    }
  }

 private:
  http::Transport& inner_;
  Metrics& metrics_;
};

}  // namespace deploy::bot
