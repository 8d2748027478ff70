#include "state.hpp"

#include <cctype>
#include <stdexcept>

namespace deploy::sim {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

State::State(const json& seed) : doc_(seed.is_null() ? json::object() : seed) {
  if (!doc_.is_object()) throw std::runtime_error("invalid state seed: the state must be a JSON object");
  normalise();  // seed.cpp
}

TimePoint State::now() const { return std::chrono::system_clock::now() + offset_; }

long long State::next_id() {
  long long id = doc_["next_id"].get<long long>();
  doc_["next_id"] = id + 1;
  return id;
}

json* State::find(json& array, std::string_view key, const json& value) {
  if (!array.is_array()) return nullptr;
  for (auto& element : array) {
    if (element.contains(key) && element[std::string(key)] == value) return &element;
  }
  return nullptr;
}

json* State::find_or_null(json& array, std::string_view key, std::string_view lower_value) {
  if (!array.is_array()) return nullptr;
  for (auto& element : array) {
    auto it = element.find(std::string(key));
    if (it != element.end() && it->is_string() && lower(it->get_ref<const std::string&>()) == lower_value)
      return &element;
  }
  return nullptr;
}

json* State::user(std::string_view login) { return find_or_null(doc_["users"], "login", lower(login)); }

json& State::ensure_user(std::string_view login) {
  if (json* existing = user(login)) return *existing;
  std::string name(login);
  bool bot = name.size() > 5 && name.ends_with("[bot]");
  doc_["users"].push_back({{"login", name}, {"id", next_id()}, {"type", bot ? "Bot" : "User"}, {"site_admin", false}});
  return doc_["users"].back();
}

json* State::organization(std::string_view login) { return find_or_null(doc_["organizations"], "login", lower(login)); }

json* State::repo(std::string_view owner, std::string_view name) {
  std::string want_owner = lower(owner);
  std::string want_name = lower(name);
  for (auto& r : doc_["repositories"]) {
    if (lower(r["owner"].get_ref<const std::string&>()) == want_owner &&
        lower(r["name"].get_ref<const std::string&>()) == want_name) {
      return &r;
    }
  }
  return nullptr;
}

json* State::repo_by_id(long long id) { return find(doc_["repositories"], "id", id); }

json* State::installation(long long id) { return find(doc_["installations"], "id", id); }

}  // namespace deploy::sim
