#include "action/cli.hpp"

#include <iostream>
#include <span>

#include "action/action_interface.hpp"
#include "action/deploy_command.hpp"
#include "action/deploy_inputs.hpp"
#include "action/plan_command.hpp"
#include "action/verify_audit_command.hpp"
#include "core/cli/cli.hpp"
#include "core/runner/commands.hpp"
#include "core/runner/files.hpp"

#ifndef DEPLOY_ACTION_VERSION
#define DEPLOY_ACTION_VERSION "0.0.0-dev"
#endif

namespace deploy::action {
namespace {

// The subcommands a person runs. Their synopses, help and parsing all come from these definitions.
const std::vector<cli::Command>& commands() {
  static const std::vector<cli::Command> defined = {
      {"plan",
       {{"--config", "FILE", "the config (default .github/deploy.yml)"},
        {"--environment", "NAME", "the environment to plan", true},
        {"--ref", "REF", "the ref a deploy would release"},
        {"--at", "TIME", "an RFC 3339 time: whether a deploy then is inside a freeze window"}},
       false,
       {{{"--config", "--environment"},
         {"--ref", "--at"},
         "",
         "Validate the config and print the gates and stages a deploy of NAME would run, in order,\n"
         "with their timeouts and traffic steps. Exits 1 and prints FILE:LINE:COL errors when the\n"
         "config is invalid."}},
       ""},
      {"verify-audit",
       {{"--key-env", "VAR", "the environment variable holding the HMAC key"},
        {"--anchor", "HASH", "the hash the first record links to"},
        {"--from-github", "", "the records on the repository's audit branch"},
        {"--repo", "OWNER/NAME", "the repository (default GITHUB_REPOSITORY)"},
        {"--branch", "NAME", "the audit branch (default deploy-audit)"},
        {"--environment", "NAME", "only this environment's records"}},
       true,
       {{{},
         {"--key-env", "--anchor"},
         "FILE...",
         "Check an audit chain offline: every record's hash, the links between records (a changed,\n"
         "removed or reordered record is reported as FILE:LINE), and with --key-env the HMAC\n"
         "signatures, using the key held in the environment variable VAR. --anchor is the hash the\n"
         "first record must link to when the files do not start the chain."},
        {{"--from-github"},
         {"--repo", "--branch", "--environment", "--key-env"},
         "",
         "Check the records kept on the repository's audit branch (deploy.yml audit.branch, default\n"
         "deploy-audit): the whole chain of each environment, and each record's hash against the one\n"
         "its GitHub deployment recorded; a deployment whose record is missing is reported too. Reads\n"
         "GITHUB_TOKEN (contents: read, deployments: read), GITHUB_REPOSITORY when --repo is not\n"
         "given, and GITHUB_API_URL. Prints every problem as PATH: reason: message.\n"
         "Exit codes (verify-audit): 0 verified, 1 a record or link does not verify, 2 bad usage or\n"
         "the records could not be read."}},
       ""},
  };
  return defined;
}

std::string usage_text() {
  std::string text = "deploy-action: safe, gated, auditable deployments for GitHub Actions.\n\nUsage:\n";
  text += cli::usage("deploy-action", commands());
  text += "  deploy-action --help | --version\n\n";
  text += "As a container action (no arguments), it reads its inputs from the runner (INPUT_*):\n";
  std::vector<cli::Entry> inputs;
  for (const auto& input : input_definitions()) inputs.push_back({input.name, input.help});
  text += cli::table(inputs, 17);
  std::string outputs;
  for (const auto& output : output_definitions()) outputs += (outputs.empty() ? "" : ", ") + output.name;
  text +=
      "It also reads GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_ACTOR,\n"
      "GITHUB_TRIGGERING_ACTOR, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_WORKSPACE, RUNNER_TEMP,\n"
      "GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, as the runner sets them.\n"
      "Outputs: " +
      outputs + ".\n";
  return text;
}

int usage_error(const std::string& message) {
  std::cerr << "deploy-action: " << message << "\n(run 'deploy-action --help' for usage)\n";
  return 2;
}

int plan_from_args(const cli::Parsed& args) {
  PlanOptions options;
  options.config_path = args.get("--config").value_or(input_fallback("config"));
  options.environment = args.get("--environment").value_or("");
  options.ref = args.get("--ref").value_or("");
  options.at = args.get("--at").value_or("");
  return run_plan(options);
}

int verify_audit_from_args(const cli::Parsed& args) {
  VerifyAuditOptions options;
  options.files = args.operands;
  options.key_env = args.get("--key-env").value_or("");
  options.anchor = args.get("--anchor").value_or("");
  options.from_github = args.has("--from-github");
  options.repository = args.get("--repo").value_or("");
  options.branch = args.get("--branch").value_or("");
  options.environment = args.get("--environment").value_or("");
  return run_verify_audit(options);
}

int annotated_error(const Error& error) {
  std::cout << runner::annotation_command(runner::AnnotationLevel::error, error.message) << "\n";
  return 1;
}

int run_as_action(const runner::Environment& env, Clock& clock, const RandomSource& random) {
  auto plan = read_plan_inputs(env);
  if (!plan) return annotated_error(plan.error());
  auto mode = read_mode(env);
  if (!mode) return annotated_error(mode.error());
  if (*mode != "plan") return run_deploy(env, *mode, clock, random);
  PlanOptions options;
  options.environment = plan->environment;
  options.config_path = plan->config_path;
  options.ref = plan->ref;
  return run_plan_in_runner(options, env);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, Clock& clock, const RandomSource& random) {
  if (args.empty()) {
    auto env = runner::process_environment();
    if (started_by_runner(env)) return run_as_action(env, clock, random);
    std::cerr << usage_text();
    return 2;
  }
  const std::string& command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << usage_text();
    return 0;
  }
  if (command == "--version") {
    std::cout << "deploy-action " << DEPLOY_ACTION_VERSION << "\n";
    return 0;
  }
  std::size_t words = 0;
  const cli::Command* chosen = cli::find(commands(), args, words);
  if (chosen == nullptr) return usage_error("unknown command '" + command + "'");
  auto parsed = cli::parse(*chosen, std::span(args).subspan(words));
  if (!parsed) return usage_error(chosen->name + ": " + parsed.error().message);
  return chosen->name == "plan" ? plan_from_args(*parsed) : verify_audit_from_args(*parsed);
}

}  // namespace deploy::action
