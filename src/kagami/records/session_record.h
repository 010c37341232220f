#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/base/time.h"
#include "kagami/records/record_schema.h"

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
  kSessionPacketsExpired = 1u << 14,    // some of its packets were removed by retention
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
  std::uint32_t analysis = 0;  // which analysis made it: 0 the recording's, N the Nth reanalysis

  // Its row in the index (its JSON, with names for numbers, is record_json's own).
  static constexpr RecordType kType{.kind = "sessions",
                                    .table = "sessions",
                                    .noun = "session(s)",
                                    .id_column = "id",
                                    .host_column = "host",
                                    .time_column = "ts_first"};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the session's number").ja("セッションの番号"));
    v(r.sensor, as::name_of_set("sensor", "the sensor that saw it").ja("観測したセンサー"));
    v(r.ts_first, as::time("ts_first", "its first packet").ja("最初のパケット"));
    v(r.ts_last, as::time("ts_last", "its last packet").ja("最後のパケット"));
    v(r.transport, as::count("transport", "the IP protocol number").ja("IP プロトコル番号"));
    v(r.ip_version, as::count("ip_version", "4 or 6").ja("4 または 6"));
    v(r.client_ip,
      as::field("client_ip", FieldType::kIp, "the client's address").ja("クライアントのアドレス"));
    v(r.client_port,
      as::field("client_port", FieldType::kPort, "the client's port").ja("クライアントのポート"));
    v(r.client_mac, as::count("client_mac", "the client's MAC (48 bits; 0: none)")
                        .ja("クライアントの MAC (48 ビット、0: なし)"));
    v(r.server_ip,
      as::field("server_ip", FieldType::kIp, "the server's address").ja("サーバーのアドレス"));
    v(r.server_port,
      as::field("server_port", FieldType::kPort, "the server's port").ja("サーバーのポート"));
    v(r.server_mac, as::count("server_mac", "the server's MAC (48 bits; 0: none)")
                        .ja("サーバーの MAC (48 ビット、0: なし)"));
    v(r.vlan, as::count("vlan", "the VLAN id (0: none)").ja("VLAN ID (0: なし)"));
    v(r.vlan_inner,
      as::count("vlan_inner", "the inner VLAN id (QinQ)").ja("内側の VLAN ID (QinQ)"));
    v(r.app, as::text("app", "its application protocols, outermost first")
                 .ja("アプリケーションプロトコル (外側から)"));
    v(r.decrypted, as::boolean("decrypted", "decrypted by the proxy").ja("プロキシで復号"));
    v(r.pkts_c2s,
      as::count("pkts_c2s", "packets client to server").ja("パケット数 (クライアント→サーバー)"));
    v(r.pkts_s2c,
      as::count("pkts_s2c", "packets server to client").ja("パケット数 (サーバー→クライアント)"));
    v(r.bytes_c2s, as::size("bytes_c2s", "payload bytes client to server")
                       .ja("ペイロードのバイト数 (クライアント→サーバー)"));
    v(r.bytes_s2c, as::size("bytes_s2c", "payload bytes server to client")
                       .ja("ペイロードのバイト数 (サーバー→クライアント)"));
    v(r.stream_bytes_c2s, as::size("stream_bytes_c2s", "reassembled bytes client to server")
                              .ja("再構成したバイト数 (クライアント→サーバー)"));
    v(r.stream_bytes_s2c, as::size("stream_bytes_s2c", "reassembled bytes server to client")
                              .ja("再構成したバイト数 (サーバー→クライアント)"));
    v(r.gaps, as::count("gaps", "gaps in its streams").ja("ストリームの欠落の数"));
    v(r.gap_bytes,
      as::size("gap_bytes", "bytes missing from its streams").ja("ストリームから欠けたバイト数"));
    v(r.flags, as::flags("flags", "how complete it is", session_flag_names).ja("記録の完全さ"));
    v(r.end_reason, as::name_of_set("end_reason", "why it ended").ja("終了の理由"));
    v(r.user, as::text("user", "who").ja("ユーザー"));
    v(r.location_parts, as::count("location_parts", "packet-location chunks stored")
                            .ja("保存したパケット位置の塊の数"));
    v(r.packets_archived,
      as::count("packets_archived", "frames archived for it").ja("アーカイブしたフレーム数"));
    v(r.host, as::host("host", "HTTP Host, TLS SNI or the name DNS resolved")
                  .ja("HTTP Host、TLS SNI または DNS で解決した名前"));
    v(r.analysis, as::count("analysis",
                            "which analysis made it: 0 the recording's, N the Nth "
                            "kagami reanalyze")
                      .ja("記録した解析: 0 は記録時、N は N 回目の kagami reanalyze"));
  }
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
  bool evicted = false;  // removed by retention (its tombstone is in the manifest)

  static constexpr RecordType kType{.kind = "packet_files",
                                    .table = "packet_files",
                                    .noun = "packet file(s)",
                                    .id_column = "file_id",
                                    .time_column = "file_id"};  // in the order they were written
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.file_id, as::id("file_id", "the file's number").ja("ファイルの番号"));
    v(r.name, as::text("name", "its path under STORE/packets").ja("STORE/packets からのパス"));
    v(r.linktype, as::count("linktype", "its LINKTYPE").ja("LINKTYPE"));
    v(r.snaplen, as::size("snaplen", "its snap length").ja("スナップ長"));
    v(r.first_ts, as::time("first_ts", "its first packet").ja("最初のパケット"));
    v(r.last_ts, as::time("last_ts", "its last packet").ja("最後のパケット"));
    v(r.packets, as::count("packets", "packets in it").ja("パケット数"));
    v(r.bytes, as::size("bytes", "its size").ja("サイズ"));
    v(r.sha256, as::hash("sha256", "SHA-256 of the sealed file (empty while open)")
                    .ja("封印したファイルの SHA-256 (書き込み中は空)"));
    v(r.sealed, as::boolean("sealed", "sealed: written whole and hashed").ja("封印済み"));
    v(r.evicted, as::boolean("evicted", "removed by retention").ja("保存期間により削除済み"));
  }
};

}  // namespace kagami::records
