#include "simulator.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace deploy::sim {

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot read ") + what + " " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

deploy::http::ClientOptions webhook_client_options() {
  deploy::http::ClientOptions options;
  // GitHub gives a webhook receiver 10 seconds to answer.
  options.connect_timeout = std::chrono::seconds(10);
  options.read_timeout = std::chrono::seconds(10);
  options.user_agent = "GitHub-Hookshot";
  return options;
}

}  // namespace

Simulator::Simulator(const Options& options, const std::string& instance_name) : client_(webhook_client_options()) {
  nlohmann::json seed = nlohmann::json::parse(read_file(options.state_file, "the state seed"), nullptr, false);
  if (seed.is_discarded()) throw std::runtime_error("the state seed " + options.state_file + " is not valid JSON");
  // A relative public_key_file is relative to the seed file.
  if (seed.is_object() && seed.contains("app") && seed["app"].is_object() && seed["app"].contains("public_key_file") &&
      seed["app"]["public_key_file"].is_string()) {
    std::filesystem::path key = seed["app"]["public_key_file"].get<std::string>();
    if (key.is_relative())
      seed["app"]["public_key_file"] = (std::filesystem::path(options.state_file).parent_path() / key).string();
  }
  state_ = std::make_unique<State>(seed);
  const char* log_dir = std::getenv("GITHUB_SIM_LOG_DIR");
  log_ = std::make_unique<RequestLog>(options.log_file, log_dir ? std::optional<std::string>(log_dir) : std::nullopt,
                                      instance_name);
  // App deliveries name the App as their target (X-GitHub-Hook-Installation-Target-ID).
  long long app_id = state_->has_app() ? state_->app()["id"].get<long long>() : 0;
  deliveries_ = std::make_unique<Deliveries>(client_, state_->doc()["webhook"]["hook_id"].get<long long>(), app_id);
  if (!options.webhook_url.empty()) {
    std::string secret;
    if (!options.webhook_secret_file.empty()) {
      secret = read_file(options.webhook_secret_file, "the webhook secret file");
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    }
    deliveries_->configure(options.webhook_url, secret);
  }
  templates_ = std::make_unique<PayloadTemplates>(options.webhook_examples, options.webhook_schemas);
  api_ = std::make_unique<ApiHandler>(*state_, faults_, *log_, *deliveries_, *templates_);
  admin_ = std::make_unique<AdminHandler>(*state_, faults_, *log_, *deliveries_, *templates_);
}

Response Simulator::handle(const Request& request) {
  if (request.path == "/_sim" || request.path.starts_with("/_sim/")) return admin_->handle(request);
  return api_->handle(request);
}

}  // namespace deploy::sim
