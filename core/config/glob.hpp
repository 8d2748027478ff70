// The glob patterns deploy.yml uses for branches and tags (`main`, `release/*`, `v*`).
#pragma once

#include <string_view>

namespace deploy::config {

// `*` matches any run of characters except `/`, `**` any run including `/`, `?` one character
// except `/`; every other character matches itself. The whole name must match.
bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace deploy::config
