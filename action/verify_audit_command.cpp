#include "action/verify_audit_command.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/audit.hpp"

namespace deploy::action {
namespace {

struct Located {
  std::string file;
  std::size_t line = 0;
};

}  // namespace

int run_verify_audit(const VerifyAuditOptions& options) {
  if (options.files.empty()) {
    std::cerr << "deploy-action: verify-audit: name at least one audit file\n";
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
