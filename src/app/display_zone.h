#pragma once

#include <string>
#include <string_view>

#include "kagami/base/result.h"
#include "kagami/base/time_zone.h"

namespace kagami::app {

// The zone the command line shows times in and reads zone-less times in: --tz, else
// KAGAMI_TZ, else UTC (set once while the arguments are read).
const TimeZone& display_zone();
Status set_display_zone(std::string_view name);
// A time as listings print it, with the zone's offset ("Z" in UTC).
std::string shown_time(TimeNs t);
// A column label with its zone: "TIME (UTC)" becomes "TIME (Asia/Tokyo)".
std::string zone_label(std::string_view label);

}  // namespace kagami::app
