// Log lines that anyone who can connect could cause (a refused request, a shed connection) are
// written at most once per interval per reason, each saying how many occurrences it stands for:
// under attack the log stays readable and the disk does not fill. The metrics keep exact counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace deploy::bot {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration interval = std::chrono::seconds{1}) : interval_(interval) {}

  // Counts one occurrence of `reason` (a code from a fixed set, so the map stays small). Returns
  // how many occurrences a line written now stands for (this one included), or 0 when the last
  // line for `reason` was written less than an interval ago. Thread-safe.
  std::uint64_t note(std::string_view reason, std::chrono::steady_clock::time_point now);

 private:
  struct Slot {
    std::uint64_t unlogged = 0;
    std::chrono::steady_clock::time_point last{};
    bool logged = false;
  };
  std::chrono::steady_clock::duration interval_;
  std::mutex mutex_;
  std::map<std::string, Slot, std::less<>> slots_;
};

}  // namespace deploy::bot
