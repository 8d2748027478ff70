#include "action/config_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace deploy::action {

LoadedConfig load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {std::nullopt, path + ": error: cannot read the config file (" + std::strerror(errno) +
                              "); pass its path with the 'config' input or --config (default .github/deploy.yml)\n"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto result = config::load_config(text.str(), path);
  if (!result.ok()) return {std::nullopt, result.format()};
  return {std::move(result.config), {}};
}

}  // namespace deploy::action
