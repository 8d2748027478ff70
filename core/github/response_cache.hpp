// The answers to the reads the bot repeats, kept with their validators (ETag, Last-Modified) so the
// next read of the same URL is a conditional request: GitHub answers 304 Not Modified when nothing
// changed, and a 304 does not count against the primary rate limit (docs.github.com, REST "Best
// practices": use conditional requests). GitHub, not the cache, decides whether an answer is still
// right, so a kept answer is never served without asking; the webhooks that announce a change
// (push, member, membership, team, deployment, pull_request...) drop the answers they concern, so
// the read after them is a plain one (bot/cache_invalidation.hpp). Prow's ghproxy is the model.
//
// Keyed by the credential's scope (an installation, or a token) and the request's URL; tagged with
// the owner, the repository (none for an organization's teams) and the RequestKind, which is what
// invalidation selects by. Bounded by entries and bytes, least recently used first out. In memory
// only. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/github/request_kind.hpp"

namespace deploy::github {

struct CachedAnswer {
  std::string etag;           // as GitHub sent it (W/"..." or "..."); may be empty
  std::string last_modified;  // as GitHub sent it; may be empty
  std::string body;           // the raw body of the 200
  std::string link;           // the Link header, so a cached page still says where the next one is
};

// What an entry is about, for invalidation: lowercased owner and repository name ("" for an
// organization's calls, e.g. team memberships).
struct CacheTags {
  std::string owner;
  std::string repository;
  RequestKind kind = RequestKind::other;
};

// Which entries a webhook makes stale: every entry of `owner` (and of `repository` unless empty)
// whose kind is one of `kinds` (empty: every kind). Names are compared case-insensitively.
struct CacheInvalidation {
  std::string owner;
  std::string repository;
  std::vector<RequestKind> kinds;
};

struct ResponseCacheLimits {
  std::size_t max_entries = 4096;
  std::size_t max_bytes = 32 * 1024 * 1024;  // bodies and validators
};

class ResponseCache {
 public:
  explicit ResponseCache(ResponseCacheLimits limits = {});

  std::optional<CachedAnswer> find(const std::string& key);
  // Keeps (or replaces) the answer; an answer larger than the whole budget is not kept.
  void store(const std::string& key, CacheTags tags, CachedAnswer answer);
  // Returns how many entries were dropped.
  std::size_t invalidate(const CacheInvalidation& what);
  void clear();

  std::size_t size() const;
  std::size_t bytes() const;

  // The owner and repository of a request path under the API ("/repos/o/r/...", "/orgs/o/..."),
  // lowercased; empty when the path names neither.
  static CacheTags tags_for(std::string_view path, RequestKind kind);

 private:
  struct Entry {
    std::string key;
    CacheTags tags;
    CachedAnswer answer;
    std::size_t bytes = 0;
  };
  void drop(std::list<Entry>::iterator it);

  ResponseCacheLimits limits_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace deploy::github
