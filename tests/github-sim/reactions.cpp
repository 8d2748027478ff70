#include "reactions.hpp"

#include "render.hpp"
#include "validation.hpp"

namespace deploy::sim {

Response add_reaction(Call& call, nlohmann::json& subject) {
  json body = call.body();
  std::string content = required_string(body, "content", "Reaction");
  require_enum(content, {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}, "content", "Reaction");
  std::string login = call.actor();
  View view = view_of(call);
  for (auto& reaction : subject["reactions"]) {
    if (lower(reaction["user"].get<std::string>()) == lower(login) && reaction["content"] == content) {
      return Response::json(200, render_reaction(view, reaction));
    }
  }
  subject["reactions"].push_back(
      {{"id", call.state.next_id()}, {"user", login}, {"content", content}, {"created_at", call.state.now_iso()}});
  return Response::json(201, render_reaction(view, subject["reactions"].back()));
}

}  // namespace deploy::sim
