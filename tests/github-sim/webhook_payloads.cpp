#include "webhook_payloads.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "access.hpp"
#include "encoding.hpp"

namespace deploy::sim {

namespace {

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

// Push payloads carry repository timestamps as epoch seconds, as GitHub's do.
void epoch_timestamps(nlohmann::json& repository) {
  for (const char* key : {"created_at", "pushed_at"}) {
    if (repository.contains(key) && repository[key].is_string()) {
      if (auto time = parse_iso8601(repository[key].get<std::string>())) repository[key] = epoch_seconds(*time);
    }
  }
}

nlohmann::json render_organization(View& view, const std::string& login) {
  json user = render_user(view, login);
  std::string api = view.urls.api + "/orgs/" + login;
  return {{"login", user["login"]},
          {"id", user["id"]},
          {"node_id", user["node_id"]},
          {"url", api},
          {"repos_url", api + "/repos"},
          {"events_url", api + "/events"},
          {"hooks_url", api + "/hooks"},
          {"issues_url", api + "/issues"},
          {"members_url", api + "/members{/member}"},
          {"public_members_url", api + "/public_members{/member}"},
          {"avatar_url", user["avatar_url"]},
          {"description", nullptr}};
}

// The REST API gives a repository's organization as an object. Webhooks do too for the payload's
// repository, except push's, and give the login string for the repositories inside a pull request
// (head.repo, base.repo), as GitHub's webhook schemas say.
void organization_as_login(nlohmann::json& repository) {
  if (repository.is_object() && repository.contains("organization") && repository["organization"].is_object()) {
    repository["organization"] = repository["organization"]["login"];
  }
}

}  // namespace

PayloadTemplates::PayloadTemplates(std::string examples_dir, std::string schemas_dir)
    : examples_dir_(std::move(examples_dir)), schemas_dir_(std::move(schemas_dir)) {
  if (!std::filesystem::is_directory(examples_dir_)) {
    throw std::runtime_error("webhook examples directory " + examples_dir_ + " does not exist (--webhook-examples)");
  }
}

nlohmann::json PayloadTemplates::example(const std::string& event, const std::string& action) const {
  std::filesystem::path best;
  std::filesystem::path fallback;
  int best_index = -1;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir_)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(event + ".") || !name.ends_with(".json")) continue;
    std::string rest = name.substr(event.size() + 1, name.size() - event.size() - 6);  // ACTION.N
    auto dot = rest.rfind('.');
    if (dot == std::string::npos) continue;
    if (fallback.empty()) fallback = entry.path();
    if (rest.substr(0, dot) != action) continue;
    int index = std::atoi(rest.substr(dot + 1).c_str());
    if (best_index < 0 || index < best_index) {
      best_index = index;
      best = entry.path();
    }
  }
  if (!best.empty()) return read_json(best);
  if (!fallback.empty()) return read_json(fallback);
  return nlohmann::json::object();
}

void PayloadTemplates::check_required(const std::string& event, const std::string& action,
                                      const nlohmann::json& payload) const {
  if (schemas_dir_.empty()) return;
  std::string name = event + "-" + action + ".json";
  for (auto& c : name) {
    if (c == '_') c = '-';
  }
  std::filesystem::path file = std::filesystem::path(schemas_dir_) / name;
  if (!std::filesystem::exists(file)) return;
  nlohmann::json schema = read_json(file);
  for (const auto& property : schema.value("required", nlohmann::json::array())) {
    if (!payload.contains(property.get<std::string>())) {
      throw std::logic_error("webhook payload for " + event + "." + action + " lacks required property " +
                             property.get<std::string>());
    }
  }
}

long long installation_for(State& state, json& repo) {
  if (!state.has_app()) return 0;
  for (auto& installation : state.doc()["installations"]) {
    Identity probe;
    probe.kind = Identity::Kind::installation;
    probe.installation_id = installation["id"];
    if (installation_covers(state, probe, repo)) return installation["id"];
  }
  return 0;
}

nlohmann::json build_payload(const PayloadTemplates& templates, View& view, json& repo, const std::string& event,
                             const std::string& action, const nlohmann::json& fields, const std::string& sender) {
  nlohmann::json payload = templates.example(event, action);
  if (action != "none") payload["action"] = action;
  json repository = render_repo(view, repo);
  repository.erase("permissions");
  if (event == "push") epoch_timestamps(repository);
  payload["repository"] = repository;
  payload["sender"] = render_user(view, sender);
  std::string owner = repo["owner"];
  if (view.state.organization(owner) != nullptr) {
    payload["organization"] = render_organization(view, owner);
  } else {
    payload.erase("organization");
  }
  if (long long installation = installation_for(view.state, repo)) {
    payload["installation"] = {{"id", installation}, {"node_id", node_id("IntegrationInstallation", installation)}};
  } else {
    payload.erase("installation");
  }
  for (const auto& [key, value] : fields.items()) payload[key] = value;
  if (event == "push") organization_as_login(payload["repository"]);
  if (payload.contains("pull_request") && payload["pull_request"].is_object()) {
    for (const char* side : {"head", "base"}) {
      if (payload["pull_request"].contains(side)) organization_as_login(payload["pull_request"][side]["repo"]);
    }
  }
  templates.check_required(event, action, payload);
  return payload;
}

}  // namespace deploy::sim
