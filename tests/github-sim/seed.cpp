// Seed normalisation: turns the state file's convenient forms (logins as strings, "@N" commit
// references, branches/tags maps, pulls with their reviews and comments) into the one form the
// simulator works on, filling ids, timestamps and defaults, and refusing what cannot be meant.
#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "check_suites.hpp"
#include "crypto.hpp"
#include "git_model.hpp"
#include "seed_support.hpp"
#include "state.hpp"

namespace deploy::sim {

namespace seed {

[[noreturn]] void seed_error(const std::string& where, const std::string& what) {
  throw std::runtime_error("invalid state seed at " + where + ": " + what + " (see tests/github-sim/README.md)");
}

long long max_id(const json& value) {
  long long best = 0;
  if (value.is_object()) {
    for (auto& [key, child] : value.items()) {
      if (key == "id" && child.is_number_integer()) best = std::max(best, child.get<long long>());
      best = std::max(best, max_id(child));
    }
  } else if (value.is_array()) {
    for (const auto& child : value) best = std::max(best, max_id(child));
  }
  return best;
}

bool is_role(const json& role) {
  static const std::set<std::string> roles = {"read", "triage", "write", "maintain", "admin"};
  return role.is_string() && roles.contains(role.get<std::string>());
}

std::string required_string(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || !object[key].is_string() || object[key].get<std::string>().empty()) {
    seed_error(where, std::string("\"") + key + "\" must be a non-empty string");
  }
  return object[key].get<std::string>();
}

std::optional<std::string> seed_commit(json& repo, const json& target) {
  if (!target.is_string()) return std::nullopt;
  std::string text = target;
  if (text.size() > 1 && text[0] == '@' && text.find_first_not_of("0123456789", 1) == std::string::npos) {
    std::size_t index = std::stoul(text.substr(1));
    if (index >= 1 && index <= repo["commits"].size()) return repo["commits"][index - 1]["sha"].get<std::string>();
    return std::nullopt;
  }
  return git::resolve(repo, text);
}

json array_or_empty(json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return json::array();
  if (!object[key].is_array()) seed_error(where, std::string("\"") + key + "\" must be an array");
  return object[key];
}

}  // namespace seed

using namespace seed;

void State::normalise() {
  std::string start = now_iso();
  long long first_free = std::max<long long>(1000, max_id(doc_) + 1);
  if (!doc_.contains("next_id") || !doc_["next_id"].is_number_integer() ||
      doc_["next_id"].get<long long>() < first_free) {
    doc_["next_id"] = first_free;
  }

  // Accounts first: everything else refers to them by login.
  json users = array_or_empty(doc_, "users", "$");
  doc_["users"] = json::array();
  for (std::size_t i = 0; i < users.size(); ++i) {
    json u = users[i];
    std::string where = "users[" + std::to_string(i) + "]";
    if (u.is_string()) u = json{{"login", u}};
    if (!u.is_object()) seed_error(where, "must be a login or an object");
    std::string login = required_string(u, "login", where);
    if (user(login) != nullptr) seed_error(where, "duplicate login " + login);
    if (!u.contains("id")) u["id"] = next_id();
    if (!u.contains("type")) u["type"] = login.ends_with("[bot]") ? "Bot" : "User";
    if (u["type"] != "User" && u["type"] != "Bot" && u["type"] != "Organization") {
      seed_error(where, "\"type\" must be User, Bot or Organization");
    }
    if (!u.contains("site_admin")) u["site_admin"] = false;
    doc_["users"].push_back(u);
  }

  json orgs = array_or_empty(doc_, "organizations", "$");
  doc_["organizations"] = json::array();
  for (std::size_t i = 0; i < orgs.size(); ++i) {
    json o = orgs[i];
    std::string where = "organizations[" + std::to_string(i) + "]";
    if (!o.is_object()) seed_error(where, "must be an object");
    std::string login = required_string(o, "login", where);
    json* account = user(login);
    if (account == nullptr) {
      doc_["users"].push_back({{"login", login},
                               {"id", o.contains("id") ? o["id"] : json(next_id())},
                               {"type", "Organization"},
                               {"site_admin", false}});
      account = &doc_["users"].back();
    }
    (*account)["type"] = "Organization";
    o["id"] = (*account)["id"];
    if (!o.contains("members")) o["members"] = json::object();
    for (auto& [member, role] : o["members"].items()) {
      if (role != "admin" && role != "member") seed_error(where + ".members." + member, "role must be admin or member");
      ensure_user(member);
    }
    json teams = array_or_empty(o, "teams", where);
    for (std::size_t t = 0; t < teams.size(); ++t) {
      json& team = teams[t];
      std::string twhere = where + ".teams[" + std::to_string(t) + "]";
      std::string slug = required_string(team, "slug", twhere);
      if (!team.contains("id")) team["id"] = next_id();
      if (!team.contains("name")) team["name"] = slug;
      if (!team.contains("members")) team["members"] = json::object();
      for (auto& [member, role] : team["members"].items()) {
        if (role != "member" && role != "maintainer")
          seed_error(twhere + ".members." + member, "role must be member or maintainer");
        ensure_user(member);
      }
      if (!team.contains("repositories")) team["repositories"] = json::object();
      for (auto& [full_name, role] : team["repositories"].items()) {
        if (!is_role(role)) {
          seed_error(twhere + ".repositories." + full_name, "role must be read, triage, write, maintain or admin");
        }
      }
    }
    o["teams"] = teams;
    doc_["organizations"].push_back(o);
  }

  if (doc_.contains("app") && !doc_["app"].is_null()) {
    json& a = doc_["app"];
    if (!a.is_object()) seed_error("app", "must be an object");
    if (!a.contains("id") || !a["id"].is_number_integer()) seed_error("app", "\"id\" must be an integer");
    std::string slug = required_string(a, "slug", "app");
    if (!a.contains("name")) a["name"] = slug;
    if (!a.contains("owner")) seed_error("app", "\"owner\" (an account login) is required");
    ensure_user(a["owner"].get<std::string>());
    if (a.contains("public_key_file") && !a.contains("public_key_pem")) {
      std::ifstream in(a["public_key_file"].get<std::string>());
      if (!in) seed_error("app.public_key_file", "cannot read " + a["public_key_file"].get<std::string>());
      std::stringstream text;
      text << in.rdbuf();
      a["public_key_pem"] = text.str();
    }
    if (!a.contains("public_key_pem")) seed_error("app", "\"public_key_pem\" or \"public_key_file\" is required");
    if (!a.contains("client_id")) a["client_id"] = "Iv1." + sha1_hex(slug).substr(0, 16);
    if (!a.contains("description")) a["description"] = "";
    if (!a.contains("external_url")) a["external_url"] = "https://example.com/" + slug;
    if (!a.contains("installation_token_lifetime_seconds")) a["installation_token_lifetime_seconds"] = 3600;
    if (!a.contains("permissions")) {
      a["permissions"] = {{"actions", "write"},       {"checks", "write"},  {"contents", "write"},
                          {"deployments", "write"},   {"issues", "write"},  {"metadata", "read"},
                          {"pull_requests", "write"}, {"statuses", "write"}};
    }
    if (!a.contains("events")) {
      a["events"] = {"commit_comment", "deployment_protection_rule", "issue_comment",
                     "pull_request",   "pull_request_review",        "push",
                     "release"};
    }
    if (!a.contains("created_at")) a["created_at"] = start;
    ensure_user(slug + "[bot]");
  } else {
    doc_["app"] = nullptr;
  }

  json installations = array_or_empty(doc_, "installations", "$");
  for (std::size_t i = 0; i < installations.size(); ++i) {
    json& inst = installations[i];
    std::string where = "installations[" + std::to_string(i) + "]";
    if (!inst.contains("id") || !inst["id"].is_number_integer()) seed_error(where, "\"id\" must be an integer");
    ensure_user(required_string(inst, "account", where));
    if (!inst.contains("repositories")) inst["repositories"] = json::array();
    if (!inst.contains("repository_selection"))
      inst["repository_selection"] = inst["repositories"].empty() ? "all" : "selected";
    if (!inst.contains("permissions")) inst["permissions"] = has_app() ? doc_["app"]["permissions"] : json::object();
    if (!inst.contains("events")) inst["events"] = has_app() ? doc_["app"]["events"] : json::array();
    if (!inst.contains("created_at")) inst["created_at"] = start;
  }
  doc_["installations"] = installations;

  json tokens = doc_.contains("tokens") && doc_["tokens"].is_object() ? doc_["tokens"] : json::object();
  for (auto& [token, value] : tokens.items()) {
    if (value.is_string()) value = json{{"login", value}};
    if (!value.is_object()) seed_error("tokens." + token.substr(0, 4) + "...", "must be a login or an object");
    if (value.contains("login")) {
      ensure_user(value["login"].get<std::string>());
      if (!value.contains("scopes")) value["scopes"] = json::array({"repo", "workflow"});
    } else if (!value.contains("installation_id")) {
      seed_error("tokens", "each token needs \"login\" or \"installation_id\"");
    }
  }
  doc_["tokens"] = tokens;

  // The primary rate limit of authenticated callers (GitHub: 5000 an hour); tests make it small.
  if (doc_.contains("rate_limit")) {
    const json& limit = doc_["rate_limit"];
    if (!limit.is_object()) seed_error("rate_limit", "must be an object {\"limit\": N, \"window_seconds\": S}");
    for (const char* key : {"limit", "window_seconds"}) {
      if (limit.contains(key) && (!limit[key].is_number_integer() || limit[key].get<long long>() < 1)) {
        seed_error("rate_limit", std::string("\"") + key + "\" must be a positive integer");
      }
    }
  }
  if (!doc_.contains("webhook") || !doc_["webhook"].is_object()) doc_["webhook"] = json::object();
  if (!doc_["webhook"].contains("hook_id"))
    doc_["webhook"]["hook_id"] = 400000 + doc_["next_id"].get<long long>() % 1000;

  json repos = array_or_empty(doc_, "repositories", "$");
  doc_["repositories"] = json::array();
  for (std::size_t i = 0; i < repos.size(); ++i) {
    json r = repos[i];
    if (!r.is_object()) seed_error("repositories[" + std::to_string(i) + "]", "must be an object");
    r["__where"] = "repositories[" + std::to_string(i) + "]";
    doc_["repositories"].push_back(r);
    normalise_repo(doc_["repositories"].back());
    doc_["repositories"].back().erase("__where");
  }
}

void State::normalise_repo(json& r) {
  std::string where = r["__where"];
  std::string start = now_iso();
  std::string owner = required_string(r, "owner", where);
  std::string name = required_string(r, "name", where);
  where += " (" + owner + "/" + name + ")";
  ensure_user(owner);
  if (!r.contains("id")) r["id"] = next_id();
  if (!r.contains("private")) r["private"] = false;
  if (!r.contains("description")) r["description"] = nullptr;
  if (!r.contains("default_branch")) r["default_branch"] = "main";
  for (const char* key : {"created_at", "updated_at", "pushed_at"}) {
    if (!r.contains(key)) r[key] = start;
  }
  if (!r.contains("collaborators")) r["collaborators"] = json::object();
  for (auto& [login, role] : r["collaborators"].items()) {
    if (!is_role(role)) {
      seed_error(where + ".collaborators." + login, "role must be read, triage, write, maintain or admin");
    }
    ensure_user(login);
  }

  json commits = array_or_empty(r, "commits", where);
  r["commits"] = json::array();
  if (!r.contains("refs")) r["refs"] = json::object();
  auto commit_sha = [&](const json& target, const std::string& at) -> std::string {
    auto sha = seed_commit(r, target);
    if (!sha)
      seed_error(at, "must name a commit of this repository: a sha, \"@N\" (N-th commit, from 1), or a branch or tag");
    return *sha;
  };
  std::string previous;
  for (std::size_t i = 0; i < commits.size(); ++i) {
    json c = commits[i];
    std::string cwhere = where + ".commits[" + std::to_string(i) + "]";
    if (!c.is_object()) seed_error(cwhere, "must be an object");
    std::vector<std::string> parents;
    if (c.contains("parents")) {
      for (auto& p : c["parents"]) parents.push_back(commit_sha(p, cwhere + ".parents"));
    } else if (!previous.empty()) {
      parents.push_back(previous);
    }
    std::string message = c.value("message", "commit " + std::to_string(i + 1));
    json files = c.contains("files") ? c["files"] : json::object();
    std::string author = c.contains("author") && c["author"].is_string() ? c["author"].get<std::string>() : owner;
    std::string sha;
    if (c.contains("sha")) {
      sha = c["sha"].get<std::string>();
      if (sha.size() != 40 || sha.find_first_not_of("0123456789abcdef") != std::string::npos) {
        seed_error(cwhere, "\"sha\" must be 40 lower-case hex digits");
      }
      json signature = git::signature_for(*this, c.contains("author") ? c["author"] : json(owner));
      json committer = c.contains("committer") ? git::signature_for(*this, c["committer"]) : signature;
      r["commits"].push_back({{"sha", sha},
                              {"message", message},
                              {"author", signature},
                              {"committer", committer},
                              {"parents", parents},
                              {"files", files}});
    } else {
      sha = git::create_commit(*this, r, parents, message, author, files);
      if (c.contains("author") && c["author"].is_object())
        r["commits"].back()["author"] = git::signature_for(*this, c["author"]);
      if (c.contains("committer")) r["commits"].back()["committer"] = git::signature_for(*this, c["committer"]);
    }
    previous = sha;
  }

  if (!r.contains("tag_objects")) r["tag_objects"] = json::array();

  if (r.contains("branches")) {
    for (auto& [branch, target] : r["branches"].items())
      r["refs"][git::branch_ref(branch)] = commit_sha(target, where + ".branches." + branch);
    r.erase("branches");
  }
  std::string default_ref = git::branch_ref(r["default_branch"].get<std::string>());
  if (!r["refs"].contains(default_ref) && !previous.empty()) r["refs"][default_ref] = previous;

  if (r.contains("tags")) {
    for (auto& [tag, target] : r["tags"].items()) {
      std::string at = where + ".tags." + tag;
      if (target.is_object()) {
        std::string object_sha = commit_sha(target.value("sha", json()), at + ".sha");
        std::string tag_sha = sha1_hex("tag " + tag + "\n" + object_sha);
        json tagger = git::signature_for(*this, target.contains("tagger") ? target["tagger"] : json(owner));
        r["tag_objects"].push_back({{"sha", tag_sha},
                                    {"tag", tag},
                                    {"object_sha", object_sha},
                                    {"message", target.value("message", tag)},
                                    {"tagger", tagger}});
        r["refs"][git::tag_ref(tag)] = tag_sha;
      } else {
        r["refs"][git::tag_ref(tag)] = commit_sha(target, at);
      }
    }
    r.erase("tags");
  }

  normalise_issues(r);

  auto normalise_list = [&](const char* key, auto&& each) {
    json list = array_or_empty(r, key, where);
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string at = where + "." + key + "[" + std::to_string(i) + "]";
      if (!list[i].is_object()) seed_error(at, "must be an object");
      if (!list[i].contains("id")) list[i]["id"] = next_id();
      if (!list[i].contains("created_at")) list[i]["created_at"] = start;
      if (!list[i].contains("updated_at")) list[i]["updated_at"] = list[i]["created_at"];
      each(list[i], at);
    }
    r[key] = list;
  };
  auto ensure_login = [&](json& object, const char* key, const std::string& fallback) {
    if (!object.contains(key)) object[key] = fallback;
    ensure_user(object[key].get<std::string>());
  };

  normalise_list("commit_comments", [&](json& c, const std::string& at) {
    c["commit_id"] = commit_sha(c.value("commit_id", json()), at + ".commit_id");
    ensure_login(c, "user", owner);
    if (!c.contains("body")) c["body"] = "";
    for (const char* key : {"path", "position", "line"}) {
      if (!c.contains(key)) c[key] = nullptr;
    }
    if (!c.contains("reactions")) c["reactions"] = json::array();
  });
  normalise_list("releases", [&](json& rel, const std::string& at) {
    std::string tag = required_string(rel, "tag_name", at);
    if (!rel.contains("target_commitish")) rel["target_commitish"] = r["default_branch"];
    if (!rel.contains("name")) rel["name"] = tag;
    if (!rel.contains("body")) rel["body"] = "";
    if (!rel.contains("draft")) rel["draft"] = false;
    if (!rel.contains("prerelease")) rel["prerelease"] = false;
    ensure_login(rel, "author", owner);
    if (!rel.contains("published_at")) rel["published_at"] = rel["draft"].get<bool>() ? json() : rel["created_at"];
    if (!rel["draft"].get<bool>() && !r["refs"].contains(git::tag_ref(tag))) {
      auto target = git::resolve(r, rel["target_commitish"].get<std::string>());
      if (!target) seed_error(at, "tag " + tag + " does not exist and target_commitish does not resolve");
      r["refs"][git::tag_ref(tag)] = *target;
    }
  });
  normalise_list("deployments", [&](json& d, const std::string& at) {
    if (!d.contains("ref")) d["ref"] = r["default_branch"];
    if (!d.contains("sha")) {
      auto sha = git::resolve(r, d["ref"].get<std::string>());
      if (!sha) seed_error(at, "\"ref\" does not resolve; give \"sha\"");
      d["sha"] = *sha;
    } else {
      d["sha"] = commit_sha(d["sha"], at + ".sha");
    }
    if (!d.contains("task")) d["task"] = "deploy";
    if (!d.contains("payload")) d["payload"] = json::object();
    if (!d.contains("environment")) d["environment"] = "production";
    if (!d.contains("original_environment")) d["original_environment"] = d["environment"];
    if (!d.contains("description")) d["description"] = nullptr;
    ensure_login(d, "creator", owner);
    if (!d.contains("transient_environment")) d["transient_environment"] = false;
    if (!d.contains("production_environment")) d["production_environment"] = d["environment"] == "production";
    json statuses = array_or_empty(d, "statuses", at);
    for (auto& s : statuses) {
      if (!s.contains("id")) s["id"] = next_id();
      if (!s.contains("state")) s["state"] = "success";
      ensure_login(s, "creator", d["creator"].get<std::string>());
      if (!s.contains("description")) s["description"] = "";
      if (!s.contains("environment")) s["environment"] = d["environment"];
      for (const char* key : {"target_url", "log_url", "environment_url"}) {
        if (!s.contains(key)) s[key] = "";
      }
      if (!s.contains("created_at")) s["created_at"] = d["created_at"];
      if (!s.contains("updated_at")) s["updated_at"] = s["created_at"];
    }
    d["statuses"] = statuses;
  });
  normalise_list("statuses", [&](json& s, const std::string& at) {
    s["sha"] = commit_sha(s.value("sha", json()), at + ".sha");
    if (!s.contains("state")) s["state"] = "success";
    if (!s.contains("context")) s["context"] = "default";
    if (!s.contains("description")) s["description"] = nullptr;
    if (!s.contains("target_url")) s["target_url"] = nullptr;
    ensure_login(s, "creator", owner);
  });
  normalise_list("check_runs", [&](json& c, const std::string& at) {
    c["head_sha"] = commit_sha(c.value("head_sha", json()), at + ".head_sha");
    required_string(c, "name", at);
    if (!c.contains("status")) c["status"] = c.contains("conclusion") ? "completed" : "queued";
    for (const char* key : {"conclusion", "details_url", "external_id", "started_at", "completed_at"}) {
      if (!c.contains(key)) c[key] = nullptr;
    }
    if (!c.contains("output")) c["output"] = {{"title", nullptr}, {"summary", nullptr}, {"text", nullptr}};
    if (!c.contains("app_id")) c["app_id"] = has_app() ? doc_["app"]["id"] : json();
  });
  normalise_list("check_suites", [&](json& suite, const std::string& at) {
    suite["head_sha"] = commit_sha(suite.value("head_sha", json()), at + ".head_sha");
    if (!suite.contains("app_id")) suite["app_id"] = has_app() ? doc_["app"]["id"] : json();
    for (const char* key : {"head_branch", "conclusion"}) {
      if (!suite.contains(key)) suite[key] = nullptr;
    }
    if (!suite.contains("status")) suite["status"] = "queued";
  });
  // A seeded run without a suite joins its commit and App's (made when missing); every suite's
  // state then follows its runs.
  for (auto& run : r["check_runs"]) {
    if (run.contains("check_suite_id")) continue;
    json& suite = suite_for(*this, r, run["head_sha"], run["app_id"]);
    if (run.contains("app") && !suite.contains("app")) suite["app"] = run["app"];
    run["check_suite_id"] = suite["id"];
  }
  for (auto& suite : r["check_suites"]) settle_check_suite(*this, r, suite);
  normalise_list("workflows", [&](json& w, const std::string& at) {
    if (!w.contains("path")) {
      if (!w.contains("file")) seed_error(at, "needs \"path\" (.github/workflows/NAME.yml) or \"file\" (NAME.yml)");
      w["path"] = ".github/workflows/" + w["file"].get<std::string>();
      w.erase("file");
    }
    if (!w.contains("name")) w["name"] = w["path"];
    if (!w.contains("state")) w["state"] = "active";
  });
  normalise_list("workflow_runs", [&](json& run, const std::string& at) {
    if (!run.contains("workflow_id") || !run["workflow_id"].is_number_integer())
      seed_error(at, "\"workflow_id\" must be an integer");
    json* workflow = find(r["workflows"], "id", run["workflow_id"]);
    if (workflow == nullptr) seed_error(at, "workflow_id names no workflow of this repository");
    if (!run.contains("name")) run["name"] = (*workflow)["name"];
    if (!run.contains("head_branch")) run["head_branch"] = r["default_branch"];
    if (!run.contains("head_sha")) {
      auto sha = git::resolve(r, run["head_branch"].get<std::string>());
      if (!sha) seed_error(at, "head_branch does not resolve; give head_sha");
      run["head_sha"] = *sha;
    }
    if (!run.contains("event")) run["event"] = "push";
    if (!run.contains("status")) run["status"] = "completed";
    if (!run.contains("conclusion")) run["conclusion"] = run["status"] == "completed" ? json("success") : json();
    ensure_login(run, "actor", owner);
    if (!run.contains("triggering_actor")) run["triggering_actor"] = run["actor"];
    if (!run.contains("run_attempt")) run["run_attempt"] = 1;
    if (!run.contains("inputs")) run["inputs"] = nullptr;
    if (!run.contains("run_started_at")) run["run_started_at"] = run["created_at"];
    if (!run.contains("protection_rules")) run["protection_rules"] = json::array();
  });
  std::map<long long, long long> run_numbers;
  for (auto& run : r["workflow_runs"]) {
    long long& last = run_numbers[run["workflow_id"].get<long long>()];
    if (run.contains("run_number")) {
      last = std::max(last, run["run_number"].get<long long>());
    } else {
      run["run_number"] = ++last;
    }
  }
  if (!r.contains("repository_dispatches")) r["repository_dispatches"] = json::array();
  if (!r.contains("workflow_dispatches")) r["workflow_dispatches"] = json::array();
  json envs = array_or_empty(r, "environments", where);
  for (auto& e : envs) {
    if (e.is_string()) e = json{{"name", e}};
  }
  r["environments"] = envs;
  normalise_list("environments", [&](json& e, const std::string& at) {
    required_string(e, "name", at);
    if (!e.contains("protection_rules")) e["protection_rules"] = json::array();
    for (auto& rule : e["protection_rules"]) {
      if (!rule.contains("id")) rule["id"] = next_id();
    }
    if (!e.contains("deployment_branch_policy")) e["deployment_branch_policy"] = nullptr;
  });
}

}  // namespace deploy::sim
