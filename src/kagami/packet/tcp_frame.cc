#include "kagami/packet/tcp_frame.h"

#include <cstring>

namespace kagami::packet {

std::uint32_t internet_checksum_add(std::uint32_t sum, const std::uint8_t* p, std::size_t n) {
  // 64-bit accumulation of 32-bit words, folded at the end (RFC 1071 section 4.1's idea).
  std::uint64_t acc = sum;
  while (n >= 16) {  // two 64-bit words per round, each added as its two 32-bit halves
    std::uint64_t w[2];
    std::memcpy(w, p, 16);
    acc += (w[0] & 0xffffffffu) + (w[0] >> 32) + (w[1] & 0xffffffffu) + (w[1] >> 32);
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    acc += h;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    std::uint16_t h = 0;
    std::memcpy(&h, p, 1);  // the odd byte is the high byte of a zero-padded word
    acc += h;
  }
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  return static_cast<std::uint32_t>(acc);
}

std::uint16_t internet_checksum_finish(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  // Summed in memory order: the result is already in network byte order in memory.
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

void append_tcp_frame(std::vector<std::uint8_t>& out, const TcpEnd& src, const TcpEnd& dst,
                      std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, ByteView payload,
                      std::uint16_t ip_id, std::uint16_t window) {
  const bool v4 = src.ip.is_v4() && dst.ip.is_v4();
  const std::size_t ip_bytes = v4 ? 20 : 40;
  const std::size_t start = out.size();
  // Headers zeroed, the payload appended after them (not zeroed first, then copied over).
  out.resize(start + 14 + ip_bytes + 20);
  out.insert(out.end(), payload.begin(), payload.end());
  std::uint8_t* p = out.data() + start;
  for (int i = 0; i < 6; ++i) p[i] = static_cast<std::uint8_t>(dst.mac >> (40 - 8 * i));
  for (int i = 0; i < 6; ++i) p[6 + i] = static_cast<std::uint8_t>(src.mac >> (40 - 8 * i));
  p[12] = v4 ? 0x08 : 0x86;
  p[13] = v4 ? 0x00 : 0xdd;
  std::uint8_t* ip = p + 14;
  std::uint8_t* tcp = ip + ip_bytes;
  const std::size_t tcp_len = 20 + payload.size();
  std::uint32_t pseudo = 0;
  if (v4) {
    std::memset(ip, 0, 20);
    ip[0] = 0x45;
    store_be16(ip + 2, static_cast<std::uint16_t>(20 + tcp_len));
    store_be16(ip + 4, ip_id);
    ip[6] = 0x40;  // don't fragment
    ip[8] = 64;
    ip[9] = 6;
    std::memcpy(ip + 12, src.ip.bytes() + 12, 4);
    std::memcpy(ip + 16, dst.ip.bytes() + 12, 4);
    const std::uint16_t c = internet_checksum_finish(internet_checksum_add(0, ip, 20));
    std::memcpy(ip + 10, &c, 2);
    pseudo = internet_checksum_add(0, ip + 12, 8);
    const std::uint8_t tail[4] = {0, 6, static_cast<std::uint8_t>(tcp_len >> 8),
                                  static_cast<std::uint8_t>(tcp_len)};
    pseudo = internet_checksum_add(pseudo, tail, 4);
  } else {
    store_be32(ip, 0x60000000u);
    store_be16(ip + 4, static_cast<std::uint16_t>(tcp_len));
    ip[6] = 6;
    ip[7] = 64;
    std::memcpy(ip + 8, src.ip.bytes(), 16);
    std::memcpy(ip + 24, dst.ip.bytes(), 16);
    pseudo = internet_checksum_add(0, ip + 8, 32);
    std::uint8_t tail[8] = {};
    store_be32(tail, static_cast<std::uint32_t>(tcp_len));
    tail[7] = 6;
    pseudo = internet_checksum_add(pseudo, tail, 8);
  }
  store_be16(tcp, src.port);
  store_be16(tcp + 2, dst.port);
  store_be32(tcp + 4, seq);
  store_be32(tcp + 8, ack);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  store_be16(tcp + 14, window);
  tcp[16] = tcp[17] = tcp[18] = tcp[19] = 0;
  const std::uint16_t c = internet_checksum_finish(internet_checksum_add(pseudo, tcp, tcp_len));
  std::memcpy(tcp + 16, &c, 2);
}

}  // namespace kagami::packet
