// Notification payloads (Slack and the generic webhook) and send_all's decisions, with a recording
// fake Transport: which targets get the event, retries, and errors that never show the URL.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/notify/notify.hpp"

namespace {

using deploy::config::Event;
using deploy::config::Notifications;
using deploy::config::NotificationTarget;
using deploy::http::TransportError;

deploy::notify::Event sample_event(Event kind = Event::failed) {
  deploy::notify::Event e;
  e.kind = kind;
  e.environment = "production";
  e.version = "1.2.0";
  e.sha = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";
  e.previous_version = "1.1.0";
  e.status = "failure";
  e.message = "stage deploy failed: exit 1";
  e.run_url = "https://github.com/acme/app/actions/runs/42";
  e.deployment_url = "https://github.com/acme/app/deployments";
  e.actor = "alice";
  e.repository = "acme/app";
  return e;
}

NotificationTarget target(std::string url_env,
                          std::vector<Event> on = {Event::started, Event::succeeded, Event::failed, Event::rolled_back},
                          std::vector<std::string> environments = {}) {
  NotificationTarget t;
  t.url_env = std::move(url_env);
  t.on = std::move(on);
  t.environments = std::move(environments);
  return t;
}

// Answers each request with the next scripted reply: a status or a transport failure.
class FakeTransport final : public deploy::http::Transport {
 public:
  using Reply = std::variant<int, TransportError::Kind>;
  std::deque<Reply> replies;
  std::vector<deploy::http::Request> sent;

  deploy::http::Response send(const deploy::http::Request& request) override {
    sent.push_back(request);
    Reply reply = replies.empty() ? Reply{200} : replies.front();
    if (!replies.empty()) replies.pop_front();
    if (const auto* kind = std::get_if<TransportError::Kind>(&reply)) {
      // Like the real client: the message names the URL without its query.
      throw TransportError(*kind, "POST " + request.url + ": failed");
    }
    deploy::http::Response response;
    response.status = std::get<int>(reply);
    response.body = response.status >= 400 ? "no such hook: " + request.url : "ok";
    return response;
  }
};

deploy::notify::Lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::string kSlackUrl = "https://hooks.slack.com/services/T000/B000/SECRETtoken123";
const std::string kHookUrl = "https://hooks.example.com/deploys?token=hunter2hunter2";

}  // namespace

TEST_CASE("webhook payload: the documented schema, every key, values as given") {
  const auto payload = deploy::notify::webhook_payload(sample_event(Event::rolled_back));
  const nlohmann::json expected = {
      {"schema", "deploy-action.notification/v1"},
      {"event", "rolled_back"},
      {"environment", "production"},
      {"version", "1.2.0"},
      {"sha", "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"},
      {"previous_version", "1.1.0"},
      {"status", "failure"},
      {"message", "stage deploy failed: exit 1"},
      {"repository", "acme/app"},
      {"actor", "alice"},
      {"run_url", "https://github.com/acme/app/actions/runs/42"},
      {"deployment_url", "https://github.com/acme/app/deployments"},
  };
  CHECK(payload == expected);

  const auto empty = deploy::notify::webhook_payload(deploy::notify::Event{});
  CHECK(empty.size() == expected.size());
  CHECK(empty["event"] == "started");
  CHECK(empty["previous_version"] == "");
}

TEST_CASE("webhook payload: untrusted text is kept, invalid UTF-8 is replaced so it always serializes") {
  auto event = sample_event();
  event.message = std::string("<b>&\"quoted\"\n\xff");
  const auto payload = deploy::notify::webhook_payload(event);
  CHECK(payload["message"] == "<b>&\"quoted\"\n\xEF\xBF\xBD");
  CHECK_NOTHROW((void)payload.dump());
}

TEST_CASE("slack payload: fallback text and blocks per event") {
  struct Case {
    Event kind;
    std::string headline;
  };
  const std::vector<Case> cases = {
      {Event::started, "🚀 Deploying 1.2.0 to production"},
      {Event::succeeded, "✅ Deployed 1.2.0 to production"},
      {Event::failed, "❌ Deploy of 1.2.0 to production failed"},
      {Event::rolled_back, "↩️ Deploy of 1.2.0 to production failed; rolled back to 1.1.0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.headline);
    const auto payload = deploy::notify::slack_payload(sample_event(c.kind));
    CHECK(payload["text"] == c.headline + " (acme/app): stage deploy failed: exit 1");
    REQUIRE(payload["blocks"].size() == 2);
    CHECK(payload["blocks"][0] ==
          nlohmann::json{{"type", "section"},
                         {"text", {{"type", "mrkdwn"}, {"text", c.headline + "\nstage deploy failed: exit 1"}}}});
    const std::string previous = c.kind == Event::rolled_back ? "" : "previous 1.1.0 · ";
    CHECK(payload["blocks"][1]["type"] == "context");
    CHECK(payload["blocks"][1]["elements"][0]["text"] ==
          "acme/app · commit 1a2b3c4 · " + previous +
              "by alice · <https://github.com/acme/app/actions/runs/42|workflow run> · "
              "<https://github.com/acme/app/deployments|deployment>");
  }
}

TEST_CASE("slack payload: untrusted text cannot mention, link or break out") {
  auto event = sample_event();
  event.version = "1.2.0<!channel>";
  event.environment = "prod&<@U123>";
  event.message = "line <https://evil.example|click> &amp;\nsecond";
  event.actor = "<!here>";
  event.run_url = "https://x.example/run|<evil>";
  event.deployment_url = "javascript:alert(1)";
  const auto payload = deploy::notify::slack_payload(event);
  const std::string fallback = payload["text"];
  CHECK(fallback ==
        "❌ Deploy of 1.2.0&lt;!channel&gt; to prod&amp;&lt;@U123&gt; failed (acme/app): "
        "line &lt;https://evil.example|click&gt; &amp;amp; second");
  CHECK(payload["blocks"][0]["text"]["text"] ==
        "❌ Deploy of 1.2.0&lt;!channel&gt; to prod&amp;&lt;@U123&gt; failed\n"
        "line &lt;https://evil.example|click&gt; &amp;amp;\nsecond");
  CHECK(payload["blocks"][1]["elements"][0]["text"] ==
        "acme/app · commit 1a2b3c4 · previous 1.1.0 · by &lt;!here&gt; · "
        "<https://x.example/run%7C%3Cevil%3E|workflow run>");
}

TEST_CASE("send_all: only targets that want the event and the environment, in config order") {
  Notifications n;
  n.slack = target("SLACK_WEBHOOK_URL", {Event::failed, Event::rolled_back});
  n.webhooks = {target("HOOK_A"), target("HOOK_B", {Event::failed}, {"staging"}), target("HOOK_C", {Event::succeeded})};
  const auto env =
      env_of({{"SLACK_WEBHOOK_URL", kSlackUrl}, {"HOOK_A", kHookUrl}, {"HOOK_B", kHookUrl}, {"HOOK_C", kHookUrl}});

  FakeTransport transport;
  const auto deliveries = deploy::notify::send_all(n, sample_event(Event::failed), transport, env);
  REQUIRE(deliveries.size() == 2);
  CHECK(deliveries[0].target == "slack");
  CHECK(deliveries[0].ok);
  CHECK(deliveries[0].attempts == 1);
  CHECK(deliveries[1].target == "webhook[0]");
  CHECK(deliveries[1].url_env == "HOOK_A");
  CHECK(deliveries[1].ok);
  REQUIRE(transport.sent.size() == 2);
  CHECK(transport.sent[0].method == "POST");
  CHECK(transport.sent[0].url == kSlackUrl);
  CHECK(nlohmann::json::parse(transport.sent[0].body) == deploy::notify::slack_payload(sample_event(Event::failed)));
  CHECK(transport.sent[1].url == kHookUrl);
  CHECK(nlohmann::json::parse(transport.sent[1].body) == deploy::notify::webhook_payload(sample_event(Event::failed)));
  const deploy::http::Headers json_header = {{"Content-Type", "application/json"}};
  CHECK(transport.sent[1].headers.front() == json_header.front());

  FakeTransport none;
  CHECK(deploy::notify::send_all(n, sample_event(Event::started), none, env).size() == 1);  // HOOK_A only
  CHECK(none.sent.size() == 1);
}

TEST_CASE("send_all: retries once on 5xx and connection errors, not on 4xx or refused URLs") {
  using Kind = TransportError::Kind;
  struct Case {
    const char* name;
    std::vector<FakeTransport::Reply> replies;
    bool ok;
    int attempts;
    std::string error;  // exact
  };
  const std::vector<Case> cases = {
      {"success", {200}, true, 1, ""},
      {"204 counts", {204}, true, 1, ""},
      {"500 then success", {500, 200}, true, 2, ""},
      {"connect error then success", {Kind::connect}, true, 2, ""},
      {"closed then success", {Kind::closed, 200}, true, 2, ""},
      {"two 503s",
       {503, 503},
       false,
       2,
       "webhook[0]: the URL in HOOK answered HTTP 503: no such hook: *** (after 2 attempts)"},
      {"timeout twice",
       {Kind::timeout, Kind::timeout},
       false,
       2,
       "webhook[0]: sending to the URL in HOOK failed: it did not answer in time (after 2 attempts)"},
      {"404 is final", {404}, false, 1, "webhook[0]: the URL in HOOK answered HTTP 404: no such hook: ***"},
      {"tls is final",
       {Kind::tls},
       false,
       1,
       "webhook[0]: sending to the URL in HOOK failed: the TLS handshake failed (is the certificate valid?)"},
      {"refused by policy is final",
       {Kind::refused_by_policy},
       false,
       1,
       "webhook[0]: sending to the URL in HOOK failed: the URL was refused before sending (it must be https://, or "
       "http:// to a loopback address)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Notifications n;
    n.webhooks = {target("HOOK")};
    FakeTransport transport;
    transport.replies.assign(c.replies.begin(), c.replies.end());
    const auto deliveries = deploy::notify::send_all(n, sample_event(), transport, env_of({{"HOOK", kHookUrl}}));
    REQUIRE(deliveries.size() == 1);
    CHECK(deliveries[0].ok == c.ok);
    CHECK(deliveries[0].attempts == c.attempts);
    CHECK(transport.sent.size() == static_cast<std::size_t>(c.attempts));
    CHECK(deliveries[0].error == c.error);
    CHECK(deliveries[0].error.find("hunter2") == std::string::npos);
    CHECK(deliveries[0].error.find("hooks.example.com") == std::string::npos);
  }
}

TEST_CASE("send_all: a missing, blank or malformed URL fails that target only, naming the variable") {
  struct Case {
    const char* name;
    std::map<std::string, std::string> vars;
    std::string error;
  };
  const std::string missing =
      "slack: SLACK_WEBHOOK_URL is not set: store the webhook URL as a repository secret and pass it to the deploy "
      "step, e.g. `env: SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}`";
  const std::vector<Case> cases = {
      {"unset", {}, missing},
      {"blank", {{"SLACK_WEBHOOK_URL", "  \n"}}, missing},
      {"not a URL",
       {{"SLACK_WEBHOOK_URL", "hooks.slack.com/services/SECRET"}},
       "slack: the URL in SLACK_WEBHOOK_URL is not an https:// URL: check the secret"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Notifications n;
    n.slack = target("SLACK_WEBHOOK_URL");
    n.webhooks = {target("HOOK")};
    auto vars = c.vars;
    vars["HOOK"] = kHookUrl;
    FakeTransport transport;
    const auto deliveries = deploy::notify::send_all(n, sample_event(), transport, env_of(vars));
    REQUIRE(deliveries.size() == 2);
    CHECK_FALSE(deliveries[0].ok);
    CHECK(deliveries[0].attempts == 0);
    CHECK(deliveries[0].error == c.error);
    CHECK(deliveries[1].ok);
    REQUIRE(transport.sent.size() == 1);
    CHECK(transport.sent[0].url == kHookUrl);
  }
}

TEST_CASE("send_all: surrounding whitespace in the secret is trimmed; urls_to_mask lists the set URLs") {
  Notifications n;
  n.slack = target("SLACK_WEBHOOK_URL");
  n.webhooks = {target("HOOK"), target("UNSET")};
  const auto env = env_of({{"SLACK_WEBHOOK_URL", " " + kSlackUrl + "\n"}, {"HOOK", kHookUrl}});
  FakeTransport transport;
  const auto deliveries = deploy::notify::send_all(n, sample_event(), transport, env);
  REQUIRE(transport.sent.size() == 2);
  CHECK(transport.sent[0].url == kSlackUrl);
  CHECK(deploy::notify::urls_to_mask(n, env) == std::vector<std::string>{kSlackUrl, kHookUrl});
}

TEST_CASE("client_options: ten seconds to connect and to answer") {
  const auto options = deploy::notify::client_options();
  CHECK(options.connect_timeout == std::chrono::seconds{10});
  CHECK(options.read_timeout == std::chrono::seconds{10});
}
