#pragma once

#include <cstdint>

#include "kagami/base/ip_address.h"
#include "kagami/packet/packet.h"

namespace kagami::flow {

// Bidirectional flow identity: the lower (address, port) endpoint is side A, so both
// directions of a connection find the same key. ICMP and other protocols have ports 0 and are
// one flow per address pair.
struct FlowKey {
  IpAddress a, b;
  std::uint16_t port_a = 0, port_b = 0;
  std::uint16_t vlan_outer = 0, vlan_inner = 0;
  std::uint8_t proto = 0;
  std::uint8_t ip_version = 0;

  bool operator==(const FlowKey&) const = default;
};

// Builds the key for a decoded packet and says whether its source is side A.
FlowKey make_flow_key(const packet::Packet& p, bool& src_is_a, bool vlan_in_key = true);

// Direction-independent 64-bit hash; also picks the worker that owns the flow.
std::uint64_t hash_flow_key(const FlowKey& k);

}  // namespace kagami::flow
