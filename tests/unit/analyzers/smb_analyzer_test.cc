#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kagami/base/utf8.h"
#include "kagami/wire/smb1.h"
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

std::string ntlm_authenticate(const std::string& domain, const std::string& user,
                              const std::string& workstation = "") {
  std::string m("NTLMSSP\0", 8);
  le(m, 3, 4);
  const std::string d = utf16(domain), u = utf16(user), w = utf16(workstation);
  auto field = [&](std::size_t len, std::size_t off) {
    le(m, len, 2);
    le(m, len, 2);
    le(m, off, 4);
  };
  field(0, 64);                                   // LM
  field(0, 64);                                   // NT
  field(d.size(), 64);                            // domain
  field(u.size(), 64 + d.size());                 // user
  field(w.size(), 64 + d.size() + u.size());      // workstation
  field(0, 64 + d.size() + u.size() + w.size());  // session key
  le(m, 1, 4);                                    // NEGOTIATE_UNICODE
  m.resize(64, '\0');
  return m + d + u + w;
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
  c2s(smb2(
      wire::smb2::kSessionSetup, 1, false,
      session_setup("\xa1\x82spnego-ish" + ntlm_authenticate("OFFICE", "tanaka", "経理-PC01"))));
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
  EXPECT_EQ(h.records.smb[1].workstation, "経理-PC01");
  EXPECT_EQ(h.records.smb[1].sha256, written.sha256);
  EXPECT_EQ(written.record_id, h.records.smb[1].id);
  EXPECT_EQ(h.records.smb[2].action, "read");
  EXPECT_EQ(h.records.smb[2].bytes_read, 6u);
}

// An SMB1 message (MS-CIFS): the 32-byte header (Unicode strings), the parameter words and
// the data bytes of one command.
std::string smb1(std::uint8_t command, std::uint16_t mid, bool response, const std::string& words,
                 const std::string& bytes, std::uint32_t status = 0, std::uint16_t tid = 7) {
  std::string h = "\xffSMB";
  h += static_cast<char>(command);
  le(h, status, 4);
  h += static_cast<char>(response ? 0x98 : 0x18);
  le(h, 0xc807, 2);            // Unicode, NT status, extended attributes...
  h += std::string(12, '\0');  // PID high, security features, reserved
  le(h, tid, 2);
  le(h, 0xfeff, 2);  // PID
  le(h, 100, 2);     // UID
  le(h, mid, 2);
  h += static_cast<char>(words.size() / 2);
  h += words;
  le(h, bytes.size(), 2);
  return h + bytes;
}

// AndX fields that end the chain, then `rest` of the words.
std::string andx(const std::string& rest) { return std::string("\xff\0\0\0", 4) + rest; }

std::string words_of(std::initializer_list<std::pair<std::uint64_t, int>> fields) {
  std::string w;
  for (const auto& [v, n] : fields) le(w, v, n);
  return w;
}

// A TRANSACTION or TRANSACTION2 request: its setup words, then the parameters at the first
// four-byte boundary after the words, and the data right after them.
std::string transaction(std::uint8_t command, std::uint16_t mid,
                        const std::vector<std::uint16_t>& setup, const std::string& params,
                        const std::string& data) {
  const std::size_t bytes_at = 32 + 1 + 2 * (14 + setup.size()) + 2;
  const std::size_t param_at = (bytes_at + 3) / 4 * 4, data_at = param_at + params.size();
  std::string w = words_of({{params.size(), 2},
                            {data.size(), 2},
                            {16, 2},
                            {1024, 2},
                            {0, 1},
                            {0, 1},
                            {0, 2},
                            {0, 4},
                            {0, 2},
                            {params.size(), 2},
                            {param_at, 2},
                            {data.size(), 2},
                            {data_at, 2},
                            {setup.size(), 1},
                            {0, 1}});
  for (std::uint16_t word : setup) le(w, word, 2);
  return smb1(command, mid, false, w, std::string(param_at - bytes_at, '\0') + params + data);
}

std::string trans2(std::uint16_t sub, const std::string& params, const std::string& data) {
  return transaction(wire::smb1::kTransaction2, 0, {sub}, params, data);
}

// Each logon's last answer is a record: a wrong password refused with its status, the retry let
// in; the NTLMSSP challenge leg (more processing) is not an answer. A Kerberos logon names the
// service of its ticket (the client is encrypted in it).
TEST(SmbAnalyzer, LogonsAreRecordsWithTheirOutcome) {
  AnalyzerHarness h;
  auto s = h.tcp(445);
  auto c2s = [&](const std::string& m) { AnalyzerHarness::send(*s, kC2S, nbss(m)); };
  auto s2c = [&](const std::string& m) { AnalyzerHarness::send(*s, kS2C, nbss(m)); };
  const std::string negotiate("NTLMSSP\0\x01\0\0\0", 12);
  const std::uint32_t more = 0xC0000016, refused = 0xC000006D;
  c2s(smb2(wire::smb2::kSessionSetup, 1, false, session_setup(negotiate)));
  s2c(smb2(wire::smb2::kSessionSetup, 1, true, std::string(8, '\0'), more));
  c2s(smb2(wire::smb2::kSessionSetup, 2, false,
           session_setup(ntlm_authenticate("OFFICE", "tanaka", "PC01"))));
  s2c(smb2(wire::smb2::kSessionSetup, 2, true, std::string(8, '\0'), refused));
  c2s(smb2(wire::smb2::kSessionSetup, 3, false,
           session_setup(ntlm_authenticate("OFFICE", "suzuki", "PC01"))));
  s2c(smb2(wire::smb2::kSessionSetup, 3, true, std::string(8, '\0')));
  // SPNEGO with a Kerberos AP-REQ for cifs/fs01@CORP.EXAMPLE (DER, built by hand).
  auto der = [](unsigned char tag, const std::string& body) {
    return std::string(1, static_cast<char>(tag)) + static_cast<char>(body.size()) + body;
  };
  const std::string sname =
      der(0x30, der(0xa0, der(0x02, "\x02")) +
                    der(0xa1, der(0x30, der(0x1b, "cifs") + der(0x1b, "fs01"))));
  const std::string ticket =
      der(0x61, der(0x30, der(0xa0, der(0x02, "\x05")) + der(0xa1, der(0x1b, "CORP.EXAMPLE")) +
                              der(0xa2, sname)));
  const std::string ap_req = der(0x6e, der(0x30, der(0xa0, der(0x02, "\x05")) + der(0xa3, ticket)));
  const std::string krb5 = der(0x60, der(0x06, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02") +
                                         std::string("\x01\x00", 2) + ap_req);
  const std::string spnego = der(0x60, der(0x06, "\x2b\x06\x01\x05\x05\x02") +
                                           der(0xa0, der(0x30, der(0xa2, der(0x04, krb5)))));
  c2s(smb2(wire::smb2::kSessionSetup, 4, false, session_setup(spnego)));
  s2c(smb2(wire::smb2::kSessionSetup, 4, true, std::string(8, '\0')));
  s->close(2);

  ASSERT_EQ(h.records.smb.size(), 3u);
  EXPECT_EQ(h.records.smb[0].action, "logon");
  EXPECT_EQ(h.records.smb[0].user, "OFFICE\\tanaka");
  EXPECT_EQ(h.records.smb[0].status, "0xc000006d");
  EXPECT_EQ(h.records.smb[1].user, "OFFICE\\suzuki");
  EXPECT_EQ(h.records.smb[1].status, "");
  EXPECT_EQ(h.records.smb[1].kerberos, "");
  EXPECT_EQ(h.records.smb[2].kerberos, "cifs/fs01@CORP.EXAMPLE");
  EXPECT_EQ(h.records.smb[2].user, "");  // not suzuki, who logged on before
  EXPECT_EQ(h.records.smb[2].status, "");
}

std::string negotiated(std::uint16_t dialect, std::uint32_t capabilities) {
  std::string b;
  le(b, 65, 2);
  le(b, 1, 2);
  le(b, dialect, 2);
  le(b, 0, 2);
  b += std::string(16, '\x11');  // server GUID
  le(b, capabilities, 4);
  return b + std::string(36, '\0');
}

std::string session_setup_binding(const std::string& blob) {
  std::string b = session_setup(blob);
  b[2] = '\x01';  // SMB2_SESSION_FLAG_BINDING
  return b;
}

// SMB 3 multichannel: a second connection binds to the session and carries half the I/O of a
// file the first one opened (as Windows spreads reads and writes over its channels). The second
// channel learns the file's name, share and user from the first, even when its own messages are
// read before the first channel's open (workers run apart); each channel's part is a file of
// its own, flagged partial.
TEST(SmbAnalyzer, ChannelsOfASessionShareItsFilesNames) {
  AnalyzerHarness h;
  auto one = h.tcp(445, 1), two = h.tcp(445, 2);
  auto to = [](analyzers::SessionAnalysis& s, flow::Direction d, const std::string& m) {
    AnalyzerHarness::send(s, d, nbss(m));
  };
  const std::uint32_t multichannel = 0x08;
  // The second channel's write comes first: nobody has named the handle yet.
  to(*two, kC2S, smb2(wire::smb2::kNegotiate, 0, false, std::string(36, '\0')));
  to(*two, kS2C, smb2(wire::smb2::kNegotiate, 0, true, negotiated(0x0311, multichannel)));
  to(*two, kC2S, smb2(wire::smb2::kWrite, 5, false, write(9, 6, "world!"), 0, 7));
  to(*one, kC2S, smb2(wire::smb2::kNegotiate, 0, false, std::string(36, '\0')));
  to(*one, kS2C, smb2(wire::smb2::kNegotiate, 0, true, negotiated(0x0311, multichannel)));
  to(*one, kC2S,
     smb2(wire::smb2::kSessionSetup, 1, false,
          session_setup(ntlm_authenticate("OFFICE", "tanaka", "PC01"))));
  to(*one, kS2C, smb2(wire::smb2::kSessionSetup, 1, true, std::string(8, '\0')));
  to(*one, kC2S, smb2(wire::smb2::kTreeConnect, 2, false, tree_connect("\\\\fs01\\経理")));
  to(*one, kS2C, smb2(wire::smb2::kTreeConnect, 2, true, std::string(16, '\0'), 0, 7));
  to(*one, kC2S, smb2(wire::smb2::kCreate, 3, false, create("給与.xlsx"), 0, 7));
  to(*one, kS2C, smb2(wire::smb2::kCreate, 3, true, created(9), 0, 7));
  to(*one, kC2S, smb2(wire::smb2::kWrite, 4, false, write(9, 0, "hello "), 0, 7));
  // The second channel binds (a Kerberos-like logon that names nobody) and reads a file the
  // first opened; it also opens one in the tree the first connected.
  to(*two, kC2S, smb2(wire::smb2::kSessionSetup, 6, false, session_setup_binding("\x60\x00")));
  to(*two, kS2C, smb2(wire::smb2::kSessionSetup, 6, true, std::string(8, '\0')));
  to(*two, kC2S, smb2(wire::smb2::kRead, 7, false, read_request(9, 0, 12), 0, 7));
  to(*two, kS2C, smb2(wire::smb2::kRead, 7, true, read_response("hello world!"), 0, 7));
  to(*two, kC2S, smb2(wire::smb2::kCreate, 8, false, create("memo.txt"), 0, 7));
  to(*two, kS2C, smb2(wire::smb2::kCreate, 8, true, created(10), 0, 7));
  to(*two, kC2S, smb2(wire::smb2::kWrite, 9, false, write(10, 0, "memo"), 0, 7));
  to(*two, kC2S, smb2(wire::smb2::kClose, 10, false, close_request(10), 0, 7));
  to(*two, kS2C, smb2(wire::smb2::kClose, 10, true, std::string(60, '\0'), 0, 7));
  two->close(2);
  to(*one, kC2S, smb2(wire::smb2::kClose, 11, false, close_request(9), 0, 7));
  to(*one, kS2C, smb2(wire::smb2::kClose, 11, true, std::string(60, '\0'), 0, 7));
  one->close(2);

  std::map<std::string, std::vector<std::string>> seen;  // name: "direction content partial"
  for (const auto& e : h.records.events)
    seen[e.name].push_back(e.direction + " " + h.file_bytes(e.sha256) +
                           (e.partial ? " partial" : ""));
  const std::vector<std::string> salary = {
      // The second channel: its write (before the open was seen) and its read.
      "received hello world! partial", std::string("sent \0\0\0\0\0\0world! partial", 25),
      "sent hello "};  // the first channel's write, closed there
  EXPECT_EQ(seen["\\\\fs01\\経理\\給与.xlsx"], salary) << ::testing::PrintToString(seen);
  EXPECT_EQ(seen["\\\\fs01\\経理\\memo.txt"], std::vector<std::string>{"sent memo"})
      << ::testing::PrintToString(seen);
  for (const auto& r : h.records.smb)
    if (r.action != "logon") {
      EXPECT_EQ(r.user, "OFFICE\\tanaka") << r.action << " " << r.path;
    }
}

// A handle whose open was never seen (the capture began after it, or its channel was not
// captured): what is read and written through it is still kept, under the handle's number.
TEST(SmbAnalyzer, AHandleNeverSeenOpenedStillKeepsItsContent) {
  AnalyzerHarness h;
  auto s = h.tcp(445);
  AnalyzerHarness::send(*s, kC2S,
                        nbss(smb2(wire::smb2::kWrite, 5, false, write(3, 0, "late"), 0, 7)));
  // A file far into its copy when the capture began: kept from where it was met.
  AnalyzerHarness::send(
      *s, kC2S, nbss(smb2(wire::smb2::kWrite, 6, false, write(4, 600u << 20, "mid"), 0, 7)));
  AnalyzerHarness::send(
      *s, kC2S, nbss(smb2(wire::smb2::kWrite, 7, false, write(4, (600u << 20) + 3, "dle"), 0, 7)));
  s->close(2);
  ASSERT_EQ(h.records.events.size(), 2u);
  EXPECT_EQ(h.file_bytes(h.records.events[0].sha256), "late");
  EXPECT_TRUE(h.records.events[0].partial);
  EXPECT_EQ(h.file_bytes(h.records.events[1].sha256), "middle");
  EXPECT_TRUE(h.records.events[1].partial);
  ASSERT_EQ(h.records.smb.size(), 2u);
  EXPECT_EQ(h.records.smb[0].path, "<handle 0000000000000003-0000000000000067>");
  // On an SMB 2.1 connection no other channel exists, and a capture that saw the negotiation
  // saw the opens: nothing is made up.
  AnalyzerHarness h2;
  auto t = h2.tcp(445);
  AnalyzerHarness::send(*t, kC2S,
                        nbss(smb2(wire::smb2::kNegotiate, 0, false, std::string(36, '\0'))));
  AnalyzerHarness::send(*t, kS2C,
                        nbss(smb2(wire::smb2::kNegotiate, 0, true, negotiated(0x0210, 0))));
  AnalyzerHarness::send(*t, kC2S,
                        nbss(smb2(wire::smb2::kWrite, 5, false, write(3, 0, "late"), 0, 7)));
  t->close(2);
  EXPECT_TRUE(h2.records.events.empty());
}

// A write far past what was seen (a lying offset, 1 TiB or 2^64 - 1) would make the file its
// zeros: it is not kept, the file is flagged instead. (Found by fuzz_smb.)
TEST(SmbAnalyzer, WritesFarPastTheEndAreNotZeroFilled) {
  AnalyzerHarness h;
  auto s = h.tcp(445);
  auto c2s = [&](const std::string& m) { AnalyzerHarness::send(*s, kC2S, nbss(m)); };
  c2s(smb2(wire::smb2::kTreeConnect, 2, false, tree_connect("\\\\fs01\\share")));
  AnalyzerHarness::send(*s, kS2C,
                        nbss(smb2(wire::smb2::kTreeConnect, 2, true, std::string(16, '\0'), 0, 7)));
  c2s(smb2(wire::smb2::kCreate, 3, false, create("big.bin"), 0, 7));
  AnalyzerHarness::send(*s, kS2C, nbss(smb2(wire::smb2::kCreate, 3, true, created(1), 0, 7)));
  c2s(smb2(wire::smb2::kWrite, 4, false, write(1, 0, "head"), 0, 7));
  c2s(smb2(wire::smb2::kWrite, 5, false, write(1, 1ull << 40, "far"), 0, 7));
  c2s(smb2(wire::smb2::kWrite, 6, false, write(1, ~0ull - 1, "wraps"), 0, 7));
  s->close(2);
  ASSERT_EQ(h.records.events.size(), 1u);
  EXPECT_EQ(h.file_bytes(h.records.events[0].sha256), "head");
  EXPECT_TRUE(h.records.events[0].partial);
}

TEST(SmbAnalyzer, Smb1GivesTheSameRecordsAsSmb2) {
  namespace smb1c = wire::smb1;
  AnalyzerHarness h;
  auto s = h.tcp(445);
  auto c2s = [&](const std::string& m) { AnalyzerHarness::send(*s, kC2S, nbss(m)); };
  auto s2c = [&](const std::string& m) { AnalyzerHarness::send(*s, kS2C, nbss(m)); };
  auto ok = [&](std::uint8_t command, std::uint16_t mid, const std::string& words = "") {
    s2c(smb1(command, mid, true, words, ""));
  };
  c2s(smb1(smb1c::kNegotiate, 1, false, "",
           std::string("\x02PC NETWORK PROGRAM 1.0\0\x02NT LM 0.12\0", 36)));
  ok(smb1c::kNegotiate, 1, words_of({{1, 2}}) + std::string(32, '\0'));
  // Without extended security: the account and domain in the clear. The bytes begin at 61:
  // one byte of padding aligns the Unicode strings.
  c2s(smb1(smb1c::kSessionSetupAndX, 2, false,
           andx(words_of({{4356, 2}, {50, 2}, {0, 2}, {0, 4}, {0, 2}, {0, 2}, {0, 4}, {0xd4, 4}})),
           std::string(1, '\0') + utf16(std::string("tanaka") + '\0') +
               utf16(std::string("OFFICE") + '\0')));
  c2s(smb1(smb1c::kTreeConnectAndX, 3, false, andx(words_of({{0, 2}, {1, 2}})),
           std::string(1, '\0') + utf16("\\\\fs01\\経理" + std::string(1, '\0')) + "?????" +
               std::string(1, '\0')));
  ok(smb1c::kTreeConnectAndX, 3, andx(words_of({{1, 2}})));
  auto nt_create = [&](std::uint16_t mid, const std::string& name, std::uint16_t fid) {
    std::string w = andx(std::string(44, '\0'));
    w[5] = static_cast<char>(utf16(name).size());
    c2s(smb1(smb1c::kNtCreateAndX, mid, false, w, std::string(1, '\0') + utf16(name + '\0')));
    ok(smb1c::kNtCreateAndX, mid,
       andx(std::string(1, '\0') + words_of({{fid, 2}}) + std::string(61, '\0')));
  };
  nt_create(4, "給与\\2026.xlsx", 0x4001);
  auto write = [&](std::uint16_t mid, std::uint64_t offset, const std::string& data) {
    c2s(smb1(smb1c::kWriteAndX, mid, false,
             andx(words_of({{0x4001, 2},
                            {offset, 4},
                            {0, 4},
                            {0, 2},
                            {0, 2},
                            {0, 2},
                            {data.size(), 2},
                            {64, 2},
                            {0, 4}})),
             std::string(1, '\0') + data));
  };
  write(5, 5, "world");
  write(6, 0, "hello");
  nt_create(7, "report.txt", 0x4002);
  auto read = [&](std::uint16_t mid, std::uint64_t offset, const std::string& data) {
    c2s(smb1(smb1c::kReadAndX, mid, false,
             andx(words_of(
                 {{0x4002, 2}, {offset, 4}, {data.size(), 2}, {0, 2}, {0, 4}, {0, 2}, {0, 4}})),
             ""));
    s2c(smb1(smb1c::kReadAndX, mid, true,
             andx(words_of({{0, 2}, {0, 2}, {0, 2}, {data.size(), 2}, {60, 2}, {0, 2}, {0, 8}})),
             std::string(1, '\0') + data));
  };
  read(8, 0, "abcd");
  read(9, 8, "ij");
  // A rename by TRANSACTION2 SET_FILE_INFORMATION (FileRenameInformation, passed through).
  const std::string to = utf16("old\\report.txt");
  c2s(trans2(smb1c::kSetFileInformation, words_of({{0x4002, 2}, {1010, 2}}),
             words_of({{0, 4}, {0, 4}, {to.size(), 4}}) + to));
  ok(smb1c::kTransaction2, 0, std::string(20, '\0'));
  for (std::uint16_t fid : {0x4001, 0x4002}) {
    c2s(smb1(smb1c::kClose, fid, false, words_of({{fid, 2}, {0, 4}}), ""));
    ok(smb1c::kClose, fid);
  }
  c2s(smb1(smb1c::kDelete, 20, false, words_of({{0x16, 2}}),
           std::string(1, '\x04') + utf16(std::string("old.txt") + '\0')));
  ok(smb1c::kDelete, 20);
  // A listing (FIND_FIRST2): its pattern's folder. A refused delete is no delete.
  c2s(trans2(smb1c::kFindFirst2,
             words_of({{0x16, 2}, {100, 2}, {6, 2}, {260, 2}, {0, 4}}) +
                 utf16("\\dir\\*" + std::string(1, '\0')),
             ""));
  ok(smb1c::kTransaction2, 0, std::string(20, '\0'));
  c2s(smb1(smb1c::kDelete, 21, false, words_of({{0x16, 2}}),
           std::string(1, '\x04') + utf16(std::string("locked.txt") + '\0')));
  s2c(smb1(smb1c::kDelete, 21, true, "", "", 0xc0000022));
  s->close(2);

  EXPECT_EQ(s->state().user, "OFFICE\\tanaka");
  ASSERT_EQ(h.records.events.size(), 2u);
  EXPECT_EQ(h.records.events[0].name, "\\\\fs01\\経理\\給与\\2026.xlsx");
  EXPECT_EQ(h.records.events[0].direction, "sent");
  EXPECT_EQ(h.file_bytes(h.records.events[0].sha256), "helloworld");
  EXPECT_EQ(h.records.events[1].name, "\\\\fs01\\経理\\old\\report.txt");
  EXPECT_EQ(h.records.events[1].direction, "received");
  EXPECT_EQ(h.file_bytes(h.records.events[1].sha256), std::string("abcd\0\0\0\0ij", 10));
  std::vector<std::string> actions;
  for (const auto& r : h.records.smb) {
    actions.push_back(r.action + " " + r.path + (r.new_path.empty() ? "" : " -> " + r.new_path));
    EXPECT_EQ(r.dialect, "SMB 1 (NT LM 0.12)");
    EXPECT_EQ(r.user, "OFFICE\\tanaka");
    EXPECT_EQ(r.share, "\\\\fs01\\経理");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"rename report.txt -> old\\report.txt",
                                               "write 給与\\2026.xlsx", "read old\\report.txt",
                                               "delete old.txt", "listing \\dir"}));
}

// A TRANSACTION (TransactNmPipe) on an IPC$ pipe carries a DCE/RPC call and its answer: a
// call record; the same words on a file's handle write nothing into the file.
TEST(SmbAnalyzer, Smb1PipeTransactionsAreCalls) {
  namespace smb1c = wire::smb1;
  AnalyzerHarness h;
  auto s = h.tcp(445);
  auto c2s = [&](const std::string& m) { AnalyzerHarness::send(*s, kC2S, nbss(m)); };
  auto s2c = [&](const std::string& m) { AnalyzerHarness::send(*s, kS2C, nbss(m)); };
  c2s(smb1(smb1c::kTreeConnectAndX, 1, false, andx(words_of({{0, 2}, {1, 2}})),
           std::string(1, '\0') + utf16("\\\\fs01\\IPC$" + std::string(1, '\0')) + "IPC" +
               std::string(1, '\0')));
  s2c(smb1(smb1c::kTreeConnectAndX, 1, true, andx(words_of({{1, 2}})), ""));
  std::string w = andx(std::string(44, '\0'));
  c2s(smb1(smb1c::kNtCreateAndX, 2, false, w,
           std::string(1, '\0') + utf16(std::string("srvsvc") + '\0')));
  s2c(smb1(smb1c::kNtCreateAndX, 2, true,
           andx(std::string(1, '\0') + words_of({{0x77, 2}}) + std::string(61, '\0')), ""));
  // A DCE/RPC request: srvsvc's NetrShareEnum (opnum 15) on a context never bound (the bind
  // went by before the capture): named by its number.
  auto rpc = [](std::uint8_t type, const std::string& body) {
    std::string p = {5, 0, static_cast<char>(type), 3, 0x10, 0, 0, 0};
    le(p, 16 + body.size(), 2);
    le(p, 0, 2);
    le(p, 7, 4);  // call id
    return p + body;
  };
  const std::string request = rpc(0, words_of({{4, 4}, {0, 2}, {15, 2}}) + "args");
  const std::string answer = rpc(2, words_of({{4, 4}, {0, 4}}) + words_of({{0, 4}}));
  auto transact = [&](std::uint16_t fid, const std::string& data, std::uint16_t mid) {
    c2s(transaction(smb1c::kTransaction, mid, {smb1c::kTransactNmPipe, fid}, "", data));
  };
  transact(0x77, request, 3);
  // The answer's data at 64 (its words are 10, no setup; its bytes begin at 55).
  s2c(smb1(smb1c::kTransaction, 3, true,
           words_of({{0, 2},
                     {answer.size(), 2},
                     {0, 2},
                     {0, 2},
                     {64, 2},
                     {0, 2},
                     {answer.size(), 2},
                     {64, 2},
                     {0, 2},
                     {0, 1},
                     {0, 1}}),
           std::string(9, '\0') + answer));
  // A file's handle: TRANSACTION's data never becomes its content.
  c2s(smb1(smb1c::kTreeConnectAndX, 4, false, andx(words_of({{0, 2}, {1, 2}})),
           std::string(1, '\0') + utf16("\\\\fs01\\docs" + std::string(1, '\0')) +
               "A:" + std::string(1, '\0')));
  s2c(smb1(smb1c::kTreeConnectAndX, 4, true, andx(words_of({{1, 2}})), ""));
  c2s(smb1(smb1c::kNtCreateAndX, 5, false, w,
           std::string(1, '\0') + utf16(std::string("a.txt") + '\0')));
  s2c(smb1(smb1c::kNtCreateAndX, 5, true,
           andx(std::string(1, '\0') + words_of({{0x88, 2}}) + std::string(61, '\0')), ""));
  transact(0x88, request, 6);
  s->close(2);
  ASSERT_EQ(h.records.dcerpc.size(), 1u);
  EXPECT_EQ(h.records.dcerpc[0].pipe, "\\\\fs01\\IPC$\\srvsvc");
  EXPECT_EQ(h.records.dcerpc[0].operation, "opnum 15");
  EXPECT_EQ(h.records.dcerpc[0].status, "0x00000000");
  EXPECT_EQ(h.records.dcerpc[0].stub_bytes, 4u);
  EXPECT_TRUE(h.records.events.empty());  // a pipe keeps no file
}

// Chains that loop or point back, words that lie: bounded, never a crash.
TEST(SmbAnalyzer, Smb1ChainsAndLengthsThatLieAreBounded) {
  wire::Smb1Header hdr;
  std::vector<wire::Smb1Command> commands;
  // A SESSION_SETUP whose AndX offset points at itself, then back at the header.
  for (std::uint16_t offset : {32, 0, 0xffff}) {
    std::string w =
        words_of({{wire::smb1::kTreeConnectAndX, 1}, {0, 1}, {offset, 2}}) + std::string(20, '\0');
    const std::string m = smb1(wire::smb1::kSessionSetupAndX, 1, false, w, "");
    const ByteView v(reinterpret_cast<const std::uint8_t*>(m.data()), m.size());
    ASSERT_TRUE(wire::parse_smb1_header(v, hdr));
    ASSERT_TRUE(wire::smb1_commands(v, hdr, commands));
    EXPECT_EQ(commands.size(), 1u) << offset;
  }
  AnalyzerHarness h;
  auto s = h.tcp(445);
  // A write whose data lies past the message, a read answer likewise, a word count past the end.
  AnalyzerHarness::send(
      *s, kC2S,
      nbss(smb1(
          wire::smb1::kWriteAndX, 1, false,
          andx(words_of(
              {{1, 2}, {0, 4}, {0, 4}, {0, 2}, {0, 2}, {0xffff, 2}, {0xffff, 2}, {64, 2}, {0, 4}})),
          "x")));
  std::string cut = smb1(wire::smb1::kNtCreateAndX, 2, false, std::string(48, '\0'), "");
  cut[32] = '\x7f';
  AnalyzerHarness::send(*s, kC2S, nbss(cut));
  s->close(2);
  EXPECT_TRUE(h.records.events.empty());
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
