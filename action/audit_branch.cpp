#include "action/audit_branch.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace deploy::action {

std::string audit_branch_path(const std::string& environment, std::uint64_t seq, const std::string& hash) {
  std::string folder = environment.empty() ? "environment" : environment;
  for (char& c : folder) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  if (folder.front() == '.') folder.front() = '_';  // no "." or ".." folders
  char number[32];
  std::snprintf(number, sizeof number, "%06llu", static_cast<unsigned long long>(seq));
  return "records/" + folder + "/" + number + "-" + hash + ".json";
}

Result<AppendedRecord> append_to_audit_branch(github::Client& client, const github::Repo& repo,
                                              const std::string& branch, const AuditBranchRecord& record) {
  AppendedRecord appended;
  appended.path = audit_branch_path(record.environment, record.seq, record.hash);
  const std::string message = record.summary + "\n\naudit#" + std::to_string(record.seq) + " " + record.hash + "\n";
  try {
    for (int attempt = 1; attempt <= kAuditBranchAttempts; ++attempt) {
      appended.attempts = attempt;
      auto tip = client.get_ref(repo.owner, repo.name, "heads/" + branch);
      std::string base_tree;
      std::vector<std::string> parents;
      if (tip) {
        auto commit = client.get_commit(repo.owner, repo.name, tip->object_sha);
        base_tree = commit.raw.at("commit").at("tree").at("sha").get<std::string>();
        parents.push_back(tip->object_sha);
      }
      // The same content is the same blob: writing it again on a retry costs one request.
      const std::string blob = client.create_blob(repo.owner, repo.name, record.content);
      const std::string tree = client.create_tree(repo.owner, repo.name, base_tree, {{appended.path, blob}});
      appended.commit_sha = client.create_git_commit(repo.owner, repo.name, message, tree, parents);
      try {
        if (tip) {
          client.update_ref(repo.owner, repo.name, "heads/" + branch, appended.commit_sha);
        } else {
          client.create_ref(repo.owner, repo.name, "refs/heads/" + branch, appended.commit_sha);
        }
        return appended;
      } catch (const github::GitHubError& error) {
        // 422: another run moved (or created) the branch since we read it; append on its new tip.
        if (error.status() != 422) throw;
      }
    }
    return Error{"audit_branch_failed", "could not append the audit record to branch " + branch +
                                            ": other runs kept appending at the same "
                                            "time (" +
                                            std::to_string(kAuditBranchAttempts) +
                                            " attempts); the record is still in the audit-file"};
  } catch (const github::GitHubError& error) {
    std::string hint;
    if (error.status() == 403 || error.status() == 404) {
      hint = " (the workflow's token needs `permissions: contents: write` to append to the audit branch)";
    }
    return Error{"audit_branch_failed",
                 "could not append the audit record to branch " + branch + ": " + error.what() + hint};
  } catch (const nlohmann::json::exception& error) {
    return Error{"audit_branch_failed", "could not append the audit record to branch " + branch +
                                            ": GitHub's answer about the branch's tip had no tree (" + error.what() +
                                            ")"};
  }
}

namespace {

const github::GitTreeEntry* entry_named(const github::GitTree& tree, const std::string& name) {
  for (const auto& entry : tree.entries) {
    if (entry.path == name) return &entry;
  }
  return nullptr;
}

// "000012-<64 hex>.json" -> 12.
std::optional<std::uint64_t> seq_of(const std::string& name) {
  auto dash = name.find('-');
  if (dash == 0 || dash == std::string::npos || dash > 18 || name.size() < 5 ||
      name.compare(name.size() - 5, 5, ".json") != 0) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < dash; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return std::nullopt;
  }
  return std::stoull(name.substr(0, dash));
}

github::GitTree tree_or_fail(github::Client& client, const github::Repo& repo, const std::string& sha,
                             const std::string& what) {
  auto tree = client.get_tree(repo.owner, repo.name, sha);
  if (!tree) throw std::runtime_error("the tree of " + what + " (" + sha + ") is not on GitHub");
  return std::move(*tree);
}

}  // namespace

std::optional<AuditBranch> read_audit_branch(github::Client& client, const github::Repo& repo,
                                             const std::string& branch) {
  auto tip = client.get_ref(repo.owner, repo.name, "heads/" + branch);
  if (!tip) return std::nullopt;
  AuditBranch out;
  out.tip = tip->object_sha;
  github::GitTree root = tree_or_fail(client, repo, out.tip, "branch " + branch);
  const auto* records = entry_named(root, "records");
  if (records == nullptr || records->type != "tree") return out;
  github::GitTree folders = tree_or_fail(client, repo, records->sha, "records/");
  for (const auto& folder : folders.entries) {
    if (folder.type != "tree") {
      out.stray.push_back("records/" + folder.path);
      continue;
    }
    auto& files = out.environments[folder.path];
    github::GitTree listing = tree_or_fail(client, repo, folder.sha, "records/" + folder.path);
    for (const auto& file : listing.entries) {
      const std::string path = "records/" + folder.path + "/" + file.path;
      auto seq = seq_of(file.path);
      if (file.type != "blob" || !seq) {
        out.stray.push_back(path);
        continue;
      }
      files.push_back({path, *seq, client.get_blob(repo.owner, repo.name, file.sha)});
    }
    std::stable_sort(files.begin(), files.end(),
                     [](const BranchFile& a, const BranchFile& b) { return a.seq < b.seq; });
  }
  return out;
}

}  // namespace deploy::action
