#include "kagami/base/time.h"

#include <gtest/gtest.h>

namespace kagami {
namespace {

TEST(Time, FormatsIsoWithFraction) {
  EXPECT_EQ(format_time_iso(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_time_iso(1'700'000'000'123'456'789, 9), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(format_time_iso(1'700'000'000'123'456'789, 3), "2023-11-14T22:13:20.123Z");
}

TEST(Time, FormatsTimesBeforeTheEpoch) {
  EXPECT_EQ(format_time_iso(-1, 9), "1969-12-31T23:59:59.999999999Z");
}

TEST(Time, ParsesEpochSeconds) {
  EXPECT_EQ(parse_time("1700000000").value(), 1'700'000'000 * kNsPerSec);
  EXPECT_EQ(parse_time("1700000000.25").value(), 1'700'000'000 * kNsPerSec + 250'000'000);
}

TEST(Time, ParsesIsoDatesTimesAndZones) {
  const TimeNs t = 1'700'000'000 * kNsPerSec;
  EXPECT_EQ(parse_time("2023-11-14T22:13:20Z").value(), t);
  EXPECT_EQ(parse_time("2023-11-14 22:13:20").value(), t);
  EXPECT_EQ(parse_time("2023-11-15T07:13:20+09:00").value(), t);  // Tokyo
  EXPECT_EQ(parse_time("2023-11-14T22:13:20.5Z").value(), t + kNsPerSec / 2);
  EXPECT_EQ(parse_time("2023-11-14").value(), t - (22 * 3600 + 13 * 60 + 20) * kNsPerSec);
  EXPECT_EQ(parse_time("2023-11-14T22:13").value(), t - 20 * kNsPerSec);
}

TEST(Time, RejectsGarbageWithAClearMessage) {
  for (const char* bad :
       {"", "yesterday", "2023-13-01", "2023-11-14T25:00", "17e9", "2023-11-14X"}) {
    auto r = parse_time(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("time"), std::string::npos) << bad;
    }
  }
}

TEST(Time, RoundTripsThroughFormat) {
  const TimeNs t = 1'234'567'890'987'654'321;
  EXPECT_EQ(parse_time(format_time_iso(t, 9)).value(), t);
}

}  // namespace
}  // namespace kagami
