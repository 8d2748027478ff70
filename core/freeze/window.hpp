// Whether an instant is inside a freeze window. Pure: a time zone is data (its periods of constant
// UTC offset), given by the caller; core/tz reads them from the system's tz database.
//
// A recurring window starts at every wall-clock minute its cron expression matches, in its zone,
// and lasts `duration` of real time. Which instant a wall-clock minute M starts at: the first
// instant whose wall-clock time is M or later. So across daylight saving time:
//  - a minute the clocks skip (02:30 on the night they spring forward) starts its window at the
//    jump (03:00 new time): a freeze is never skipped because the clocks moved;
//  - a minute that occurs twice (01:30 on the night they fall back) starts one window, at its
//    first occurrence: a freeze is not started twice.
// A fixed window is [start, end) in UTC.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/freeze/cron.hpp"

namespace deploy::freeze {

using Seconds = std::chrono::sys_seconds;

// A span of time with one UTC offset: wall clock = instant + offset.
struct ZonePeriod {
  Seconds begin;
  Seconds end;  // exclusive
  std::chrono::seconds offset{0};
};

class Zone {
 public:
  virtual ~Zone() = default;
  virtual std::string name() const = 0;
  // The period holding `t` (begin <= t < end). Periods tile time; every call with a t inside one
  // period returns that same period.
  virtual ZonePeriod period_at(Seconds t) const = 0;
};

// A zone with one offset for ever ("UTC", or a test's "+05:30").
class FixedZone final : public Zone {
 public:
  explicit FixedZone(std::string name, std::chrono::seconds offset = {}) : name_(std::move(name)), offset_(offset) {}
  std::string name() const override { return name_; }
  ZonePeriod period_at(Seconds t) const override;

 private:
  std::string name_;
  std::chrono::seconds offset_;
};

// Wall-clock time of an instant, as seconds since 1970-01-01 00:00 of the zone's calendar.
std::int64_t local_seconds(const Zone& zone, Seconds t);
// The instant a wall-clock minute starts at (see above).
Seconds start_of(const Zone& zone, LocalMinute minute);

struct Window {
  std::string name;
  // recurring
  std::optional<Cron> cron;
  std::chrono::seconds duration{0};
  std::shared_ptr<const Zone> zone;
  // fixed
  Seconds start;
  Seconds end;
};

// An occurrence of a window: the one holding the instant asked about.
struct Occurrence {
  std::string name;
  Seconds start;
  Seconds end;  // exclusive: the first instant a deploy is allowed again (by this window)
};

// The occurrence of `window` holding `t`, if `t` is inside one: for a recurring window the latest
// start at or before `t` (later starts end later, so no earlier one can still be open).
std::optional<Occurrence> occurrence_at(const Window& window, Seconds t);
// Every window holding `t`, in the order given.
std::vector<Occurrence> frozen_at(const std::vector<Window>& windows, Seconds t);

}  // namespace deploy::freeze
