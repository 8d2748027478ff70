// The system's IANA time zone database as core/freeze zones (Howard Hinnant's date/tz, reading
// /usr/share/zoneinfo). Edge: the first look-up of a zone reads its file. The action's container
// image carries the zoneinfo files for this (Dockerfile).
#pragma once

#include <memory>
#include <string_view>

#include "core/config/config.hpp"
#include "core/freeze/window.hpp"
#include "core/result.hpp"

namespace deploy::tz {

// "Europe/Berlin", "America/New_York", "UTC". Error code "unknown_time_zone", naming the zone
// and where the database was looked for.
Result<std::shared_ptr<const freeze::Zone>> load_zone(std::string_view name);

// An environment's freeze windows with their zones loaded. Errors: "unknown_time_zone" naming the
// key (environments.ENV.freeze.windows[N].time_zone), "invalid_cron" (config validated it already).
Result<std::vector<freeze::Window>> freeze_windows(const config::Environment& environment);

}  // namespace deploy::tz
