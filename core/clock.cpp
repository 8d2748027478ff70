#include "core/clock.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace deploy {

void SystemClock::sleep_for(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

RandomSource system_random() {
  // Every value comes from the kernel's CSPRNG (getrandom(2)): values that other people must not
  // guess (runner stop-commands tokens, delimiters) cannot be predicted from earlier ones, as they
  // could from a seeded engine. No state, so one source is safe to share across threads.
  return [] {
    std::uint64_t value = 0;
    auto* bytes = reinterpret_cast<unsigned char*>(&value);
    std::size_t filled = 0;
    while (filled < sizeof value) {
      const ssize_t got = getrandom(bytes + filled, sizeof value - filled, 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("system_random: getrandom(2) failed: ") + std::strerror(errno));
      }
      filled += static_cast<std::size_t>(got);
    }
    return value;
  };
}

}  // namespace deploy
