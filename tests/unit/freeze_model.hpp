// Test support for core/freeze: a zone made of transitions, and the brute-force model of a
// recurring window that walks time minute by minute (no search, no period arithmetic).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/freeze/window.hpp"

namespace deploy::freeze {

struct Transition {
  Seconds from;
  std::chrono::seconds offset;
};

// Offsets from each transition on; before the first, the first's offset.
class TransitionZone final : public Zone {
 public:
  TransitionZone(std::string name, std::vector<Transition> transitions)
      : name_(std::move(name)), transitions_(std::move(transitions)) {}
  std::string name() const override { return name_; }
  ZonePeriod period_at(Seconds t) const override {
    constexpr auto kFar = std::chrono::hours{24 * 366 * 1000};
    std::size_t i = 0;
    while (i + 1 < transitions_.size() && transitions_[i + 1].from <= t) ++i;
    const Seconds begin = i == 0 ? Seconds{-kFar} : transitions_[i].from;
    const Seconds end = i + 1 < transitions_.size() ? transitions_[i + 1].from : Seconds{kFar};
    return {begin, end, transitions_[i].offset};
  }

 private:
  std::string name_;
  std::vector<Transition> transitions_;
};

// The model: walking UTC minutes from `from`, the wall-clock minutes newly reached at minute u
// (above the highest shown before u, up to the one shown at u) that the expression matches each
// start a window at u. An instant is frozen when a start s has s <= t < s + duration.
class BruteForce {
 public:
  BruteForce(const Cron& cron, const Zone& zone, std::chrono::seconds duration, Seconds from, Seconds to)
      : duration_(duration) {
    std::int64_t highest = local_minute(zone, from - std::chrono::minutes{1});
    for (Seconds u = from; u <= to; u += std::chrono::minutes{1}) {
      const std::int64_t shown = local_minute(zone, u);
      bool start = false;
      for (std::int64_t m = highest + 1; m <= shown; ++m) start = start || cron.matches(m);
      if (start) starts_.push_back(u);
      highest = std::max(highest, shown);
    }
  }

  std::optional<Occurrence> occurrence_at(Seconds t) const {
    std::optional<Occurrence> found;
    for (const Seconds s : starts_) {
      if (s <= t && t < s + duration_) found = Occurrence{"w", s, s + duration_};
    }
    return found;
  }

 private:
  static std::int64_t local_minute(const Zone& zone, Seconds t) {
    const std::int64_t s = local_seconds(zone, t);
    return s / 60 - ((s % 60 != 0) && (s < 0));
  }
  std::chrono::seconds duration_;
  std::vector<Seconds> starts_;
};

}  // namespace deploy::freeze
