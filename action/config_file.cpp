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
  // Never read more than the loader accepts: it refuses anything past the limit by its size alone.
  std::string text(config::kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto result = config::load_config(text, path);
  if (!result.ok()) return {std::nullopt, result.format()};
  return {std::move(result.config), {}};
}

}  // namespace deploy::action
