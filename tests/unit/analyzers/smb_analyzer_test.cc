#include <string>

#include <gtest/gtest.h>

#include "kagami/base/utf8.h"
#include "kagami/wire/smb2.h"

#include "unit/analyzers/harness.h"

namespace kagami::testing {
namespace {

void le(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>(v >> (8 * i) & 0xff);
}

// UTF-8 as Windows sends names: UTF-16LE.
std::string utf16(std::string_view utf8) {
  std::string out;
  while (!utf8.empty()) {
    char32_t c = 0;
    const std::size_t n = utf8_sequence(utf8, c);
    if (n == 0) break;
    utf8.remove_prefix(n);
    auto unit = [&](char32_t u) {
      out += static_cast<char>(u & 0xff);
      out += static_cast<char>(u >> 8 & 0xff);
    };
    if (c >= 0x10000) {
      unit(0xD800 + ((c - 0x10000) >> 10));
      unit(0xDC00 + ((c - 0x10000) & 0x3ff));
    } else {
      unit(c);
    }
  }
  return out;
}

// An SMB2 message: its 64-byte header, then `body` (offsets in it count from the header).
std::string smb2(std::uint16_t command, std::uint64_t message_id, bool response,
                 const std::string& body, std::uint32_t status = 0, std::uint32_t tree = 1,
                 std::uint32_t next = 0, bool related = false) {
  std::string h = "\xfeSMB";
  le(h, 64, 2);
  le(h, 0, 2);
  le(h, status, 4);
  le(h, command, 2);
  le(h, 1, 2);
  le(h, (response ? 1u : 0u) | (related ? 4u : 0u), 4);
  le(h, next, 4);
  le(h, message_id, 8);
  le(h, 0, 4);
  le(h, tree, 4);
  le(h, 0x1122, 8);
  h += std::string(16, '\0');
  return h + body;
}

std::string nbss(const std::string& message) {
  std::string f(1, '\0');
  f += static_cast<char>(message.size() >> 16 & 0xff);
  f += static_cast<char>(message.size() >> 8 & 0xff);
  f += static_cast<char>(message.size() & 0xff);
  return f + message;
}

std::string file_id(std::uint64_t n) {
  std::string s;
  le(s, n, 8);
  le(s, n + 100, 8);
  return s;
}

std::string tree_connect(const std::string& path) {
  std::string b;
  le(b, 9, 2);
  le(b, 0, 2);
  le(b, 64 + 8, 2);
  le(b, utf16(path).size(), 2);
  return b + utf16(path);
}

std::string create(const std::string& name, std::uint32_t options = 0) {
  std::string b;
  le(b, 57, 2);
  b += std::string(22, '\0');
  le(b, 0x0012019f, 4);  // access
  le(b, 0, 4);
  le(b, 7, 4);  // share access
  le(b, 2, 4);  // disposition: create
  le(b, options, 4);
  le(b, 64 + 56, 2);
  le(b, utf16(name).size(), 2);
  le(b, 0, 4);
  le(b, 0, 4);
  return b + utf16(name);
}

std::string created(std::uint64_t id) {
  std::string b;
  le(b, 89, 2);
  b += std::string(2, '\0');
  le(b, 2, 4);  // created
  b += std::string(56, '\0');
  b += file_id(id);
  b += std::string(8, '\0');
  return b;
}

std::string write(std::uint64_t id, std::uint64_t offset, const std::string& data) {
  std::string b;
  le(b, 49, 2);
  le(b, 64 + 48, 2);
  le(b, data.size(), 4);
  le(b, offset, 8);
  b += file_id(id);
  b += std::string(16, '\0');
  return b + data;
}

std::string read_request(std::uint64_t id, std::uint64_t offset, std::uint32_t length) {
  std::string b;
  le(b, 49, 2);
  le(b, 0, 2);
  le(b, length, 4);
  le(b, offset, 8);
  b += file_id(id);
  b += std::string(16, '\0');
  return b;
}

std::string read_response(const std::string& data) {
  std::string b;
  le(b, 17, 2);
  b += static_cast<char>(64 + 16);
  b += '\0';
  le(b, data.size(), 4);
  b += std::string(8, '\0');
  return b + data;
}

std::string close_request(std::uint64_t id) {
  std::string b;
  le(b, 24, 2);
  b += std::string(6, '\0');
  return b + file_id(id);
}

std::string rename_to(std::uint64_t id, const std::string& name) {
  std::string info(16, '\0');
  le(info, utf16(name).size(), 4);
  info += utf16(name);
  std::string b;
  le(b, 33, 2);
  b += '\x01';  // file
  b += '\x0a';  // FileRenameInformation
  le(b, info.size(), 4);
  le(b, 64 + 32, 2);
  le(b, 0, 2);
  le(b, 0, 4);
  b += file_id(id);
  return b + info;
}

std::string ntlm_authenticate(const std::string& domain, const std::string& user) {
  std::string m("NTLMSSP\0", 8);
  le(m, 3, 4);
  const std::string d = utf16(domain), u = utf16(user);
  auto field = [&](std::size_t len, std::size_t off) {
    le(m, len, 2);
    le(m, len, 2);
    le(m, off, 4);
  };
  field(0, 64);                        // LM
  field(0, 64);                        // NT
  field(d.size(), 64);                 // domain
  field(u.size(), 64 + d.size());      // user
  field(0, 64 + d.size() + u.size());  // workstation
  field(0, 64 + d.size() + u.size());  // session key
  le(m, 1, 4);                         // NEGOTIATE_UNICODE
  m.resize(64, '\0');
  return m + d + u;
}

std::string session_setup(const std::string& blob) {
  std::string b;
  le(b, 25, 2);
  b += std::string(10, '\0');
  le(b, 64 + 24, 2);
  le(b, blob.size(), 2);
  le(b, 0, 8);
  return b + blob;
}

// A client writes a file in two pieces, the second first, reads another with a hole, renames
// it and closes both: each file's content is put together by offset under \\server\share\path,
// and every action is a record with the session's user.
TEST(SmbAnalyzer, FilesArePutTogetherByOffsetUnderTheirSharePath) {
  AnalyzerHarness h;
  auto s = h.tcp(445);
  auto c2s = [&](const std::string& m) { AnalyzerHarness::send(*s, kC2S, nbss(m)); };
  auto s2c = [&](const std::string& m) { AnalyzerHarness::send(*s, kS2C, nbss(m)); };
  std::string negotiate;
  le(negotiate, 65, 2);
  le(negotiate, 1, 2);
  le(negotiate, 0x0311, 2);
  negotiate += std::string(58, '\0');
  c2s(smb2(wire::smb2::kNegotiate, 0, false, std::string(36, '\0')));
  s2c(smb2(wire::smb2::kNegotiate, 0, true, negotiate));
  c2s(smb2(wire::smb2::kSessionSetup, 1, false,
           session_setup("\xa1\x82spnego-ish" + ntlm_authenticate("OFFICE", "tanaka"))));
  c2s(smb2(wire::smb2::kTreeConnect, 2, false, tree_connect("\\\\fs01\\経理")));
  s2c(smb2(wire::smb2::kTreeConnect, 2, true, std::string(16, '\0'), 0, 7));
  c2s(smb2(wire::smb2::kCreate, 3, false, create("給与\\2026.xlsx"), 0, 7));
  s2c(smb2(wire::smb2::kCreate, 3, true, created(1), 0, 7));
  c2s(smb2(wire::smb2::kWrite, 4, false, write(1, 5, "world"), 0, 7));
  c2s(smb2(wire::smb2::kWrite, 5, false, write(1, 0, "hello"), 0, 7));
  c2s(smb2(wire::smb2::kCreate, 6, false, create("report.txt"), 0, 7));
  s2c(smb2(wire::smb2::kCreate, 6, true, created(2), 0, 7));
  c2s(smb2(wire::smb2::kRead, 7, false, read_request(2, 0, 4), 0, 7));
  s2c(smb2(wire::smb2::kRead, 7, true, read_response("abcd"), 0, 7));
  c2s(smb2(wire::smb2::kRead, 8, false, read_request(2, 8, 2), 0, 7));
  s2c(smb2(wire::smb2::kRead, 8, true, read_response("ij"), 0, 7));
  c2s(smb2(wire::smb2::kSetInfo, 9, false, rename_to(2, "old\\report.txt"), 0, 7));
  s2c(smb2(wire::smb2::kSetInfo, 9, true, std::string(2, '\0'), 0, 7));
  for (std::uint64_t id : {1, 2}) {
    c2s(smb2(wire::smb2::kClose, 9 + id, false, close_request(id), 0, 7));
    s2c(smb2(wire::smb2::kClose, 9 + id, true, std::string(60, '\0'), 0, 7));
  }
  s->close(2);

  EXPECT_EQ(s->state().apps, std::vector<std::string>{"smb"});
  EXPECT_EQ(s->state().user, "OFFICE\\tanaka");
  ASSERT_EQ(h.records.events.size(), 2u);
  const auto& written = h.records.events[0];
  EXPECT_EQ(written.name, "\\\\fs01\\経理\\給与\\2026.xlsx");
  EXPECT_EQ(written.direction, "sent");
  EXPECT_FALSE(written.partial);
  EXPECT_EQ(h.file_bytes(written.sha256), "helloworld");
  const auto& read = h.records.events[1];
  EXPECT_EQ(read.name, "\\\\fs01\\経理\\old\\report.txt");
  EXPECT_EQ(read.direction, "received");
  EXPECT_TRUE(read.partial);  // bytes 4 to 7 were never read
  EXPECT_EQ(h.file_bytes(read.sha256), std::string("abcd\0\0\0\0ij", 10));
  ASSERT_EQ(h.records.smb.size(), 3u);  // the rename, then each file at its close
  EXPECT_EQ(h.records.smb[0].action, "rename");
  EXPECT_EQ(h.records.smb[0].path, "report.txt");
  EXPECT_EQ(h.records.smb[0].new_path, "old\\report.txt");
  EXPECT_EQ(h.records.smb[1].action, "write");
  EXPECT_EQ(h.records.smb[1].share, "\\\\fs01\\経理");
  EXPECT_EQ(h.records.smb[1].bytes_written, 10u);
  EXPECT_EQ(h.records.smb[1].dialect, "SMB 3.1.1");
  EXPECT_EQ(h.records.smb[1].user, "OFFICE\\tanaka");
  EXPECT_EQ(h.records.smb[1].sha256, written.sha256);
  EXPECT_EQ(written.record_id, h.records.smb[1].id);
  EXPECT_EQ(h.records.smb[2].action, "read");
  EXPECT_EQ(h.records.smb[2].bytes_read, 6u);
}

// A write larger than a buffered message streams into its file, in pieces as segments come.
TEST(SmbAnalyzer, LargeWritesStreamIntoTheirFile) {
  AnalyzerHarness h;
  auto s = h.tcp(445);
  std::string big(1u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 251);
  std::string stream = nbss(smb2(wire::smb2::kTreeConnect, 1, false, tree_connect("\\\\fs\\d")));
  stream += nbss(smb2(wire::smb2::kCreate, 2, false, create("big.bin")));
  AnalyzerHarness::send(*s, kC2S, stream);
  AnalyzerHarness::send(*s, kS2C,
                        nbss(smb2(wire::smb2::kTreeConnect, 1, true, std::string(16, '\0'))) +
                            nbss(smb2(wire::smb2::kCreate, 2, true, created(9))));
  AnalyzerHarness::send_split(*s, kC2S, nbss(smb2(wire::smb2::kWrite, 3, false, write(9, 0, big))),
                              1460);
  AnalyzerHarness::send(*s, kC2S, nbss(smb2(wire::smb2::kClose, 4, false, close_request(9))));
  AnalyzerHarness::send(*s, kS2C, nbss(smb2(wire::smb2::kClose, 4, true, std::string(60, '\0'))));
  s->close(2);
  ASSERT_EQ(h.records.events.size(), 1u);
  EXPECT_EQ(h.file_bytes(h.records.events[0].sha256), big);
  EXPECT_EQ(h.counters.buffer_limit.get(), 0u);
}

// Lying lengths and offsets, a compound whose next header points nowhere, an encrypted
// session: bounded and flagged, never a crash.
TEST(SmbAnalyzer, BadMessagesAreBoundedAndEncryptionIsFlagged) {
  AnalyzerHarness h;
  auto s = h.tcp(445);
  std::string lying = create("x");
  lying[44] = '\xff';  // the name's offset points past the message
  lying[45] = '\x7f';
  AnalyzerHarness::send(*s, kC2S, nbss(smb2(wire::smb2::kCreate, 1, false, lying)));
  AnalyzerHarness::send(*s, kC2S,
                        nbss(smb2(wire::smb2::kEcho, 2, false, std::string(4, '\0'), 0, 1, 64)));
  AnalyzerHarness::send(*s, kC2S, nbss(std::string("\xfdSMB") + std::string(48, '\x42')));
  s->close(2);
  EXPECT_TRUE(s->state().encrypted);
  EXPECT_TRUE(h.records.events.empty());
  std::string huge(4, '\0');
  huge[1] = '\x7f';  // 8 MiB and more announced
  auto t = h.tcp(445, 2);
  AnalyzerHarness::send(*t, kC2S, huge + "\xfeSMB" + std::string(200, 'A'));
  t->close(2);
}

TEST(Utf16, WindowsNamesBecomeUtf8) {
  EXPECT_EQ(utf16le_to_utf8(std::string("\x66\x7d\x0e\x4e", 4)), "給与");
  EXPECT_EQ(utf16le_to_utf8(utf16("\\\\fs01\\経理\\😀")), "\\\\fs01\\経理\\😀");
  EXPECT_EQ(utf16le_to_utf8(std::string("\x3d\xd8\x00\xde", 4)), "😀");
  EXPECT_EQ(utf16le_to_utf8(std::string("\x00\xd8"
                                        "a",
                                        3)),
            "\xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace kagami::testing
