// Conditional requests as GitHub answers them: every GET answered 200 with a body carries an ETag
// (and a Last-Modified when the resource says when it changed: an object with `updated_at`), with
// GitHub's cache-control and vary; a GET whose If-None-Match names the current ETag (weak
// comparison, "*" too), or, without If-None-Match, whose If-Modified-Since is the current
// Last-Modified, is answered 304 Not Modified with no body. The caller does not count a 304
// against the rate limit (GitHub: "Making a conditional request does not count against your
// primary rate limit if a 304 response is returned").
#pragma once

#include "http_types.hpp"

namespace deploy::sim {

// Whether the request carries a validator (If-None-Match or If-Modified-Since).
bool is_conditional(const Request& request);

// Adds the validators to a GET's 200 answer; turns it into the 304 and returns true when the
// request's validators match it.
bool answer_conditionally(const Request& request, Response& response);

}  // namespace deploy::sim
