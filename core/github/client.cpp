#include "core/github/client.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/github/encoding.hpp"
#include "core/github/pagination.hpp"
#include "core/github/time.hpp"
#include "core/http/url.hpp"

#ifndef DEPLOY_VERSION
#define DEPLOY_VERSION "0.0.0-dev"
#endif

namespace deploy::github {
namespace {

using std::chrono::milliseconds;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::optional<std::string> find_header(const http::Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

bool is_absolute(std::string_view url) { return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0; }

// scheme://authority, lowercased; empty when `url` is not absolute.
std::string origin_of(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  auto path_start = url.find_first_of("/?#", scheme_end + 3);
  return lower(std::string(url.substr(0, path_start)));
}

// The path of an absolute URL without query or fragment: safe to show, never holds a token.
std::string path_of(std::string_view url) {
  auto scheme_end = url.find("://");
  std::size_t start = scheme_end == std::string_view::npos ? 0 : url.find_first_of("/?#", scheme_end + 3);
  if (start == std::string_view::npos) return "/";
  auto end = url.find_first_of("?#", start);
  std::string path(url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  return path.empty() ? "/" : path;
}

std::string scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "[redacted]");
  }
  return text;
}

std::optional<Json> parse_body(const std::string& body) {
  if (body.empty()) return Json();
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::string string_field(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A 422's errors[]: "Label.color: invalid; Issue.title: missing_field" or custom messages.
std::string summarise_errors(const Json& body) {
  if (!body.is_object() || !body.contains("errors") || !body["errors"].is_array()) return {};
  std::string out;
  for (const auto& e : body["errors"]) {
    std::string item;
    if (e.is_string()) {
      item = e.get<std::string>();
    } else {
      std::string resource = string_field(e, "resource"), field = string_field(e, "field");
      std::string code = string_field(e, "code"), message = string_field(e, "message");
      std::string where = resource.empty() ? field : (field.empty() ? resource : resource + "." + field);
      if (!where.empty()) item = where + ": ";
      if (code == "custom" && !message.empty()) {
        item += message;
      } else {
        item += code.empty() ? message : code;
        if (!message.empty() && !code.empty()) item += " (" + message + ")";
      }
    }
    if (item.empty()) continue;
    if (!out.empty()) out += "; ";
    out += item;
  }
  return out;
}

std::string error_code_for(int status, bool rate_limited) {
  if (rate_limited) return "github_rate_limited";
  switch (status) {
    case 401:
      return "github_unauthorized";
    case 403:
      return "github_forbidden";
    case 404:
      return "github_not_found";
    case 422:
      return "github_validation_failed";
    default:
      return status >= 500 ? "github_server_error" : "github_http_error";
  }
}

// What one attempt produced.
struct AttemptResult {
  std::optional<http::Response> response;
  std::optional<Json> parsed;  // the body, when it is JSON
  AttemptFacts facts;
  std::string transport_message;  // when there was no response
};

enum class Credential { token, installation_token, app_jwt };

// The error for a call that ends with `decision` after `attempts`, with the credential it sent
// scrubbed from every field.
GitHubError failure(const std::string& method, const std::string& path, int attempts, const AttemptResult& result,
                    const RetryDecision& decision, Credential credential, const std::string& secret,
                    std::chrono::system_clock::time_point now) {
  const auto& response = result.response;
  ErrorDetails details;
  details.method = method;
  details.path = path;
  details.attempts = attempts;
  if (response) {
    const Json error_body = result.parsed ? *result.parsed : Json();
    details.status = response->status;
    details.message = result.facts.message;
    if (details.message.empty() && !result.parsed) details.message = "(response body is not JSON)";
    details.documentation_url = string_field(error_body, "documentation_url");
    details.errors = summarise_errors(error_body);
    details.request_id = find_header(response->headers, "x-github-request-id").value_or("");
  } else {
    details.message = "no response: " + result.transport_message;
  }

  const bool rate_limited = is_rate_limited(result.facts);
  if (auto wait = rate_limit_wait(result.facts, now)) {
    details.retry_at = wait->until;
    details.primary_rate_limit = wait->primary;
  }
  if (decision.action == RetryDecision::Action::fail) {
    details.code = "github_wait_ceiling";
    details.hint = decision.message;
  } else if (decision.reason == "not_idempotent") {
    details.code = response ? error_code_for(response->status, false) : "github_network_error";
    details.hint = "not retried: the request may have taken effect and is not safe to repeat; check whether it did";
  } else if (!response) {
    details.code = "github_network_error";
  } else {
    details.code = error_code_for(response->status, rate_limited);
    if (response->status == 401) {
      switch (credential) {
        case Credential::app_jwt:
          details.hint =
              "GitHub refused the App's JWT: check the App ID and private key, and that this machine's "
              "clock is right";
          break;
        case Credential::installation_token:
          details.hint =
              "GitHub refused a freshly issued installation token: check that the App is still "
              "installed on this account";
          break;
        case Credential::token:
          details.hint = "check that the token is set, valid and not expired";
          break;
      }
    } else if (response->status >= 300 && response->status < 400) {
      auto location = find_header(response->headers, "location");
      details.hint = "GitHub answered with a redirect" + (location ? " to " + path_of(*location) : std::string()) +
                     ": the repository was probably renamed or transferred; use its new name";
    } else if (response->status == 403 && !rate_limited) {
      details.hint =
          "the credential lacks permission for this call: for GITHUB_TOKEN grant it under the "
          "workflow's `permissions:`; for a GitHub App, in the App's permissions";
    } else if (rate_limited) {
      details.hint = decision.message;
    }
  }
  // Defence in depth: GitHub never echoes credentials, but a proxy or a simulator might.
  for (auto* field :
       {&details.message, &details.documentation_url, &details.errors, &details.request_id, &details.hint}) {
    *field = scrub(std::move(*field), secret);
  }
  return GitHubError(std::move(details));
}

std::string seg(std::string_view s) { return http::encode_path_segment(s); }
std::string repo_path(const std::string& owner, const std::string& repo) {
  return "/repos/" + seg(owner) + "/" + seg(repo);
}

template <class T>
T decode(const ApiResponse& response, const ApiRequest& request, const std::string& url) {
  try {
    return response.body.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw GitHubError({"github_bad_response", response.status, request.method, path_of(url),
                       std::string("unexpected response body: ") + e.what(), "", "", "", 1, ""});
  } catch (const std::invalid_argument& e) {
    throw GitHubError({"github_bad_response", response.status, request.method, path_of(url),
                       std::string("unexpected response body: ") + e.what(), "", "", "", 1, ""});
  }
}

ApiRequest get(std::string path, Scope scope, Query query = {}) {
  ApiRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.scope = std::move(scope);
  r.query = std::move(query);
  return r;
}

ApiRequest write(std::string method, std::string path, Scope scope, Json body, bool idempotent) {
  ApiRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.scope = std::move(scope);
  r.body = std::move(body);
  r.idempotent = idempotent;
  return r;
}

}  // namespace

std::optional<std::string> ApiResponse::header(std::string_view name) const { return find_header(headers, name); }

Client::Client(http::Transport& transport, Clock& clock, RandomSource random, Credentials credentials,
               ClientOptions options)
    : transport_(&transport),
      clock_(&clock),
      random_(std::move(random)),
      credentials_(std::move(credentials)),
      options_(std::move(options)) {
  if (options_.user_agent.empty()) options_.user_agent = std::string("deploy-action/") + DEPLOY_VERSION;
  std::string base = options_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  origin_ = origin_of(base);
  if (!is_absolute(base) || origin_.size() <= origin_.find("://") + 3) {
    throw std::invalid_argument("GitHub API URL '" + options_.base_url +
                                "' is not an absolute http(s) URL (expected e.g. https://api.github.com or "
                                "https://HOST/api/v3)");
  }
  base_path_ = base.substr(origin_.size());
  if (base_path_.find_first_of("?#") != std::string::npos) {
    throw std::invalid_argument("GitHub API URL '" + options_.base_url + "' must not have a query or fragment");
  }
  if (auto* app = std::get_if<AppCredentials>(&credentials_); app && !app->app) {
    throw std::invalid_argument("GitHub App credentials without an AppAuth");
  }
}

Client Client::observed(RequestObserver observer) const {
  Client copy = *this;
  if (!observer) return copy;
  if (copy.options_.on_request) {
    copy.options_.on_request = [first = std::move(copy.options_.on_request),
                                second = std::move(observer)](const RequestSeen& seen) {
      first(seen);
      second(seen);
    };
  } else {
    copy.options_.on_request = std::move(observer);
  }
  return copy;
}

Client Client::for_installation(std::int64_t installation_id) const {
  Client copy = *this;
  if (auto* app = std::get_if<AppCredentials>(&copy.credentials_)) app->installation_id = installation_id;
  return copy;
}

std::string Client::url_for(const ApiRequest& request) const {
  std::string url;
  if (is_absolute(request.path)) {
    url = request.path;
  } else {
    url = origin_ + base_path_ + (request.path.rfind('/', 0) == 0 ? "" : "/") + request.path;
  }
  char separator = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : request.query) {
    url += separator;
    url += http::encode_query_value(name) + "=" + http::encode_query_value(value);
    separator = '&';
  }
  return url;
}

Client::Auth Client::authorize(const Scope& scope, const std::string& method, const std::string& path) {
  if (auto* token = std::get_if<TokenCredentials>(&credentials_)) return {token->token, std::nullopt};
  auto& app = std::get<AppCredentials>(credentials_);
  if (scope.kind == Scope::Kind::app) return {app.app->jwt(), std::nullopt};
  std::int64_t id = 0;
  if (app.installation_id) {
    id = *app.installation_id;
  } else if (scope.kind == Scope::Kind::repository) {
    id = app.app->installation_for_repo(scope.owner, scope.repo, *this);
  } else {
    throw GitHubError({"github_app_installation_unknown", 0, method, path, "no installation to act as", "", "", "", 0,
                       "this call is not about one repository: give the client the App's installation_id "
                       "(the bot takes it from the webhook's installation.id)"});
  }
  return {app.app->installation_token(id, *this), id};
}

ApiResponse Client::send(const ApiRequest& request) {
  milliseconds waited{0};
  return send_with_budget(request, url_for(request), waited);
}

ApiResponse Client::send_with_budget(const ApiRequest& request, const std::string& url, milliseconds& waited,
                                     const std::string* bearer) {
  const bool idempotent = request.idempotent.value_or(idempotent_by_method(request.method));
  const std::string path = path_of(url);
  const std::string body = request.body ? request.body->dump() : std::string();
  if (origin_of(url) != origin_) {
    throw GitHubError(
        {"github_bad_response", 0, request.method, path,
         "refusing to send the credential to " + origin_of(url) + ", which is not the GitHub API at " + origin_, "", "",
         "", 0, ""});
  }
  bool refreshed = false;
  int attempt = 0;
  // The path under the API (GHES: without "/api/v3"), which is what kinds are told by.
  const std::string api_path =
      !base_path_.empty() && path.rfind(base_path_, 0) == 0 ? path.substr(base_path_.size()) : path;
  const RequestKind kind = classify_request(request.method, api_path);
  const bool write = is_write(request.method);
  // Only reads made with the installation's or the token's credential: never the App's JWT.
  const bool use_cache = options_.cache && !write && bearer == nullptr && cacheable(kind);

  while (true) {
    ++attempt;
    Auth auth = bearer ? Auth{*bearer, std::nullopt} : authorize(request.scope, request.method, path);
    std::string cache_key;
    std::optional<CachedAnswer> kept;
    if (use_cache) {
      // The credential's scope is part of the key: what one installation may read, another may not.
      cache_key = (auth.installation_id ? "installation " + std::to_string(*auth.installation_id)
                                        : "token " + std::to_string(std::hash<std::string>{}(auth.token))) +
                  " " + url;
      kept = options_.cache->find(cache_key);
    }

    http::Request http_request;
    http_request.method = request.method;
    http_request.url = url;
    http_request.headers = {{"Accept", "application/vnd.github+json"},
                            {"X-GitHub-Api-Version", "2022-11-28"},
                            {"User-Agent", options_.user_agent},
                            {"Authorization", "Bearer " + auth.token}};
    if (request.body) {
      http_request.headers.emplace_back("Content-Type", "application/json");
      http_request.body = body;
    }
    const bool conditional = kept && (!kept->etag.empty() || !kept->last_modified.empty());
    if (conditional) {
      // GitHub prefers the ETag; If-Modified-Since only when it sent no ETag (RFC 9110 13.1.3: a
      // server ignores it beside If-None-Match anyway).
      if (!kept->etag.empty())
        http_request.headers.emplace_back("If-None-Match", kept->etag);
      else
        http_request.headers.emplace_back("If-Modified-Since", kept->last_modified);
    }

    AttemptResult attempt_result;
    auto& [response, parsed, facts, transport_message] = attempt_result;
    try {
      response = transport_->send(http_request);
    } catch (const http::TransportError& e) {
      facts.transport_error = e.kind();
      transport_message = e.what();
    }
    const bool not_modified = conditional && response && response->status == 304;
    if (options_.on_request) {
      options_.on_request(
          RequestSeen{kind, request.method, response ? response->status : 0, write, conditional, not_modified});
    }
    if (not_modified) {
      // Unchanged: the kept body is the answer (the 304 carries none), with this answer's headers
      // (rate limit, request id) and the kept Link for paging.
      auto kept_body = parse_body(kept->body);
      if (kept_body) {
        http::Headers headers = std::move(response->headers);
        if (!kept->link.empty()) headers.emplace_back("link", kept->link);
        return ApiResponse{200, std::move(headers), std::move(*kept_body)};
      }
    }

    if (response) {
      parsed = parse_body(response->body);
      facts.status = response->status;
      facts.retry_after = find_header(response->headers, "retry-after");
      facts.ratelimit_remaining = find_header(response->headers, "x-ratelimit-remaining");
      facts.ratelimit_reset = find_header(response->headers, "x-ratelimit-reset");
      if (parsed) facts.message = string_field(*parsed, "message");

      // An installation token can be revoked or expire early: fetch a new one, once per call.
      if (response->status == 401 && auth.installation_id && !refreshed) {
        std::get<AppCredentials>(credentials_).app->invalidate(*auth.installation_id, auth.token);
        refreshed = true;
        --attempt;
        if (options_.on_wait) {
          options_.on_wait("GitHub refused the installation token for " + request.method + " " + path +
                           " (401); fetching a new one");
        }
        continue;
      }
      if (response->status < 300) {
        if (!parsed) {
          throw GitHubError(
              {"github_bad_response", response->status, request.method, path, "response body is not JSON", "", "",
               scrub(find_header(response->headers, "x-github-request-id").value_or(""), auth.token), attempt, ""});
        }
        if (use_cache && response->status == 200) {
          CachedAnswer answer{find_header(response->headers, "etag").value_or(""),
                              find_header(response->headers, "last-modified").value_or(""), response->body,
                              find_header(response->headers, "link").value_or("")};
          if (!answer.etag.empty() || !answer.last_modified.empty()) {
            options_.cache->store(cache_key, ResponseCache::tags_for(api_path, kind), std::move(answer));
          }
        }
        return ApiResponse{response->status, std::move(response->headers), std::move(*parsed)};
      }
    }

    RetryContext context{attempt, idempotent, clock_->now(), waited, random_()};
    RetryDecision decision = decide_retry(facts, context, options_.retry);
    if (decision.action == RetryDecision::Action::retry) {
      if (options_.on_wait) options_.on_wait(request.method + " " + path + ": " + scrub(decision.message, auth.token));
      clock_->sleep_for(decision.wait);
      waited += decision.wait;
      continue;
    }

    Credential credential = Credential::token;
    if (auth.installation_id) {
      credential = Credential::installation_token;
    } else if (request.scope.kind == Scope::Kind::app && std::holds_alternative<AppCredentials>(credentials_)) {
      credential = Credential::app_jwt;
    }
    throw failure(request.method, path, attempt, attempt_result, decision, credential, auth.token, context.now);
  }
}

void Client::for_each_page(const ApiRequest& request, const std::function<bool(const ApiResponse&)>& on_page) {
  ApiRequest first = request;
  bool has_per_page =
      std::any_of(first.query.begin(), first.query.end(), [](const auto& q) { return q.first == "per_page"; });
  if (!has_per_page) first.query.emplace_back("per_page", "100");
  std::string url = url_for(first);
  milliseconds waited{0};
  for (int page = 1;; ++page) {
    if (page > options_.max_pages) {
      throw GitHubError({"github_too_many_pages", 0, request.method, path_of(url),
                         "more than " + std::to_string(options_.max_pages) + " pages", "", "", "", 0,
                         "narrow the query, or raise the client's max_pages"});
    }
    ApiResponse response = send_with_budget(first, url, waited);
    if (!on_page(response)) return;
    auto link = response.header("link");
    if (!link) return;
    auto next = next_link(*link);
    if (!next) return;
    if (!is_absolute(*next)) {
      if (next->rfind('/', 0) != 0) {
        throw GitHubError({"github_bad_response", response.status, request.method, path_of(url),
                           "Link header has a next URL that is neither absolute nor rooted: " + path_of(*next), "", "",
                           "", 0, ""});
      }
      *next = origin_ + *next;
    }
    if (origin_of(*next) != origin_) {
      throw GitHubError(
          {"github_bad_response", response.status, request.method, path_of(url),
           "Link header points at another host (" + origin_of(*next) + "); refusing to send the credential there", "",
           "", "", 0, "check the GitHub API URL (GITHUB_API_URL) and any proxy in between"});
    }
    url = *next;
  }
}

std::vector<Json> Client::list(const ApiRequest& request, std::optional<std::size_t> limit) {
  std::vector<Json> items;
  if (limit && *limit == 0) return items;
  for_each_page(request, [&](const ApiResponse& response) {
    if (!response.body.is_array()) {
      throw GitHubError({"github_bad_response", response.status, request.method, path_of(url_for(request)),
                         std::string("expected a JSON array, got ") + response.body.type_name(), "", "", "", 1, ""});
    }
    for (const auto& item : response.body) {
      items.push_back(item);
      if (limit && items.size() >= *limit) return false;
    }
    return true;
  });
  return items;
}

template <class T>
std::vector<T> Client::list_of(const ApiRequest& request, std::optional<std::size_t> limit) {
  std::vector<T> out;
  const std::string url = url_for(request);
  for (auto& item : list(request, limit)) {
    ApiResponse wrapped{200, {}, std::move(item)};
    out.push_back(decode<T>(wrapped, request, url));
  }
  return out;
}

template <class T>
std::optional<T> Client::get_or_not_found(const ApiRequest& request) {
  std::string url = url_for(request);
  milliseconds waited{0};
  try {
    return decode<T>(send_with_budget(request, url, waited), request, url);
  } catch (const GitHubError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

// ---- AppApi ----

InstallationToken Client::exchange_installation_token(std::int64_t installation_id, const std::string& jwt) {
  ApiRequest request = write("POST", "/app/installations/" + std::to_string(installation_id) + "/access_tokens",
                             Scope::app(), Json::object(), true);
  std::string url = url_for(request);
  milliseconds waited{0};
  ApiResponse response = send_with_budget(request, url, waited, &jwt);
  std::string token = string_field(response.body, "token");
  auto expires = parse_rfc3339(string_field(response.body, "expires_at"));
  if (token.empty() || !expires) {
    throw GitHubError({"github_bad_response", response.status, request.method, path_of(url),
                       "installation token response lacks token or a valid expires_at", "", "", "", 1, ""});
  }
  return InstallationToken{std::move(token), *expires};
}

std::int64_t Client::find_repo_installation_id(const std::string& owner, const std::string& repo,
                                               const std::string& jwt) {
  ApiRequest request = get(repo_path(owner, repo) + "/installation", Scope::app());
  std::string url = url_for(request);
  milliseconds waited{0};
  ApiResponse response;
  try {
    response = send_with_budget(request, url, waited, &jwt);
  } catch (const GitHubError& e) {
    if (e.status() != 404) throw;
    ErrorDetails details = e.details();
    details.code = "github_app_installation_unknown";
    details.hint = "the GitHub App is not installed on " + owner + "/" + repo + ": install it there";
    throw GitHubError(std::move(details));
  }
  auto installation = decode<Installation>(response, request, url);
  return installation.id;
}

// ---- typed methods ----

Repository Client::get_repository(const std::string& owner, const std::string& repo) {
  auto r = get(repo_path(owner, repo), Scope::repository(owner, repo));
  return decode<Repository>(send(r), r, url_for(r));
}

std::optional<CollaboratorPermission> Client::get_collaborator_permission(const std::string& owner,
                                                                          const std::string& repo,
                                                                          const std::string& username) {
  return get_or_not_found<CollaboratorPermission>(
      get(repo_path(owner, repo) + "/collaborators/" + seg(username) + "/permission", Scope::repository(owner, repo)));
}

std::optional<TeamMembership> Client::get_team_membership(const std::string& org, const std::string& team_slug,
                                                          const std::string& username) {
  return get_or_not_found<TeamMembership>(
      get("/orgs/" + seg(org) + "/teams/" + seg(team_slug) + "/memberships/" + seg(username), Scope::installation()));
}

Commit Client::get_commit(const std::string& owner, const std::string& repo, const std::string& ref) {
  auto r = get(repo_path(owner, repo) + "/commits/" + encode_path(ref), Scope::repository(owner, repo));
  return decode<Commit>(send(r), r, url_for(r));
}

Comparison Client::compare(const std::string& owner, const std::string& repo, const std::string& base,
                           const std::string& head) {
  auto r = get(repo_path(owner, repo) + "/compare/" + encode_path(base) + "..." + encode_path(head),
               Scope::repository(owner, repo));
  std::optional<Comparison> result;
  for_each_page(r, [&](const ApiResponse& page) {
    auto parsed = decode<Comparison>(page, r, url_for(r));
    if (!result) {
      result = std::move(parsed);
    } else {
      for (auto& c : parsed.commits) result->commits.push_back(std::move(c));
    }
    return true;
  });
  return std::move(*result);
}

std::vector<PullRequest> Client::list_pull_requests_for_commit(const std::string& owner, const std::string& repo,
                                                               const std::string& sha) {
  return list_of<PullRequest>(
      get(repo_path(owner, repo) + "/commits/" + seg(sha) + "/pulls", Scope::repository(owner, repo)));
}

std::optional<GitRef> Client::get_ref(const std::string& owner, const std::string& repo, const std::string& ref) {
  std::string_view name = ref;
  if (name.rfind("refs/", 0) == 0) name.remove_prefix(5);  // the endpoint wants "heads/x", not "refs/heads/x"
  return get_or_not_found<GitRef>(
      get(repo_path(owner, repo) + "/git/ref/" + encode_path(name), Scope::repository(owner, repo)));
}

std::vector<Tag> Client::list_tags(const std::string& owner, const std::string& repo) {
  return list_of<Tag>(get(repo_path(owner, repo) + "/tags", Scope::repository(owner, repo)));
}

std::string Client::create_blob(const std::string& owner, const std::string& repo, const std::string& content) {
  auto r = write("POST", repo_path(owner, repo) + "/git/blobs", Scope::repository(owner, repo),
                 Json{{"content", content}, {"encoding", "utf-8"}}, true);
  auto response = send(r);
  return string_field(response.body, "sha");
}

std::string Client::get_blob(const std::string& owner, const std::string& repo, const std::string& sha) {
  auto r = get(repo_path(owner, repo) + "/git/blobs/" + seg(sha), Scope::repository(owner, repo));
  auto response = send(r);
  const std::string encoding = string_field(response.body, "encoding");
  std::string text = string_field(response.body, "content");
  if (encoding == "utf-8") return text;
  auto decoded = base64_decode(text);
  if (encoding != "base64" || !decoded) {
    throw GitHubError({"github_bad_response", response.status, r.method, path_of(url_for(r)),
                       "blob " + sha + " is not valid base64 (encoding '" + encoding + "')", "", "", "", 1, ""});
  }
  return *decoded;
}

std::optional<GitTree> Client::get_tree(const std::string& owner, const std::string& repo, const std::string& tree_sha,
                                        bool recursive) {
  Query query;
  if (recursive) query.emplace_back("recursive", "1");
  auto r = get(repo_path(owner, repo) + "/git/trees/" + seg(tree_sha), Scope::repository(owner, repo), query);
  ApiResponse response;
  try {
    response = send(r);
  } catch (const GitHubError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
  GitTree tree;
  tree.sha = string_field(response.body, "sha");
  tree.truncated = response.body.value("truncated", false);
  if (response.body.contains("tree") && response.body["tree"].is_array()) {
    for (const auto& item : response.body["tree"]) {
      GitTreeEntry entry;
      entry.path = string_field(item, "path");
      entry.mode = string_field(item, "mode");
      entry.type = string_field(item, "type");
      entry.sha = string_field(item, "sha");
      if (item.contains("size") && item["size"].is_number_integer()) entry.size = item["size"].get<std::int64_t>();
      tree.entries.push_back(std::move(entry));
    }
  }
  return tree;
}

std::string Client::create_tree(const std::string& owner, const std::string& repo, const std::string& base_tree,
                                const std::vector<NewTreeFile>& files) {
  Json entries = Json::array();
  for (const auto& file : files) {
    entries.push_back({{"path", file.path}, {"mode", "100644"}, {"type", "blob"}, {"sha", file.blob_sha}});
  }
  Json body{{"tree", entries}};
  if (!base_tree.empty()) body["base_tree"] = base_tree;
  auto r = write("POST", repo_path(owner, repo) + "/git/trees", Scope::repository(owner, repo), body, true);
  return string_field(send(r).body, "sha");
}

std::string Client::create_git_commit(const std::string& owner, const std::string& repo, const std::string& message,
                                      const std::string& tree, const std::vector<std::string>& parents) {
  auto r = write("POST", repo_path(owner, repo) + "/git/commits", Scope::repository(owner, repo),
                 Json{{"message", message}, {"tree", tree}, {"parents", parents}}, true);
  return string_field(send(r).body, "sha");
}

GitRef Client::create_ref(const std::string& owner, const std::string& repo, const std::string& ref,
                          const std::string& sha) {
  auto r = write("POST", repo_path(owner, repo) + "/git/refs", Scope::repository(owner, repo),
                 Json{{"ref", ref}, {"sha", sha}}, false);
  return decode<GitRef>(send(r), r, url_for(r));
}

GitRef Client::update_ref(const std::string& owner, const std::string& repo, const std::string& ref,
                          const std::string& sha) {
  std::string_view name = ref;
  if (name.rfind("refs/", 0) == 0) name.remove_prefix(5);
  auto r = write("PATCH", repo_path(owner, repo) + "/git/refs/" + encode_path(name), Scope::repository(owner, repo),
                 Json{{"sha", sha}, {"force", false}}, true);
  return decode<GitRef>(send(r), r, url_for(r));
}

bool Client::delete_ref(const std::string& owner, const std::string& repo, const std::string& ref) {
  std::string_view name = ref;
  if (name.rfind("refs/", 0) == 0) name.remove_prefix(5);
  auto r = get(repo_path(owner, repo) + "/git/refs/" + encode_path(name), Scope::repository(owner, repo));
  r.method = "DELETE";  // no body; answered 204
  try {
    send(r);
  } catch (const GitHubError& e) {
    if (e.status() == 422 || e.status() == 404) return false;  // gone already
    throw;
  }
  return true;
}

std::vector<GitRef> Client::list_matching_refs(const std::string& owner, const std::string& repo,
                                               const std::string& prefix) {
  std::string_view name = prefix;
  if (name.rfind("refs/", 0) == 0) name.remove_prefix(5);
  return list_of<GitRef>(
      get(repo_path(owner, repo) + "/git/matching-refs/" + encode_path(name), Scope::repository(owner, repo)));
}

std::optional<Content> Client::get_content(const std::string& owner, const std::string& repo, const std::string& path,
                                           const std::optional<std::string>& ref) {
  Query query;
  if (ref) query.emplace_back("ref", *ref);
  auto r = get(repo_path(owner, repo) + "/contents/" + encode_path(path), Scope::repository(owner, repo), query);
  std::string url = url_for(r);
  milliseconds waited{0};
  ApiResponse response;
  try {
    response = send_with_budget(r, url, waited);
  } catch (const GitHubError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
  auto fail = [&](const std::string& why) {
    return GitHubError({"github_bad_response", response.status, r.method, path_of(url), why, "", "", "", 1, ""});
  };
  if (response.body.is_array()) throw fail("'" + path + "' is a directory, not a file");
  if (!response.body.is_object()) throw fail("expected a JSON object for a file");
  Content content;
  content.type = string_field(response.body, "type");
  if (content.type != "file") throw fail("'" + path + "' is a " + content.type + ", not a file");
  content.path = string_field(response.body, "path");
  content.sha = string_field(response.body, "sha");
  if (auto it = response.body.find("size"); it != response.body.end() && it->is_number_integer()) {
    content.size = it->get<std::int64_t>();
  }
  std::string encoding = string_field(response.body, "encoding");
  if (encoding != "base64") {
    throw fail("'" + path + "' came with encoding '" + encoding +
               "' (GitHub does not inline files over 1 MB); keep the file smaller");
  }
  auto text = base64_decode(string_field(response.body, "content"));
  if (!text) throw fail("'" + path + "' content is not valid base64");
  content.text = std::move(*text);
  content.raw = std::move(response.body);
  return content;
}

PullRequest Client::get_pull_request(const std::string& owner, const std::string& repo, int number) {
  auto r = get(repo_path(owner, repo) + "/pulls/" + std::to_string(number), Scope::repository(owner, repo));
  return decode<PullRequest>(send(r), r, url_for(r));
}

std::vector<Review> Client::list_reviews(const std::string& owner, const std::string& repo, int number) {
  return list_of<Review>(
      get(repo_path(owner, repo) + "/pulls/" + std::to_string(number) + "/reviews", Scope::repository(owner, repo)));
}

std::vector<IssueComment> Client::list_issue_comments(const std::string& owner, const std::string& repo,
                                                      int issue_number, const std::optional<std::string>& since) {
  Query query;
  if (since) query.emplace_back("since", *since);
  return list_of<IssueComment>(get(repo_path(owner, repo) + "/issues/" + std::to_string(issue_number) + "/comments",
                                   Scope::repository(owner, repo), query));
}

IssueComment Client::create_issue_comment(const std::string& owner, const std::string& repo, int issue_number,
                                          const std::string& body) {
  auto r = write("POST", repo_path(owner, repo) + "/issues/" + std::to_string(issue_number) + "/comments",
                 Scope::repository(owner, repo), Json{{"body", body}}, false);
  return decode<IssueComment>(send(r), r, url_for(r));
}

IssueComment Client::update_issue_comment(const std::string& owner, const std::string& repo, std::int64_t comment_id,
                                          const std::string& body) {
  auto r = write("PATCH", repo_path(owner, repo) + "/issues/comments/" + std::to_string(comment_id),
                 Scope::repository(owner, repo), Json{{"body", body}}, true);
  return decode<IssueComment>(send(r), r, url_for(r));
}

Issue Client::create_issue(const std::string& owner, const std::string& repo, const NewIssue& issue) {
  auto r =
      write("POST", repo_path(owner, repo) + "/issues", Scope::repository(owner, repo), request_body(issue), false);
  return decode<Issue>(send(r), r, url_for(r));
}

Issue Client::get_issue(const std::string& owner, const std::string& repo, int number) {
  auto r = get(repo_path(owner, repo) + "/issues/" + std::to_string(number), Scope::repository(owner, repo));
  return decode<Issue>(send(r), r, url_for(r));
}

Issue Client::update_issue(const std::string& owner, const std::string& repo, int number, const IssueUpdate& update) {
  auto r = write("PATCH", repo_path(owner, repo) + "/issues/" + std::to_string(number), Scope::repository(owner, repo),
                 request_body(update), true);
  return decode<Issue>(send(r), r, url_for(r));
}

Reaction Client::create_issue_comment_reaction(const std::string& owner, const std::string& repo,
                                               std::int64_t comment_id, const std::string& content) {
  auto r = write("POST", repo_path(owner, repo) + "/issues/comments/" + std::to_string(comment_id) + "/reactions",
                 Scope::repository(owner, repo), Json{{"content", content}}, true);
  return decode<Reaction>(send(r), r, url_for(r));
}

Reaction Client::create_commit_comment_reaction(const std::string& owner, const std::string& repo,
                                                std::int64_t comment_id, const std::string& content) {
  auto r = write("POST", repo_path(owner, repo) + "/comments/" + std::to_string(comment_id) + "/reactions",
                 Scope::repository(owner, repo), Json{{"content", content}}, true);
  return decode<Reaction>(send(r), r, url_for(r));
}

std::vector<CommitComment> Client::list_commit_comments(const std::string& owner, const std::string& repo,
                                                        const std::string& sha) {
  return list_of<CommitComment>(
      get(repo_path(owner, repo) + "/commits/" + seg(sha) + "/comments", Scope::repository(owner, repo)));
}

CommitComment Client::create_commit_comment(const std::string& owner, const std::string& repo, const std::string& sha,
                                            const std::string& body) {
  auto r = write("POST", repo_path(owner, repo) + "/commits/" + seg(sha) + "/comments", Scope::repository(owner, repo),
                 Json{{"body", body}}, false);
  return decode<CommitComment>(send(r), r, url_for(r));
}

CommitStatus Client::create_commit_status(const std::string& owner, const std::string& repo, const std::string& sha,
                                          const NewCommitStatus& status) {
  // Not idempotent: GitHub keeps every status it is sent, so a retry after a lost answer adds a
  // second entry. The caller (the bot's Context::once) looks for it before setting it again.
  auto r = write("POST", repo_path(owner, repo) + "/statuses/" + seg(sha), Scope::repository(owner, repo),
                 request_body(status), false);
  return decode<CommitStatus>(send(r), r, url_for(r));
}

CombinedStatus Client::get_combined_status(const std::string& owner, const std::string& repo, const std::string& ref) {
  auto r = get(repo_path(owner, repo) + "/commits/" + encode_path(ref) + "/status", Scope::repository(owner, repo));
  std::optional<CombinedStatus> result;
  for_each_page(r, [&](const ApiResponse& page) {
    auto parsed = decode<CombinedStatus>(page, r, url_for(r));
    if (!result) {
      result = std::move(parsed);
    } else {
      for (auto& s : parsed.statuses) result->statuses.push_back(std::move(s));
    }
    return true;
  });
  return std::move(*result);
}

std::vector<CommitStatus> Client::list_commit_statuses(const std::string& owner, const std::string& repo,
                                                       const std::string& ref, std::optional<std::size_t> limit) {
  return list_of<CommitStatus>(
      get(repo_path(owner, repo) + "/commits/" + encode_path(ref) + "/statuses", Scope::repository(owner, repo)),
      limit);
}

std::vector<CheckRun> Client::list_check_runs_for_ref(const std::string& owner, const std::string& repo,
                                                      const std::string& ref) {
  auto r = get(repo_path(owner, repo) + "/commits/" + encode_path(ref) + "/check-runs", Scope::repository(owner, repo),
               Query{{"filter", "latest"}});
  std::vector<CheckRun> runs;
  const std::string url = url_for(r);
  for_each_page(r, [&](const ApiResponse& page) {
    // Unlike most lists, the page is an object: {total_count, check_runs: [...]}.
    if (!page.body.is_object() || !page.body.contains("check_runs") || !page.body["check_runs"].is_array()) {
      throw GitHubError({"github_bad_response", page.status, r.method, path_of(url),
                         "expected an object with a check_runs array", "", "", "", 1, ""});
    }
    for (const auto& item : page.body["check_runs"]) {
      ApiResponse wrapped{200, {}, item};
      runs.push_back(decode<CheckRun>(wrapped, r, url));
    }
    return true;
  });
  return runs;
}

Deployment Client::create_deployment(const std::string& owner, const std::string& repo,
                                     const NewDeployment& deployment) {
  auto r = write("POST", repo_path(owner, repo) + "/deployments", Scope::repository(owner, repo),
                 request_body(deployment), false);
  ApiResponse response = send(r);
  if (response.status == 202) {
    throw GitHubError({"github_deployment_not_created", 202, r.method, path_of(url_for(r)),
                       string_field(response.body, "message"), "", "",
                       response.header("x-github-request-id").value_or(""), 1,
                       "GitHub merged the default branch into the ref instead of deploying; pass auto_merge=false"});
  }
  return decode<Deployment>(response, r, url_for(r));
}

std::vector<Deployment> Client::list_deployments(const std::string& owner, const std::string& repo,
                                                 const DeploymentFilter& filter, std::optional<std::size_t> limit) {
  Query query;
  if (filter.sha) query.emplace_back("sha", *filter.sha);
  if (filter.ref) query.emplace_back("ref", *filter.ref);
  if (filter.task) query.emplace_back("task", *filter.task);
  if (filter.environment) query.emplace_back("environment", *filter.environment);
  return list_of<Deployment>(get(repo_path(owner, repo) + "/deployments", Scope::repository(owner, repo), query),
                             limit);
}

DeploymentStatus Client::create_deployment_status(const std::string& owner, const std::string& repo,
                                                  std::int64_t deployment_id, const NewDeploymentStatus& status) {
  auto r = write("POST", repo_path(owner, repo) + "/deployments/" + std::to_string(deployment_id) + "/statuses",
                 Scope::repository(owner, repo), request_body(status), true);
  return decode<DeploymentStatus>(send(r), r, url_for(r));
}

std::vector<DeploymentStatus> Client::list_deployment_statuses(const std::string& owner, const std::string& repo,
                                                               std::int64_t deployment_id,
                                                               std::optional<std::size_t> limit) {
  return list_of<DeploymentStatus>(
      get(repo_path(owner, repo) + "/deployments/" + std::to_string(deployment_id) + "/statuses",
          Scope::repository(owner, repo)),
      limit);
}

std::optional<Release> Client::get_release_by_tag(const std::string& owner, const std::string& repo,
                                                  const std::string& tag) {
  return get_or_not_found<Release>(
      get(repo_path(owner, repo) + "/releases/tags/" + seg(tag), Scope::repository(owner, repo)));
}

Release Client::create_release(const std::string& owner, const std::string& repo, const NewRelease& release) {
  auto r =
      write("POST", repo_path(owner, repo) + "/releases", Scope::repository(owner, repo), request_body(release), false);
  return decode<Release>(send(r), r, url_for(r));
}

Release Client::update_release(const std::string& owner, const std::string& repo, std::int64_t release_id,
                               const ReleaseUpdate& update) {
  auto r = write("PATCH", repo_path(owner, repo) + "/releases/" + std::to_string(release_id),
                 Scope::repository(owner, repo), request_body(update), true);
  return decode<Release>(send(r), r, url_for(r));
}

WorkflowDispatchResult Client::create_workflow_dispatch(const std::string& owner, const std::string& repo,
                                                        const std::string& workflow, const std::string& ref,
                                                        const std::map<std::string, std::string>& inputs,
                                                        bool return_run_details) {
  Json body = {{"ref", ref}};
  if (!inputs.empty()) body["inputs"] = inputs;
  if (return_run_details) body["return_run_details"] = true;
  auto r = write("POST", repo_path(owner, repo) + "/actions/workflows/" + seg(workflow) + "/dispatches",
                 Scope::repository(owner, repo), std::move(body), false);
  ApiResponse response = send(r);
  WorkflowDispatchResult result;
  if (response.body.is_object()) {
    if (auto it = response.body.find("workflow_run_id"); it != response.body.end() && it->is_number_integer()) {
      result.workflow_run_id = it->get<std::int64_t>();
    }
    result.run_url = string_field(response.body, "run_url");
    result.html_url = string_field(response.body, "html_url");
  }
  return result;
}

WorkflowRun Client::get_workflow_run(const std::string& owner, const std::string& repo, std::int64_t run_id) {
  auto r = get(repo_path(owner, repo) + "/actions/runs/" + std::to_string(run_id), Scope::repository(owner, repo));
  return decode<WorkflowRun>(send(r), r, url_for(r));
}

std::vector<WorkflowRun> Client::list_workflow_runs(const std::string& owner, const std::string& repo,
                                                    const std::string& workflow, const std::string& event,
                                                    const std::string& created_since) {
  auto r = get(repo_path(owner, repo) + "/actions/workflows/" + seg(workflow) + "/runs", Scope::repository(owner, repo),
               Query{{"event", event}, {"created", ">=" + created_since}, {"exclude_pull_requests", "true"}});
  std::vector<WorkflowRun> runs;
  const std::string url = url_for(r);
  for_each_page(r, [&](const ApiResponse& page) {
    // The page is an object: {total_count, workflow_runs: [...]}.
    if (!page.body.is_object() || !page.body.contains("workflow_runs") || !page.body["workflow_runs"].is_array()) {
      throw GitHubError({"github_bad_response", page.status, r.method, path_of(url),
                         "expected an object with a workflow_runs array", "", "", "", 1, ""});
    }
    for (const auto& item : page.body["workflow_runs"]) {
      ApiResponse wrapped{200, {}, item};
      runs.push_back(decode<WorkflowRun>(wrapped, r, url));
    }
    return true;
  });
  return runs;
}

void Client::review_custom_gate(const std::string& owner, const std::string& repo, std::int64_t run_id,
                                const ProtectionRuleReview& review) {
  send(write("POST", repo_path(owner, repo) + "/actions/runs/" + std::to_string(run_id) + "/deployment_protection_rule",
             Scope::repository(owner, repo), request_body(review), true));
}

std::optional<Environment> Client::get_environment(const std::string& owner, const std::string& repo,
                                                   const std::string& environment) {
  return get_or_not_found<Environment>(
      get(repo_path(owner, repo) + "/environments/" + seg(environment), Scope::repository(owner, repo)));
}

App Client::get_app() {
  auto r = get("/app", Scope::app());
  return decode<App>(send(r), r, url_for(r));
}

Installation Client::get_repo_installation(const std::string& owner, const std::string& repo) {
  auto r = get(repo_path(owner, repo) + "/installation", Scope::app());
  return decode<Installation>(send(r), r, url_for(r));
}

InstallationToken Client::create_installation_token(std::int64_t installation_id) {
  auto* app = std::get_if<AppCredentials>(&credentials_);
  if (!app) {
    throw GitHubError({"github_app_installation_unknown", 0, "POST",
                       "/app/installations/" + std::to_string(installation_id) + "/access_tokens",
                       "installation tokens need GitHub App credentials", "", "", "", 0, ""});
  }
  return exchange_installation_token(installation_id, app->app->jwt());
}

}  // namespace deploy::github
