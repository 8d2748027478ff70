#include "bot/log_throttle.hpp"

namespace deploy::bot {

std::uint64_t LogThrottle::note(std::string_view reason, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(reason);
  if (it == slots_.end()) it = slots_.emplace(std::string(reason), Slot{}).first;
  Slot& slot = it->second;
  ++slot.unlogged;
  if (slot.logged && now - slot.last < interval_) return 0;
  slot.logged = true;
  slot.last = now;
  const auto n = slot.unlogged;
  slot.unlogged = 0;
  return n;
}

}  // namespace deploy::bot
