// Reads and validates deploy.yml from a path: the config, or every error formatted as
// FILE:LINE:COL lines (one per problem) that say what to change.
#pragma once

#include <optional>
#include <string>

#include "core/config/config.hpp"

namespace deploy::action {

struct LoadedConfig {
  std::optional<config::Config> config;
  std::string errors;  // formatted, one per line; empty when config is set
};

LoadedConfig load_config_file(const std::string& path);

}  // namespace deploy::action
