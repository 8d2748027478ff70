#include "core/github/locks.hpp"

#include <nlohmann/json.hpp>

#include "core/rfc3339/rfc3339.hpp"
#include "core/text/text.hpp"

namespace deploy::github {
namespace {

using Json = nlohmann::json;
constexpr const char* kLockFile = "lock.json";

std::string prefix(policy::Lock::Kind kind) {
  return kind == policy::Lock::Kind::run ? "deploy-runs/" : "deploy-locks/";
}

bool safe_component(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  if (name.find("..") != std::string::npos) return false;
  return !(name.size() >= 5 && name.compare(name.size() - 5, 5, ".lock") == 0);
}

std::string time_or_empty(const std::optional<std::chrono::system_clock::time_point>& at) {
  return at ? rfc3339::format_seconds(*at) : std::string();
}

std::optional<std::chrono::system_clock::time_point> time_of(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto parsed = rfc3339::parse(j[key].get<std::string>(), rfc3339::Form::any);
  if (!parsed.ok()) return std::nullopt;
  return parsed.value();
}

std::string string_of(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string lock_json(const policy::Lock& lock) {
  Json j{{"kind", std::string(policy::to_string(lock.kind))},
         {"environment", lock.environment},
         {"holder", lock.holder},
         {"reason", lock.reason},
         {"created", rfc3339::format_seconds(lock.created)},
         {"expires", time_or_empty(lock.expires)},
         {"run", lock.run_id},
         {"run_url", lock.run_url}};
  return j.dump();
}

StoredLock stored(Client& client, const Repo& repo, policy::Lock::Kind kind, const std::string& environment,
                  const std::string& sha) {
  const auto commit = client.get_commit(repo.owner, repo.name, sha);
  auto lock = parse_lock_message(commit.message, kind);
  if (!lock) {
    lock = policy::Lock{};
    lock->kind = kind;
    lock->environment = environment;
    lock->reason = "ref " + lock_ref(kind, environment) + " holds no lock record";
  }
  return {*lock, sha};
}

}  // namespace

std::string lock_ref(policy::Lock::Kind kind, const std::string& environment) {
  const std::string name = text::to_lower(environment);
  if (safe_component(name)) return prefix(kind) + name;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "x-";
  for (unsigned char c : name) {
    hex += kHex[c >> 4];
    hex += kHex[c & 0xf];
  }
  return prefix(kind) + hex;
}

std::string lock_message(const policy::Lock& lock) {
  return "deploy lock (" + std::string(policy::to_string(lock.kind)) + "): " + lock.environment + "\n\n" +
         lock_json(lock) + "\n";
}

std::optional<policy::Lock> parse_lock_message(const std::string& message, policy::Lock::Kind kind) {
  const auto start = message.find("\n\n{");
  if (start == std::string::npos) return std::nullopt;
  const Json j = Json::parse(message.substr(start + 2), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  policy::Lock lock;
  lock.kind = kind;
  lock.environment = string_of(j, "environment");
  lock.holder = string_of(j, "holder");
  lock.reason = string_of(j, "reason");
  lock.run_id = string_of(j, "run");
  lock.run_url = string_of(j, "run_url");
  const auto created = time_of(j, "created");
  if (lock.environment.empty() || !created) return std::nullopt;
  lock.created = *created;
  lock.expires = time_of(j, "expires");
  return lock;
}

std::optional<StoredLock> read_lock(Client& client, const Repo& repo, policy::Lock::Kind kind,
                                    const std::string& environment) {
  const auto ref = client.get_ref(repo.owner, repo.name, lock_ref(kind, environment));
  if (!ref) return std::nullopt;
  return stored(client, repo, kind, environment, ref->object_sha);
}

std::vector<StoredLock> list_locks(Client& client, const Repo& repo) {
  std::vector<StoredLock> out;
  for (const auto kind : {policy::Lock::Kind::sticky, policy::Lock::Kind::run}) {
    for (const auto& ref : client.list_matching_refs(repo.owner, repo.name, prefix(kind))) {
      std::string name = ref.ref.substr(ref.ref.rfind('/') + 1);
      out.push_back(stored(client, repo, kind, name, ref.object_sha));
    }
  }
  return out;
}

std::optional<StoredLock> take_lock(Client& client, const Repo& repo, const policy::Lock& lock,
                                    const std::optional<StoredLock>& replacing) {
  const std::string blob = client.create_blob(repo.owner, repo.name, lock_json(lock) + "\n");
  const std::string tree = client.create_tree(repo.owner, repo.name, "", {{kLockFile, blob}});
  std::vector<std::string> parents;
  if (replacing) parents.push_back(replacing->sha);
  const std::string commit = client.create_git_commit(repo.owner, repo.name, lock_message(lock), tree, parents);
  const std::string ref = lock_ref(lock.kind, lock.environment);
  try {
    if (replacing)
      client.update_ref(repo.owner, repo.name, ref, commit);
    else
      client.create_ref(repo.owner, repo.name, "refs/" + ref, commit);
  } catch (const GitHubError& e) {
    // 422: the ref exists already (create) or moved since it was read (update): someone else won.
    if (e.status() == 422) return std::nullopt;
    throw;
  }
  return StoredLock{lock, commit};
}

bool release_lock(Client& client, const Repo& repo, const StoredLock& held) {
  const std::string ref = lock_ref(held.lock.kind, held.lock.environment);
  if (!held.sha.empty()) {
    const auto now = client.get_ref(repo.owner, repo.name, ref);
    if (!now || !text::iequals(now->object_sha, held.sha)) return false;
  }
  return client.delete_ref(repo.owner, repo.name, ref);
}

}  // namespace deploy::github
