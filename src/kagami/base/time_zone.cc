#include "kagami/base/time_zone.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

namespace kagami {

struct TimeZone::Rules {
  std::unique_ptr<icu::TimeZone> zone;
};

namespace {

constexpr double kMsPerNs = 1e-6;

}  // namespace

TimeZone TimeZone::utc() { return TimeZone(); }

Result<TimeZone> TimeZone::named(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Z" || name == "Etc/UTC" || name == "+00:00")
    return utc();
  if (name.size() > 64) return make_error("time zone name too long");
  std::string id(name);
  // A fixed offset: "+09:00" is ICU's custom "GMT+09:00".
  if (name[0] == '+' || name[0] == '-') id = "GMT" + id;
  std::unique_ptr<icu::TimeZone> z(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(id)));
  icu::UnicodeString got, unknown;
  if (z == nullptr || z->getID(got) == icu::TimeZone::getUnknown().getID(unknown))
    return make_error(
        "unknown time zone '{}': give an IANA name (Asia/Tokyo, America/New_York), UTC or an "
        "offset (+09:00)",
        name);
  TimeZone tz;
  tz.name_ = std::string(name);
  tz.utc_ = false;
  auto rules = std::make_shared<Rules>();
  rules->zone = std::move(z);
  tz.zone_ = std::move(rules);
  return tz;
}

std::int32_t TimeZone::offset_s(TimeNs t) const {
  if (zone_ == nullptr) return 0;
  std::int32_t raw = 0, dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  zone_->zone->getOffset(static_cast<UDate>(static_cast<double>(t) * kMsPerNs), false, raw, dst,
                         status);
  return U_FAILURE(status) ? 0 : (raw + dst) / 1000;
}

TimeNs TimeZone::from_local(TimeNs wall) const {
  if (zone_ == nullptr) return wall;
  std::int32_t raw = 0, dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  const UDate local = static_cast<UDate>(static_cast<double>(wall) * kMsPerNs);
  if (const auto* basic = dynamic_cast<const icu::BasicTimeZone*>(zone_->zone.get())) {
    basic->getOffsetFromLocal(local, UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw, dst, status);
  } else {
    zone_->zone->getOffset(local, true, raw, dst, status);
  }
  if (U_FAILURE(status)) return wall;
  return wall - static_cast<TimeNs>(raw + dst) * kNsPerMs;
}

std::string TimeZone::format(TimeNs t, int fraction_digits) const {
  return format_time_offset(t, fraction_digits, offset_s(t), true);
}

Result<TimeNs> TimeZone::parse(std::string_view text) const {
  bool zoned = false;
  auto t = parse_time_zoned(text, zoned);
  if (!t || zoned) return t;
  return from_local(*t);
}

}  // namespace kagami
