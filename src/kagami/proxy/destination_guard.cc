#include "kagami/proxy/destination_guard.h"

#include <algorithm>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include "kagami/base/time.h"

namespace kagami::proxy {
namespace {

// Interface addresses change (DHCP, a VPN coming up): looked at again this often.
constexpr std::int64_t kLocalRefreshMs = 30'000;

const char* v4_class(const std::uint8_t* a) {
  if (a[0] == 0) return "unspecified";  // 0.0.0.0/8: "this network"; connect() reaches us
  if (a[0] == 127) return "loopback";
  if (a[0] == 169 && a[1] == 254) return "link-local";
  if (a[0] >= 224 && a[0] <= 239) return "multicast";
  if (a[0] >= 240) return "reserved";  // 240.0.0.0/4, 255.255.255.255 broadcast among them
  return nullptr;
}

std::vector<IpAddress> interface_addresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&v4->sin_addr)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      out.push_back(IpAddress::v6(reinterpret_cast<const std::uint8_t*>(&v6->sin6_addr)));
    }
  }
  ::freeifaddrs(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<IpPrefix>> parse_prefixes(const std::vector<std::string>& allow) {
  std::vector<IpPrefix> out;
  for (const std::string& a : allow) {
    auto p = IpPrefix::parse(a);
    if (!p) return make_error("allowed destination '{}': {}", a, p.error().message);
    out.push_back(*p);
  }
  return out;
}

}  // namespace

const char* DestinationGuard::special_class(const IpAddress& ip) {
  const std::uint8_t* b = ip.bytes();
  if (ip.is_v4()) return v4_class(b + 12);
  static constexpr std::uint8_t kZero[16] = {};
  if (std::equal(b, b + 15, kZero))
    return b[15] == 0 ? "unspecified" : b[15] == 1 ? "loopback" : "reserved";
  if (std::equal(b, b + 12, kZero)) return "reserved";  // IPv4-compatible (RFC 4291 2.5.5.1)
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (b[0] == 0xff) return "multicast";                            // ff00::/8
  // NAT64 (64:ff9b::/96, RFC 6052): the IPv4 address inside decides.
  static constexpr std::uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b};
  if (std::equal(b, b + 12, kNat64)) return v4_class(b + 12);
  return nullptr;
}

Result<std::unique_ptr<DestinationGuard>> DestinationGuard::build(
    const std::vector<std::string>& allow) {
  auto prefixes = parse_prefixes(allow);
  if (!prefixes) return prefixes.error();
  std::unique_ptr<DestinationGuard> g(new DestinationGuard());
  auto s = std::make_shared<Snapshot>();
  s->allow = std::move(prefixes.value());
  s->local = interface_addresses();
  s->taken_ms = monotonic_ms();
  g->snapshot_.store(std::move(s));
  return g;
}

Status DestinationGuard::set_allowed(const std::vector<std::string>& allow) {
  auto prefixes = parse_prefixes(allow);
  if (!prefixes) return prefixes.error();
  std::lock_guard lock(update_mutex_);
  auto next = std::make_shared<Snapshot>(*snapshot_.load());
  next->allow = std::move(prefixes.value());
  snapshot_.store(std::move(next));
  return {};
}

Status DestinationGuard::add_own(const std::string& addr_port) {
  const std::size_t colon = addr_port.rfind(':');
  if (colon == std::string::npos) return make_error("'{}' is not ADDR:PORT", addr_port);
  std::string host = addr_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto ip = IpAddress::parse(host);
  if (!ip) return make_error("'{}': {}", addr_port, ip.error().message);
  int port = 0;
  for (const char c : addr_port.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return make_error("'{}' has a bad port", addr_port);
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return make_error("'{}' has a bad port", addr_port);
  add_own(*ip, static_cast<std::uint16_t>(port));
  return {};
}

void DestinationGuard::add_own(const IpAddress& ip, std::uint16_t port) {
  std::lock_guard lock(update_mutex_);
  auto next = std::make_shared<Snapshot>(*snapshot_.load());
  next->own.emplace_back(ip, port);
  snapshot_.store(std::move(next));
}

std::shared_ptr<const DestinationGuard::Snapshot> DestinationGuard::refreshed(
    const Snapshot& from) const {
  auto next = std::make_shared<Snapshot>(from);
  next->local = interface_addresses();
  next->taken_ms = monotonic_ms();
  return next;
}

std::shared_ptr<const DestinationGuard::Snapshot> DestinationGuard::current() const {
  auto s = snapshot_.load();
  if (monotonic_ms() - s->taken_ms < kLocalRefreshMs) return s;
  // One thread refreshes; the others go on with the snapshot they have.
  std::unique_lock lock(update_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return s;
  s = snapshot_.load();
  if (monotonic_ms() - s->taken_ms < kLocalRefreshMs) return s;
  auto next = refreshed(*s);
  snapshot_.store(next);
  return next;
}

std::string DestinationGuard::refusal(const IpAddress& ip, std::uint16_t port) const {
  if (port == 0) return "port 0 is no destination";
  const auto s = current();
  const char* cls = special_class(ip);
  const bool this_host = std::binary_search(s->local.begin(), s->local.end(), ip);
  const bool local = this_host || (cls != nullptr && (std::string_view(cls) == "loopback" ||
                                                      std::string_view(cls) == "unspecified"));
  for (const auto& [own_ip, own_port] : s->own) {
    // A listener on a wildcard address answers on every local address; one on a loopback
    // address is reached through any local spelling too. Any local address with one of our
    // ports is taken for us: better a local service on the same port refused than a relay
    // into ourselves.
    if (own_port == port && (local || own_ip == ip))
      return "this proxy's own listener (" + ip.to_string() + ":" + std::to_string(port) + ")";
  }
  if (cls == nullptr && this_host) cls = "this host's";
  if (cls == nullptr) return {};
  for (const IpPrefix& p : s->allow)
    if (p.contains(ip)) return {};
  return std::string(cls) + " address " + ip.to_string() +
         " (not allowed; --allow-destination opens a range)";
}

std::string DestinationGuard::refusal(const sockaddr_storage& a) const {
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    return refusal(IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&v4.sin_addr)),
                   ntohs(v4.sin_port));
  }
  if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    return refusal(IpAddress::v6(reinterpret_cast<const std::uint8_t*>(&v6.sin6_addr)),
                   ntohs(v6.sin6_port));
  }
  return "not an IP address";
}

}  // namespace kagami::proxy
