#include "core/tz/zone.hpp"

#include <date/tz.h>

#include <stdexcept>
#include <string>

namespace deploy::tz {

namespace {

class TzdbZone final : public freeze::Zone {
 public:
  explicit TzdbZone(const date::time_zone* zone) : zone_(zone) {}
  std::string name() const override { return std::string(zone_->name()); }
  freeze::ZonePeriod period_at(freeze::Seconds t) const override {
    const date::sys_info info = zone_->get_info(t);
    return {info.begin, info.end, info.offset};
  }

 private:
  const date::time_zone* zone_;  // owned by the database, which lives as long as the process
};

}  // namespace

Result<std::shared_ptr<const freeze::Zone>> load_zone(std::string_view name) {
  try {
    return std::shared_ptr<const freeze::Zone>(std::make_shared<TzdbZone>(date::locate_zone(name)));
  } catch (const std::exception& error) {
    return Error{"unknown_time_zone", "time zone '" + std::string(name) +
                                          "' is not in the tz database (/usr/share/zoneinfo): " + error.what() +
                                          "; use an IANA name like Europe/Berlin or UTC"};
  }
}

Result<std::vector<freeze::Window>> freeze_windows(const config::Environment& environment) {
  std::vector<freeze::Window> out;
  for (std::size_t i = 0; i < environment.freeze.windows.size(); ++i) {
    const auto& w = environment.freeze.windows[i];
    const std::string key = "environments." + environment.name + ".freeze.windows[" + std::to_string(i) + "]";
    freeze::Window window;
    window.name = w.name;
    if (!w.recurring()) {
      window.start = std::chrono::floor<std::chrono::seconds>(w.start);
      window.end = std::chrono::floor<std::chrono::seconds>(w.end);
      out.push_back(std::move(window));
      continue;
    }
    auto cron = freeze::parse_cron(w.cron);
    if (!cron) return Error{cron.error().code, key + ".cron: " + cron.error().message};
    auto zone = load_zone(w.time_zone);
    if (!zone) return Error{zone.error().code, key + ".time_zone: " + zone.error().message};
    window.cron = *cron;
    window.duration = std::chrono::floor<std::chrono::seconds>(w.duration);
    window.zone = *zone;
    out.push_back(std::move(window));
  }
  return out;
}

}  // namespace deploy::tz
