// Result<T>: a value or an Error, for operations whose failure is an expected outcome of bad input
// (parsing a version, a comment, a config). Exceptions stay for broken invariants and I/O failures.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace deploy {

// code is a stable snake_case identifier (for logs, metrics, scripts); message is for people and
// says what was wrong and how to fix it.
struct Error {
  std::string code;
  std::string message;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    if (!ok()) throw std::logic_error("Result::value() on error: " + error().message);
    return std::get<T>(v_);
  }
  T&& value() && {
    if (!ok()) throw std::logic_error("Result::value() on error: " + error().message);
    return std::get<T>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (ok()) throw std::logic_error("Result::error() on a value");
    return std::get<Error>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace deploy
