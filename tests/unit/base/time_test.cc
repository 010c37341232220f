#include "kagami/base/time.h"

#include <gtest/gtest.h>

#include "kagami/base/time_zone.h"

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

namespace kagami {
namespace {

TEST(TimeZone, TokyoReadsAndShowsWallTime) {
  auto tokyo = TimeZone::named("Asia/Tokyo");
  ASSERT_TRUE(tokyo) << tokyo.error().message;
  const TimeNs t = parse_time("2026-12-06T07:21:00Z").value();
  EXPECT_EQ(tokyo->offset_s(t), 9 * 3600);
  EXPECT_EQ(tokyo->format(t, 0), "2026-12-06T16:21:00+09:00");
  // What the console shows is what the investigator types back.
  EXPECT_EQ(tokyo->parse("2026-12-06T16:21").value(), t);
  EXPECT_EQ(tokyo->parse("2026-12-06 16:21:00").value(), t);
  // A zone in the text wins; epoch seconds are instants.
  EXPECT_EQ(tokyo->parse("2026-12-06T07:21:00Z").value(), t);
  EXPECT_EQ(tokyo->parse("2026-12-06T16:21:00+09:00").value(), t);
  EXPECT_EQ(tokyo->parse("1796541660").value(), 1796541660 * kNsPerSec);
  EXPECT_EQ(TimeZone::utc().format(t, 0), "2026-12-06T07:21:00Z");
  EXPECT_EQ(TimeZone::utc().parse("2026-12-06T07:21").value(), t);
}

TEST(TimeZone, DaylightSavingAndFixedOffsets) {
  auto ny = TimeZone::named("America/New_York");
  ASSERT_TRUE(ny);
  // EST in December, EDT in July.
  EXPECT_EQ(ny->offset_s(parse_time("2026-12-06T12:00:00Z").value()), -5 * 3600);
  EXPECT_EQ(ny->offset_s(parse_time("2026-07-06T12:00:00Z").value()), -4 * 3600);
  EXPECT_EQ(ny->format(parse_time("2026-07-06T12:00:00Z").value(), 0), "2026-07-06T08:00:00-04:00");
  EXPECT_EQ(ny->parse("2026-07-06T08:00").value(), parse_time("2026-07-06T12:00:00Z").value());
  // 2026-11-01 01:30 happens twice in New York: the first (EDT) is taken.
  EXPECT_EQ(ny->parse("2026-11-01T01:30").value(), parse_time("2026-11-01T05:30:00Z").value());
  auto fixed = TimeZone::named("+05:30");
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->format(parse_time("2026-12-06T00:00:00Z").value(), 0),
            "2026-12-06T05:30:00+05:30");
  auto bad = TimeZone::named("Asia/Atlantis");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("Asia/Tokyo"), std::string::npos);
}

}  // namespace
}  // namespace kagami
