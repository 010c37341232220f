#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/wire/credential_masker.h"

namespace kagami::store {

// Removes credentials from captured packets on their way into evidence (an exported pcap):
// the TCP payload of each connection goes through a wire::CredentialMasker in capture order,
// masked bytes become '*', and the TCP checksum is updated for the change (RFC 1624), so a
// checksum that was right stays right and one the capturing NIC left out stays as it was.
// The archive itself is never touched: this works on copies of its records.
class CredentialScrub {
 public:
  explicit CredentialScrub(int linktype) : linktype_(linktype) {}
  // Masks what `frame` (one captured packet) carries of secrets; returns the bytes masked.
  std::size_t scrub(std::vector<std::uint8_t>& frame, std::uint32_t wire_len);

 private:
  struct Range {
    std::uint32_t begin, end;  // sequence numbers of masked bytes
  };
  struct Side {
    bool known = false;
    std::uint32_t next = 0;     // the sequence number of the next new byte
    std::vector<Range> masked;  // what was masked, for retransmissions (bounded)
  };
  struct Connection {
    wire::CredentialMasker masker;
    Side sides[2];
  };
  using Key = std::tuple<IpAddress, std::uint16_t, IpAddress, std::uint16_t>;

  int linktype_;
  std::map<Key, std::unique_ptr<Connection>> connections_;
  std::vector<std::uint8_t> original_;  // a payload before masking, reused
};

}  // namespace kagami::store
