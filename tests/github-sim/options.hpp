// github-sim's command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace deploy::sim {

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string state_file;
  std::optional<std::string> log_file;
  std::string tls_cert;
  std::string tls_key;
  std::string webhook_url;
  std::string webhook_secret_file;
  std::string webhook_examples;  // default: the shared examples (compile definition)
  std::string webhook_schemas;
  bool list_routes = false;
  bool help = false;
};

// Throws std::invalid_argument with a message naming the bad argument.
Options parse_options(const std::vector<std::string>& args);
const char* usage();

}  // namespace deploy::sim
