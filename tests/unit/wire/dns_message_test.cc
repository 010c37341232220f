// DNS messages as resolvers send them, and as attackers shape them: compression pointers in
// loops, lengths that run past the end, counts that lie.
#include "kagami/wire/dns_message.h"

#include <string>

#include <gtest/gtest.h>

namespace kagami::wire {
namespace {

std::string name(std::initializer_list<std::string_view> labels) {
  std::string out;
  for (std::string_view l : labels) {
    out += static_cast<char>(l.size());
    out += l;
  }
  return out + '\0';
}

// A response to "www.example.jp A" with a CNAME (compressed) and an A record.
std::string response() {
  std::string m("\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00", 12);
  m += name({"www", "example", "jp"}) + std::string("\x00\x01\x00\x01", 4);
  // CNAME: name = pointer to 12, rdata = "cdn" + pointer to "example.jp" (offset 16)
  m += std::string(
      "\xc0\x0c\x00\x05\x00\x01\x00\x00\x0e\x10\x00\x06\x03"
      "cdn\xc0\x10",
      18);
  // A: name = pointer to the CNAME target (offset 44), 192.0.2.7
  m += std::string("\xc0\x2c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x07", 16);
  return m;
}

TEST(DnsMessage, ReadsQuestionsAndCompressedAnswers) {
  const std::string m = response();
  auto r = parse_dns(as_bytes(m));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, 0x1234);
  EXPECT_TRUE(r->response);
  ASSERT_EQ(r->questions.size(), 1u);
  EXPECT_EQ(r->questions[0].name, "www.example.jp");
  ASSERT_EQ(r->answers.size(), 2u);
  EXPECT_EQ(r->answers[0].data, "cdn.example.jp");
  EXPECT_EQ(r->answers[1].name, "cdn.example.jp");
  ASSERT_TRUE(r->answers[1].has_address);
  EXPECT_EQ(r->answers[1].address.to_string(), "192.0.2.7");
  EXPECT_EQ(dns_rcode_name(r->rcode), "NOERROR");
}

TEST(DnsMessage, APointerLoopIsAnErrorNotAHang) {
  std::string m("\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  m += std::string("\xc0\x0c\x00\x01\x00\x01", 6);  // the name points at itself
  EXPECT_FALSE(parse_dns(as_bytes(m)));
  std::string two("\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  two += std::string(
      "\x01"
      "a\xc0\x0e\x00\x01\x00\x01",
      8);  // "a" then back to itself
  EXPECT_FALSE(parse_dns(as_bytes(two)));
}

// A response cut short (a truncated datagram, a snap length) still tells what it answered:
// the records that are whole are kept, nothing is read past the end.
TEST(DnsMessage, LengthsAndCountsThatLieKeepWhatIsWhole) {
  const std::string m = response();
  auto cut = parse_dns(as_bytes(m.substr(0, m.size() - 3)));  // cut inside the A record
  ASSERT_TRUE(cut);
  ASSERT_EQ(cut->answers.size(), 1u);
  EXPECT_EQ(cut->answers[0].data, "cdn.example.jp");
  std::string counts = m;
  counts[7] = '\x50';  // 80 answers announced, 2 present
  auto lying = parse_dns(as_bytes(counts));
  ASSERT_TRUE(lying);
  EXPECT_EQ(lying->answers.size(), 2u);
  std::string none = m.substr(0, 40);  // not even the first answer is whole
  EXPECT_FALSE(parse_dns(as_bytes(none)));
  EXPECT_FALSE(parse_dns(as_bytes(std::string("\x00\x01", 2))));  // shorter than a header
  counts[7] = '\xff';
  counts[6] = '\xff';  // 65,535 answers announced: over the bound, refused before parsing
  EXPECT_FALSE(parse_dns(as_bytes(counts)));
}

}  // namespace
}  // namespace kagami::wire
