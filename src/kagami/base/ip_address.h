#pragma once

#include <array>
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

  friend bool operator==(const IpAddress& a, const IpAddress& b) = default;
  friend auto operator<=>(const IpAddress& a, const IpAddress& b) = default;

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
