#include "pagination.hpp"

#include <algorithm>

namespace deploy::sim {

namespace {
std::size_t positive_number(const std::string* text, std::size_t fallback) {
  if (text == nullptr || text->empty() || text->size() > 9 ||
      text->find_first_not_of("0123456789") != std::string::npos) {
    return fallback;
  }
  std::size_t value = std::stoul(*text);
  return value == 0 ? fallback : value;
}
}  // namespace

Page page_of(const Request& request) {
  Page page;
  page.per_page = std::min<std::size_t>(100, positive_number(request.query_param("per_page"), 30));
  page.page = positive_number(request.query_param("page"), 1);
  return page;
}

Response paginated(Call& call, const nlohmann::json& items) {
  Page page = page_of(call.request);
  std::size_t total = items.size();
  std::size_t last = std::max<std::size_t>(1, (total + page.per_page - 1) / page.per_page);
  nlohmann::json slice = nlohmann::json::array();
  std::size_t begin = (page.page - 1) * page.per_page;
  for (std::size_t i = begin; i < total && i < begin + page.per_page; ++i) slice.push_back(items[i]);
  Response response = Response::json(200, slice);
  if (last <= 1 && page.page == 1) return response;

  std::string path = call.path;
  if (call.params.contains("owner") && call.params.contains("repo")) {
    if (json* repo = call.state.repo(call.params["owner"], call.params["repo"])) {
      // /repos/{owner}/{repo}/rest -> /repositories/{id}/rest
      std::size_t third_slash = path.find('/', path.find('/', std::string("/repos/").size()) + 1);
      std::string rest = third_slash == std::string::npos ? "" : path.substr(third_slash);
      path = "/repositories/" + std::to_string((*repo)["id"].get<long long>()) + rest;
    }
  }
  std::string query_base;
  for (const auto& [key, value] : call.request.query) {
    if (key == "page") continue;
    query_base += percent_encode(key) + "=" + percent_encode(value) + "&";
  }
  auto link = [&](std::size_t number, const char* rel) {
    return "<" + call.urls.api + path + "?" + query_base + "page=" + std::to_string(number) + ">; rel=\"" + rel + "\"";
  };
  std::vector<std::string> links;
  if (page.page > 1) links.push_back(link(std::min(page.page - 1, last), "prev"));
  if (page.page < last) {
    links.push_back(link(page.page + 1, "next"));
    links.push_back(link(last, "last"));
  }
  if (page.page > 1) links.push_back(link(1, "first"));
  std::string header;
  for (const auto& l : links) header += (header.empty() ? "" : ", ") + l;
  response.set_header("link", header);
  return response;
}

}  // namespace deploy::sim
