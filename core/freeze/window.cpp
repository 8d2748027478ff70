#include "core/freeze/window.hpp"

#include <algorithm>
#include <stdexcept>

namespace deploy::freeze {

namespace {
using std::chrono::seconds;
// Wall clock is never more than this from UTC (the tz database's extremes are about 15 h), so the
// periods two days around an instant hold everything that decides it.
constexpr seconds kReach = std::chrono::hours{48};
constexpr int kMaxPeriods = 1000;  // a zone changing offset more often than this in 4 days is broken

// The periods overlapping [from, to), in time order.
std::vector<ZonePeriod> periods(const Zone& zone, Seconds from, Seconds to) {
  std::vector<ZonePeriod> out;
  Seconds t = from;
  while (t < to) {
    ZonePeriod p = zone.period_at(t);
    if (p.end <= t || p.begin > t) {
      throw std::logic_error("time zone " + zone.name() + " returned a period that does not hold the instant asked");
    }
    out.push_back(p);
    t = p.end;
    if (out.size() > kMaxPeriods) throw std::logic_error("time zone " + zone.name() + " has too many periods");
  }
  return out;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The latest wall-clock time the zone has shown at or before `t` (after the clocks fall back, the
// wall clock repeats an hour it already showed: this is the highest it reached).
std::int64_t highest_local(const Zone& zone, Seconds t) {
  std::int64_t best = local_seconds(zone, t);
  for (const auto& p : periods(zone, t - kReach, t)) {
    if (p.end <= t) best = std::max(best, (p.end - seconds{1} + p.offset).time_since_epoch().count());
  }
  return best;
}

}  // namespace

ZonePeriod FixedZone::period_at(Seconds) const {
  // Far enough to cover any instant a sys_seconds holds without overflow in the callers' sums.
  constexpr auto kFar = std::chrono::hours{24 * 366 * 10000};
  return {Seconds{-kFar}, Seconds{kFar}, offset_};
}

std::int64_t local_seconds(const Zone& zone, Seconds t) {
  return (t + zone.period_at(t).offset).time_since_epoch().count();
}

Seconds start_of(const Zone& zone, LocalMinute minute) {
  const Seconds wall{seconds{minute * 60}};  // the wall-clock time read as if it were UTC
  std::optional<Seconds> first;
  for (const auto& p : periods(zone, wall - kReach, wall + kReach)) {
    // In p, wall clock >= minute from instant (wall - offset) on.
    const Seconds candidate = std::max(p.begin, wall - p.offset);
    if (candidate < p.end && (!first || candidate < *first)) first = candidate;
  }
  if (!first) throw std::logic_error("time zone " + zone.name() + " never shows a wall-clock minute");
  return *first;
}

std::optional<Occurrence> occurrence_at(const Window& window, Seconds t) {
  if (!window.cron) {
    if (window.start <= t && t < window.end) return Occurrence{window.name, window.start, window.end};
    return std::nullopt;
  }
  if (!window.zone) throw std::invalid_argument("freeze window '" + window.name + "' has no time zone");
  // Every wall-clock minute up to the highest the zone has shown by t has started by t; none later has.
  const LocalMinute reached = floor_div(highest_local(*window.zone, t), 60);
  const auto minute = latest_match(*window.cron, reached);
  if (!minute) return std::nullopt;
  const Seconds start = start_of(*window.zone, *minute);
  const Seconds end = start + window.duration;
  if (t < end) return Occurrence{window.name, start, end};
  return std::nullopt;
}

std::vector<Occurrence> frozen_at(const std::vector<Window>& windows, Seconds t) {
  std::vector<Occurrence> out;
  for (const auto& window : windows) {
    if (auto occurrence = occurrence_at(window, t)) out.push_back(std::move(*occurrence));
  }
  return out;
}

}  // namespace deploy::freeze
