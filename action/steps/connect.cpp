#include "action/steps/steps.hpp"

namespace deploy::action {

Connection connect(const RunRecord& record, Clock& clock, const RandomSource& random, const RunLog& log) {
  const auto& in = record.inputs;
  Connection connection;
  connection.transport = std::make_unique<http::Client>();
  github::ClientOptions options;
  options.base_url = in.api_url;
  options.on_wait = [&log](const std::string& text) { log.print("deploy-action: GitHub: " + text); };
  connection.client = std::make_unique<github::Client>(*connection.transport, clock, random,
                                                       github::TokenCredentials{in.token}, options);
  connection.repo = github::Repo{in.owner, in.repo};
  return connection;
}

Connected find_default_branch(const RunRecord& record, const Connection& github) {
  const auto& in = record.inputs;
  if (!in.default_branch.empty()) return {in.default_branch};
  return {github.github().get_repository(in.owner, in.repo).default_branch};
}

}  // namespace deploy::action
