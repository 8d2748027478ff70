#include "rate_limits.hpp"

#include "api_error.hpp"

namespace deploy::sim {

namespace {

RateBucket& bucket_for(State& state, const Identity& who) {
  RateBucket& bucket = state.rate_buckets()[who.rate_key];
  TimePoint now = state.now();
  if (bucket.reset <= now) {
    // The seed's "rate_limit" replaces GitHub's 5000 an hour for authenticated callers.
    const auto& seeded = state.doc().value("rate_limit", nlohmann::json::object());
    bucket.used = 0;
    bucket.reset = now + std::chrono::seconds(seeded.value("window_seconds", 3600LL));
    bucket.limit = who.kind == Identity::Kind::none ? 60 : seeded.value("limit", 5000LL);
  }
  return bucket;
}

HeaderList headers_of(const RateBucket& bucket) {
  return {{"x-ratelimit-limit", std::to_string(bucket.limit)},
          {"x-ratelimit-remaining", std::to_string(std::max(0LL, bucket.limit - bucket.used))},
          {"x-ratelimit-reset", std::to_string(epoch_seconds(bucket.reset))},
          {"x-ratelimit-used", std::to_string(bucket.used)},
          {"x-ratelimit-resource", "core"}};
}

}  // namespace

RateBucket& count_request(State& state, const Identity& who, bool count) {
  RateBucket& bucket = bucket_for(state, who);
  if (!count) return bucket;
  if (bucket.used >= bucket.limit) {
    std::string subject = "127.0.0.1";
    if (who.kind == Identity::Kind::installation) subject = "installation ID " + std::to_string(who.installation_id);
    if (!who.login.empty() && who.kind == Identity::Kind::token) {
      subject = "user ID " + std::to_string(state.ensure_user(who.login)["id"].get<long long>());
    }
    throw ApiError(
        403,
        {{"message", "API rate limit exceeded for " + subject + "."},
         {"documentation_url",
          "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"}},
        headers_of(bucket));
  }
  ++bucket.used;
  return bucket;
}

void add_rate_limit_headers(Response& response, const RateBucket& bucket) {
  for (auto& [name, value] : headers_of(bucket)) {
    if (response.header(name).empty()) response.set_header(name, value);
  }
}

nlohmann::json rate_limit_resources(State& state, const Identity& who) {
  RateBucket& bucket = bucket_for(state, who);
  auto entry = [&](long long limit, long long used, TimePoint reset) {
    return nlohmann::json{
        {"limit", limit}, {"used", used}, {"remaining", limit - used}, {"reset", epoch_seconds(reset)}};
  };
  TimePoint minute = state.now() + std::chrono::minutes(1);
  TimePoint hour = state.now() + std::chrono::hours(1);
  return {{"core", entry(bucket.limit, bucket.used, bucket.reset)},
          {"search", entry(30, 0, minute)},
          {"code_search", entry(10, 0, minute)},
          {"graphql", entry(5000, 0, hour)},
          {"integration_manifest", entry(5000, 0, hour)},
          {"dependency_snapshots", entry(100, 0, minute)},
          {"dependency_sbom", entry(100, 0, hour)},
          {"code_scanning_upload", entry(1000, 0, hour)},
          {"actions_runner_registration", entry(10000, 0, hour)},
          {"scim", entry(15000, 0, hour)}};
}

}  // namespace deploy::sim
