#include "core/github/response_cache.hpp"

#include <algorithm>
#include <cctype>

namespace deploy::github {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::size_t size_of(const std::string& key, const CacheTags& tags, const CachedAnswer& a) {
  return key.size() + tags.owner.size() + tags.repository.size() + a.etag.size() + a.last_modified.size() +
         a.body.size() + a.link.size() + 64;  // the entry's own bookkeeping, roughly
}

// The path's segment `index` ("/repos/o/r" -> 0 "repos", 1 "o", 2 "r"), "" when absent.
std::string_view segment(std::string_view path, std::size_t index) {
  std::size_t i = 0;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto end = path.find_first_of("/?#");
    if (i == index) return path.substr(0, end);
    if (end == std::string_view::npos || path[end] != '/') return {};
    path.remove_prefix(end);
    ++i;
  }
  return {};
}

}  // namespace

ResponseCache::ResponseCache(ResponseCacheLimits limits) : limits_(limits) {}

std::optional<CachedAnswer> ResponseCache::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->answer;
}

void ResponseCache::store(const std::string& key, CacheTags tags, CachedAnswer answer) {
  tags.owner = lower(tags.owner);
  tags.repository = lower(tags.repository);
  const std::size_t bytes = size_of(key, tags, answer);
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) drop(it->second);
  if (bytes > limits_.max_bytes || limits_.max_entries == 0) return;
  while (!entries_.empty() && (entries_.size() >= limits_.max_entries || bytes_ + bytes > limits_.max_bytes)) {
    drop(std::prev(entries_.end()));
  }
  entries_.push_front(Entry{key, std::move(tags), std::move(answer), bytes});
  index_[key] = entries_.begin();
  bytes_ += bytes;
}

std::size_t ResponseCache::invalidate(const CacheInvalidation& what) {
  const std::string owner = lower(what.owner);
  const std::string repository = lower(what.repository);
  std::lock_guard lock(mutex_);
  std::size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto& tags = it->tags;
    const bool match =
        tags.owner == owner && (repository.empty() || tags.repository == repository) &&
        (what.kinds.empty() || std::find(what.kinds.begin(), what.kinds.end(), tags.kind) != what.kinds.end());
    auto next = std::next(it);
    if (match) {
      drop(it);
      ++dropped;
    }
    it = next;
  }
  return dropped;
}

void ResponseCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  index_.clear();
  bytes_ = 0;
}

std::size_t ResponseCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::size_t ResponseCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void ResponseCache::drop(std::list<Entry>::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->key);
  entries_.erase(it);
}

CacheTags ResponseCache::tags_for(std::string_view path, RequestKind kind) {
  CacheTags tags;
  tags.kind = kind;
  const auto first = segment(path, 0);
  if (first == "repos") {
    tags.owner = lower(segment(path, 1));
    tags.repository = lower(segment(path, 2));
  } else if (first == "orgs") {
    tags.owner = lower(segment(path, 1));
  }
  return tags;
}

}  // namespace deploy::github
