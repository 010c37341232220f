#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/base/time.h"

namespace kagami::records {

// Session flags: what an investigator should know about how complete the record is.
enum SessionFlag : std::uint32_t {
  kSessionGap = 1u << 0,                // bytes missing from a TCP stream
  kSessionTruncated = 1u << 1,          // packets cut by the snap length
  kSessionMidStream = 1u << 2,          // the connection's start was not seen
  kSessionTimedOut = 1u << 3,           // ended by the idle or absolute timeout
  kSessionEvicted = 1u << 4,            // ended early because the flow table was full
  kSessionOverlapConflict = 1u << 5,    // retransmitted bytes differed from the first copy
  kSessionReassemblyLimit = 1u << 6,    // a memory bound forced a gap
  kSessionSplit = 1u << 7,              // cut by the absolute timeout; a continued record follows
  kSessionContinued = 1u << 8,          // continues a split record
  kSessionFragmented = 1u << 9,         // some packets were rebuilt from IP fragments
  kSessionFragmentConflict = 1u << 10,  // overlapping fragments carried different data
  kSessionMalformed = 1u << 11,         // some packet had lying length fields
  kSessionUnfinished = 1u << 12,        // still open when the capture ended
  kSessionEncrypted = 1u << 13,         // encrypted, not inspected (analyzers set it)
};

// Names in bit order; the same names appear in SQL, JSON and queries.
std::vector<std::string> session_flag_names(std::uint32_t flags);
// Parses one name; 0 if unknown.
std::uint32_t session_flag_from_name(const std::string& name);

// "tcp", "udp", "icmp", "icmp6", "gre", ... or the protocol number.
std::string transport_name(std::uint8_t proto);
// Inverse of transport_name; -1 if unknown.
int transport_from_name(const std::string& name);

// One session (connection): the when, who, where and how of the design's five questions.
struct SessionRecord {
  std::uint64_t id = 0;
  std::string sensor;
  TimeNs ts_first = 0;
  TimeNs ts_last = 0;
  std::uint8_t transport = 0;  // IP protocol number
  std::uint8_t ip_version = 0;
  IpAddress client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;
  std::uint64_t client_mac = 0, server_mac = 0;  // 48-bit; 0 when the link has none
  std::uint16_t vlan = 0, vlan_inner = 0;
  std::string app;   // application protocols by content, outermost first ("http,tls")
  std::string host;  // HTTP Host, TLS SNI, or the name DNS resolved for the server
  bool decrypted = false;
  std::uint64_t pkts_c2s = 0, pkts_s2c = 0;
  std::uint64_t bytes_c2s = 0, bytes_s2c = 0;  // payload bytes on the wire, retransmissions in
  std::uint64_t stream_bytes_c2s = 0, stream_bytes_s2c = 0;  // reassembled bytes delivered
  std::uint32_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  std::uint32_t flags = 0;
  std::string end_reason;
  std::string user;
  std::uint32_t location_parts = 0;    // packet-location chunks stored for this session
  std::uint64_t packets_archived = 0;  // frames archived for it (fragments count each)
};

// Where a session's packets are: one chunk of its LocationEncoder bytes.
struct PacketLocationChunk {
  std::uint64_t session_id = 0;
  std::uint32_t part = 0;
  std::uint32_t count = 0;
  std::vector<std::uint8_t> bytes;
};

// One archived pcap file.
struct ArchiveFileRecord {
  std::uint32_t file_id = 0;
  std::string name;  // relative to STORE/packets
  int linktype = 0;  // LINKTYPE_ value written in its header
  std::uint32_t snaplen = 0;
  TimeNs first_ts = 0, last_ts = 0;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // file size
  std::string sha256;       // hex, empty while open
  bool sealed = false;
};

}  // namespace kagami::records
