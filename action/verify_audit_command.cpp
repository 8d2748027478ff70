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

// Each file holds one record; nullopt (with the problem noted) when one does not.
std::optional<std::vector<nlohmann::json>> parse_records(const std::vector<BranchFile>& files,
                                                         std::vector<Problem>& problems) {
  std::vector<nlohmann::json> records;
  for (const auto& file : files) {
    auto parsed = audit::parse_jsonl(file.content);
    if (!parsed || parsed->records.size() != 1) {
      problems.push_back(
          {file.path, "malformed",
           parsed ? "expected one record, found " + std::to_string(parsed->records.size()) : parsed.error().message});
      return std::nullopt;
    }
    records.push_back(parsed->records[0]);
  }
  return records;
}

// Record i against the GitHub deployment it names; true when they agree.
bool matches_deployment(const nlohmann::json& record, const std::string& path, const std::string& environment,
                        const std::map<std::string, const github::DeploymentSeen*>& by_id,
                        std::vector<Problem>& problems) {
  const std::string hash = record.value("hash", std::string());
  const std::string id = record.contains("deployment_id") && record["deployment_id"].is_string()
                             ? record["deployment_id"].get<std::string>()
                             : std::string();
  const std::string seq = std::to_string(record.value("seq", std::uint64_t{0}));
  if (id.empty()) {
    problems.push_back({path, "deployment_missing", "record seq " + seq + " names no GitHub deployment"});
    return false;
  }
  auto it = by_id.find(id);
  if (it == by_id.end()) {
    problems.push_back({path, "deployment_missing",
                        "record seq " + seq + " names GitHub deployment " + id + ", which environment " + environment +
                            " does not have"});
    return false;
  }
  const auto& seen = *it->second;
  if (!seen.audit_hash) {
    problems.push_back({path, "deployment_hash_mismatch",
                        "GitHub deployment " + id + " (" + seen.record.version +
                            ") carries no audit hash in its statuses; the record's is " + short_hash(hash)});
    return false;
  }
  if (*seen.audit_hash != hash || *seen.audit_seq != record.value("seq", std::uint64_t{0})) {
    problems.push_back({path, "deployment_hash_mismatch",
                        "GitHub deployment " + id + " (" + seen.record.version + ") records audit#" +
                            std::to_string(*seen.audit_seq) + " " + short_hash(*seen.audit_hash) +
                            ", the record on the branch is seq " + seq + " " + short_hash(hash)});
    return false;
  }
  return true;
}

// One environment's folder: the chain, then each record against its deployment, then each
// deployment whose audit link no record on the branch has (the tail cut or a record removed).
void check_environment(const std::string& environment, const std::vector<BranchFile>& files,
                       const std::vector<github::DeploymentSeen>& history, std::optional<std::string_view> key,
                       const std::string& branch, std::vector<Problem>& problems, std::size_t& verified) {
  const auto parsed = parse_records(files, problems);
  if (!parsed || parsed->empty()) return;
  const auto& records = *parsed;
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
    on_branch[records[i].value("hash", std::string())] = files[i].path;
    if (matches_deployment(records[i], files[i].path, environment, by_id, problems) && i < intact) ++verified;
  }
  for (const auto& seen : history) {
    if (!seen.audit_hash || *seen.audit_seq < first_seq || on_branch.contains(*seen.audit_hash)) continue;
    problems.push_back({"deployment " + std::to_string(seen.record.id), "record_missing",
                        "GitHub deployment " + std::to_string(seen.record.id) + " (" + seen.record.version + ") of " +
                            environment + " records audit#" + std::to_string(*seen.audit_seq) + " " +
                            short_hash(*seen.audit_hash) + ", which is not on branch " + branch});
  }
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Where --from-github reads: the repository, the token, the branch, the API.
struct GitHubSource {
  std::string repository;  // owner/name
  github::Repo repo;
  std::string token;
  std::string branch;
  std::string api_url;
};

// From the options and the environment; nullopt (the reason printed) when a part is missing.
std::optional<GitHubSource> github_source(const VerifyAuditOptions& options) {
  std::string repository = options.repository.empty() ? env("GITHUB_REPOSITORY") : options.repository;
  const auto slash = repository.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == repository.size()) {
    std::cerr << "deploy-action: verify-audit --from-github: name the repository with --repo OWNER/NAME (or set "
                 "GITHUB_REPOSITORY)\n";
    return std::nullopt;
  }
  std::string token = env("GITHUB_TOKEN");
  if (token.empty()) {
    std::cerr << "deploy-action: verify-audit --from-github: set GITHUB_TOKEN to a token that can read the "
                 "repository's contents and deployments\n";
    return std::nullopt;
  }
  github::Repo repo{repository.substr(0, slash), repository.substr(slash + 1)};
  return GitHubSource{std::move(repository), std::move(repo), std::move(token),
                      options.branch.empty() ? "deploy-audit" : options.branch,
                      env("GITHUB_API_URL").empty() ? "https://api.github.com" : env("GITHUB_API_URL")};
}

// What the checks found over the environments read.
struct Findings {
  std::vector<Problem> problems;
  std::size_t total = 0;
  std::size_t verified = 0;
  std::vector<std::string> environments;
};

// Reads the audit branch and, environment by environment, its deployments, checking each as it
// is read. False when the branch does not exist.
bool check_github(github::Client& client, const GitHubSource& source, const std::string& only_environment,
                  const std::optional<std::string>& key, Findings& findings) {
  auto read = read_audit_branch(client, source.repo, source.branch);
  if (!read) return false;
  for (const auto& path : read->stray) {
    findings.problems.push_back({path, "stray_file", "not a record file (records/ENVIRONMENT/SEQ-HASH.json)"});
  }
  for (const auto& [environment, files] : read->environments) {
    if (!only_environment.empty() && environment != only_environment) continue;
    findings.environments.push_back(environment);
    findings.total += files.size();
    auto history = github::deployment_history(client, source.repo, environment, 100'000);
    check_environment(environment, files, history, key ? std::optional<std::string_view>(*key) : std::nullopt,
                      source.branch, findings.problems, findings.verified);
  }
  return true;
}

// Every problem, then the count; 0 when there are none, else 1.
int report(const Findings& findings, const std::string& branch, bool keyed) {
  for (const auto& problem : findings.problems) {
    std::cout << problem.where << ": " << problem.reason << ": " << problem.message << "\n";
  }
  std::string names;
  for (const auto& name : findings.environments) names += (names.empty() ? "" : ", ") + name;
  if (!findings.problems.empty()) {
    std::cout << "verified " << findings.verified << " of " << findings.total << " records on branch " << branch << "; "
              << findings.problems.size() << " problem" << (findings.problems.size() == 1 ? "" : "s") << "\n";
    return 1;
  }
  std::cout << "verified " << findings.total << " record" << (findings.total == 1 ? "" : "s") << " on branch " << branch
            << " (" << (names.empty() ? "no environments" : names) << "), each matching its GitHub deployment"
            << (keyed ? ", signatures included" : "; no key given, signatures not checked") << "\n";
  return 0;
}

int verify_from_github(const VerifyAuditOptions& options, const std::optional<std::string>& key) {
  const auto source = github_source(options);
  if (!source) return 2;
  http::Client transport;
  SystemClock clock;
  github::ClientOptions client_options;
  client_options.base_url = source->api_url;
  github::Client client(transport, clock, system_random(), github::TokenCredentials{source->token}, client_options);

  Findings findings;
  try {
    if (!check_github(client, *source, options.environment, key, findings)) {
      std::cerr << "deploy-action: verify-audit: " << source->repository << " has no branch " << source->branch
                << " (set audit.branch in deploy.yml, or name the branch with --branch)\n";
      return 2;
    }
  } catch (const std::exception& error) {
    std::cerr << "deploy-action: verify-audit: reading " << source->repository
              << " from GitHub failed: " << error.what() << "\n";
    return 2;
  }
  if (!options.environment.empty() && findings.environments.empty()) {
    std::cerr << "deploy-action: verify-audit: branch " << source->branch << " has no records of environment "
              << options.environment << "\n";
    return 2;
  }
  return report(findings, source->branch, key.has_value());
}

// ---- files ----

// The options that do not go together; nullopt when they do.
std::optional<std::string> options_problem(const VerifyAuditOptions& options) {
  if (options.from_github && !options.files.empty()) {
    return "--from-github reads the records from GitHub; name no files with it";
  }
  if (!options.from_github &&
      (!options.repository.empty() || !options.branch.empty() || !options.environment.empty())) {
    return "--repo, --branch and --environment go with --from-github";
  }
  if (options.from_github && !options.anchor.empty()) {
    return "--anchor is for files; --from-github anchors to the GitHub deployments";
  }
  if (options.files.empty() && !options.from_github) return "name at least one audit file, or --from-github";
  return std::nullopt;
}

// The files' records in order, each with where it came from; nullopt (the reason printed, and
// the exit code set) when a file cannot be read or parsed.
std::optional<std::vector<nlohmann::json>> read_files(const std::vector<std::string>& files,
                                                      std::vector<Located>& where, int& exit_code) {
  std::vector<nlohmann::json> records;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << file << ": error: cannot read the audit file (" << std::strerror(errno) << ")\n";
      exit_code = 2;
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = audit::parse_jsonl(text.str());
    if (!parsed) {
      std::cout << file << ": " << parsed.error().code << ": " << parsed.error().message << "\n";
      exit_code = 1;
      return std::nullopt;
    }
    for (std::size_t i = 0; i < parsed->records.size(); ++i) {
      records.push_back(parsed->records[i]);
      where.push_back({file, parsed->lines[i]});
    }
  }
  return records;
}

int verify_files(const VerifyAuditOptions& options, const std::optional<std::string>& key) {
  std::vector<Located> where;
  int exit_code = 0;
  const auto records = read_files(options.files, where, exit_code);
  if (!records) return exit_code;

  std::optional<audit::Anchor> anchor;
  if (!options.anchor.empty()) anchor = audit::Anchor{options.anchor, std::nullopt};
  auto result = audit::verify_chain(*records, key, anchor);
  if (!result.ok) {
    const Located& at = where.at(result.index);
    std::cout << at.file << ":" << at.line << ": " << result.reason << ": " << result.message << "\n";
    std::cout << "verified " << result.verified << " of " << records->size() << " records before the break\n";
    return 1;
  }
  std::cout << "verified " << records->size() << " record" << (records->size() == 1 ? "" : "s")
            << (key ? ", signatures included" : " (hashes and links; no key given, signatures not checked)") << "\n";
  return 0;
}

}  // namespace

int run_verify_audit(const VerifyAuditOptions& options) {
  if (auto problem = options_problem(options)) {
    std::cerr << "deploy-action: verify-audit: " << *problem << "\n";
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
  return options.from_github ? verify_from_github(options, key) : verify_files(options, key);
}

}  // namespace deploy::action
