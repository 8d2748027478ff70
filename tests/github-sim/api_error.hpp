// GitHub's error responses as an exception a handler throws from anywhere: the request pipeline
// turns it into the response and fills in `documentation_url` from the matched route.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "http_types.hpp"

namespace deploy::sim {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, nlohmann::json body, HeaderList headers = {})
      : std::runtime_error(body.value("message", "error")),
        status_(status),
        body_(std::move(body)),
        headers_(std::move(headers)) {}
  int status() const { return status_; }
  const nlohmann::json& body() const { return body_; }
  const HeaderList& headers() const { return headers_; }

 private:
  int status_;
  nlohmann::json body_;
  HeaderList headers_;
};

// 404 {"message":"Not Found"}: GitHub's answer for anything unknown or not visible to the caller.
[[noreturn]] void throw_not_found();
// 422 {"message":"Validation Failed","errors":[{resource, field, code}]}; code is GitHub's:
// "missing_field", "invalid", "already_exists", "missing", "custom".
[[noreturn]] void throw_validation(const std::string& resource, const std::string& field, const std::string& code);
// 422 with a message of its own and no errors[] (e.g. "No commit found for SHA: abc").
[[noreturn]] void throw_unprocessable(const std::string& message);
[[noreturn]] void throw_status(int status, const std::string& message);

}  // namespace deploy::sim
