// SMB1 and SMB2/3 as the recorder reads it from a file share's connection, both directions
// untrusted: the input is cut into messages, each given a valid SMB2 header (so the fuzzer spends
// its time on the bodies: lying offsets and lengths, compounds, reads past the end, handles never
// opened) or sent raw (framing, transform and SMB1 headers, huge announced lengths).
// Step: [flags: 1][command: 1][message id: 1][length: 2][body]; flags bit 0: server to client,
// bit 1: response, bit 2: raw, bit 3: related, bit 4: split into 7-byte segments, bit 5: an
// SMB1 header instead (bit 6: Unicode strings). The whole input is also read as a logon's
// security blob (SPNEGO, Kerberos AP-REQ in DER).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kagami/wire/kerberos.h"
#include "kagami/wire/smb1.h"
#include "kagami/wire/smb2.h"

#include "unit/analyzers/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  std::string principal;
  (void)wire::kerberos_service_in(ByteView(data, size), principal);
  testing::AnalyzerHarness h;
  h.limits.max_buffer_bytes = 64u << 10;
  auto s = h.tcp(445);
  std::size_t i = 0;
  TimeNs ts = 1'000'000'000;
  while (i + 5 <= size) {
    const std::uint8_t flags = data[i], command = data[i + 1], mid = data[i + 2];
    const std::size_t len = static_cast<std::size_t>(data[i + 3] << 8 | data[i + 4]);
    i += 5;
    const std::string body(reinterpret_cast<const char*>(data + i), std::min(len, size - i));
    i += body.size();
    std::string m;
    if (flags & 4) {
      m = body;
    } else if (flags & 32) {
      // SMB1: a header for the command (Unicode when bit 6), then the body as its words, byte
      // count and bytes (AndX chains, offsets and lengths as they come).
      m = "\xffSMB";
      m += static_cast<char>(command);
      m += std::string(4, '\0');
      m += static_cast<char>((flags & 2) ? 0x98 : 0x18);
      m += (flags & 64) ? std::string("\x01\xc8", 2) : std::string("\x01\x48", 2);
      m += std::string(12, '\0');
      m += std::string("\x07\0\xff\xfe\x64\0", 6);
      m += static_cast<char>(mid);
      m += '\0';
      m += body;
      std::string nb(1, '\0');
      nb += static_cast<char>(m.size() >> 16 & 0xff);
      nb += static_cast<char>(m.size() >> 8 & 0xff);
      nb += static_cast<char>(m.size() & 0xff);
      m = nb + m;
    } else {
      std::string hdr = "\xfeSMB";
      auto le = [&](std::uint64_t v, int n) {
        for (int k = 0; k < n; ++k) hdr += static_cast<char>(v >> (8 * k) & 0xff);
      };
      le(64, 2);
      le(0, 2);
      le(0, 4);
      le(command % 20, 2);
      le(1, 2);
      le(((flags >> 1) & 1) | ((flags & 8) ? 4 : 0), 4);
      le(0, 4);
      le(mid, 8);
      le(0, 4);
      le(1, 4);
      le(1, 8);
      hdr += std::string(16, '\0');
      m = hdr + body;
      std::string nb(1, '\0');
      nb += static_cast<char>(m.size() >> 16 & 0xff);
      nb += static_cast<char>(m.size() >> 8 & 0xff);
      nb += static_cast<char>(m.size() & 0xff);
      m = nb + m;
    }
    const flow::Direction dir = (flags & 1) ? testing::kS2C : testing::kC2S;
    ts += 1000;
    if (flags & 16)
      testing::AnalyzerHarness::send_split(*s, dir, m, 7, ts);
    else
      testing::AnalyzerHarness::send(*s, dir, m, ts);
    // The parsers alone, on the body as a whole message.
    const ByteView whole(reinterpret_cast<const std::uint8_t*>(m.data()), m.size());
    wire::Smb2Create c;
    (void)wire::smb2_create_request(whole, c);
    wire::Smb2SetInfo si;
    (void)wire::smb2_set_info_request(whole, si);
    (void)wire::ntlmssp_in(whole);
    if (whole.size() > 4) {
      wire::Smb1Header h1;
      std::vector<wire::Smb1Command> commands;
      const ByteView smb = whole.subspan(4);
      if (wire::parse_smb1_header(smb, h1) && wire::smb1_commands(smb, h1, commands)) {
        for (const wire::Smb1Command& one : commands) {
          wire::Smb1Transaction t;
          (void)wire::smb1_transaction_request(smb, one, t);
          (void)wire::smb1_transaction_response(smb, one, t);
          std::string a, b;
          (void)wire::smb1_rename_request(one, h1.unicode(), a, b);
        }
      }
    }
  }
  s->close(ts + 1);
  return 0;
}
