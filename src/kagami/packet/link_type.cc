#include "kagami/packet/link_type.h"

namespace kagami::packet {

const char* link_type_name(int link_type) {
  switch (link_type) {
    case kLinkNull:
      return "NULL";
    case kLinkEthernet:
      return "EN10MB";
    case kLinkRaw:
    case kLinkRawOpenBsd:
    case kLinkRawLinktype:
      return "RAW";
    case kLinkLoop:
      return "LOOP";
    case kLinkLinuxSll:
      return "LINUX_SLL";
    case kLinkIpv4:
      return "IPV4";
    case kLinkIpv6:
      return "IPV6";
    case kLinkLinuxSll2:
      return "LINUX_SLL2";
    default:
      return "unsupported";
  }
}

bool link_type_supported(int link_type) {
  switch (link_type) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRaw:
    case kLinkRawOpenBsd:
    case kLinkRawLinktype:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkIpv4:
    case kLinkIpv6:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

}  // namespace kagami::packet
