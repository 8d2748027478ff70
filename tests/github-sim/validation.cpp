#include "validation.hpp"

#include "api_error.hpp"

namespace deploy::sim {

std::string required_string(const nlohmann::json& body, const std::string& field, const std::string& resource,
                            bool allow_empty) {
  if (!body.contains(field) || body[field].is_null()) throw_validation(resource, field, "missing_field");
  if (!body[field].is_string()) throw_validation(resource, field, "invalid");
  std::string value = body[field];
  if (value.empty() && !allow_empty) throw_validation(resource, field, "missing_field");
  return value;
}

std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field,
                                           const std::string& resource) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  if (!body[field].is_string()) throw_validation(resource, field, "invalid");
  return body[field].get<std::string>();
}

std::optional<bool> optional_bool(const nlohmann::json& body, const std::string& field, const std::string& resource) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  if (!body[field].is_boolean()) throw_validation(resource, field, "invalid");
  return body[field].get<bool>();
}

void require_enum(const std::string& value, std::initializer_list<const char*> allowed, const std::string& field,
                  const std::string& resource) {
  for (const char* candidate : allowed) {
    if (value == candidate) return;
  }
  throw_validation(resource, field, "invalid");
}

}  // namespace deploy::sim
