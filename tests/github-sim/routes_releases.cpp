#include <algorithm>

#include "access.hpp"
#include "api_error.hpp"
#include "git_model.hpp"
#include "pagination.hpp"
#include "render.hpp"
#include "routes.hpp"
#include "validation.hpp"

namespace deploy::sim::handlers {

namespace {

json& release_or_404(Call& call, json& repo) {
  json* release = State::find(repo["releases"], "id", call.id_param("release_id"));
  if (release == nullptr) throw_not_found();
  if ((*release)["draft"].get<bool>() && !has_role(call.state, repo, call.identity, Role::write, "contents"))
    throw_not_found();
  return *release;
}

// Publishing a release creates its tag (at target_commitish) when the tag does not exist yet.
void ensure_tag(json& repo, json& release) {
  std::string ref = git::tag_ref(release["tag_name"].get<std::string>());
  if (repo["refs"].contains(ref)) return;
  auto target = git::resolve(repo, release["target_commitish"].get<std::string>());
  if (!target) throw_validation("Release", "target_commitish", "invalid");
  repo["refs"][ref] = *target;
}

void apply_fields(const json& body, json& release) {
  for (const char* key : {"tag_name", "target_commitish", "name", "body"}) {
    if (auto value = optional_string(body, key, "Release")) release[key] = *value;
  }
  for (const char* key : {"draft", "prerelease"}) {
    if (auto value = optional_bool(body, key, "Release")) release[key] = *value;
  }
}

}  // namespace

Response list_releases(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  bool see_drafts = has_role(call.state, repo, call.identity, Role::write, "contents");
  std::vector<json*> releases;
  for (auto& release : repo["releases"]) {
    if (!release["draft"].get<bool>() || see_drafts) releases.push_back(&release);
  }
  // Newest first.
  std::stable_sort(releases.begin(), releases.end(), [](json* a, json* b) {
    return std::make_pair((*a)["created_at"].get<std::string>(), (*a)["id"].get<long long>()) >
           std::make_pair((*b)["created_at"].get<std::string>(), (*b)["id"].get<long long>());
  });
  View view = view_of(call);
  json items = json::array();
  for (json* release : releases) items.push_back(render_release(view, repo, *release));
  return paginated(call, items);
}

Response create_release(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json body = call.body();
  std::string tag = required_string(body, "tag_name", "Release");
  for (auto& existing : repo["releases"]) {
    if (existing["tag_name"] == tag) throw_validation("Release", "tag_name", "already_exists");
  }
  std::string now = call.state.now_iso();
  json release = {{"id", call.state.next_id()},
                  {"tag_name", tag},
                  {"target_commitish", repo["default_branch"]},
                  {"name", tag},
                  {"body", ""},
                  {"draft", false},
                  {"prerelease", false},
                  {"author", call.actor()},
                  {"created_at", now},
                  {"updated_at", now}};
  apply_fields(body, release);
  release["published_at"] = release["draft"].get<bool>() ? json() : json(now);
  if (!release["draft"].get<bool>()) ensure_tag(repo, release);
  repo["releases"].push_back(release);
  View view = view_of(call);
  json rendered = render_release(view, repo, repo["releases"].back());
  call.emit("release", "created", {{"release", rendered}});
  if (!rendered["draft"].get<bool>()) call.emit("release", "published", {{"release", rendered}});
  Response response = Response::json(201, rendered);
  response.set_header("location", rendered["url"].get<std::string>());
  return response;
}

Response get_release(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  View view = view_of(call);
  return Response::json(200, render_release(view, repo, release_or_404(call, repo)));
}

Response get_release_by_tag(Call& call) {
  json& repo = call.repo();
  require_read(call.state, repo, call.identity, "contents");
  for (auto& release : repo["releases"]) {
    if (release["tag_name"] == call.param("tag") && !release["draft"].get<bool>()) {
      View view = view_of(call);
      return Response::json(200, render_release(view, repo, release));
    }
  }
  throw_not_found();
}

Response update_release(Call& call) {
  json& repo = call.repo();
  require_write(call.state, repo, call.identity, "contents");
  json& release = release_or_404(call, repo);
  json body = call.body();
  bool was_draft = release["draft"];
  json updated = release;
  apply_fields(body, updated);
  if (updated["tag_name"] != release["tag_name"]) {
    for (auto& other : repo["releases"]) {
      if (&other != &release && other["tag_name"] == updated["tag_name"])
        throw_validation("Release", "tag_name", "already_exists");
    }
  }
  if (!updated["draft"].get<bool>()) ensure_tag(repo, updated);
  if (was_draft && !updated["draft"].get<bool>()) updated["published_at"] = call.state.now_iso();
  updated["updated_at"] = call.state.now_iso();
  release = updated;
  View view = view_of(call);
  json rendered = render_release(view, repo, release);
  call.emit("release", "edited", {{"release", rendered}, {"changes", json::object()}});
  if (was_draft && !release["draft"].get<bool>()) call.emit("release", "published", {{"release", rendered}});
  return Response::json(200, rendered);
}

}  // namespace deploy::sim::handlers
