#include "kagami/base/ip_address.h"

#include <charconv>
#include <cstdio>

#include <arpa/inet.h>

namespace kagami {
namespace {
constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

IpAddress IpAddress::v4(const std::uint8_t* bytes4) {
  IpAddress a;
  std::memcpy(a.b_.data(), kV4Prefix, 12);
  std::memcpy(a.b_.data() + 12, bytes4, 4);
  return a;
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
  const std::uint8_t b[4] = {
      static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
      static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)};
  return v4(b);
}

IpAddress IpAddress::v6(const std::uint8_t* bytes16) {
  IpAddress a;
  std::memcpy(a.b_.data(), bytes16, 16);
  return a;
}

bool IpAddress::is_v4() const { return std::memcmp(b_.data(), kV4Prefix, 12) == 0; }

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, b_.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, b_.data(), buf, sizeof buf);
  }
  return buf;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  std::uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6(buf);
  return make_error("'{}' is not an IPv4 or IPv6 address", text);
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return addr.error();
  const int max_bits = addr->is_v4() ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view b = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || p != b.data() + b.size() || bits < 0 || bits > max_bits)
      return make_error("bad prefix length in '{}'", text);
  }
  // Prefix bits counted within the 16-byte form: IPv4 starts at bit 96.
  const int keep = (addr->is_v4() ? 96 : 0) + bits;
  std::uint8_t lo[16], hi[16];
  std::memcpy(lo, addr->bytes(), 16);
  std::memcpy(hi, addr->bytes(), 16);
  for (int i = 0; i < 128; ++i) {
    if (i < keep) continue;
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
    lo[i / 8] &= static_cast<std::uint8_t>(~mask);
    hi[i / 8] |= mask;
  }
  return IpPrefix{IpAddress::v6(lo), IpAddress::v6(hi)};
}

std::string format_mac(std::uint64_t mac48) {
  char buf[18];
  std::snprintf(
      buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>(mac48 >> 40) & 0xff,
      static_cast<unsigned>(mac48 >> 32) & 0xff, static_cast<unsigned>(mac48 >> 24) & 0xff,
      static_cast<unsigned>(mac48 >> 16) & 0xff, static_cast<unsigned>(mac48 >> 8) & 0xff,
      static_cast<unsigned>(mac48) & 0xff);
  return buf;
}

}  // namespace kagami
