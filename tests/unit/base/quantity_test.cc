#include "kagami/base/quantity.h"

#include <gtest/gtest.h>

namespace kagami {
namespace {

TEST(Quantity, SizesAsAdministratorsWriteThem) {
  EXPECT_EQ(parse_size("500").value(), 500u);
  EXPECT_EQ(parse_size("500B").value(), 500u);
  EXPECT_EQ(parse_size("64K").value(), 64u << 10);
  EXPECT_EQ(parse_size("20MB").value(), 20u << 20);
  EXPECT_EQ(parse_size("1.5G").value(), 3ull << 29);
  EXPECT_EQ(parse_size("2TiB").value(), 2ull << 40);
  EXPECT_EQ(parse_size(" 2 t ").value(), 2ull << 40);
  EXPECT_EQ(parse_size("1P").value(), 1ull << 50);
  for (const char* bad : {"", "0", "G", "-5G", "5X", "5GG", "1e3", "99999999999P", ".", "nan"})
    EXPECT_FALSE(parse_size(bad)) << bad;
}

TEST(Quantity, Durations) {
  EXPECT_EQ(parse_duration("45").value(), 45 * kNsPerSec);
  EXPECT_EQ(parse_duration("30m").value(), 1800 * kNsPerSec);
  EXPECT_EQ(parse_duration("12h").value(), 12 * 3600 * kNsPerSec);
  EXPECT_EQ(parse_duration("90d").value(), 90 * 86400 * kNsPerSec);
  EXPECT_EQ(parse_duration("2w").value(), 14 * 86400 * kNsPerSec);
  EXPECT_EQ(parse_duration("1y").value(), 365 * 86400 * kNsPerSec);
  EXPECT_EQ(parse_duration("1.5h").value(), 5400 * kNsPerSec);
  for (const char* bad : {"", "0", "0.5", "d", "90x", "-1d", "400y"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(Quantity, FormatsForPeople) {
  EXPECT_EQ(format_size(512), "512 B");
  EXPECT_EQ(format_size(1536), "1.5 KiB");
  EXPECT_EQ(format_size(2ull << 40), "2.0 TiB");
  EXPECT_EQ(format_size(300ull << 20), "300 MiB");
  EXPECT_EQ(format_duration(90 * 86400 * kNsPerSec), "90d");
  EXPECT_EQ(format_duration(36 * 3600 * kNsPerSec), "36h");
  EXPECT_EQ(format_duration(150 * kNsPerSec), "2m 30s");
}

}  // namespace
}  // namespace kagami
