#include "core/log_json/log_json.hpp"

namespace deploy::log_json {

std::string event(std::string_view name, std::initializer_list<Field> fields) {
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["event"] = std::string(name);
  for (const auto& [key, value] : fields) line[std::string(key)] = value;
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace deploy::log_json
