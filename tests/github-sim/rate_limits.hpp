// GitHub's primary rate limit: a window of an hour per caller (5000 requests for users and
// installations, 60 for anonymous callers), reported in x-ratelimit-* headers on every response
// and by GET /rate_limit. When a window is used up, requests get GitHub's 403 until it resets.
#pragma once

#include <nlohmann/json.hpp>

#include "auth.hpp"
#include "http_types.hpp"
#include "state.hpp"

namespace deploy::sim {

// Counts one request; throws ApiError 403 "API rate limit exceeded ..." (with headers) when the
// window is used up. GET /rate_limit is not counted (`count` false).
RateBucket& count_request(State& state, const Identity& who, bool count);
void add_rate_limit_headers(Response& response, const RateBucket& bucket);
nlohmann::json rate_limit_resources(State& state, const Identity& who);

}  // namespace deploy::sim
