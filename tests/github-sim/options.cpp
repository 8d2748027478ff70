#include "options.hpp"

#include <stdexcept>

namespace deploy::sim {

#ifndef GITHUB_SIM_WEBHOOK_EXAMPLES
#define GITHUB_SIM_WEBHOOK_EXAMPLES ""
#endif
#ifndef GITHUB_SIM_WEBHOOK_SCHEMAS
#define GITHUB_SIM_WEBHOOK_SCHEMAS ""
#endif

const char* usage() {
  return "usage: github-sim --listen HOST:PORT --state FILE.json [--log FILE.jsonl]\n"
         "                  [--tls-cert PEM --tls-key PEM]\n"
         "                  [--webhook-url URL --webhook-secret-file FILE]\n"
         "                  [--webhook-examples DIR] [--webhook-schemas DIR]\n"
         "       github-sim --list-routes | --help\n"
         "\n"
         "A stateful GitHub REST simulator for tests. PORT 0 picks a free port; on start it prints\n"
         "'github-sim listening on http(s)://127.0.0.1:PORT'. SIGTERM/SIGINT stop it.\n"
         "Requests are logged as JSON lines to --log and, when $GITHUB_SIM_LOG_DIR is set, to a file\n"
         "of their own there. The admin API is under /_sim/; see tests/github-sim/README.md.\n";
}

Options parse_options(const std::vector<std::string>& args) {
  Options options;
  options.webhook_examples = GITHUB_SIM_WEBHOOK_EXAMPLES;
  options.webhook_schemas = GITHUB_SIM_WEBHOOK_SCHEMAS;
  bool have_listen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(arg + " needs a value");
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--list-routes") {
      options.list_routes = true;
    } else if (arg == "--listen") {
      std::string listen = value();
      auto colon = listen.rfind(':');
      if (colon == std::string::npos) throw std::invalid_argument("--listen wants HOST:PORT, got " + listen);
      options.host = listen.substr(0, colon);
      std::string port = listen.substr(colon + 1);
      if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(port) > 65535) {
        throw std::invalid_argument("--listen port must be 0-65535, got " + port);
      }
      options.port = static_cast<unsigned short>(std::stoul(port));
      have_listen = true;
    } else if (arg == "--state") {
      options.state_file = value();
    } else if (arg == "--log") {
      options.log_file = value();
    } else if (arg == "--tls-cert") {
      options.tls_cert = value();
    } else if (arg == "--tls-key") {
      options.tls_key = value();
    } else if (arg == "--webhook-url") {
      options.webhook_url = value();
    } else if (arg == "--webhook-secret-file") {
      options.webhook_secret_file = value();
    } else if (arg == "--webhook-examples") {
      options.webhook_examples = value();
    } else if (arg == "--webhook-schemas") {
      options.webhook_schemas = value();
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  if (options.help || options.list_routes) return options;
  if (!have_listen) throw std::invalid_argument("--listen HOST:PORT is required");
  if (options.state_file.empty()) throw std::invalid_argument("--state FILE.json is required");
  if (options.tls_cert.empty() != options.tls_key.empty())
    throw std::invalid_argument("--tls-cert and --tls-key go together");
  return options;
}

}  // namespace deploy::sim
