#include "action/verify_audit_command.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "action/audit_branch.hpp"
#include "core/audit/audit.hpp"
#include "core/github/client.hpp"
#include "core/github/facts.hpp"
#include "core/http/client.hpp"

namespace deploy::action {
namespace {

struct Located {
  std::string file;
  std::size_t line = 0;
};

// ---- --from-github ----

struct Problem {
  std::string where;
  std::string reason;
  std::string message;
};

std::string short_hash(const std::string& hash) { return hash.substr(0, 12); }

// One environment's folder: the chain, then each record against its deployment, then each
// deployment whose audit link no record on the branch has (the tail cut or a record removed).
void check_environment(const std::string& environment, const std::vector<BranchFile>& files,
                       const std::vector<github::DeploymentSeen>& history, std::optional<std::string_view> key,
                       const std::string& branch, std::vector<Problem>& problems, std::size_t& verified) {
  std::vector<nlohmann::json> records;
  for (const auto& file : files) {
    auto parsed = audit::parse_jsonl(file.content);
    if (!parsed || parsed->records.size() != 1) {
      problems.push_back(
          {file.path, "malformed",
           parsed ? "expected one record, found " + std::to_string(parsed->records.size()) : parsed.error().message});
      return;
    }
    records.push_back(parsed->records[0]);
  }
  if (records.empty()) return;
  // The branch may start later than the chain (audit.branch set after some deploys): its first
  // record is then anchored by its own deployment below, not by the genesis hash.
  std::optional<audit::Anchor> anchor;
  const auto first_seq = records.front().value("seq", std::uint64_t{0});
  if (first_seq != 0 && records.front().contains("prev_hash") && records.front()["prev_hash"].is_string()) {
    anchor = audit::Anchor{records.front()["prev_hash"].get<std::string>(), first_seq};
  }
  auto chain = audit::verify_chain(records, key, anchor);
  if (!chain.ok) problems.push_back({files.at(chain.index).path, chain.reason, chain.message});
  const std::size_t intact = chain.ok ? records.size() : chain.index;

  std::map<std::string, const github::DeploymentSeen*> by_id;
  for (const auto& seen : history) by_id[std::to_string(seen.record.id)] = &seen;
  std::map<std::string, std::string> on_branch;  // hash -> path
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& record = records[i];
    const std::string hash = record.value("hash", std::string());
    on_branch[hash] = files[i].path;
    const std::string id = record.contains("deployment_id") && record["deployment_id"].is_string()
                               ? record["deployment_id"].get<std::string>()
                               : std::string();
    const std::string seq = std::to_string(record.value("seq", std::uint64_t{0}));
    if (id.empty()) {
      problems.push_back({files[i].path, "deployment_missing", "record seq " + seq + " names no GitHub deployment"});
      continue;
    }
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      problems.push_back({files[i].path, "deployment_missing",
                          "record seq " + seq + " names GitHub deployment " + id + ", which environment " +
                              environment + " does not have"});
      continue;
    }
    const auto& seen = *it->second;
    if (!seen.audit_hash) {
      problems.push_back({files[i].path, "deployment_hash_mismatch",
                          "GitHub deployment " + id + " (" + seen.record.version +
                              ") carries no audit hash in its statuses; the record's is " + short_hash(hash)});
    } else if (*seen.audit_hash != hash || *seen.audit_seq != record.value("seq", std::uint64_t{0})) {
      problems.push_back({files[i].path, "deployment_hash_mismatch",
                          "GitHub deployment " + id + " (" + seen.record.version + ") records audit#" +
                              std::to_string(*seen.audit_seq) + " " + short_hash(*seen.audit_hash) +
                              ", the record on the branch is seq " + seq + " " + short_hash(hash)});
    } else if (i < intact) {
      ++verified;
    }
  }
  for (const auto& seen : history) {
    if (!seen.audit_hash || *seen.audit_seq < first_seq || on_branch.contains(*seen.audit_hash)) continue;
    problems.push_back({"deployment " + std::to_string(seen.record.id), "record_missing",
                        "GitHub deployment " + std::to_string(seen.record.id) + " (" + seen.record.version + ") of " +
                            environment + " records audit#" + std::to_string(*seen.audit_seq) + " " +
                            short_hash(*seen.audit_hash) + ", which is not on branch " + branch});
  }
}

int verify_from_github(const VerifyAuditOptions& options, std::optional<std::string> key) {
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  std::string repository = options.repository.empty() ? env("GITHUB_REPOSITORY") : options.repository;
  const auto slash = repository.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == repository.size()) {
    std::cerr << "deploy-action: verify-audit --from-github: name the repository with --repo OWNER/NAME (or set "
                 "GITHUB_REPOSITORY)\n";
    return 2;
  }
  const std::string token = env("GITHUB_TOKEN");
  if (token.empty()) {
    std::cerr << "deploy-action: verify-audit --from-github: set GITHUB_TOKEN to a token that can read the "
                 "repository's contents and deployments\n";
    return 2;
  }
  const std::string branch = options.branch.empty() ? "deploy-audit" : options.branch;
  github::Repo repo{repository.substr(0, slash), repository.substr(slash + 1)};

  http::Client transport;
  SystemClock clock;
  github::ClientOptions client_options;
  client_options.base_url = env("GITHUB_API_URL").empty() ? "https://api.github.com" : env("GITHUB_API_URL");
  github::Client client(transport, clock, system_random(), github::TokenCredentials{token}, client_options);

  std::vector<Problem> problems;
  std::size_t total = 0;
  std::size_t verified = 0;
  std::vector<std::string> environments;
  try {
    auto read = read_audit_branch(client, repo, branch);
    if (!read) {
      std::cerr << "deploy-action: verify-audit: " << repository << " has no branch " << branch
                << " (set audit.branch in deploy.yml, or name the branch with --branch)\n";
      return 2;
    }
    for (const auto& path : read->stray) {
      problems.push_back({path, "stray_file", "not a record file (records/ENVIRONMENT/SEQ-HASH.json)"});
    }
    for (const auto& [environment, files] : read->environments) {
      if (!options.environment.empty() && environment != options.environment) continue;
      environments.push_back(environment);
      total += files.size();
      auto history = github::deployment_history(client, repo, environment, 100'000);
      check_environment(environment, files, history, key ? std::optional<std::string_view>(*key) : std::nullopt, branch,
                        problems, verified);
    }
  } catch (const std::exception& error) {
    std::cerr << "deploy-action: verify-audit: reading " << repository << " from GitHub failed: " << error.what()
              << "\n";
    return 2;
  }
  if (!options.environment.empty() && environments.empty()) {
    std::cerr << "deploy-action: verify-audit: branch " << branch << " has no records of environment "
              << options.environment << "\n";
    return 2;
  }
  for (const auto& problem : problems) {
    std::cout << problem.where << ": " << problem.reason << ": " << problem.message << "\n";
  }
  std::string names;
  for (const auto& name : environments) names += (names.empty() ? "" : ", ") + name;
  if (!problems.empty()) {
    std::cout << "verified " << verified << " of " << total << " records on branch " << branch << "; "
              << problems.size() << " problem" << (problems.size() == 1 ? "" : "s") << "\n";
    return 1;
  }
  std::cout << "verified " << total << " record" << (total == 1 ? "" : "s") << " on branch " << branch << " ("
            << (names.empty() ? "no environments" : names) << "), each matching its GitHub deployment"
            << (key ? ", signatures included" : "; no key given, signatures not checked") << "\n";
  return 0;
}

}  // namespace

int run_verify_audit(const VerifyAuditOptions& options) {
  if (options.from_github && !options.files.empty()) {
    std::cerr << "deploy-action: verify-audit: --from-github reads the records from GitHub; name no files with it\n";
    return 2;
  }
  if (!options.from_github &&
      (!options.repository.empty() || !options.branch.empty() || !options.environment.empty())) {
    std::cerr << "deploy-action: verify-audit: --repo, --branch and --environment go with --from-github\n";
    return 2;
  }
  if (options.from_github && !options.anchor.empty()) {
    std::cerr
        << "deploy-action: verify-audit: --anchor is for files; --from-github anchors to the GitHub deployments\n";
    return 2;
  }
  if (options.files.empty() && !options.from_github) {
    std::cerr << "deploy-action: verify-audit: name at least one audit file, or --from-github\n";
    return 2;
  }
  std::optional<std::string> key;
  if (!options.key_env.empty()) {
    const char* value = std::getenv(options.key_env.c_str());
    if (value == nullptr || *value == '\0') {
      std::cerr << "deploy-action: verify-audit: --key-env " << options.key_env
                << " names an environment variable that is not set; export the signing key in it\n";
      return 2;
    }
    key = value;
  }
  if (options.from_github) return verify_from_github(options, key);

  std::vector<nlohmann::json> records;
  std::vector<Located> where;
  for (const auto& file : options.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << file << ": error: cannot read the audit file (" << std::strerror(errno) << ")\n";
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = audit::parse_jsonl(text.str());
    if (!parsed) {
      std::cout << file << ": " << parsed.error().code << ": " << parsed.error().message << "\n";
      return 1;
    }
    for (std::size_t i = 0; i < parsed->records.size(); ++i) {
      records.push_back(parsed->records[i]);
      where.push_back({file, parsed->lines[i]});
    }
  }

  std::optional<audit::Anchor> anchor;
  if (!options.anchor.empty()) anchor = audit::Anchor{options.anchor, std::nullopt};
  auto result = audit::verify_chain(records, key, anchor);
  if (!result.ok) {
    const Located& at = where.at(result.index);
    std::cout << at.file << ":" << at.line << ": " << result.reason << ": " << result.message << "\n";
    std::cout << "verified " << result.verified << " of " << records.size() << " records before the break\n";
    return 1;
  }
  std::cout << "verified " << records.size() << " record" << (records.size() == 1 ? "" : "s")
            << (key ? ", signatures included" : " (hashes and links; no key given, signatures not checked)") << "\n";
  return 0;
}

}  // namespace deploy::action
