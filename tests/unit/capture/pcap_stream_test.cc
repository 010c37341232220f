#include "kagami/capture/pcap_stream.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kagami::capture {
namespace {

void le32(std::string& s, std::uint32_t v, bool big = false) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>(big ? v >> (24 - 8 * i) : v >> (8 * i));
}

// A pcap stream: header, then records of `frames` at 1.5 s, 2.5 s, ...
std::string stream(const std::vector<std::string>& frames, bool nano, bool big,
                   std::uint32_t link = 1) {
  std::string s;
  le32(s, nano ? 0xa1b23c4d : 0xa1b2c3d4, big);
  s += big ? std::string("\x00\x02\x00\x04", 4) : std::string("\x02\x00\x04\x00", 4);
  le32(s, 0, big);
  le32(s, 0, big);
  le32(s, 65535, big);
  le32(s, link, big);
  std::uint32_t sec = 1;
  for (const auto& f : frames) {
    le32(s, sec++, big);
    le32(s, nano ? 500'000'000 : 500'000, big);
    le32(s, static_cast<std::uint32_t>(f.size()), big);
    le32(s, static_cast<std::uint32_t>(f.size() + 10), big);
    s += f;
  }
  return s;
}

std::vector<std::string> read_all(PcapStream& p, const std::string& bytes, std::size_t piece,
                                  std::vector<TimeNs>* times = nullptr) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < bytes.size(); i += piece) {
    const std::string part = bytes.substr(i, piece);
    p.feed(ByteView(reinterpret_cast<const std::uint8_t*>(part.data()), part.size()));
    RawPacket r;
    while (p.take(r)) {
      out.emplace_back(reinterpret_cast<const char*>(r.data.data()), r.data.size());
      if (times) times->push_back(r.ts);
      EXPECT_EQ(r.wire_len, r.data.size() + 10);
    }
  }
  return out;
}

// However the network cuts it, in either byte order and time precision, the records come out
// whole and in order, with their times.
TEST(PcapStream, RecordsComeWholeHoweverTheStreamIsCut) {
  const std::vector<std::string> frames = {"first frame", std::string(3000, 'x'), "", "last"};
  for (const bool nano : {false, true})
    for (const bool big : {false, true})
      for (const std::size_t piece : {1u, 7u, 16u, 24u, 1000u, 100000u}) {
        PcapStream p;
        std::vector<TimeNs> times;
        EXPECT_EQ(read_all(p, stream(frames, nano, big), piece, &times), frames)
            << nano << big << piece;
        EXPECT_EQ(times.front(), 1'500'000'000);
        EXPECT_EQ(p.link_type(), 1);
        EXPECT_EQ(p.pending(), 0u);
        EXPECT_FALSE(p.failed());
      }
}

TEST(PcapStream, WhatIsNotPcapFailsWithAReason) {
  auto fails = [](const std::string& bytes) {
    PcapStream p;
    read_all(p, bytes, 5);
    return p.error();
  };
  EXPECT_NE(fails(std::string("GET / HTTP/1.1\r\n\r\nxxxxxxxxxx")).find("does not begin"),
            std::string::npos);
  EXPECT_NE(fails(std::string("\x0a\x0d\x0d\x0a", 4) + std::string(40, '\0')).find("pcapng"),
            std::string::npos);
  std::string lying = stream({"ok"}, false, false);
  lying += std::string("\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\x0f\xff\xff\xff\x0f", 16);
  PcapStream p;
  EXPECT_EQ(read_all(p, lying, 3), std::vector<std::string>{"ok"});  // what came before stays
  EXPECT_NE(p.error().find("not one"), std::string::npos);
  // A cut record is pending, not handed out.
  PcapStream q;
  const std::string whole = stream({"abcdef"}, false, false);
  EXPECT_TRUE(read_all(q, whole.substr(0, whole.size() - 2), 4).empty());
  EXPECT_EQ(q.pending(), 20u);
  // The FCS bits of the link type field are not the link type.
  PcapStream f;
  read_all(f, stream({"a"}, false, false, 0x10000001), 100);
  EXPECT_EQ(f.link_type(), 1);
}

}  // namespace
}  // namespace kagami::capture
