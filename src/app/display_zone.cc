#include "app/display_zone.h"

namespace kagami::app {
namespace {

TimeZone& zone() {
  static TimeZone z = TimeZone::utc();
  return z;
}

}  // namespace

const TimeZone& display_zone() { return zone(); }

Status set_display_zone(std::string_view name) {
  auto z = TimeZone::named(name);
  if (!z) return z.error();
  zone() = std::move(*z);
  return {};
}

std::string shown_time(TimeNs t) { return zone().format(t, 6); }

std::string zone_label(std::string_view label) {
  std::string s(label);
  if (const auto at = s.find("(UTC)"); at != std::string::npos)
    s.replace(at, 5, "(" + zone().name() + ")");
  return s;
}

}  // namespace kagami::app
