// deploy-action verify-audit as users run it on the records a workflow kept as artifacts.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/audit/audit.hpp"
#include "tests/support/run_action.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using TempDir = deploy::test::TempDir;

deploy::test::ActionRun verify(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "verify-audit");
  return deploy::test::run_action(args, std::move(env));
}

nlohmann::json record(const std::string& version) {
  return {{"schema_version", 1},
          {"kind", "deploy"},
          {"repository", "acme/app"},
          {"environment", "production"},
          {"actor", "alice"},
          {"trigger", "push"},
          {"version", version},
          {"approvals", nlohmann::json::array()},
          {"gates", nlohmann::json::array()},
          {"stages", nlohmann::json::array()},
          {"analysis", nlohmann::json::array()},
          {"outcome", {{"status", "success"}, {"reason", "deployed"}, {"message", "ok"}}},
          {"recorded_at", "2026-11-23T10:00:00.000Z"}};
}

// Three sealed records, each written to its own file as the action writes one per run.
std::vector<nlohmann::json> chain(const std::string& key) {
  std::vector<nlohmann::json> sealed;
  sealed.push_back(deploy::audit::seal(record("v1.0.0"), deploy::audit::kGenesisHash, 0, key).value());
  sealed.push_back(deploy::audit::seal_next(record("v1.1.0"), sealed.back(), key).value());
  sealed.push_back(deploy::audit::seal_next(record("v1.2.0"), sealed.back(), key).value());
  return sealed;
}

std::vector<std::string> write(const TempDir& dir, const std::vector<nlohmann::json>& records) {
  std::vector<std::string> files;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto file = (dir.path() / ("deploy-" + std::to_string(i) + ".jsonl")).string();
    std::ofstream(file) << deploy::audit::to_jsonl_line(records[i]).value();
    files.push_back(file);
  }
  return files;
}

const std::map<std::string, std::string> kKeyEnv = {{"DEPLOY_AUDIT_KEY", "s3cret-key"}};

}  // namespace

TEST_CASE("an intact chain verifies, with and without the key") {
  TempDir dir("verify-audit");
  auto files = write(dir, chain("s3cret-key"));
  auto args = files;
  args.insert(args.begin(), {"--key-env", "DEPLOY_AUDIT_KEY"});
  auto with_key = verify(args, kKeyEnv);
  CHECK(with_key.exit_code == 0);
  CHECK(with_key.output == "verified 3 records, signatures included\n");
  auto without_key = verify(files);
  CHECK(without_key.exit_code == 0);
  CHECK(without_key.output.find("verified 3 records (hashes and links") == 0);
}

TEST_CASE("a tampered, removed or reordered record is caught and located") {
  TempDir dir("verify-audit");
  auto records = chain("s3cret-key");

  SUBCASE("a changed field") {
    records[1]["actor"] = "mallory";
    auto files = write(dir, records);
    auto run = verify(files);
    CHECK(run.exit_code == 1);
    CHECK(run.output.find(files[1] + ":1: hash_mismatch:") == 0);
  }
  SUBCASE("a removed record") {
    records.erase(records.begin() + 1);
    auto files = write(dir, records);
    auto run = verify(files);
    CHECK(run.exit_code == 1);
    CHECK(run.output.find(files[1] + ":1: broken_link:") == 0);
  }
  SUBCASE("two records swapped") {
    std::swap(records[1], records[2]);
    auto files = write(dir, records);
    auto run = verify(files);
    CHECK(run.exit_code == 1);
    CHECK(run.output.find(files[1] + ":1: broken_link:") == 0);
  }
  SUBCASE("a re-hashed forgery is caught by the signature") {
    records[2]["actor"] = "mallory";
    records[2].erase("signature");
    records[2]["hash"] = deploy::audit::compute_hash(records[2]).value();
    auto files = write(dir, records);
    auto args = files;
    args.insert(args.begin(), {"--key-env", "DEPLOY_AUDIT_KEY"});
    auto run = verify(args, kKeyEnv);
    CHECK(run.exit_code == 1);
    CHECK(run.output.find(files[2] + ":1: missing_signature:") == 0);
  }
}

TEST_CASE("verify-audit refuses bad usage with a clear message") {
  TempDir dir("verify-audit");
  auto files = write(dir, chain("k"));
  CHECK(verify({}).exit_code == 2);
  auto unset = verify({"--key-env", "DEPLOY_AUDIT_KEY_NOT_SET", files[0]});
  CHECK(unset.exit_code == 2);
  CHECK(unset.output.find("DEPLOY_AUDIT_KEY_NOT_SET names an environment variable that is not set") !=
        std::string::npos);
  auto missing = verify({(dir.path() / "nope.jsonl").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("cannot read the audit file") != std::string::npos);
}
