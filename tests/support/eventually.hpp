// Polling with a deadline, for effects a test cannot be told about (a file appearing, a process
// gone, github-sim's state changing).
#pragma once

#include <chrono>
#include <thread>

namespace deploy::test {

// True as soon as `predicate` holds; false when it still does not after `limit` (checked once more
// at the deadline, so a slow machine's last poll is not lost).
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = std::chrono::seconds{10},
                std::chrono::milliseconds poll = std::chrono::milliseconds{10}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(poll);
  }
  return predicate();
}

}  // namespace deploy::test
