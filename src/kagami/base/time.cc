#include "kagami/base/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace kagami {

TimeNs wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly `n` digits.
  bool digits(int n, int& out) {
    if (pos_ + static_cast<size_t>(n) > s_.size()) return false;
    out = 0;
    for (int i = 0; i < n; ++i) {
      const char c = s_[pos_ + static_cast<size_t>(i)];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    pos_ += static_cast<size_t>(n);
    return true;
  }
  // Fraction digits after a '.', up to nanoseconds; more digits are read and ignored.
  bool fraction(TimeNs& ns) {
    ns = 0;
    int count = 0;
    while (!done() && peek() >= '0' && peek() <= '9') {
      if (count < 9) ns = ns * 10 + (peek() - '0');
      ++count;
      ++pos_;
    }
    for (int i = count; i < 9; ++i) ns *= 10;
    return count > 0;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

Result<TimeNs> parse_epoch(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::int64_t seconds = 0;
  auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (ec != std::errc() || p != whole.data() + whole.size())
    return make_error("bad time '{}': expected epoch seconds or ISO 8601", text);
  TimeNs frac = 0;
  if (dot != std::string_view::npos) {
    Scanner sc(text.substr(dot + 1));
    if (!sc.fraction(frac) || !sc.done())
      return make_error("bad time '{}': bad fraction after the point", text);
  }
  return seconds * kNsPerSec + frac;
}

}  // namespace

std::string format_time_iso(TimeNs t, int fraction_digits) {
  return format_time_offset(t, fraction_digits, 0, true);
}

std::string format_time_offset(TimeNs t, int fraction_digits, std::int32_t offset_s, bool utc_z) {
  t += static_cast<TimeNs>(offset_s) * kNsPerSec;
  std::int64_t secs = t / kNsPerSec;
  TimeNs frac = t % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  if (fraction_digits > 0) {
    if (fraction_digits > 9) fraction_digits = 9;
    TimeNs div = 1;
    for (int i = fraction_digits; i < 9; ++i) div *= 10;
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%0*lld", fraction_digits,
                       static_cast<long long>(frac / div));
  }
  if (utc_z && offset_s == 0) {
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "Z");
  } else {
    const std::int32_t a = offset_s < 0 ? -offset_s : offset_s;
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "%c%02d:%02d",
                  offset_s < 0 ? '-' : '+', a / 3600, a / 60 % 60);
  }
  return buf;
}

double time_to_epoch_seconds(TimeNs t) {
  return static_cast<double>(t / kNsPerSec) + static_cast<double>(t % kNsPerSec) / 1e9;
}

Result<TimeNs> parse_time(std::string_view text) {
  bool zoned = false;
  return parse_time_zoned(text, zoned);
}

Result<TimeNs> parse_time_zoned(std::string_view text, bool& zoned) {
  zoned = true;
  if (text.empty()) return make_error("empty time");
  // Epoch seconds have no '-' after the first character.
  if (text.find('-', 1) == std::string_view::npos && text.find(':') == std::string_view::npos)
    return parse_epoch(text);

  Scanner sc(text);
  int year, month, day, hour = 0, minute = 0, second = 0;
  TimeNs frac = 0;
  auto bad = [&] {
    return make_error("bad time '{}': expected YYYY-MM-DD[ HH:MM[:SS[.frac]]][Z|+HH:MM]", text);
  };
  if (!sc.digits(4, year) || !sc.eat('-') || !sc.digits(2, month) || !sc.eat('-') ||
      !sc.digits(2, day))
    return bad();
  if (sc.eat('T') || sc.eat(' ')) {
    if (!sc.digits(2, hour) || !sc.eat(':') || !sc.digits(2, minute)) return bad();
    if (sc.eat(':')) {
      if (!sc.digits(2, second)) return bad();
      if (sc.eat('.') && !sc.fraction(frac)) return bad();
    }
  }
  std::int64_t offset_s = 0;
  zoned = false;
  if (sc.eat('Z') || sc.eat('z')) {
    zoned = true;
  } else if (sc.peek() == '+' || sc.peek() == '-') {
    zoned = true;
    const int sign = sc.peek() == '-' ? -1 : 1;
    sc.eat(sc.peek());
    int oh, om = 0;
    if (!sc.digits(2, oh)) return bad();
    if (sc.eat(':')) {
      if (!sc.digits(2, om)) return bad();
    } else {
      (void)sc.digits(2, om);
    }
    offset_s = sign * (oh * 3600 + om * 60);
  }
  if (!sc.done()) return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return make_error("bad time '{}': field out of range", text);
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * kNsPerSec + frac;
}

}  // namespace kagami
