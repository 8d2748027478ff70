// GitHub's list pagination: `per_page` (default 30, at most 100) and `page` (from 1), with a Link
// header of prev/next/last/first URLs that point at /repositories/{id}/... as api.github.com's do.
#pragma once

#include <nlohmann/json.hpp>

#include "call.hpp"
#include "http_types.hpp"

namespace deploy::sim {

struct Page {
  std::size_t per_page = 30;
  std::size_t page = 1;
};

Page page_of(const Request& request);
// The 200 response holding this page of `items`, with its Link header.
Response paginated(Call& call, const nlohmann::json& items);

}  // namespace deploy::sim
