#include "kagami/flow/flow_key.h"

#include <cstring>

#include <xxhash.h>

namespace kagami::flow {

FlowKey make_flow_key(const packet::Packet& p, bool& src_is_a, bool vlan_in_key) {
  FlowKey k;
  k.proto = p.ip_proto;
  k.ip_version = p.ip_version;
  if (vlan_in_key) {
    k.vlan_outer = p.vlan_outer;
    k.vlan_inner = p.vlan_inner;
  }
  std::uint16_t sport = 0, dport = 0;
  if (p.has_l4 && (p.ip_proto == packet::kProtoTcp || p.ip_proto == packet::kProtoUdp)) {
    sport = p.src_port;
    dport = p.dst_port;
  }
  const int c = std::memcmp(p.src_ip.bytes(), p.dst_ip.bytes(), 16);
  src_is_a = c < 0 || (c == 0 && sport <= dport);
  if (src_is_a) {
    k.a = p.src_ip;
    k.b = p.dst_ip;
    k.port_a = sport;
    k.port_b = dport;
  } else {
    k.a = p.dst_ip;
    k.b = p.src_ip;
    k.port_a = dport;
    k.port_b = sport;
  }
  return k;
}

std::uint64_t hash_flow_key(const FlowKey& k) {
  std::uint8_t buf[16 + 16 + 2 + 2 + 2 + 2 + 1];
  std::memcpy(buf, k.a.bytes(), 16);
  std::memcpy(buf + 16, k.b.bytes(), 16);
  std::memcpy(buf + 32, &k.port_a, 2);
  std::memcpy(buf + 34, &k.port_b, 2);
  std::memcpy(buf + 36, &k.vlan_outer, 2);
  std::memcpy(buf + 38, &k.vlan_inner, 2);
  buf[40] = k.proto;
  return XXH3_64bits(buf, sizeof buf);
}

}  // namespace kagami::flow
