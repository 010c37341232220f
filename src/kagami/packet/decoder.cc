#include "kagami/packet/decoder.h"

#include "kagami/packet/link_type.h"

namespace kagami::packet {
namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint16_t kEtherQinQOld = 0x9100;
constexpr std::uint16_t kEtherMplsUnicast = 0x8847;
constexpr std::uint16_t kEtherMplsMulticast = 0x8848;
constexpr std::uint16_t kEtherPppoeSession = 0x8864;
constexpr int kMaxVlanTags = 8;
constexpr int kMaxMplsLabels = 16;

DecodeResult ok() { return {DecodeStatus::kOk, nullptr}; }
DecodeResult malformed(const char* why) { return {DecodeStatus::kMalformed, why}; }
DecodeResult not_ip(const char* why) { return {DecodeStatus::kNotIp, why}; }

std::uint64_t load_mac(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | p[i];
  return v;
}

DecodeResult decode_transport(ByteView f, Packet& out);

// IPv4 (RFC 791). Fills addresses and lengths; decodes transport unless fragmented.
DecodeResult decode_ipv4(ByteView f, std::uint32_t off, Packet& out) {
  if (f.size() < off + 20) return malformed("ipv4.truncated_header");
  const std::uint8_t* h = f.data() + off;
  if ((h[0] >> 4) != 4) return malformed("ipv4.bad_version");
  const std::uint32_t ihl = (h[0] & 0x0f) * 4u;
  if (ihl < 20) return malformed("ipv4.bad_header_length");
  if (f.size() < off + ihl) return malformed("ipv4.truncated_options");
  std::uint32_t total = load_be16(h + 2);
  const std::uint32_t available = static_cast<std::uint32_t>(f.size()) - off;
  if (total == 0) {
    // Captured on a host with TCP segmentation offload: the NIC fills the length in later.
    out.anomalies |= kAnomalyTsoLength;
    total = available;
  }
  if (total < ihl) return malformed("ipv4.total_length_below_header");
  out.ip_version = 4;
  out.ip_offset = off;
  out.src_ip = IpAddress::v4(h + 12);
  out.dst_ip = IpAddress::v4(h + 16);
  out.ip_proto = h[9];
  out.l4_offset = off + ihl;
  out.l4_wire_len = total - ihl;
  if (total > available) {
    const std::uint32_t wire_available = out.wire_len - off;
    if (total > wire_available) {
      // The header claims more than the frame carried on the wire: believe the wire (as
      // Wireshark does) and flag it.
      out.anomalies |= kAnomalyLyingLength;
      total = wire_available;
      out.l4_wire_len = total - ihl;
    }
    if (out.wire_len > f.size()) out.anomalies |= kAnomalySnaplenCut;
  } else if (total < available) {
    out.anomalies |= kAnomalyTrailingBytes;
  }
  const std::uint16_t frag = load_be16(h + 6);
  out.frag_more = (frag & 0x2000) != 0;
  out.frag_offset = (frag & 0x1fffu) * 8u;
  out.frag_id = load_be16(h + 4);
  out.is_fragment = out.frag_more || out.frag_offset != 0;
  if (out.is_fragment) return ok();
  return decode_transport(f, out);
}

bool is_ipv6_extension(std::uint8_t nh) {
  switch (nh) {
    case 0:    // hop-by-hop options
    case 43:   // routing
    case 44:   // fragment
    case 60:   // destination options
    case 51:   // authentication header
    case 135:  // mobility
    case 139:  // HIP
    case 140:  // shim6
      return true;
    default:
      return false;
  }
}

// IPv6 (RFC 8200) with its extension header chain.
DecodeResult decode_ipv6(ByteView f, std::uint32_t off, Packet& out) {
  if (f.size() < off + 40) return malformed("ipv6.truncated_header");
  const std::uint8_t* h = f.data() + off;
  if ((h[0] >> 4) != 6) return malformed("ipv6.bad_version");
  std::uint32_t payload_len = load_be16(h + 4);
  const std::uint32_t available = static_cast<std::uint32_t>(f.size()) - off - 40;
  if (payload_len == 0) {
    // Jumbogram (RFC 2675) or segmentation offload: trust the frame.
    out.anomalies |= kAnomalyTsoLength;
    payload_len = available;
  }
  out.ip_version = 6;
  out.ip_offset = off;
  out.src_ip = IpAddress::v6(h + 8);
  out.dst_ip = IpAddress::v6(h + 24);
  if (payload_len > available) {
    const std::uint32_t wire_available = out.wire_len - off - 40;
    if (payload_len > wire_available) {
      out.anomalies |= kAnomalyLyingLength;
      payload_len = wire_available;
    }
    if (out.wire_len > f.size()) out.anomalies |= kAnomalySnaplenCut;
  } else if (payload_len < available) {
    out.anomalies |= kAnomalyTrailingBytes;
  }
  std::uint8_t nh = h[6];
  std::uint32_t pos = off + 40;
  std::uint32_t nh_field = off + 6;
  const std::uint32_t end = off + 40 + payload_len;
  for (int i = 0; i < 16 && is_ipv6_extension(nh); ++i) {
    if (pos + 8 > f.size() || pos + 8 > end) return malformed("ipv6.truncated_extension");
    const std::uint8_t* e = f.data() + pos;
    std::uint32_t len;
    if (nh == 44) {
      len = 8;
      const std::uint16_t frag = load_be16(e + 2);
      out.frag_offset = frag & 0xfff8u;
      out.frag_more = (frag & 1) != 0;
      out.frag_id = load_be32(e + 4);
      out.is_fragment = out.frag_more || out.frag_offset != 0;
      out.v6_frag_header = pos;
      out.v6_frag_nh_field = nh_field;
    } else if (nh == 51) {
      len = (e[1] + 2u) * 4u;  // AH counts 4-byte words (RFC 4302)
    } else {
      len = (e[1] + 1u) * 8u;
    }
    nh = e[0];
    nh_field = pos;
    pos += len;
    if (pos > end) return malformed("ipv6.extension_beyond_payload");
    if (out.is_fragment) break;  // headers after the fragment header belong to the datagram
  }
  if (is_ipv6_extension(nh) && !out.is_fragment) return malformed("ipv6.extension_chain_too_long");
  out.ip_proto = nh;
  out.l4_offset = pos;
  out.l4_wire_len = end - pos;
  if (out.is_fragment) {
    // An atomic fragment (offset 0, no more fragments, RFC 6946) is a whole datagram.
    if (out.frag_offset == 0 && !out.frag_more) {
      out.is_fragment = false;
    } else {
      return ok();
    }
  }
  return decode_transport(f, out);
}

DecodeResult decode_transport(ByteView f, Packet& out) {
  const std::uint32_t off = out.l4_offset;
  const std::uint32_t cap_end = static_cast<std::uint32_t>(f.size());
  // The IP packet ends at whichever comes first: its own length or the captured bytes.
  const std::uint32_t ip_end = std::min(cap_end, off + out.l4_wire_len);
  auto captured = [&](std::uint32_t need) { return off + need <= ip_end; };
  switch (out.ip_proto) {
    case kProtoTcp: {
      if (!captured(20)) return malformed("tcp.truncated_header");
      const std::uint8_t* t = f.data() + off;
      const std::uint32_t doff = (t[12] >> 4) * 4u;
      if (doff < 20) return malformed("tcp.bad_data_offset");
      if (doff > out.l4_wire_len) return malformed("tcp.header_beyond_packet");
      out.src_port = load_be16(t);
      out.dst_port = load_be16(t + 2);
      out.tcp_seq = load_be32(t + 4);
      out.tcp_ack = load_be32(t + 8);
      out.tcp_flags = t[13];
      out.tcp_window = load_be16(t + 14);
      out.has_l4 = true;
      out.payload_wire_len = out.l4_wire_len - doff;
      const std::uint32_t start = std::min(off + doff, ip_end);
      out.payload = f.subspan(start, ip_end - start);
      return ok();
    }
    case kProtoUdp: {
      if (!captured(8)) return malformed("udp.truncated_header");
      const std::uint8_t* u = f.data() + off;
      out.src_port = load_be16(u);
      out.dst_port = load_be16(u + 2);
      std::uint32_t ulen = load_be16(u + 4);
      if (ulen == 0 && out.ip_version == 6) ulen = out.l4_wire_len;  // jumbogram (RFC 2675)
      if (ulen < 8) return malformed("udp.bad_length");
      if (ulen > out.l4_wire_len) {
        out.anomalies |= kAnomalyLyingLength;
        ulen = out.l4_wire_len;
      }
      out.has_l4 = true;
      out.payload_wire_len = ulen - 8;
      const std::uint32_t stop = std::min(ip_end, off + ulen);
      out.payload = f.subspan(off + 8, stop > off + 8 ? stop - off - 8 : 0);
      return ok();
    }
    case kProtoIcmp:
    case kProtoIcmpv6: {
      if (!captured(4)) return malformed("icmp.truncated_header");
      out.icmp_type = f[off];
      out.icmp_code = f[off + 1];
      out.has_l4 = true;
      out.payload_wire_len = out.l4_wire_len - 4;
      out.payload = f.subspan(off + 4, ip_end - off - 4);
      return ok();
    }
    default:
      // Other protocols (GRE, ESP, SCTP, ...) are flows by address pair; payload is opaque.
      out.payload_wire_len = out.l4_wire_len;
      out.payload = f.subspan(off, ip_end - off);
      return ok();
  }
}

DecodeResult decode_by_version(ByteView f, std::uint32_t off, Packet& out) {
  if (f.size() <= off) return malformed("ip.missing");
  switch (f[off] >> 4) {
    case 4:
      return decode_ipv4(f, off, out);
    case 6:
      return decode_ipv6(f, off, out);
    default:
      return malformed("ip.bad_version");
  }
}

DecodeResult decode_ethertype(ByteView f, std::uint32_t off, std::uint16_t type, Packet& out);

DecodeResult decode_mpls(ByteView f, std::uint32_t off, Packet& out) {
  for (int i = 0; i < kMaxMplsLabels; ++i) {
    if (f.size() < off + 4) return malformed("mpls.truncated");
    const bool bottom = (f[off + 2] & 1) != 0;
    off += 4;
    if (bottom) {
      // RFC 4385 pseudowire control word starts with nibble 0; then Ethernet follows.
      if (f.size() > off && (f[off] >> 4) == 0) return not_ip("mpls.pseudowire");
      return decode_by_version(f, off, out);
    }
  }
  return malformed("mpls.label_stack_too_deep");
}

DecodeResult decode_ethertype(ByteView f, std::uint32_t off, std::uint16_t type, Packet& out) {
  for (int tags = 0;; ++tags) {
    switch (type) {
      case kEtherIpv4:
        return decode_ipv4(f, off, out);
      case kEtherIpv6:
        return decode_ipv6(f, off, out);
      case kEtherVlan:
      case kEtherQinQ:
      case kEtherQinQOld: {
        if (tags >= kMaxVlanTags) return malformed("vlan.too_many_tags");
        if (f.size() < off + 4) return malformed("vlan.truncated");
        const std::uint16_t vid = load_be16(f.data() + off) & 0x0fff;
        if (out.vlan_count == 0) {
          out.vlan_outer = vid;
        } else if (out.vlan_count == 1) {
          out.vlan_inner = vid;
        } else {
          out.anomalies |= kAnomalyTooManyVlans;
        }
        if (out.vlan_count < 255) ++out.vlan_count;
        type = load_be16(f.data() + off + 2);
        off += 4;
        continue;
      }
      case kEtherMplsUnicast:
      case kEtherMplsMulticast:
        return decode_mpls(f, off, out);
      case kEtherPppoeSession: {
        if (f.size() < off + 8) return malformed("pppoe.truncated");
        const std::uint16_t ppp = load_be16(f.data() + off + 6);
        off += 8;
        if (ppp == 0x0021) return decode_ipv4(f, off, out);
        if (ppp == 0x0057) return decode_ipv6(f, off, out);
        return not_ip("pppoe.not_ip");
      }
      default:
        return not_ip("link.not_ip");
    }
  }
}

DecodeResult decode_ethernet(ByteView f, Packet& out) {
  if (f.size() < 14) return malformed("ethernet.truncated");
  out.dst_mac = load_mac(f.data());
  out.src_mac = load_mac(f.data() + 6);
  const std::uint16_t type = load_be16(f.data() + 12);
  if (type < 0x0600) return not_ip("ethernet.llc");  // 802.3 length field: LLC/SNAP frames
  return decode_ethertype(f, 14, type, out);
}

DecodeResult decode_sll(ByteView f, Packet& out) {
  if (f.size() < 16) return malformed("sll.truncated");
  const std::uint16_t hatype = load_be16(f.data() + 2);
  const std::uint16_t alen = load_be16(f.data() + 4);
  if (hatype == 1 && alen == 6) out.src_mac = load_mac(f.data() + 6);
  return decode_ethertype(f, 16, load_be16(f.data() + 14), out);
}

DecodeResult decode_sll2(ByteView f, Packet& out) {
  if (f.size() < 20) return malformed("sll2.truncated");
  const std::uint16_t hatype = load_be16(f.data() + 8);
  const std::uint8_t alen = f[11];
  if (hatype == 1 && alen == 6) out.src_mac = load_mac(f.data() + 12);
  return decode_ethertype(f, 20, load_be16(f.data()), out);
}

DecodeResult decode_loopback(ByteView f, bool network_order, Packet& out) {
  if (f.size() < 4) return malformed("loopback.truncated");
  std::uint32_t family = network_order ? load_be32(f.data()) : load_le32(f.data());
  // DLT_NULL uses the writer's byte order: a big-endian writer leaves the low bytes first.
  if (!network_order && family > 0xffff) family = load_be32(f.data());
  switch (family) {
    case 2:
      return decode_ipv4(f, 4, out);
    case 10:
    case 24:
    case 28:
    case 30:
      return decode_ipv6(f, 4, out);  // Linux, BSDs, Darwin
    default:
      return not_ip("loopback.not_ip");
  }
}

}  // namespace

DecodeResult Decoder::decode(int link_type, TimeNs ts, ByteView frame, std::uint32_t wire_len,
                             Packet& out) {
  out = Packet{};
  out.ts = ts;
  out.frame = frame;
  out.wire_len = wire_len < frame.size() ? static_cast<std::uint32_t>(frame.size()) : wire_len;
  if (out.wire_len > frame.size()) out.anomalies |= kAnomalySnaplenCut;
  switch (link_type) {
    case kLinkEthernet:
      return decode_ethernet(frame, out);
    case kLinkLinuxSll:
      return decode_sll(frame, out);
    case kLinkLinuxSll2:
      return decode_sll2(frame, out);
    case kLinkRaw:
    case kLinkRawOpenBsd:
    case kLinkRawLinktype:
      return decode_by_version(frame, 0, out);
    case kLinkIpv4:
      return decode_ipv4(frame, 0, out);
    case kLinkIpv6:
      return decode_ipv6(frame, 0, out);
    case kLinkNull:
      return decode_loopback(frame, false, out);
    case kLinkLoop:
      return decode_loopback(frame, true, out);
    default:
      return {DecodeStatus::kUnsupportedLink, "link.unsupported"};
  }
}

DecodeResult Decoder::decode_ip(ByteView frame, std::uint32_t ip_offset, Packet& out) {
  out.frame = frame;
  out.wire_len = static_cast<std::uint32_t>(frame.size());
  out.is_fragment = false;
  out.frag_more = false;
  out.frag_offset = 0;
  out.has_l4 = false;
  out.payload = {};
  out.payload_wire_len = 0;
  return decode_by_version(frame, ip_offset, out);
}

}  // namespace kagami::packet
