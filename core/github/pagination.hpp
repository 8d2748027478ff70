// RFC 8288 Link header parsing, for following GitHub's `rel="next"` pages.
// GitHub's links are followed verbatim: they may point at another path than the first request
// (e.g. /repositories/{id}/issues), and carry their own query (page, per_page, cursors).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploy::github {

struct Link {
  std::string url;
  std::vector<std::string> rels;  // lowercased; `rel="next last"` gives {"next", "last"}
};

// Every link in the header, in order. Tolerates spaces anywhere between tokens, quoted or bare
// parameter values, commas inside <...> and inside quotes, unknown parameters, and skips entries
// it cannot parse instead of failing.
std::vector<Link> parse_link_header(std::string_view header);

// The URL of the first link whose rel includes "next", if any.
std::optional<std::string> next_link(std::string_view header);

}  // namespace deploy::github
