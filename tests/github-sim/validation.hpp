// Request-body checks with GitHub's 422 shapes: a missing required field is "missing_field", a
// present field of the wrong type or outside its enum is "invalid".
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace deploy::sim {

// The string at `field`; 422 missing_field when absent/null (or empty, if !allow_empty), invalid when not a string.
std::string required_string(const nlohmann::json& body, const std::string& field, const std::string& resource,
                            bool allow_empty = false);
std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field,
                                           const std::string& resource);
std::optional<bool> optional_bool(const nlohmann::json& body, const std::string& field, const std::string& resource);
// 422 invalid unless `value` is one of `allowed`.
void require_enum(const std::string& value, std::initializer_list<const char*> allowed, const std::string& field,
                  const std::string& resource);

}  // namespace deploy::sim
