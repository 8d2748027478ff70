#include "core/github/pagination.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using deploy::github::next_link;
using deploy::github::parse_link_header;

TEST_CASE("next_link: table of Link headers") {
  struct Case {
    const char* name;
    std::string header;
    std::optional<std::string> next;
  };
  const std::vector<Case> cases = {
      {"github first page (recorded)",
       R"(<https://api.github.com/repositories/1000/issues?per_page=3&page=2>; rel="next", <https://api.github.com/repositories/1000/issues?per_page=3&page=5>; rel="last")",
       "https://api.github.com/repositories/1000/issues?per_page=3&page=2"},
      {"github middle page: prev, next, last, first",
       R"(<https://api.github.com/repositories/1000/issues?per_page=3&page=2>; rel="prev", <https://api.github.com/repositories/1000/issues?per_page=3&page=4>; rel="next", <https://api.github.com/repositories/1000/issues?per_page=3&page=5>; rel="last", <https://api.github.com/repositories/1000/issues?per_page=3&page=1>; rel="first")",
       "https://api.github.com/repositories/1000/issues?per_page=3&page=4"},
      {"github last page: no next",
       R"(<https://api.github.com/repositories/1000/issues?per_page=3&page=4>; rel="prev", <https://api.github.com/repositories/1000/issues?per_page=3&page=1>; rel="first")",
       std::nullopt},
      {"empty header", "", std::nullopt},
      {"only spaces and commas", " ,  , ", std::nullopt},
      {"spaces everywhere", "  <https://h/x?page=2>  ;   rel  =  \"next\"  ,  <https://h/x?page=9> ; rel=\"last\" ",
       "https://h/x?page=2"},
      {"no space after semicolon", "<https://h/a>;rel=\"next\"", "https://h/a"},
      {"bare rel value", "<https://h/a>; rel=next", "https://h/a"},
      {"upper-case REL and value", "<https://h/a>; REL=\"NEXT\"", "https://h/a"},
      {"quoted rel with several values", "<https://h/a>; rel=\"last next\"", "https://h/a"},
      {"rel with tabs between values", "<https://h/a>; rel=\"prev\tnext\"", "https://h/a"},
      {"next is the second link", "<https://h/p>; rel=\"prev\", <https://h/n>; rel=\"next\"", "https://h/n"},
      {"comma inside the URL", "<https://h/x?labels=a,b&page=2>; rel=\"next\"", "https://h/x?labels=a,b&page=2"},
      {"other parameters before rel, with comma and semicolon in quotes",
       "<https://h/x>; title=\"a, b; c\"; rel=\"next\"", "https://h/x"},
      {"only the first rel counts", "<https://h/x>; rel=\"prev\"; rel=\"next\"", std::nullopt},
      {"nextpage is not next", "<https://h/x>; rel=\"nextpage\"", std::nullopt},
      {"prev only", "<https://h/x>; rel=\"prev\"", std::nullopt},
      {"garbage entry before a good one", "garbage; rel=\"next\", <https://h/ok>; rel=\"next\"", "https://h/ok"},
      {"junk after the parameters drops that entry", "<https://h/bad>; rel=\"next\" junk, <https://h/ok>; rel=\"next\"",
       "https://h/ok"},
      {"unterminated quote", "<https://h/x>; rel=\"next", std::nullopt},
      {"unterminated angle bracket", "<https://h/x; rel=\"next\"", std::nullopt},
      {"link without parameters", "<https://h/x>", std::nullopt},
      {"relative URL kept verbatim", "</repositories/1/issues?page=2>; rel=\"next\"", "/repositories/1/issues?page=2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.header);
    CHECK(next_link(c.header) == c.next);
  }
}

TEST_CASE("parse_link_header keeps every link and its rels in order") {
  auto links = parse_link_header(
      R"(<https://h/1>; rel="prev", <https://h/3>; rel="next last", <https://h/0>; title="x"; rel=first)");
  REQUIRE(links.size() == 3);
  CHECK(links[0].url == "https://h/1");
  CHECK(links[0].rels == std::vector<std::string>{"prev"});
  CHECK(links[1].url == "https://h/3");
  CHECK(links[1].rels == std::vector<std::string>{"next", "last"});
  CHECK(links[2].url == "https://h/0");
  CHECK(links[2].rels == std::vector<std::string>{"first"});
}
