#include "action/cli.hpp"

#include <filesystem>
#include <iostream>
#include <optional>

#include "action/deploy_command.hpp"
#include "action/plan_command.hpp"
#include "action/verify_audit_command.hpp"
#include "core/runner.hpp"
#include "core/runner_files.hpp"

#ifndef DEPLOY_ACTION_VERSION
#define DEPLOY_ACTION_VERSION "0.0.0-dev"
#endif

namespace deploy::action {
namespace {

constexpr const char* kUsage = R"(deploy-action: safe, gated, auditable deployments for GitHub Actions.

Usage:
  deploy-action plan --config FILE --environment NAME [--ref REF]
      Validate the config and print the gates and stages a deploy of NAME would run, in order,
      with their timeouts and traffic steps. Exits 1 and prints FILE:LINE:COL errors when the
      config is invalid.
  deploy-action verify-audit [--key-env VAR] [--anchor HASH] FILE...
      Check an audit chain offline: every record's hash, the links between records (a changed,
      removed or reordered record is reported as FILE:LINE), and with --key-env the HMAC
      signatures, using the key held in the environment variable VAR. --anchor is the hash the
      first record must link to when the files do not start the chain.
  deploy-action verify-audit --from-github [--repo OWNER/NAME] [--branch NAME] [--environment NAME]
                             [--key-env VAR]
      Check the records kept on the repository's audit branch (deploy.yml audit.branch, default
      deploy-audit): the whole chain of each environment, and each record's hash against the one
      its GitHub deployment recorded; a deployment whose record is missing is reported too. Reads
      GITHUB_TOKEN (contents: read, deployments: read), GITHUB_REPOSITORY when --repo is not
      given, and GITHUB_API_URL. Prints every problem as PATH: reason: message.
      Exit codes (verify-audit): 0 verified, 1 a record or link does not verify, 2 bad usage or
      the records could not be read.
  deploy-action --help | --version

As a container action (no arguments), it reads its inputs from the runner (INPUT_*):
  mode           deploy (default), rollback or plan
  environment    the environment to deploy (required)
  config         path of the config in the workspace (default .github/deploy.yml)
  ref            the ref to release (default: the ref that triggered the workflow, GITHUB_REF)
  version        rollback: the version to return to (default: the last good one before the current)
  reason         rollback: why, for the record
  github-token   token for the GitHub API (default: GITHUB_TOKEN)
  on-unapproved  fail (default) or skip: the exit when a gate is not met
It also reads GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_ACTOR,
GITHUB_TRIGGERING_ACTOR, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_WORKSPACE, RUNNER_TEMP,
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, as the runner sets them. Outputs: status, version,
previous-version, deployment-id, audit-file, rolled-back, sha, tracking-issue.
)";

int usage_error(const std::string& message) {
  std::cerr << "deploy-action: " << message << "\n(run 'deploy-action --help' for usage)\n";
  return 2;
}

// Parses `--name value` and `--name=value` options of one subcommand.
struct OptionParser {
  const std::vector<std::string>& args;
  std::size_t index;
  std::string error;

  std::optional<std::pair<std::string, std::string>> next() {
    if (index >= args.size()) return std::nullopt;
    const std::string& arg = args[index++];
    if (arg.rfind("--", 0) != 0) {
      error = "unexpected argument '" + arg + "'";
      return std::nullopt;
    }
    if (auto eq = arg.find('='); eq != std::string::npos) return std::pair{arg.substr(0, eq), arg.substr(eq + 1)};
    if (index >= args.size()) {
      error = "option " + arg + " needs a value";
      return std::nullopt;
    }
    return std::pair{arg, args[index++]};
  }
};

int plan_from_args(const std::vector<std::string>& args) {
  PlanOptions options;
  options.config_path = ".github/deploy.yml";
  OptionParser parser{args, 1, {}};
  while (auto option = parser.next()) {
    const auto& [name, value] = *option;
    if (name == "--config") options.config_path = value;
    else if (name == "--environment") options.environment = value;
    else if (name == "--ref") options.ref = value;
    else return usage_error("plan: unknown option " + name + " (known: --config, --environment, --ref)");
  }
  if (!parser.error.empty()) return usage_error("plan: " + parser.error);
  if (options.environment.empty()) return usage_error("plan: --environment NAME is required");
  return run_plan(options);
}

int verify_audit_from_args(const std::vector<std::string>& args) {
  VerifyAuditOptions options;
  const char* known = "known: --key-env, --anchor, --from-github, --repo, --branch, --environment";
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--from-github") {
      options.from_github = true;
    } else if (arg == "--key-env" || arg == "--anchor" || arg == "--repo" || arg == "--branch" || arg == "--environment") {
      if (i + 1 >= args.size()) return usage_error("verify-audit: option " + arg + " needs a value");
      std::string& value = arg == "--key-env"  ? options.key_env
                           : arg == "--anchor" ? options.anchor
                           : arg == "--repo"   ? options.repository
                           : arg == "--branch" ? options.branch
                                               : options.environment;
      value = args[++i];
    } else if (arg.rfind("--", 0) == 0) {
      return usage_error("verify-audit: unknown option " + arg + " (" + known + ")");
    } else {
      options.files.push_back(arg);
    }
  }
  return run_verify_audit(options);
}

// The ref the workflow run is for: GITHUB_REF (refs/tags/v1.2.0, refs/heads/main).
int run_as_action(const runner::Environment& env, Clock& clock, const RandomSource& random) {
  const std::string mode = runner::get_input(env, "mode").empty() ? "deploy" : runner::get_input(env, "mode");
  auto environment = runner::get_required_input(env, "environment", "production");
  if (!environment) {
    std::cout << runner::annotation_command(runner::AnnotationLevel::error, environment.error().message) << "\n";
    return 1;
  }
  PlanOptions options;
  options.environment = *environment;
  options.config_path = runner::get_input(env, "config");
  if (options.config_path.empty()) options.config_path = ".github/deploy.yml";
  // The runner mounts the workspace and starts the container in it; a relative path is resolved
  // against GITHUB_WORKSPACE so the action works whatever the working directory.
  if (auto workspace = env("GITHUB_WORKSPACE"); workspace && std::filesystem::path(options.config_path).is_relative()) {
    options.config_path = (std::filesystem::path(*workspace) / options.config_path).string();
  }
  options.ref = runner::get_input(env, "ref");
  if (options.ref.empty()) options.ref = env("GITHUB_REF").value_or("");

  if (mode == "plan") return run_plan_in_runner(options, env);
  if (mode == "deploy" || mode == "rollback") return run_deploy(env, mode, clock, random);
  std::cout << runner::annotation_command(runner::AnnotationLevel::error,
                                          "input 'mode' is '" + mode + "'; expected deploy, rollback or plan")
            << "\n";
  return 1;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, Clock& clock, const RandomSource& random) {
  if (args.empty()) {
    auto env = runner::process_environment();
    if (env("GITHUB_ACTIONS") || env("INPUT_ENVIRONMENT") || env("INPUT_MODE")) return run_as_action(env, clock, random);
    std::cerr << kUsage;
    return 2;
  }
  const std::string& command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "--version") {
    std::cout << "deploy-action " << DEPLOY_ACTION_VERSION << "\n";
    return 0;
  }
  if (command == "plan") return plan_from_args(args);
  if (command == "verify-audit") return verify_audit_from_args(args);
  return usage_error("unknown command '" + command + "'");
}

}  // namespace deploy::action
