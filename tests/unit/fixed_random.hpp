// A RandomSource for tests that replays fixed values, so a test knows every random choice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/clock.hpp"

namespace deploy::test {

// Replays `values` forever (cycling).
inline RandomSource fixed_random(std::vector<std::uint64_t> values) {
  auto state = std::make_shared<std::pair<std::vector<std::uint64_t>, std::size_t>>(std::move(values), 0);
  return [state] {
    auto& [sequence, next] = *state;
    const std::uint64_t value = sequence[next % sequence.size()];
    ++next;
    return value;
  };
}

}  // namespace deploy::test
