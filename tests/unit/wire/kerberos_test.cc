#include "kagami/wire/kerberos.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace kagami::wire {
namespace {

// DER: a tag and a body, the length short or long form as it needs.
std::string tlv(unsigned char tag, const std::string& body) {
  std::string out(1, static_cast<char>(tag));
  const std::size_t n = body.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else if (n < 0x100) {
    out += "\x81";
    out += static_cast<char>(n);
  } else {
    out += "\x82";
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  }
  return out + body;
}
std::string str(const std::string& s) { return tlv(0x1b, s); }
std::string integer(int v) { return tlv(0x02, std::string(1, static_cast<char>(v))); }

const std::string kKrb5Oid = tlv(0x06, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02");
const std::string kMsKrb5Oid = tlv(0x06, "\x2a\x86\x48\x82\xf7\x12\x01\x02\x02");
const std::string kSpnegoOid = tlv(0x06, "\x2b\x06\x01\x05\x05\x02");
const std::string kNtlmOid = tlv(0x06, "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a");

std::string ap_req(const std::string& realm, const std::vector<std::string>& names) {
  std::string parts;
  for (const auto& n : names) parts += str(n);
  const std::string sname = tlv(0x30, tlv(0xa0, integer(2)) + tlv(0xa1, tlv(0x30, parts)));
  const std::string enc_part(300, '\x5a');  // opaque: the ticket's encrypted part
  const std::string ticket =
      tlv(0x61, tlv(0x30, tlv(0xa0, integer(5)) + tlv(0xa1, str(realm)) + tlv(0xa2, sname) +
                              tlv(0xa3, tlv(0x30, tlv(0xa2, tlv(0x04, enc_part))))));
  return tlv(0x6e, tlv(0x30, tlv(0xa0, integer(5)) + tlv(0xa1, integer(14)) +
                                 tlv(0xa2, tlv(0x03, std::string("\x00\x20\x00\x00\x00", 5))) +
                                 tlv(0xa3, ticket) + tlv(0xa4, tlv(0x30, "authenticator"))));
}
std::string krb5_token(const std::string& req, const std::string& oid = kKrb5Oid) {
  return tlv(0x60, oid + std::string("\x01\x00", 2) + req);
}
std::string neg_token_init(const std::string& mech_token) {
  const std::string mechs = tlv(0x30, kMsKrb5Oid + kKrb5Oid + kNtlmOid);
  return tlv(
      0x60, kSpnegoOid + tlv(0xa0, tlv(0x30, tlv(0xa0, mechs) + tlv(0xa2, tlv(0x04, mech_token)))));
}

std::string service(const std::string& token) {
  std::string principal;
  const auto* p = reinterpret_cast<const std::uint8_t*>(token.data());
  return kerberos_service_in(ByteView(p, token.size()), principal) ? principal : "(none)";
}

// What Windows and Samba clients send in SMB's SESSION_SETUP: SPNEGO with the AP-REQ as its
// optimistic mechanism token; the service and realm are read, the client stays hidden.
TEST(Kerberos, TheTicketsServiceIsReadFromSpnego) {
  const std::string req = ap_req("CORP.EXAMPLE", {"cifs", "fs01.corp.example"});
  EXPECT_EQ(service(neg_token_init(krb5_token(req))), "cifs/fs01.corp.example@CORP.EXAMPLE");
  EXPECT_EQ(service(neg_token_init(krb5_token(req, kMsKrb5Oid))),
            "cifs/fs01.corp.example@CORP.EXAMPLE");
  EXPECT_EQ(service(krb5_token(req)), "cifs/fs01.corp.example@CORP.EXAMPLE");  // bare GSS
  // A later leg: NegTokenResp with the AP-REQ as its response token.
  const std::string resp =
      tlv(0xa1, tlv(0x30, tlv(0xa0, tlv(0x0a, "\x01")) + tlv(0xa2, tlv(0x04, krb5_token(req)))));
  EXPECT_EQ(service(resp), "cifs/fs01.corp.example@CORP.EXAMPLE");
  EXPECT_EQ(service(neg_token_init(krb5_token(ap_req("経理.EXAMPLE", {"HTTP", "web"})))),
            "HTTP/web@経理.EXAMPLE");
}

TEST(Kerberos, OtherTokensAndBrokenOnesGiveNothing) {
  const std::string req = ap_req("CORP.EXAMPLE", {"cifs", "fs01"});
  // NTLMSSP in SPNEGO, a server's reply, a token id other than AP-REQ, another mechanism.
  EXPECT_EQ(service(neg_token_init(tlv(0x04, std::string("NTLMSSP\0\x01\0\0\0", 12)))), "(none)");
  EXPECT_EQ(service(tlv(0xa1, tlv(0x30, tlv(0xa0, tlv(0x0a, "\x00"))))), "(none)");
  EXPECT_EQ(service(tlv(0x60, kKrb5Oid + std::string("\x02\x00", 2) + req)), "(none)");
  EXPECT_EQ(service(krb5_token(req, kNtlmOid)), "(none)");
  EXPECT_EQ(service(neg_token_init(krb5_token(ap_req("CORP.EXAMPLE", {})))), "(none)");
  // Every cut of a good token, and a length that lies, is refused without reading past it.
  const std::string good = neg_token_init(krb5_token(req));
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_EQ(service(good.substr(0, n)), "(none)");
  std::string lying = good;
  lying[2] = '\x7f';
  EXPECT_EQ(service(lying), "(none)");
  EXPECT_EQ(service(std::string("\x60\x84\xff\xff\xff\xff", 6)), "(none)");
  EXPECT_EQ(service(std::string("\x60\x85\x01\x00\x00\x00\x00", 7)), "(none)");
}

}  // namespace
}  // namespace kagami::wire
