#pragma once

namespace kagami::packet {

// Link types as libpcap's pcap_datalink() reports them (DLT_ values). Files store LINKTYPE_
// values; libpcap maps them for us, and capture/ maps back when writing.
enum LinkType : int {
  kLinkNull = 0,  // BSD loopback: 4-byte address family in the writer's byte order
  kLinkEthernet = 1,
  kLinkRaw = 12,  // raw IPv4/IPv6 (LINKTYPE_RAW 101 reads back as this on Linux)
  kLinkRawOpenBsd = 14,
  kLinkRawLinktype = 101,
  kLinkLoop = 108,      // OpenBSD loopback: family in network byte order
  kLinkLinuxSll = 113,  // Linux cooked capture v1
  kLinkIpv4 = 228,
  kLinkIpv6 = 229,
  kLinkLinuxSll2 = 276,  // Linux cooked capture v2 ("any" device)
};

const char* link_type_name(int link_type);
bool link_type_supported(int link_type);

}  // namespace kagami::packet
