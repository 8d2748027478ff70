// github-sim end to end: the simulator runs as a real process (tests/support/github_sim.hpp) and
// is spoken to over loopback with deploy::http::Client, as the action and the bot will.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http/client.hpp"
#include "tests/support/github_sim.hpp"
#include "tests/support/test_tls.hpp"

namespace {

using json = nlohmann::json;
using deploy::test::GithubSim;
using deploy::test::GithubSimOptions;

// --- a seed -----------------------------------------------------------------------------------

json base_seed() {
  return json::parse(R"({
    "users": [{"login": "alice"}, {"login": "bob"}, {"login": "mallory"}],
    "organizations": [{"login": "acme", "members": {"alice": "admin", "bob": "member"},
                       "teams": [{"slug": "deployers", "members": {"bob": "member"}, "repositories": {"acme/app": "write"}}]}],
    "tokens": {"tok-alice": "alice", "tok-bob": "bob", "tok-mallory": "mallory"},
    "repositories": [{
      "owner": "acme", "name": "app", "private": true, "default_branch": "main",
      "collaborators": {"mallory": "triage"},
      "commits": [
        {"message": "Initial commit", "author": "alice", "files": {"README.md": "# app\n", ".github/deploy.yml": "approvals: 2\n"}},
        {"message": "Second", "author": "bob", "files": {"src/app.txt": "v2\n"}}
      ],
      "tags": {"v1.0.0": "@1"},
      "issues": [{"title": "Release v1.0.0", "user": "alice"}],
      "workflows": [{"id": 501, "name": "Deploy", "file": "deploy.yml"}],
      "environments": ["production"]
    }]
  })");
}

json body_of(const deploy::http::Response& response) { return json::parse(response.body); }

// --- an RSA key and RS256 JWTs, made here with OpenSSL ------------------------------------------

struct RsaKey {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_RSA_gen(2048), &EVP_PKEY_free};

  std::string public_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(PEM_write_bio_PUBKEY(bio.get(), key.get()) == 1);
    char* data = nullptr;
    long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  }

  std::string sign(const std::string& input) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
    std::size_t length = 0;
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1);
    std::string signature(length, '\0');
    REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
    signature.resize(length);
    return signature;
  }
};

std::string base64url(const std::string& data) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 63]);
  return out;
}

std::string make_jwt(const RsaKey& key, long long app_id, long long iat, long long exp) {
  std::string header = base64url(R"({"alg":"RS256","typ":"JWT"})");
  std::string claims = base64url(json{{"iat", iat}, {"exp", exp}, {"iss", app_id}}.dump());
  std::string input = header + "." + claims;
  return input + "." + base64url(key.sign(input));
}

// The URL of a Link header's entry with this rel, or "".
std::string link_target(const std::string& link, const std::string& rel) {
  auto at = link.find("; rel=\"" + rel + "\"");
  if (at == std::string::npos) return "";
  auto open = link.rfind('<', at);
  return link.substr(open + 1, at - open - 2);  // between "<" and ">"
}

bool is_uuid_v4(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : std::string("0123456789abcdef").find(id[i]) == std::string::npos) return false;
  }
  return id[14] == '4' && std::string("89ab").find(id[19]) != std::string::npos;
}

long long now_seconds() { return static_cast<long long>(std::time(nullptr)); }

json app_seed(const RsaKey& key) {
  json seed = base_seed();
  seed["app"] = {{"id", 777}, {"slug", "deploy-bot"}, {"owner", "acme"}, {"public_key_pem", key.public_pem()}};
  seed["installations"] = json::array({{{"id", 42}, {"account", "acme"}, {"repositories", {"acme/app"}}}});
  return seed;
}

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(digits[out[i] >> 4]);
    hex.push_back(digits[out[i] & 15]);
  }
  return hex;
}

// --- a tiny webhook receiver: records each request and answers 202 ------------------------------

class Receiver {
 public:
  struct Hit {
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };

  Receiver() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { run(); });
  }
  ~Receiver() {
    stopping_ = true;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/webhook";
  }
  std::vector<Hit> hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
  }

 private:
  // Plain HTTP/1.1 by hand (headers, Content-Length body), so the receiver shares no code with
  // the simulator it checks.
  void run() {
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) continue;
      std::string data;
      for (;;) {
        std::size_t header_end = boost::asio::read_until(socket, boost::asio::dynamic_buffer(data), "\r\n\r\n", ec);
        if (ec) break;
        Hit hit;
        std::istringstream head(data.substr(0, header_end));
        std::string line;
        std::getline(head, line);  // request line
        while (std::getline(head, line) && line != "\r") {
          auto colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string name = line.substr(0, colon);
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          if (!value.empty() && value.back() == '\r') value.pop_back();
          hit.headers[name] = value;
        }
        std::size_t length = hit.headers.count("content-length") ? std::stoul(hit.headers["content-length"]) : 0;
        data.erase(0, header_end);
        if (data.size() < length) {
          boost::asio::read(socket, boost::asio::dynamic_buffer(data),
                            boost::asio::transfer_exactly(length - data.size()), ec);
          if (ec) break;
        }
        hit.body = data.substr(0, length);
        data.erase(0, length);
        {
          std::lock_guard lock(mutex_);
          hits_.push_back(hit);
        }
        std::string reply = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        boost::asio::write(socket, boost::asio::buffer(reply), ec);
        if (ec) break;
      }
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<Hit> hits_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a seeded repository reads back with GitHub's shape, at / and under /api/v3") {
  GithubSim sim(base_seed());
  for (const std::string& prefix : {std::string(""), std::string("/api/v3")}) {
    CAPTURE(prefix);
    auto response = sim.api("GET", prefix + "/repos/acme/app", "tok-alice");
    REQUIRE(response.status == 200);
    CHECK(response.header("content-type") == "application/json; charset=utf-8");
    CHECK(response.header("x-ratelimit-limit") == "5000");
    CHECK(response.header("x-ratelimit-resource") == "core");
    std::string request_id = response.header("x-github-request-id").value_or("");
    CHECK(request_id.size() >= 20);
    CHECK(request_id.find_first_not_of("0123456789ABCDEF:") == std::string::npos);
    json repo = body_of(response);
    CHECK(repo["full_name"] == "acme/app");
    CHECK(repo["private"] == true);
    CHECK(repo["default_branch"] == "main");
    CHECK(repo["owner"]["login"] == "acme");
    CHECK(repo["owner"]["type"] == "Organization");
    CHECK(repo["url"] == sim.base_url() + prefix + "/repos/acme/app");
    CHECK(repo["permissions"]["admin"] == true);
  }
  // Private: anonymous callers see nothing.
  CHECK(sim.api("GET", "/repos/acme/app").status == 404);

  auto content = sim.api("GET", "/repos/acme/app/contents/.github/deploy.yml", "tok-bob");
  REQUIRE(content.status == 200);
  CHECK(body_of(content)["encoding"] == "base64");
  CHECK(body_of(content)["content"] == "YXBwcm92YWxzOiAyCg==\n");  // "approvals: 2\n"
}

TEST_CASE("collaborator permission maps maintain/triage the way GitHub does") {
  json seed = base_seed();
  seed["repositories"][0]["collaborators"] = {{"mallory", "triage"}, {"maint", "maintain"}};
  GithubSim sim(seed);
  struct Case {
    std::string user;
    int status;
    std::string permission;
    std::string role_name;
  };
  for (const Case& c : std::vector<Case>{{"alice", 200, "admin", "admin"},  // org owner
                                         {"bob", 200, "write", "write"},    // team grant
                                         {"maint", 200, "write", "maintain"},
                                         {"mallory", 200, "read", "triage"},
                                         {"nobody-at-all", 404, "", ""}}) {
    CAPTURE(c.user);
    auto response = sim.api("GET", "/repos/acme/app/collaborators/" + c.user + "/permission", "tok-alice");
    REQUIRE(response.status == c.status);
    if (c.status != 200) continue;
    CHECK(body_of(response)["permission"] == c.permission);
    CHECK(body_of(response)["role_name"] == c.role_name);
    CHECK(body_of(response)["user"]["login"] == c.user);
  }
  // Triage cannot see other people's permissions.
  CHECK(sim.api("GET", "/repos/acme/app/collaborators/alice/permission", "tok-mallory").status == 403);
}

TEST_CASE("a comment POSTed is seen by the next GET, and in the state dump") {
  GithubSim sim(base_seed());
  auto created = sim.api("POST", "/repos/acme/app/issues/1/comments", "tok-bob", {{"body", "/approve"}});
  REQUIRE(created.status == 201);
  json comment = body_of(created);
  CHECK(comment["body"] == "/approve");
  CHECK(comment["user"]["login"] == "bob");
  CHECK(comment["author_association"] == "MEMBER");
  CHECK(created.header("location") == comment["url"].get<std::string>());

  auto listed = sim.api("GET", "/repos/acme/app/issues/1/comments", "tok-alice");
  REQUIRE(listed.status == 200);
  REQUIRE(body_of(listed).size() == 1);
  CHECK(body_of(listed)[0]["id"] == comment["id"]);
  auto one =
      sim.api("GET", "/repos/acme/app/issues/comments/" + std::to_string(comment["id"].get<long long>()), "tok-alice");
  CHECK(body_of(one)["body"] == "/approve");
  CHECK(body_of(sim.api("GET", "/repos/acme/app/issues/1", "tok-alice"))["comments"] == 1);
  CHECK(sim.state()["repositories"][0]["issue_comments"][0]["body"] == "/approve");
}

TEST_CASE("unknown things are 404 and invalid bodies 422, in GitHub's shapes") {
  GithubSim sim(base_seed());
  auto missing = sim.api("GET", "/repos/acme/app/issues/999", "tok-alice");
  CHECK(missing.status == 404);
  CHECK(body_of(missing) == json{{"message", "Not Found"},
                                 {"documentation_url", "https://docs.github.com/rest/issues/issues#get-an-issue"}});
  CHECK(body_of(sim.api("GET", "/no/such/route", "tok-alice"))["message"] == "Not Found");

  auto invalid = sim.api("POST", "/repos/acme/app/issues", "tok-alice", json::object());
  CHECK(invalid.status == 422);
  CHECK(body_of(invalid) == json{{"message", "Validation Failed"},
                                 {"errors", {{{"resource", "Issue"}, {"field", "title"}, {"code", "missing_field"}}}},
                                 {"documentation_url", "https://docs.github.com/rest/issues/issues#create-an-issue"}});
  auto bad_enum = sim.api("POST", "/repos/acme/app/statuses/main", "tok-alice", {{"state", "great"}});
  CHECK(bad_enum.status == 422);
  CHECK(body_of(bad_enum)["errors"][0] == json{{"resource", "Status"}, {"field", "state"}, {"code", "invalid"}});
  auto not_json = sim.api("POST", "/repos/acme/app/issues", "tok-alice", "not an object");
  CHECK(not_json.status == 400);
  CHECK(body_of(not_json)["message"] == "Problems parsing JSON");

  auto bad = sim.api("GET", "/repos/acme/app", "tok-unknown");
  CHECK(bad.status == 401);
  CHECK(body_of(bad)["message"] == "Bad credentials");
  CHECK(sim.api("POST", "/repos/acme/app/issues/1/comments", "", {{"body", "x"}}).status == 404);  // private: invisible
}

TEST_CASE("250 comments page with per_page/page and GitHub's Link headers, followed verbatim") {
  json seed = base_seed();
  json comments = json::array();
  for (int i = 1; i <= 250; ++i) comments.push_back({{"user", "bob"}, {"body", "comment " + std::to_string(i)}});
  seed["repositories"][0]["issues"][0]["comments"] = comments;
  GithubSim sim(seed);
  long long repo_id = sim.state()["repositories"][0]["id"];
  std::string list =
      sim.base_url() + "/repositories/" + std::to_string(repo_id) + "/issues/1/comments?per_page=100&page=";

  auto first = sim.api("GET", "/repos/acme/app/issues/1/comments?per_page=100", "tok-alice");
  REQUIRE(first.status == 200);
  CHECK(body_of(first).size() == 100);
  CHECK(first.header("link") == "<" + list + "2>; rel=\"next\", <" + list + "3>; rel=\"last\"");

  // Follow "next" verbatim until there is none, as a client must.
  std::set<long long> ids;
  std::vector<std::string> bodies;
  std::string url = sim.base_url() + "/repos/acme/app/issues/1/comments?per_page=100";
  std::vector<std::string> links;
  int pages = 0;
  while (!url.empty() && pages < 10) {
    ++pages;
    deploy::http::Request request{"GET", url, {{"Authorization", "token tok-alice"}}, ""};
    auto page = sim.client().send(request);
    REQUIRE(page.status == 200);
    for (const auto& c : body_of(page)) {
      ids.insert(c["id"].get<long long>());
      bodies.push_back(c["body"]);
    }
    std::string link = page.header("link").value_or("");
    links.push_back(link);
    url = link_target(link, "next");
  }
  CHECK(pages == 3);
  CHECK(ids.size() == 250);
  CHECK(bodies.front() == "comment 1");
  CHECK(bodies.back() == "comment 250");
  CHECK(links[1] == "<" + list + "1>; rel=\"prev\", <" + list + "3>; rel=\"next\", <" + list + "3>; rel=\"last\", <" +
                        list + "1>; rel=\"first\"");
  CHECK(links[2] == "<" + list + "2>; rel=\"prev\", <" + list + "1>; rel=\"first\"");

  // Defaults: 30 a page; at most 100.
  CHECK(body_of(sim.api("GET", "/repos/acme/app/issues/1/comments", "tok-alice")).size() == 30);
  CHECK(body_of(sim.api("GET", "/repos/acme/app/issues/1/comments?per_page=500", "tok-alice")).size() == 100);
}

TEST_CASE("injected faults: a 502 for the next matching request, then normal service") {
  GithubSim sim(base_seed());
  sim.add_fault({{"method", "GET"}, {"path", "/repos/acme/app/issues"}, {"count", 1}, {"status", 502}});
  auto failed = sim.api("GET", "/repos/acme/app/issues/1", "tok-alice");
  CHECK(failed.status == 502);
  CHECK(body_of(failed)["message"] == "Server Error");
  CHECK(sim.api("GET", "/repos/acme/app/issues/1", "tok-alice").status == 200);

  SUBCASE("secondary rate limit with retry-after") {
    sim.add_fault({{"path", "/repos/"}, {"rate_limit", {{"status", 429}, {"retry_after", 7}}}});
    auto limited = sim.api("GET", "/repos/acme/app", "tok-alice");
    CHECK(limited.status == 429);
    CHECK(limited.header("retry-after") == "7");
  }
  SUBCASE("primary rate limit exhausted") {
    sim.add_fault({{"rate_limit", {{"remaining_zero", true}, {"reset_in", 120}}}});
    auto limited = sim.api("GET", "/repos/acme/app", "tok-alice");
    CHECK(limited.status == 403);
    CHECK(limited.header("x-ratelimit-remaining") == "0");
    CHECK(std::stoll(limited.header("x-ratelimit-reset").value_or("0")) > now_seconds());
  }
  SUBCASE("a dropped connection, then an answer") {
    sim.add_fault({{"drop", true}});
    // A fresh client: one with a pooled connection would (rightly) retry once on a new one.
    deploy::http::Client fresh;
    deploy::http::Request request{
        "GET", sim.base_url() + "/repos/acme/app", {{"Authorization", "Bearer tok-alice"}}, ""};
    CHECK_THROWS_AS(fresh.send(request), deploy::http::TransportError);
    CHECK(sim.api("GET", "/repos/acme/app", "tok-alice").status == 200);
  }
  SUBCASE("a bad fault is refused") {
    CHECK(sim.admin("POST", "/_sim/faults", {{"status", 502}, {"drop", true}}).status == 400);
  }
  SUBCASE("a malformed fault is refused when added, not when a request hits it") {
    struct Case {
      const char* name;
      nlohmann::json fault;
      std::string message;
    };
    const std::vector<Case> cases = {
        {"retry_after a string",
         {{"rate_limit", {{"status", 429}, {"retry_after", "soon"}}}},
         "rate_limit.retry_after must be a non-negative integer (seconds), got \"soon\""},
        {"retry_after negative",
         {{"rate_limit", {{"status", 429}, {"retry_after", -1}}}},
         "rate_limit.retry_after must be a non-negative integer (seconds), got -1"},
        {"reset_in a float",
         {{"rate_limit", {{"remaining_zero", true}, {"reset_in", 1.5}}}},
         "rate_limit.reset_in must be a non-negative integer (seconds), got 1.5"},
        {"remaining_zero not true",
         {{"rate_limit", {{"remaining_zero", "yes"}}}},
         "rate_limit.remaining_zero must be true"},
        {"count too large",
         {{"status", 502}, {"count", 10000000000LL}},
         "\"count\" must be a positive integer, got 10000000000"},
        {"unknown field",
         {{"status", 502}, {"cuont", 2}},
         "unknown field \"cuont\" in a fault; known fields: \"method\", \"path\", \"count\", \"status\", \"body\", "
         "\"delay_ms\", \"drop\", \"drop_after\", \"late_ms\", \"rate_limit\""},
    };
    for (const auto& c : cases) {
      CAPTURE(c.name);
      auto refused = sim.admin("POST", "/_sim/faults", c.fault);
      CHECK(refused.status == 400);
      CHECK(body_of(refused)["message"] == c.message);
    }
    CHECK(body_of(sim.admin("GET", "/_sim/faults", nullptr)).empty());
  }
  CHECK(sim.api("GET", "/repos/acme/app", "tok-alice").status == 200);
}

TEST_CASE("GitHub App JWTs: accepted when signed with the App key and fresh, refused otherwise") {
  RsaKey key;
  RsaKey other;
  GithubSim sim(app_seed(key));
  long long now = now_seconds();

  auto app = sim.api("GET", "/app", make_jwt(key, 777, now - 30, now + 540));
  REQUIRE(app.status == 200);
  CHECK(body_of(app)["slug"] == "deploy-bot");
  CHECK(body_of(app)["id"] == 777);

  struct Case {
    const char* name;
    std::string jwt;
    int status;
  };
  for (const Case& c : std::vector<Case>{{"wrong key", make_jwt(other, 777, now - 30, now + 540), 401},
                                         {"expired", make_jwt(key, 777, now - 700, now - 100), 401},
                                         {"lives longer than 10 minutes", make_jwt(key, 777, now - 30, now + 900), 401},
                                         {"issued in the future", make_jwt(key, 777, now + 300, now + 600), 401},
                                         {"another App", make_jwt(key, 778, now - 30, now + 540), 401}}) {
    CAPTURE(c.name);
    auto response = sim.api("GET", "/app", c.jwt);
    CHECK(response.status == c.status);
    CHECK(body_of(response).contains("message"));
  }
  // A user token is no JWT.
  auto user = sim.api("GET", "/app", "tok-alice");
  CHECK(user.status == 401);
  CHECK(body_of(user)["message"] == "A JSON web token could not be decoded");
  CHECK(body_of(sim.api("GET", "/repos/acme/app/installation", make_jwt(key, 777, now - 30, now + 540)))["id"] == 42);
}

TEST_CASE("installation tokens work until they expire: by the clock, or by the admin call") {
  RsaKey key;
  GithubSim sim(app_seed(key));
  auto mint = [&] {
    long long now = now_seconds() + sim.admin_json("GET", "/_sim/clock")["offset_seconds"].get<long long>();
    auto response = sim.api("POST", "/app/installations/42/access_tokens", make_jwt(key, 777, now - 30, now + 540));
    REQUIRE(response.status == 201);
    return body_of(response);
  };
  json token = mint();
  CHECK(token["token"].get<std::string>().starts_with("ghs_"));
  CHECK(token.contains("expires_at"));
  CHECK(sim.api("GET", "/repos/acme/app", token["token"]).status == 200);

  auto comment = sim.api("POST", "/repos/acme/app/issues/1/comments", token["token"], {{"body", "approved"}});
  REQUIRE(comment.status == 201);
  CHECK(body_of(comment)["user"]["login"] == "deploy-bot[bot]");
  CHECK(body_of(comment)["user"]["type"] == "Bot");
  CHECK(body_of(comment)["performed_via_github_app"]["slug"] == "deploy-bot");

  sim.advance_clock(std::chrono::seconds(3601));
  auto expired = sim.api("GET", "/repos/acme/app", token["token"]);
  CHECK(expired.status == 401);
  CHECK(body_of(expired)["message"] == "Bad credentials");

  json fresh = mint();
  CHECK(sim.api("GET", "/repos/acme/app", fresh["token"]).status == 200);
  CHECK(sim.expire_installation_tokens() == 2);
  CHECK(sim.api("GET", "/repos/acme/app", fresh["token"]).status == 401);
}

TEST_CASE("webhooks: signed deliveries with GitHub's headers, and redelivery keeps the delivery id") {
  Receiver receiver;
  const std::string secret = "It's a Secret to Everybody";
  GithubSimOptions options;
  options.webhook_url = receiver.url();
  options.webhook_secret = secret;
  GithubSim sim(base_seed(), options);

  json result = sim.event("issue_comment", {{"repo", "acme/app"}, {"issue", 1}, {"user", "bob"}, {"body", "/approve"}});
  CHECK(result["comment"]["body"] == "/approve");
  CHECK(result["delivery"]["status"] == 202);
  std::string id = result["delivery"]["id"];
  CHECK(is_uuid_v4(id));

  auto hits = receiver.hits();
  REQUIRE(hits.size() == 1);
  const auto& hit = hits[0];
  CHECK(hit.headers.at("x-github-event") == "issue_comment");
  CHECK(hit.headers.at("x-github-delivery") == id);
  CHECK(hit.headers.at("content-type") == "application/json");
  CHECK(hit.headers.at("user-agent").starts_with("GitHub-Hookshot/"));
  CHECK(hit.headers.count("x-github-hook-id") == 1);
  CHECK(hit.headers.at("x-hub-signature-256") == "sha256=" + hmac_sha256_hex(secret, hit.body));
  json payload = json::parse(hit.body);
  CHECK(payload["action"] == "created");
  CHECK(payload["comment"]["body"] == "/approve");
  CHECK(payload["comment"]["user"]["login"] == "bob");
  CHECK(payload["issue"]["number"] == 1);
  CHECK(payload["repository"]["full_name"] == "acme/app");
  CHECK(payload["sender"]["login"] == "bob");
  CHECK(payload["organization"]["login"] == "acme");
  CHECK_FALSE(payload.contains("installation"));  // no App in this seed

  // The comment is in the state too: the bot will read it back.
  CHECK(body_of(sim.api("GET", "/repos/acme/app/issues/1/comments", "tok-alice"))[0]["body"] == "/approve");

  json again = sim.redeliver(id);
  CHECK(again["id"] == id);
  CHECK(again["attempts"].size() == 2);
  hits = receiver.hits();
  REQUIRE(hits.size() == 2);
  CHECK(hits[1].headers.at("x-github-delivery") == id);
  CHECK(hits[1].body == hits[0].body);
  CHECK(hits[1].headers.at("x-hub-signature-256") == hits[0].headers.at("x-hub-signature-256"));

  json listed = sim.deliveries();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["status"] == 202);
  CHECK(listed[0]["event"] == "issue_comment");
}

TEST_CASE("admin events change the state as GitHub would and deliver the matching webhook") {
  Receiver receiver;
  GithubSim sim(base_seed());
  sim.set_webhook(receiver.url(), "s3cret");

  json push = sim.event("push", {{"repo", "acme/app"},
                                 {"ref", "main"},
                                 {"user", "alice"},
                                 {"commits", {{{"message", "Bump"}, {"files", {{"VERSION", "1.1.0\n"}}}}}}});
  std::string after = push["after"];
  CHECK(body_of(sim.api("GET", "/repos/acme/app/git/ref/heads/main", "tok-alice"))["object"]["sha"] == after);
  CHECK(body_of(sim.api("GET", "/repos/acme/app/commits/main", "tok-alice"))["commit"]["message"] == "Bump");

  json pr = sim.event("pull_request",
                      {{"repo", "acme/app"}, {"action", "opened"}, {"user", "bob"}, {"head", "fix"}, {"title", "Fix"}});
  long long number = pr["pull_request"]["number"];
  CHECK(number == 2);  // issues and pull requests share numbers
  std::string head = pr["pull_request"]["head"]["sha"];
  json sync =
      sim.event("pull_request", {{"repo", "acme/app"}, {"action", "synchronize"}, {"user", "bob"}, {"number", number}});
  CHECK(sync["pull_request"]["head"]["sha"] != head);

  json review = sim.event("pull_request_review",
                          {{"repo", "acme/app"}, {"pull", number}, {"user", "alice"}, {"state", "approved"}});
  CHECK(review["review"]["state"] == "APPROVED");
  auto reviews = body_of(sim.api("GET", "/repos/acme/app/pulls/" + std::to_string(number) + "/reviews", "tok-alice"));
  REQUIRE(reviews.size() == 1);
  CHECK(reviews[0]["commit_id"] == sync["pull_request"]["head"]["sha"]);

  sim.event("release", {{"repo", "acme/app"}, {"tag_name", "v1.1.0"}, {"user", "alice"}});
  CHECK(body_of(sim.api("GET", "/repos/acme/app/releases/tags/v1.1.0", "tok-alice"))["tag_name"] == "v1.1.0");
  sim.event("commit_comment", {{"repo", "acme/app"}, {"sha", "v1.1.0"}, {"user", "bob"}, {"body", "/approve"}});
  CHECK(body_of(sim.api("GET", "/repos/acme/app/commits/" + after + "/comments", "tok-alice"))[0]["body"] ==
        "/approve");

  auto hits = receiver.hits();
  std::vector<std::string> events;
  for (const auto& hit : hits)
    events.push_back(hit.headers.at("x-github-event") + "." + json::parse(hit.body).value("action", "none"));
  CHECK(events == std::vector<std::string>{"push.none", "pull_request.opened", "pull_request.synchronize",
                                           "pull_request_review.submitted", "release.published",
                                           "commit_comment.created"});
  json review_payload = json::parse(hits[3].body);
  CHECK(review_payload["review"]["state"] == "approved");  // webhooks spell review states in lower case
  json sync_payload = json::parse(hits[2].body);
  CHECK(sync_payload["before"] == head);
  CHECK(sync_payload["after"] == sync["pull_request"]["head"]["sha"]);
}

TEST_CASE("a custom deployment protection rule: requested by webhook, approved by the App's callback") {
  RsaKey key;
  Receiver receiver;
  GithubSim sim(app_seed(key));
  sim.set_webhook(receiver.url(), "s3cret");
  json requested =
      sim.event("deployment_protection_rule", {{"repo", "acme/app"}, {"environment", "production"}, {"user", "alice"}});
  long long run = requested["workflow_run"]["id"];
  CHECK(requested["workflow_run"]["status"] == "waiting");
  auto hits = receiver.hits();
  REQUIRE(hits.size() == 1);
  json payload = json::parse(hits[0].body);
  CHECK(payload["action"] == "requested");
  CHECK(payload["environment"] == "production");
  CHECK(payload["installation"]["id"] == 42);
  CHECK(payload["deployment_callback_url"] ==
        sim.base_url() + "/repos/acme/app/actions/runs/" + std::to_string(run) + "/deployment_protection_rule");

  long long now = now_seconds();
  std::string token =
      body_of(sim.api("POST", "/app/installations/42/access_tokens", make_jwt(key, 777, now - 30, now + 540)))["token"];
  std::string callback = "/repos/acme/app/actions/runs/" + std::to_string(run) + "/deployment_protection_rule";
  CHECK(sim.api("POST", callback, "tok-alice", {{"environment_name", "production"}, {"state", "approved"}}).status ==
        403);
  CHECK(sim.api("POST", callback, token, {{"state", "approved"}}).status == 422);
  CHECK(sim.api("POST", callback, token,
                {{"environment_name", "production"}, {"state", "approved"}, {"comment", "2 of 2"}})
            .status == 204);
  CHECK(body_of(sim.api("GET", "/repos/acme/app/actions/runs/" + std::to_string(run), token))["status"] ==
        "in_progress");
}

TEST_CASE("workflow dispatch records its inputs and creates a run that can be read back") {
  GithubSim sim(base_seed());
  auto dispatched = sim.api("POST", "/repos/acme/app/actions/workflows/deploy.yml/dispatches", "tok-alice",
                            {{"ref", "main"}, {"inputs", {{"mode", "rollback"}, {"version", "v1.0.0"}}}});
  CHECK(dispatched.status == 204);
  CHECK(dispatched.body.empty());
  json state = sim.state()["repositories"][0];
  REQUIRE(state["workflow_dispatches"].size() == 1);
  CHECK(state["workflow_dispatches"][0]["inputs"]["mode"] == "rollback");
  long long run = state["workflow_dispatches"][0]["run_id"];
  json got = body_of(sim.api("GET", "/repos/acme/app/actions/runs/" + std::to_string(run), "tok-alice"));
  CHECK(got["event"] == "workflow_dispatch");
  CHECK(got["workflow_id"] == 501);
  CHECK(got["head_branch"] == "main");
  CHECK(sim.api("POST", "/repos/acme/app/actions/workflows/deploy.yml/dispatches", "tok-alice", {{"ref", "nope"}})
            .status == 422);
  CHECK(sim.api("POST", "/repos/acme/app/actions/workflows/deploy.yml/dispatches", "tok-mallory", {{"ref", "main"}})
            .status == 403);
}

TEST_CASE("TLS: the simulator serves HTTPS with a test CA's certificate") {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("github-sim-tls-" + std::to_string(::getpid()));
  auto pki = deploy::test::make_test_pki(dir);
  GithubSimOptions options;
  options.tls_cert = pki.localhost.cert;
  options.tls_key = pki.localhost.key;
  options.ca_file = pki.trusted_ca();
  {
    GithubSim sim(base_seed(), options);
    CHECK(sim.base_url().starts_with("https://127.0.0.1:"));
    auto response = sim.api("GET", "/repos/acme/app", "tok-alice");
    CHECK(response.status == 200);
    CHECK(body_of(response)["url"] == sim.base_url() + "/repos/acme/app");

    deploy::http::Client untrusting;  // the system store does not know the test CA
    CHECK_THROWS_AS(untrusting.send({"GET", sim.base_url() + "/repos/acme/app", {}, ""}), deploy::http::TransportError);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("the request log records every API call with its auth kind and never a credential") {
  RsaKey key;
  GithubSim sim(app_seed(key));
  long long now = now_seconds();
  std::string jwt = make_jwt(key, 777, now - 30, now + 540);
  std::string token = body_of(sim.api("POST", "/app/installations/42/access_tokens", jwt))["token"];
  sim.api("GET", "/repos/acme/app", "tok-alice");
  sim.api("POST", "/repos/acme/app/issues/1/comments", token, {{"body", "hi"}});
  sim.api("GET", "/repos/acme/app", "tok-wrong");
  sim.api("GET", "/rate_limit");
  sim.api("GET", "/repos/acme/app?access_token=tok-alice");
  sim.admin_json("GET", "/_sim/state");  // admin calls are not logged

  json entries = sim.requests();
  std::vector<std::string> kinds;
  for (const auto& e : entries) kinds.push_back(e["auth"]);
  CHECK(kinds == std::vector<std::string>{"jwt", "token", "installation", "token", "none", "none"});
  CHECK(entries[2]["body"] == json{{"body", "hi"}});
  CHECK(entries[2]["status"] == 201);
  CHECK(entries[2]["route"] == "/repos/{owner}/{repo}/issues/{issue_number}/comments");
  CHECK(entries[3]["status"] == 401);

  std::string file;
  {
    std::ifstream in(sim.log_file());
    std::stringstream text;
    text << in.rdbuf();
    file = text.str();
  }
  CHECK(sim.log_lines().size() == entries.size());
  for (const std::string& secret : {jwt, token, std::string("tok-alice"), std::string("tok-wrong")}) {
    CAPTURE(secret.substr(0, 8));
    CHECK(file.find(secret) == std::string::npos);
    CHECK(entries.dump().find(secret) == std::string::npos);
  }
}

TEST_CASE("the simulator stops cleanly on SIGTERM") {
  pid_t pid = 0;
  {
    GithubSim sim(base_seed());
    pid = sim.pid();
    CHECK(::kill(pid, 0) == 0);
  }
  CHECK(::kill(pid, 0) == -1);  // reaped by the fixture
}

TEST_CASE("with webhook.api_events, changes made through the API cause their webhooks too") {
  Receiver receiver;
  json seed = base_seed();
  seed["webhook"] = {{"api_events", true}};
  GithubSimOptions options;
  options.webhook_url = receiver.url();
  options.webhook_secret = "s3cret";
  GithubSim sim(seed, options);
  REQUIRE(sim.api("POST", "/repos/acme/app/issues/1/comments", "tok-bob", {{"body", "/approve"}}).status == 201);

  // Delivered after the answer, as GitHub does: poll with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (receiver.hits().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto hits = receiver.hits();
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].headers.at("x-github-event") == "issue_comment");
  json payload = json::parse(hits[0].body);
  CHECK(payload["action"] == "created");
  CHECK(payload["sender"]["login"] == "bob");
  CHECK(payload["comment"]["body"] == "/approve");
  CHECK(payload["issue"]["comments"] == 1);
}

TEST_CASE("$GITHUB_SIM_LOG_DIR: every instance also appends its request log to a file of its own there") {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("github-sim-logs-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ::setenv("GITHUB_SIM_LOG_DIR", dir.c_str(), 1);
  {
    GithubSim first(base_seed());
    GithubSim second(base_seed());
    ::unsetenv("GITHUB_SIM_LOG_DIR");
    first.api("GET", "/repos/acme/app", "tok-alice");
    second.api("GET", "/repos/acme/app/issues/1", "tok-alice");
  }
  std::vector<std::string> lines;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    CHECK(entry.path().filename().string().starts_with("github-sim-"));
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) lines.push_back(json::parse(line)["path"]);
  }
  std::sort(lines.begin(), lines.end());
  CHECK(files == 2);
  CHECK(lines == std::vector<std::string>{"/repos/acme/app", "/repos/acme/app/issues/1"});
  std::filesystem::remove_all(dir);
}

// GitHub's REST best practices: "Making a conditional request does not count against your primary
// rate limit if a 304 response is returned".
TEST_CASE("conditional requests: ETag on every GET, 304 without a body when it matches, and a 304 is not counted") {
  json seed = base_seed();
  seed["rate_limit"] = {{"limit", 10}};
  GithubSim sim(seed);
  auto get = [&](const std::string& path, const std::string& header = "", const std::string& value = "") {
    deploy::http::Request request;
    request.url = sim.base_url() + path;
    request.headers = {{"Accept", "application/vnd.github+json"}, {"Authorization", "Bearer tok-alice"}};
    if (!header.empty()) request.headers.emplace_back(header, value);
    return sim.client().send(request);
  };
  const std::string path = "/repos/acme/app/collaborators/bob/permission";
  const auto first = get(path);
  REQUIRE(first.status == 200);
  const std::string etag = first.header("etag").value_or("");
  CHECK(etag.size() == 34);  // "<32 hex digits>", as GitHub's recorded answers have it
  CHECK(etag.front() == '"');
  CHECK(first.header("cache-control") == "private, max-age=60, s-maxage=60");
  CHECK(first.header("x-ratelimit-remaining") == "9");
  CHECK(first.header("x-ratelimit-limit") == "10");

  const auto again = get(path, "If-None-Match", etag);
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.header("etag") == etag);
  CHECK(again.header("x-ratelimit-remaining") == "9");           // not counted
  CHECK(get(path, "If-None-Match", "W/" + etag).status == 304);  // weak comparison
  CHECK(get(path, "If-None-Match", "\"other\", " + etag).status == 304);
  CHECK(get(path, "If-None-Match", "*").status == 304);

  const auto other = get(path, "If-None-Match", "\"00000000000000000000000000000000\"");
  CHECK(other.status == 200);  // a stale validator: the full answer, counted
  CHECK(other.header("x-ratelimit-remaining") == "8");

  // Last-Modified where the resource says when it changed; If-Modified-Since alone; a change makes
  // the old validators stale.
  const auto issue = get("/repos/acme/app/issues/1");
  REQUIRE(issue.status == 200);
  const std::string modified = issue.header("last-modified").value_or("");
  const std::string issue_etag = issue.header("etag").value_or("");
  CHECK(modified.ends_with(" GMT"));
  CHECK(get("/repos/acme/app/issues/1", "If-Modified-Since", modified).status == 304);
  REQUIRE(sim.api("PATCH", "/repos/acme/app/issues/1", "tok-alice", {{"title", "Release v1.0.1"}}).status == 200);
  const auto changed = get("/repos/acme/app/issues/1", "If-None-Match", issue_etag);
  CHECK(changed.status == 200);
  CHECK(body_of(changed)["title"] == "Release v1.0.1");
  CHECK(changed.header("etag") != issue_etag);

  // The request log says which requests were conditional and which were answered 304.
  int conditional = 0, not_modified = 0;
  for (const auto& entry : sim.requests()) {
    if (entry.value("conditional", false)) ++conditional;
    if (entry.at("status") == 304) ++not_modified;
  }
  CHECK(conditional == 7);
  CHECK(not_modified == 5);
  // Writes and errors carry no validator.
  CHECK_FALSE(sim.api("POST", "/repos/acme/app/issues/1/comments", "tok-alice", {{"body", "x"}}).header("etag"));
  CHECK_FALSE(get("/repos/acme/app/issues/999").header("etag"));
}

TEST_CASE("a seeded rate limit: a small window that resets") {
  json seed = base_seed();
  seed["rate_limit"] = {{"limit", 2}, {"window_seconds", 60}};
  GithubSim sim(seed);
  CHECK(sim.api("GET", "/repos/acme/app", "tok-alice").status == 200);
  CHECK(sim.api("GET", "/repos/acme/app", "tok-alice").status == 200);
  const auto limited = sim.api("GET", "/repos/acme/app", "tok-alice");
  CHECK(limited.status == 403);
  CHECK(limited.header("x-ratelimit-remaining") == "0");
  sim.advance_clock(std::chrono::seconds(61));
  CHECK(sim.api("GET", "/repos/acme/app", "tok-alice").status == 200);

  json bad = base_seed();
  bad["rate_limit"] = {{"limit", 0}};
  CHECK_THROWS(GithubSim(bad));
}
