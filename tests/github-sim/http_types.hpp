// The simulator's own view of one HTTP exchange, independent of Beast, so the request pipeline and
// the route handlers can be read (and changed) without the transport in mind.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace deploy::sim {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;                                      // upper case, e.g. "GET"
  std::string target;                                      // as received: path and query
  std::string path;                                        // target without the query, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in the order received
  HeaderList headers;                                      // names lower case
  std::string body;
  std::string origin;  // "http://127.0.0.1:PORT" as the client addressed us (from Host)

  // First header with this (lower-case) name, or "" when absent.
  std::string header(std::string_view name) const;
  // First query parameter with this name, or nullptr.
  const std::string* query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;
  bool drop = false;  // close the connection without answering (fault injection)

  static Response json(int status, const nlohmann::json& body);
  static Response empty(int status);
  void set_header(std::string name, std::string value);
  std::string header(std::string_view name) const;
};

// Splits "path?query" and decodes the query (application/x-www-form-urlencoded rules).
void split_target(std::string_view target, std::string& path, std::vector<std::pair<std::string, std::string>>& query);

std::string percent_decode(std::string_view text, bool plus_is_space);
std::string percent_encode(std::string_view text);  // unreserved characters kept, everything else %XX

}  // namespace deploy::sim
