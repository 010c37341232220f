#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/base/result.h"

namespace kagami {

// Packet time in nanoseconds since the Unix epoch (UTC). Packet time always comes from the
// packet, never from the clock, so replaying a capture gives identical records.
using TimeNs = std::int64_t;

constexpr TimeNs kNsPerUs = 1'000;
constexpr TimeNs kNsPerMs = 1'000'000;
constexpr TimeNs kNsPerSec = 1'000'000'000;

// The wall clock, for what is not packet time: audit entries, logins, live capture stamps.
TimeNs wall_clock_ns();
// A clock that never jumps, in milliseconds from an arbitrary start: deadlines and timeouts.
std::int64_t monotonic_ms();

// "2026-11-27T02:09:27.123456789Z"; digits after the point as given (0, 3, 6 or 9).
std::string format_time_iso(TimeNs t, int fraction_digits = 6);
// The same instant as wall time at `offset_s` from UTC: "2026-11-27T11:09:27.123456+09:00"
// ("Z" for a zero offset when `utc_z`). TimeZone::format picks the offset of a named zone.
std::string format_time_offset(TimeNs t, int fraction_digits, std::int32_t offset_s,
                               bool utc_z = true);

// Epoch seconds with a fraction, as the JSON contract wants ("1690000000.123456").
double time_to_epoch_seconds(TimeNs t);

// Accepts what investigators type: epoch seconds ("1690000000", "1690000000.25"),
// ISO 8601 dates and times with optional fraction and zone ("2026-11-01", "2026-11-01 10:00",
// "2026-11-01T10:00:00.5+09:00", "...Z"). A time without a zone is UTC.
Result<TimeNs> parse_time(std::string_view text);
// The same; `zoned` says whether the text named its zone (or was epoch seconds). A time
// without one comes back as if its wall time were UTC, for TimeZone::from_local.
Result<TimeNs> parse_time_zoned(std::string_view text, bool& zoned);

}  // namespace kagami
