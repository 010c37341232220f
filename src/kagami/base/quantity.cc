#include "kagami/base/quantity.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "kagami/base/ascii.h"

namespace kagami {
namespace {

// The number in front of the unit, and the unit (lower case, without a trailing "b"/"ib").
bool split(std::string_view text, double& value, std::string& unit) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::size_t i = 0;
  bool digits = false, point = false;
  for (; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') {
      digits = true;
    } else if (text[i] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!digits) return false;
  const std::string number(text.substr(0, i));
  value = std::strtod(number.c_str(), nullptr);
  std::string_view rest = text.substr(i);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  unit.clear();
  for (char c : rest) unit.push_back(static_cast<char>(ascii_lower(c)));
  return std::isfinite(value) && value > 0;
}

}  // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  double v = 0;
  std::string unit;
  if (!split(text, v, unit))
    return make_error("'{}' is not a size (write e.g. 500G, 2T, 64MiB)", text);
  if (unit.size() >= 2 && unit.compare(unit.size() - 2, 2, "ib") == 0) {
    unit.resize(unit.size() - 2);
  } else if (unit.size() >= 2 && unit.back() == 'b') {
    unit.pop_back();
  } else if (unit == "b") {
    unit.clear();
  }
  static constexpr std::string_view kUnits = "kmgtp";
  double scale = 1;
  if (!unit.empty()) {
    const std::size_t at = unit.size() == 1 ? kUnits.find(unit[0]) : std::string_view::npos;
    if (at == std::string_view::npos)
      return make_error("'{}': unknown size unit (B, K, M, G, T or P)", text);
    scale = std::pow(1024.0, static_cast<double>(at + 1));
  }
  const double bytes = v * scale;
  if (bytes < 1 || bytes > 9.0e18) return make_error("'{}' is out of range", text);
  return static_cast<std::uint64_t>(bytes);
}

Result<TimeNs> parse_duration(std::string_view text) {
  double v = 0;
  std::string unit;
  if (!split(text, v, unit))
    return make_error("'{}' is not a duration (write e.g. 90d, 12h, 30m)", text);
  double secs = 0;
  if (unit.empty() || unit == "s") {
    secs = 1;
  } else if (unit == "m" || unit == "min") {
    secs = 60;
  } else if (unit == "h") {
    secs = 3600;
  } else if (unit == "d") {
    secs = 86400;
  } else if (unit == "w") {
    secs = 7 * 86400;
  } else if (unit == "y") {
    secs = 365 * 86400;
  } else {
    return make_error("'{}': unknown duration unit (s, m, h, d, w or y)", text);
  }
  const double ns = v * secs * 1e9;
  if (ns < 1e9 || ns > 9.0e18) return make_error("'{}' is out of range (1 s to 285 years)", text);
  return static_cast<TimeNs>(ns);
}

std::string format_size(std::uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  }
  return buf;
}

std::string format_duration(TimeNs ns) {
  const std::int64_t s = ns / kNsPerSec;
  char buf[32];
  if (s % 86400 == 0 && s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd", static_cast<long long>(s / 86400));
  } else if (s % 3600 == 0 && s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh", static_cast<long long>(s / 3600));
  } else if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  } else if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh %lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  }
  return buf;
}

}  // namespace kagami
