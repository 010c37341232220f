#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "kagami/base/result.h"

namespace kagami {

// An IPv4 or IPv6 address held as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so
// that every address sorts and compares as one byte string (the index stores exactly these
// 16 bytes, which makes CIDR ranges simple BETWEEN scans).
class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(const std::uint8_t* bytes4);
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(const std::uint8_t* bytes16);
  static IpAddress from_bytes16(const std::uint8_t* bytes16) { return v6(bytes16); }
  static Result<IpAddress> parse(std::string_view text);

  bool is_v4() const;
  const std::uint8_t* bytes() const { return b_.data(); }
  std::string to_string() const;

  // Two 64-bit compares: this sits on the per-packet path (flow lookups).
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    std::uint64_t x[2], y[2];
    std::memcpy(x, a.b_.data(), 16);
    std::memcpy(y, b.b_.data(), 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
  friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) {
    const int c = std::memcmp(a.b_.data(), b.b_.data(), 16);
    return c < 0   ? std::strong_ordering::less
           : c > 0 ? std::strong_ordering::greater
                   : std::strong_ordering::equal;
  }

 private:
  std::array<std::uint8_t, 16> b_{};
};

// A prefix such as 10.0.0.0/8 or 2001:db8::/32, with its first and last address.
struct IpPrefix {
  IpAddress first;
  IpAddress last;
  static Result<IpPrefix> parse(std::string_view text);
  bool contains(const IpAddress& a) const { return !(a < first) && !(last < a); }
};

std::string format_mac(std::uint64_t mac48);

}  // namespace kagami
