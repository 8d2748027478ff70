// Seed normalisation of issues and pull requests (one number sequence), their comments and
// reviews.
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "git_model.hpp"
#include "seed_support.hpp"
#include "state.hpp"

namespace deploy::sim {

using namespace seed;

void State::normalise_issues(json& r) {
  std::string where = r["__where"];
  std::string owner = r["owner"];
  std::string start = now_iso();
  json issues = array_or_empty(r, "issues", where);
  json pulls = array_or_empty(r, "pulls", where);
  r.erase("pulls");
  json comments = array_or_empty(r, "issue_comments", where);
  json reviews = array_or_empty(r, "reviews", where);

  // Issues and pull requests share one number sequence: explicit numbers first, then the rest in order.
  std::vector<std::pair<json, std::string>> all;
  for (std::size_t i = 0; i < issues.size(); ++i)
    all.emplace_back(issues[i], where + ".issues[" + std::to_string(i) + "]");
  for (std::size_t i = 0; i < pulls.size(); ++i) {
    json p = pulls[i];
    if (p.is_object() && !p.contains("pull_request")) p["pull_request"] = json::object();
    all.emplace_back(p, where + ".pulls[" + std::to_string(i) + "]");
  }
  std::set<long long> used;
  for (auto& [item, at] : all) {
    if (!item.is_object()) seed_error(at, "must be an object");
    if (item.contains("number")) {
      if (!item["number"].is_number_integer() || !used.insert(item["number"].get<long long>()).second) {
        seed_error(at, "\"number\" must be an integer not used by another issue or pull request");
      }
    }
  }
  long long next_number = used.empty() ? 1 : *used.rbegin() + 1;
  json out = json::array();
  for (auto& [item, at] : all) {
    json& it = item;
    if (!it.contains("number")) it["number"] = next_number++;
    if (!it.contains("id")) it["id"] = next_id();
    if (!it.contains("title")) it["title"] = "Issue " + std::to_string(it["number"].get<long long>());
    if (!it.contains("body")) it["body"] = nullptr;
    if (!it.contains("user")) it["user"] = owner;
    ensure_user(it["user"].get<std::string>());
    if (!it.contains("state")) it["state"] = "open";
    if (it["state"] != "open" && it["state"] != "closed") seed_error(at, "\"state\" must be open or closed");
    if (!it.contains("state_reason")) it["state_reason"] = nullptr;
    if (!it.contains("locked")) it["locked"] = false;
    if (!it.contains("created_at")) it["created_at"] = start;
    if (!it.contains("updated_at")) it["updated_at"] = it["created_at"];
    if (!it.contains("closed_at")) it["closed_at"] = it["state"] == "closed" ? it["updated_at"] : json();
    json labels = json::array();
    for (auto& label : array_or_empty(it, "labels", at)) {
      json l = label.is_string() ? json{{"name", label}} : label;
      if (!l.contains("id")) l["id"] = next_id();
      if (!l.contains("color")) l["color"] = "ededed";
      if (!l.contains("description")) l["description"] = nullptr;
      if (!l.contains("default")) l["default"] = false;
      labels.push_back(l);
    }
    it["labels"] = labels;
    if (!it.contains("assignees")) it["assignees"] = json::array();
    for (auto& a : it["assignees"]) ensure_user(a.get<std::string>());
    for (auto& c : array_or_empty(it, "comments", at)) {
      json comment = c.is_string() ? json{{"body", c}} : c;
      comment["issue_number"] = it["number"];
      comments.push_back(comment);
    }
    it.erase("comments");
    if (it.contains("pull_request") && it["pull_request"].is_object()) {
      json& pr = it["pull_request"];
      for (const char* key :
           {"head", "base", "merged", "merged_at", "merge_commit_sha", "merged_by", "draft", "commits"}) {
        if (it.contains(key) && !pr.contains(key)) pr[key] = it[key];
        it.erase(key);
      }
      if (!pr.contains("id")) pr["id"] = next_id();
      if (!pr.contains("head") || !pr["head"].is_object() || !pr["head"].contains("ref")) {
        seed_error(at, "a pull request needs \"head\": {\"ref\": BRANCH} (and \"sha\" when the branch does not exist)");
      }
      json& head = pr["head"];
      // A pull request from a fork: head.repo names it (OWNER/NAME); its commits are in this
      // repository's store, as GitHub keeps them under refs/pull/N/head.
      if (head.contains("repo")) {
        if (!head["repo"].is_string() || head["repo"].get<std::string>().find('/') == std::string::npos) {
          seed_error(at + ".head.repo", "must be \"OWNER/NAME\" (the fork)");
        }
        std::string fork = head["repo"];
        ensure_user(fork.substr(0, fork.find('/')));
      }
      if (!head.contains("sha")) {
        auto sha = git::resolve(r, git::branch_ref(head["ref"].get<std::string>()));
        if (!sha)
          seed_error(at + ".head", "branch " + head["ref"].get<std::string>() + " does not exist; give \"sha\"");
        head["sha"] = *sha;
      } else {
        auto sha = seed_commit(r, head["sha"]);
        if (!sha) seed_error(at + ".head.sha", "names no commit of this repository");
        head["sha"] = *sha;
      }
      if (!pr.contains("base")) pr["base"] = json::object();
      json& base = pr["base"];
      if (!base.contains("ref")) base["ref"] = r["default_branch"];
      if (!base.contains("sha")) {
        auto sha = git::resolve(r, git::branch_ref(base["ref"].get<std::string>()));
        base["sha"] = sha ? json(*sha) : json();
      }
      if (!pr.contains("merged")) pr["merged"] = false;
      if (pr["merged"].get<bool>()) {
        it["state"] = "closed";
        if (!pr.contains("merged_at")) pr["merged_at"] = it["updated_at"];
        if (it["closed_at"].is_null()) it["closed_at"] = pr["merged_at"];
        if (!pr.contains("merged_by")) pr["merged_by"] = owner;
      }
      for (const char* key : {"merged_at", "merge_commit_sha", "merged_by"}) {
        if (!pr.contains(key)) pr[key] = nullptr;
      }
      if (!pr.contains("draft")) pr["draft"] = false;
      if (!pr.contains("commits")) {
        // The commits the head has that the base did not, oldest first.
        std::set<std::string> in_base;
        if (base["sha"].is_string()) {
          for (auto& sha : git::ancestors(r, base["sha"].get<std::string>())) in_base.insert(sha);
        }
        json list = json::array();
        for (auto& sha : git::ancestors(r, head["sha"].get<std::string>())) {
          if (!in_base.contains(sha)) list.insert(list.begin(), sha);
        }
        pr["commits"] = list;
      }
      for (auto& review : array_or_empty(it, "reviews", at)) {
        json rv = review;
        rv["pull_number"] = it["number"];
        reviews.push_back(rv);
      }
      it.erase("reviews");
    } else {
      it["pull_request"] = nullptr;
    }
    out.push_back(it);
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["number"] < b["number"]; });
  r["issues"] = out;

  for (std::size_t i = 0; i < comments.size(); ++i) {
    json& c = comments[i];
    std::string at = where + ".issue_comments[" + std::to_string(i) + "]";
    if (!c.contains("issue_number") || find(r["issues"], "number", c["issue_number"]) == nullptr) {
      seed_error(at, "\"issue_number\" names no issue or pull request");
    }
    if (!c.contains("id")) c["id"] = next_id();
    if (!c.contains("user")) c["user"] = owner;
    ensure_user(c["user"].get<std::string>());
    if (!c.contains("body")) c["body"] = "";
    if (!c.contains("created_at")) c["created_at"] = start;
    if (!c.contains("updated_at")) c["updated_at"] = c["created_at"];
    if (!c.contains("reactions")) c["reactions"] = json::array();
  }
  r["issue_comments"] = comments;

  for (std::size_t i = 0; i < reviews.size(); ++i) {
    json& rv = reviews[i];
    std::string at = where + ".reviews[" + std::to_string(i) + "]";
    json* pr = rv.contains("pull_number") ? find(r["issues"], "number", rv["pull_number"]) : nullptr;
    if (pr == nullptr || (*pr)["pull_request"].is_null()) seed_error(at, "\"pull_number\" names no pull request");
    if (!rv.contains("id")) rv["id"] = next_id();
    if (!rv.contains("user")) seed_error(at, "\"user\" is required");
    ensure_user(rv["user"].get<std::string>());
    if (!rv.contains("body")) rv["body"] = "";
    if (!rv.contains("state")) rv["state"] = "APPROVED";
    static const std::set<std::string> states = {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"};
    if (!states.contains(rv["state"].get<std::string>()))
      seed_error(at, "\"state\" must be one of APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING");
    if (!rv.contains("commit_id")) rv["commit_id"] = (*pr)["pull_request"]["head"]["sha"];
    if (!rv.contains("submitted_at")) rv["submitted_at"] = start;
  }
  r["reviews"] = reviews;
}

}  // namespace deploy::sim
