// What the steps of a run act through, as opposed to what they find (action/run_record.hpp): the
// log, the clock and randomness (injected by the caller), and the connection to GitHub once made.
#pragma once

#include <iostream>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/http/client.hpp"
#include "core/runner/commands.hpp"

namespace deploy::action {

// The run's log: every line is masked, except the add-mask commands themselves.
class RunLog {
 public:
  void print(const std::string& line) const { std::cout << masker_.mask(line) << std::endl; }
  void annotate(runner::AnnotationLevel level, const std::string& message) const {
    print(runner::annotation_command(level, message));
  }
  // Registers a secret, printing the add-mask commands before anything could print it.
  void mask(std::string_view secret) {
    for (const auto& line : masker_.add(secret)) std::cout << line << std::endl;
  }
  // Lines that are masked already (the engine masks its own output) or are runner commands.
  void print_raw(const std::string& line) const { std::cout << line << std::endl; }
  runner::Masker& masker() { return masker_; }

 private:
  runner::Masker masker_;
};

// Made by the connect step; the transport also serves the engine's HTTP checks.
struct Connection {
  std::unique_ptr<http::Client> transport;
  std::unique_ptr<github::Client> client;
  github::Repo repo;

  github::Client& github() const { return *client; }
};

}  // namespace deploy::action
