#include "core/github/pagination.hpp"

#include <algorithm>
#include <cctype>

namespace deploy::github {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A small cursor over the header; each parse step consumes what it understood.
struct Cursor {
  std::string_view rest;

  void skip_spaces() {
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  }
  bool eat(char c) {
    skip_spaces();
    if (rest.empty() || rest.front() != c) return false;
    rest.remove_prefix(1);
    return true;
  }
  // Skips to just after the next top-level ',' (or the end), honouring quotes and <...>.
  void skip_entry() {
    bool quoted = false;
    bool angled = false;
    while (!rest.empty()) {
      char c = rest.front();
      rest.remove_prefix(1);
      if (quoted) {
        if (c == '\\' && !rest.empty())
          rest.remove_prefix(1);
        else if (c == '"')
          quoted = false;
      } else if (angled) {
        if (c == '>') angled = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '<') {
        angled = true;
      } else if (c == ',') {
        return;
      }
    }
  }
  // token up to one of the stop characters
  std::string_view token(std::string_view stops) {
    skip_spaces();
    std::size_t n = 0;
    while (n < rest.size() && stops.find(rest[n]) == std::string_view::npos) ++n;
    std::string_view t = trim(rest.substr(0, n));
    rest.remove_prefix(n);
    return t;
  }
  std::optional<std::string> quoted_string() {
    // caller has seen the opening quote
    std::string out;
    while (!rest.empty()) {
      char c = rest.front();
      rest.remove_prefix(1);
      if (c == '\\' && !rest.empty()) {
        out.push_back(rest.front());
        rest.remove_prefix(1);
      } else if (c == '"') {
        return out;
      } else {
        out.push_back(c);
      }
    }
    return std::nullopt;  // unterminated
  }
};

}  // namespace

std::vector<Link> parse_link_header(std::string_view header) {
  std::vector<Link> links;
  Cursor cur{header};
  while (true) {
    cur.skip_spaces();
    while (cur.eat(',')) {
    }
    if (cur.rest.empty()) break;
    if (!cur.eat('<')) {
      cur.skip_entry();
      continue;
    }
    auto close = cur.rest.find('>');
    if (close == std::string_view::npos) break;
    Link link{std::string(trim(cur.rest.substr(0, close))), {}};
    cur.rest.remove_prefix(close + 1);

    bool ok = true;
    while (cur.eat(';')) {
      std::string name = lower(cur.token("=;,"));
      std::string value;
      if (cur.eat('=')) {
        cur.skip_spaces();
        if (cur.eat('"')) {
          auto q = cur.quoted_string();
          if (!q) {
            ok = false;
            break;
          }
          value = *q;
        } else {
          value = std::string(cur.token(";,"));
        }
      }
      // RFC 8288: only the first occurrence of rel counts.
      if (name == "rel" && link.rels.empty()) {
        std::string_view v = value;
        while (!v.empty()) {
          while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
          std::size_t n = 0;
          while (n < v.size() && !is_space(v[n])) ++n;
          if (n > 0) link.rels.push_back(lower(v.substr(0, n)));
          v.remove_prefix(n);
        }
      }
    }
    cur.skip_spaces();
    if (!cur.rest.empty() && cur.rest.front() != ',') {
      ok = false;  // junk after the parameters: drop this entry, keep parsing the rest
      cur.skip_entry();
    }
    if (ok && !link.url.empty()) links.push_back(std::move(link));
  }
  return links;
}

std::optional<std::string> next_link(std::string_view header) {
  for (const auto& link : parse_link_header(header)) {
    if (std::find(link.rels.begin(), link.rels.end(), "next") != link.rels.end()) return link.url;
  }
  return std::nullopt;
}

}  // namespace deploy::github
