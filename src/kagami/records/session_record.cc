#include "kagami/records/session_record.h"

#include <charconv>

namespace kagami::records {
namespace {

constexpr const char* kFlagNames[] = {
    "gap",        "truncated",        "mid_stream",        "timed_out",
    "evicted",    "overlap_conflict", "reassembly_limit",  "split",
    "continued",  "fragmented",       "fragment_conflict", "malformed",
    "unfinished", "encrypted",        "packets_expired"};

struct ProtoName {
  std::uint8_t proto;
  const char* name;
};
constexpr ProtoName kProtoNames[] = {{1, "icmp"},  {2, "igmp"},  {6, "tcp"},    {17, "udp"},
                                     {47, "gre"},  {50, "esp"},  {51, "ah"},    {58, "icmp6"},
                                     {89, "ospf"}, {103, "pim"}, {112, "vrrp"}, {132, "sctp"}};

}  // namespace

std::vector<std::string> session_flag_names(std::uint32_t flags) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::size(kFlagNames); ++i)
    if (flags & (1u << i)) out.emplace_back(kFlagNames[i]);
  return out;
}

std::uint32_t session_flag_from_name(const std::string& name) {
  for (std::size_t i = 0; i < std::size(kFlagNames); ++i)
    if (name == kFlagNames[i]) return 1u << i;
  return 0;
}

std::string transport_name(std::uint8_t proto) {
  for (const ProtoName& p : kProtoNames)
    if (p.proto == proto) return p.name;
  return std::to_string(proto);
}

int transport_from_name(const std::string& name) {
  for (const ProtoName& p : kProtoNames)
    if (name == p.name) return p.proto;
  if (name == "icmpv6") return 58;
  int v = -1;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc() || ptr != name.data() + name.size() || v < 0 || v > 255) return -1;
  return v;
}

}  // namespace kagami::records
