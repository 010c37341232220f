#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kagami/base/result.h"
#include "kagami/base/time.h"

namespace kagami {

// A time zone as investigators name it (IANA "Asia/Tokyo", "UTC", or a fixed "+09:00"), with
// its rules from ICU's zone data (daylight saving included): the zone the console and the
// command line show times in, and in which a query's times without a zone are read. Cheap to
// copy; usable from several threads at once.
class TimeZone {
 public:
  static TimeZone utc();
  // An unknown name is an error that says how to name one.
  static Result<TimeZone> named(std::string_view name);

  const std::string& name() const { return name_; }
  bool is_utc() const { return utc_; }
  // The zone's offset from UTC, in seconds, at that instant.
  std::int32_t offset_s(TimeNs t) const;
  // The instant of a wall time in this zone, given as if it were UTC (parse_time_zoned). A
  // wall time that occurs twice (the hour DST ends) is its first; one that never occurs (the
  // hour DST begins) is read with the offset before the change.
  TimeNs from_local(TimeNs wall) const;
  // ISO 8601 with this zone's offset at that instant ("Z" in UTC).
  std::string format(TimeNs t, int fraction_digits = 6) const;
  // What the user typed: a time with a zone is that instant, one without is wall time here.
  Result<TimeNs> parse(std::string_view text) const;

 private:
  std::string name_ = "UTC";
  bool utc_ = true;
  struct Rules;                        // ICU's zone (kept out of this header)
  std::shared_ptr<const Rules> zone_;  // null: UTC
};

}  // namespace kagami
