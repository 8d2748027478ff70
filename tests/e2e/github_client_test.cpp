// The GitHub client end to end: the real deploy::http::Client over loopback against github-sim
// (tests/support/github_sim.hpp). Waits go through a ManualClock set to the simulator's clock, so
// retry-after and backoff are asserted exactly without sleeping; the App's JWT is checked by the
// simulator and by the openssl command line.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/github/auth.hpp"
#include "core/github/client.hpp"
#include "core/github/encoding.hpp"
#include "core/github/time.hpp"
#include "core/http/client.hpp"
#include "core/process/process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_tls.hpp"

using namespace std::chrono_literals;
using deploy::ManualClock;
using deploy::test::GithubSim;
using deploy::test::GithubSimOptions;
using deploy::test::read_file;
using deploy::test::TempDir;
using Json = nlohmann::json;
namespace github = deploy::github;
namespace http = deploy::http;
namespace fs = std::filesystem;

namespace {

const std::string kToken = "tok-alice";

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

struct Run {
  deploy::process::Result result;
  std::string output;
};

Run run(std::vector<std::string> argv) {
  deploy::process::Spec spec;
  spec.argv = std::move(argv);
  spec.timeout = 60s;
  Run r;
  r.result = deploy::process::run(spec, [&](const std::string& line) { r.output += line + "\n"; });
  return r;
}

// An App key made by the openssl command line, in the format asked for, and its public half.
struct CliKey {
  std::string private_pem;
  std::string public_pem;
  fs::path public_file;
};

CliKey openssl_key(const fs::path& dir, bool pkcs1) {
  fs::path key = dir / (pkcs1 ? "app-pkcs1.pem" : "app-pkcs8.pem");
  fs::path pub = dir / (pkcs1 ? "pub-pkcs1.pem" : "pub-pkcs8.pem");
  Run gen =
      pkcs1
          ? run({"openssl", "genrsa", "-traditional", "-out", key.string(), "2048"})
          : run({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.string()});
  INFO(gen.output);
  REQUIRE(gen.result.succeeded());
  Run out = run({"openssl", "pkey", "-in", key.string(), "-pubout", "-out", pub.string()});
  INFO(out.output);
  REQUIRE(out.result.succeeded());
  CliKey k{read_file(key), read_file(pub), pub};
  CHECK(k.private_pem.rfind(pkcs1 ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN PRIVATE KEY-----", 0) == 0);
  return k;
}

// acme/app (private) with issue #1 carrying `comments` comments; an App (id 1234) installed on
// acme as installation 42 when a public key is given.
Json seed(int comments, const std::string& app_public_key = "") {
  Json list = Json::array();
  for (int i = 1; i <= comments; ++i)
    list.push_back({{"user", i % 2 ? "bob" : "carol"}, {"body", "comment " + std::to_string(i)}});
  Json s = {
      {"users", Json::array({{{"login", "alice"}}, {{"login", "bob"}}, {{"login", "carol"}}})},
      {"organizations", Json::array({{{"login", "acme"}, {"members", {{"alice", "admin"}, {"bob", "member"}}}}})},
      {"tokens", {{kToken, "alice"}}},
      {"repositories",
       Json::array(
           {{{"owner", "acme"},
             {"name", "app"},
             {"private", true},
             {"default_branch", "main"},
             {"commits", Json::array({{{"message", "Initial"},
                                       {"author", "alice"},
                                       {"files", {{".github/deploy.yml", "approvals: 2\n"}}}}})},
             {"issues",
              Json::array({{{"number", 1}, {"title", "Release v1.0.0"}, {"user", "alice"}, {"comments", list}}})}}})},
  };
  if (!app_public_key.empty()) {
    s["app"] = {{"id", 1234},
                {"slug", "deploy-bot"},
                {"owner", "acme"},
                {"public_key_pem", app_public_key},
                {"installation_token_lifetime_seconds", 3600}};
    s["installations"] = Json::array({{{"id", 42}, {"account", "acme"}}});
  }
  return s;
}

// The simulator's clock, so JWTs and token expiry agree with it.
std::chrono::system_clock::time_point sim_now(const GithubSim& sim) {
  auto now = github::parse_rfc3339(sim.admin_json("GET", "/_sim/clock")["now"].get<std::string>());
  REQUIRE(now.ok());
  return now.value();
}

// Records the URLs the client sends, then passes each request on.
struct RecordingTransport final : http::Transport {
  http::Transport& inner;
  std::vector<std::string> urls;
  explicit RecordingTransport(http::Transport& t) : inner(t) {}
  http::Response send(const http::Request& request) override {
    urls.push_back(request.method + " " + request.url);
    return inner.send(request);
  }
};

deploy::RandomSource fixed_random(std::uint64_t value) {
  return [value] { return value; };
}

std::vector<Json> api_requests(const GithubSim& sim) {
  std::vector<Json> out;
  for (const auto& entry : sim.requests()) out.push_back(entry);
  return out;
}

}  // namespace

TEST_CASE("250 comments read across 3 pages, following the Link URLs verbatim") {
  GithubSim sim(seed(250));
  ManualClock clock(sim_now(sim));
  RecordingTransport transport(sim.client());
  github::ClientOptions options;
  options.base_url = sim.base_url();
  github::Client client(transport, clock, fixed_random(0), github::TokenCredentials{kToken}, options);

  auto comments = client.list_issue_comments("acme", "app", 1);
  REQUIRE(comments.size() == 250);
  for (std::size_t i = 0; i < comments.size(); ++i) {
    CAPTURE(i);
    CHECK(comments[i].body == "comment " + std::to_string(i + 1));
  }
  CHECK(comments[0].user.login == "bob");
  CHECK(comments[1].user.login == "carol");
  REQUIRE(transport.urls.size() == 3);
  CHECK(transport.urls[0] == "GET " + sim.base_url() + "/repos/acme/app/issues/1/comments?per_page=100");
  // GitHub's (and the simulator's) Link headers point at /repositories/{id}/...
  CHECK(transport.urls[1].find("/repositories/") != std::string::npos);
  CHECK(transport.urls[2].find("page=3") != std::string::npos);
  CHECK(clock.total_slept() == 0ms);
}

TEST_CASE("502 then success: retried once after a jittered backoff") {
  GithubSim sim(seed(1));
  ManualClock clock(sim_now(sim));
  github::ClientOptions options;
  options.base_url = sim.base_url();
  github::Client client(sim.client(), clock, fixed_random(777), github::TokenCredentials{kToken}, options);

  sim.add_fault({{"method", "GET"}, {"path", "/repos/acme/app"}, {"count", 1}, {"status", 502}});
  auto repo = client.get_repository("acme", "app");
  CHECK(repo.full_name == "acme/app");
  CHECK(repo.is_private);
  CHECK(clock.total_slept() == std::chrono::milliseconds(777 % 1001));

  auto log = api_requests(sim);
  REQUIRE(log.size() == 2);
  CHECK(log[0]["status"] == 502);
  CHECK(log[1]["status"] == 200);
}

TEST_CASE("a dropped connection on a GET is retried") {
  GithubSim sim(seed(1));
  ManualClock clock(sim_now(sim));
  github::ClientOptions options;
  options.base_url = sim.base_url();
  // A fresh transport: the fixture's pooled connections would let the http client absorb the drop
  // itself (it resends once on a reused connection that turns out closed).
  http::Client transport;
  github::Client client(transport, clock, fixed_random(5), github::TokenCredentials{kToken}, options);
  sim.add_fault({{"method", "GET"}, {"path", "/repos/acme/app/issues/1"}, {"count", 1}, {"drop", true}});
  auto issue = client.get_issue("acme", "app", 1);
  CHECK(issue.title == "Release v1.0.0");
  CHECK(clock.total_slept() == 5ms);
  auto log = api_requests(sim);
  REQUIRE(log.size() == 2);
  CHECK(log[0]["status"].is_null());  // dropped
  CHECK(log[1]["status"] == 200);
}

TEST_CASE("retry-after: 1 is honoured exactly") {
  GithubSim sim(seed(1));
  ManualClock clock(sim_now(sim));
  github::ClientOptions options;
  options.base_url = sim.base_url();
  github::Client client(sim.client(), clock, fixed_random(0), github::TokenCredentials{kToken}, options);

  sim.add_fault({{"method", "POST"},
                 {"path", "/repos/acme/app/issues/1/comments"},
                 {"count", 1},
                 {"rate_limit", {{"status", 403}, {"retry_after", 1}}}});
  // Even a POST that is not idempotent: a rate-limited request was not processed.
  auto comment = client.create_issue_comment("acme", "app", 1, "deployed v1.0.0");
  CHECK(comment.body == "deployed v1.0.0");
  CHECK(clock.total_slept() == 1000ms);
  CHECK(client.list_issue_comments("acme", "app", 1).size() == 2);  // posted once
}

TEST_CASE("a rate-limit wait above the ceiling fails at once with a clear error") {
  GithubSim sim(seed(1));
  ManualClock clock(sim_now(sim));
  github::ClientOptions options;
  options.base_url = sim.base_url();
  options.retry.max_wait = 900s;
  options.retry.raise_hint = "set github-max-wait to raise it";
  github::Client client(sim.client(), clock, fixed_random(0), github::TokenCredentials{kToken}, options);

  sim.add_fault({{"method", "GET"},
                 {"path", "/repos/acme/app"},
                 {"count", 1},
                 {"rate_limit", {{"remaining_zero", true}, {"reset_in", 3600}}}});
  try {
    client.get_repository("acme", "app");
    FAIL("expected a GitHubError");
  } catch (const github::GitHubError& e) {
    std::string what = e.what();
    CAPTURE(what);
    CHECK(e.code() == "github_wait_ceiling");
    CHECK(e.status() == 403);
    CHECK(what.find("GitHub rate limit: would need to wait 36") != std::string::npos);
    CHECK(what.find("above the 900 s ceiling (set github-max-wait to raise it)") != std::string::npos);
    CHECK(what.find(kToken) == std::string::npos);
  }
  CHECK(clock.total_slept() == 0ms);
  CHECK(api_requests(sim).size() == 1);
}

TEST_CASE("GHES: the /api/v3 base URL works, pagination included") {
  GithubSim sim(seed(150));
  ManualClock clock(sim_now(sim));
  RecordingTransport transport(sim.client());
  github::ClientOptions options;
  options.base_url = sim.ghes_url();
  github::Client client(transport, clock, fixed_random(0), github::TokenCredentials{kToken}, options);

  CHECK(client.get_repository("acme", "app").full_name == "acme/app");
  auto content = client.get_content("acme", "app", ".github/deploy.yml", std::string("main"));
  REQUIRE(content);
  CHECK(content->text == "approvals: 2\n");
  CHECK(content->sha.size() == 40);
  CHECK(client.list_issue_comments("acme", "app", 1).size() == 150);
  REQUIRE(transport.urls.size() == 4);
  for (const auto& url : transport.urls) {
    CAPTURE(url);
    CHECK(url.find(sim.ghes_url() + "/") != std::string::npos);
  }
}

TEST_CASE("TLS with the test CA; an untrusted server certificate is not retried") {
  TempDir dir;
  auto pki = deploy::test::make_test_pki(dir.path() / "pki");
  GithubSimOptions sim_options;
  sim_options.tls_cert = pki.localhost.cert;
  sim_options.tls_key = pki.localhost.key;
  sim_options.ca_file = pki.trusted_ca();
  GithubSim sim(seed(1), sim_options);
  REQUIRE(sim.base_url().rfind("https://", 0) == 0);
  ManualClock clock(sim_now(sim));
  github::ClientOptions options;
  options.base_url = sim.base_url();

  http::ClientOptions trusting;
  trusting.ca_file = pki.trusted_ca().string();
  http::Client trusted_transport(trusting);
  github::Client client(trusted_transport, clock, fixed_random(0), github::TokenCredentials{kToken}, options);
  CHECK(client.get_repository("acme", "app").full_name == "acme/app");

  http::ClientOptions wrong_ca;
  wrong_ca.ca_file = pki.untrusted.cert_file().string();
  http::Client untrusting_transport(wrong_ca);
  github::Client refused(untrusting_transport, clock, fixed_random(0), github::TokenCredentials{kToken}, options);
  try {
    refused.get_repository("acme", "app");
    FAIL("expected a GitHubError");
  } catch (const github::GitHubError& e) {
    CHECK(e.code() == "github_network_error");
    CHECK(e.details().attempts == 1);
    CHECK(std::string(e.what()).find(kToken) == std::string::npos);
  }
  CHECK(clock.total_slept() == 0ms);
}

TEST_CASE("the App JWT verifies with `openssl dgst -sha256 -verify`, for PKCS#1 and PKCS#8 keys") {
  TempDir dir;
  for (bool pkcs1 : {true, false}) {
    CAPTURE(pkcs1);
    CliKey key = openssl_key(dir.path(), pkcs1);
    auto app_key = github::AppKey::from_pem(key.private_pem);
    REQUIRE(app_key.ok());
    auto now = std::chrono::system_clock::time_point{1'700'000'000s};
    std::string jwt = github::build_app_jwt(app_key.value(), "1234", now);
    auto dot = jwt.rfind('.');
    std::string data = jwt.substr(0, dot);
    auto signature = github::base64url_decode(jwt.substr(dot + 1));
    REQUIRE(signature);
    write_file(dir.path() / "data.txt", data);
    write_file(dir.path() / "sig.bin", *signature);

    Run verify = run({"openssl", "dgst", "-sha256", "-verify", key.public_file.string(), "-signature",
                      (dir.path() / "sig.bin").string(), (dir.path() / "data.txt").string()});
    INFO(verify.output);
    CHECK(verify.result.succeeded());
    CHECK(verify.output.find("Verified OK") != std::string::npos);

    // The check can fail: a changed payload does not verify.
    write_file(dir.path() / "data.txt", data + "x");
    Run tampered = run({"openssl", "dgst", "-sha256", "-verify", key.public_file.string(), "-signature",
                        (dir.path() / "sig.bin").string(), (dir.path() / "data.txt").string()});
    CHECK_FALSE(tampered.result.succeeded());

    auto payload = github::base64url_decode(data.substr(data.find('.') + 1));
    REQUIRE(payload);
    CHECK(Json::parse(*payload) == Json{{"iat", 1'700'000'000 - 60}, {"exp", 1'700'000'000 + 540}, {"iss", "1234"}});
  }
}

TEST_CASE("App auth end to end: JWT accepted, installation token used, refreshed near expiry and after a 401") {
  TempDir dir;
  CliKey key = openssl_key(dir.path(), true);
  GithubSim sim(seed(1, key.public_pem));
  ManualClock clock(sim_now(sim));
  auto app = std::make_shared<github::AppAuth>("1234", github::AppKey::from_pem(key.private_pem).value(), clock);
  github::ClientOptions options;
  options.base_url = sim.base_url();
  github::Client client(sim.client(), clock, fixed_random(0), github::AppCredentials{app, std::nullopt}, options);

  auto me = client.get_app();
  CHECK(me.id == 1234);
  CHECK(me.slug == "deploy-bot");
  CHECK(client.get_repo_installation("acme", "app").id == 42);

  // A repository call: installation looked up with the JWT, token exchanged, then used.
  CHECK(client.get_repository("acme", "app").full_name == "acme/app");
  CHECK(client.get_issue("acme", "app", 1).number == 1);
  auto kinds = [&] {
    std::vector<std::string> out;
    for (const auto& e : api_requests(sim)) {
      out.push_back(e["method"].get<std::string>() + " " + e["path"].get<std::string>() + " " +
                    e["auth"].get<std::string>() + " " + std::to_string(e["status"].get<int>()));
    }
    return out;
  };
  CHECK(kinds() == std::vector<std::string>{
                       "GET /app jwt 200",
                       "GET /repos/acme/app/installation jwt 200",
                       "GET /repos/acme/app/installation jwt 200",
                       "POST /app/installations/42/access_tokens jwt 201",
                       "GET /repos/acme/app installation 200",
                       "GET /repos/acme/app/issues/1 installation 200",
                   });

  // 56 minutes later (simulator and client alike) the hour-long token has 4 minutes left: refreshed.
  sim.clear_requests();
  sim.advance_clock(56min);
  clock.advance(56min);
  CHECK(client.get_repository("acme", "app").id > 0);
  CHECK(kinds() == std::vector<std::string>{
                       "POST /app/installations/42/access_tokens jwt 201",
                       "GET /repos/acme/app installation 200",
                   });

  // The simulator expires the token early: the 401 makes the client fetch a new one, once.
  sim.clear_requests();
  CHECK(sim.expire_installation_tokens() >= 1);
  CHECK(client.get_repository("acme", "app").id > 0);
  CHECK(kinds() == std::vector<std::string>{
                       "GET /repos/acme/app installation 401",
                       "POST /app/installations/42/access_tokens jwt 201",
                       "GET /repos/acme/app installation 200",
                   });
  CHECK(clock.total_slept() == 0ms);

  // Writes act as the installation too.
  std::string sha = client.get_commit("acme", "app", "main").sha;
  CHECK(sha.size() == 40);
  auto status = client.create_commit_status(
      "acme", "app", sha, github::NewCommitStatus{"success", "deploy/approvals", "2 of 2", std::nullopt});
  CHECK(status.context == "deploy/approvals");
}
