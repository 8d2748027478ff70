#include "core/config/glob.hpp"

#include <vector>

namespace deploy::config {

bool glob_match(std::string_view pattern, std::string_view name) {
  // Dynamic programming over (pattern position, name position): linear in the product of the
  // lengths, so no pattern can make matching explode the way naive backtracking can.
  const std::size_t n = name.size();
  std::vector<char> reach(n + 1, 0);  // reach[j]: the pattern so far matches name[0, j)
  reach[0] = 1;
  std::size_t p = 0;
  while (p < pattern.size()) {
    std::vector<char> next(n + 1, 0);
    if (pattern[p] == '*') {
      const bool any = p + 1 < pattern.size() && pattern[p + 1] == '*';
      bool open = false;  // some earlier position reached, and no '/' crossed since (unless any)
      for (std::size_t j = 0; j <= n; ++j) {
        if (reach[j]) open = true;
        next[j] = open ? 1 : 0;
        if (j < n && name[j] == '/' && !any) open = false;
      }
      p += any ? 2 : 1;
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        if (!reach[j]) continue;
        const bool match = pattern[p] == '?' ? name[j] != '/' : pattern[p] == name[j];
        if (match) next[j + 1] = 1;
      }
      ++p;
    }
    reach.swap(next);
  }
  return reach[n] != 0;
}

}  // namespace deploy::config
