#include "api_error.hpp"

namespace deploy::sim {

void throw_not_found() { throw ApiError(404, {{"message", "Not Found"}}); }

void throw_validation(const std::string& resource, const std::string& field, const std::string& code) {
  throw ApiError(422,
                 {{"message", "Validation Failed"},
                  {"errors", nlohmann::json::array({{{"resource", resource}, {"field", field}, {"code", code}}})}});
}

void throw_unprocessable(const std::string& message) { throw ApiError(422, {{"message", message}}); }

void throw_status(int status, const std::string& message) { throw ApiError(status, {{"message", message}}); }

}  // namespace deploy::sim
