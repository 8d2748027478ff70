#include "core/github/release_facts.hpp"

#include "core/semver/semver.hpp"

namespace deploy::github {

std::optional<std::string> deployed_version(const std::vector<DeploymentSeen>& history) {
  for (const auto& seen : history) {
    if (seen.record.state != policy::DeploymentState::success) continue;
    const auto& version = seen.record.version;
    if (!semver::parse_tag(version) && !semver::parse(version)) return std::nullopt;
    return version;
  }
  return std::nullopt;
}

release::Facts release_facts(github::Client& client, const Repo& repo, const release::Request& request) {
  release::Facts facts;
  facts.shallow = false;  // GitHub has the whole history
  for (const auto& tag : client.list_tags(repo.owner, repo.name)) {
    facts.tags.push_back({tag.name, tag.commit_sha, false});
  }
  if (auto head = client.get_ref(repo.owner, repo.name, "heads/" + request.default_branch)) {
    facts.default_branch_sha = head->object_sha;
  }
  // On the default branch: its head, or behind it (an ancestor). Only asked while deciding.
  facts.on_default_branch = [&client, repo, branch = request.default_branch](const std::string& sha) {
    const auto status = client.compare(repo.owner, repo.name, branch, sha).status;
    return status == "identical" || status == "behind";
  };

  std::string tag_name;
  std::string branch_name;
  if (auto named = release::classify(request.ref)) {
    (named->kind == release::RefKind::tag ? tag_name : branch_name) = named->name;
  } else {
    tag_name = branch_name = request.ref;
  }
  const release::Tag* tag = nullptr;
  for (const auto& t : facts.tags) {
    if (!tag_name.empty() && t.name == tag_name) tag = &t;
  }
  std::optional<github::GitRef> branch;
  if (!branch_name.empty()) branch = client.get_ref(repo.owner, repo.name, "heads/" + branch_name);
  if (tag != nullptr && branch) return facts;  // ambiguous, as in a checkout: no ref to judge
  if (tag != nullptr) {
    release::Ref ref;
    ref.kind = release::RefKind::tag;
    ref.name = tag->name;
    ref.full_name = "refs/tags/" + tag->name;
    ref.sha = tag->sha;
    const auto object = client.get_ref(repo.owner, repo.name, "tags/" + tag->name);
    ref.annotated = object && object->object_type == "tag";
    facts.ref = std::move(ref);
  } else if (branch) {
    release::Ref ref;
    ref.kind = release::RefKind::branch;
    ref.name = branch_name;
    ref.full_name = "refs/heads/" + branch_name;
    ref.sha = branch->object_sha;
    facts.ref = std::move(ref);
  }
  return facts;
}

}  // namespace deploy::github
