#include <sstream>

#include "action/config_file.hpp"
#include "action/steps/steps.hpp"
#include "core/notify/notify.hpp"

namespace deploy::action {

ConfigLoaded load_config(const RunRecord& record, const runner::Environment& env, RunLog& log) {
  const auto& in = record.inputs;
  auto loaded = load_config_file(in.config_path);
  if (!loaded.config) {
    std::istringstream lines(loaded.errors);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) log.annotate(runner::AnnotationLevel::error, line);
    }
    throw Stop{RunStatus::invalid_config, "the config " + in.config_path + " is invalid (see the errors above)", ""};
  }
  ConfigLoaded found{std::move(*loaded.config), {}, {}};
  const auto* environment = found.config.environment(in.environment);
  if (!environment) {
    std::string known;
    for (const auto& e : found.config.environments) known += (known.empty() ? "" : ", ") + e.name;
    throw Stop{RunStatus::invalid_input,
               "environment '" + in.environment + "' is not in " + in.config_path + " (it has: " + known +
                   "); set the 'environment' input to one of them",
               ""};
  }
  found.environment = *environment;
  if (!found.config.audit.signing_key_env.empty()) {
    if (auto key = env(found.config.audit.signing_key_env); key && !key->empty()) {
      found.audit_key = *key;
      log.mask(*key);
    }
  }
  // Webhook URLs are credentials (Slack's carry a token in the path).
  const auto variable = [&env](const std::string& name) { return env(name); };
  for (const auto& url : notify::urls_to_mask(found.config.notifications, variable)) log.mask(url);
  return found;
}

}  // namespace deploy::action
