// Time and randomness are parameters of the code that reads them, so tests move time instead of
// sleeping (rollback windows, JWT expiry, token refresh, backoff, delimiters).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

namespace deploy {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
  void sleep_for(std::chrono::milliseconds duration) override;
};

// For tests: time stands still until advanced; sleeping advances it and records the sleep.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}})
      : now_(start) {}
  std::chrono::system_clock::time_point now() const override { return now_; }
  void sleep_for(std::chrono::milliseconds duration) override {
    slept_ += duration;
    now_ += duration;
  }
  void advance(std::chrono::milliseconds duration) { now_ += duration; }
  std::chrono::milliseconds total_slept() const { return slept_; }

 private:
  std::chrono::system_clock::time_point now_;
  std::chrono::milliseconds slept_{0};
};

// A source of uniformly distributed 64-bit values. Production uses system_random(); tests pass a
// fixed sequence.
using RandomSource = std::function<std::uint64_t()>;
RandomSource system_random();

}  // namespace deploy
