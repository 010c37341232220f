// Kerberos AP-REQ inside GSS-API and SPNEGO tokens, read with a small DER walker: definite
// lengths only (DER forbids the others), every length checked against what is left, a bounded
// number of names.
#include "kagami/wire/kerberos.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include "kagami/base/utf8.h"

namespace kagami::wire {
namespace {

constexpr std::size_t kMaxNameParts = 8;
constexpr std::size_t kMaxNameBytes = 255;

// Kerberos V5 (RFC 4121), and the OID Windows 2000 put in by mistake and clients still offer.
constexpr std::array<std::uint8_t, 9> kKrb5Oid = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                  0x12, 0x01, 0x02, 0x02};
constexpr std::array<std::uint8_t, 9> kMsKrb5Oid = {0x2a, 0x86, 0x48, 0x82, 0xf7,
                                                    0x12, 0x01, 0x02, 0x02};

struct Tlv {
  std::uint8_t tag = 0;
  ByteView body;
};

// One TLV off the front of `in`; false if it does not fit or its length is not definite.
bool next(ByteView& in, Tlv& out) {
  if (in.size() < 2 || (in[0] & 0x1f) == 0x1f) return false;  // multi-byte tags: not here
  out.tag = in[0];
  std::size_t length = in[1], at = 2;
  if (length & 0x80) {
    const std::size_t n = length & 0x7f;
    if (n == 0 || n > 4 || in.size() < 2 + n) return false;
    length = 0;
    for (std::size_t i = 0; i < n; ++i) length = (length << 8) | in[2 + i];
    at += n;
  }
  if (length > in.size() - at) return false;
  out.body = in.subspan(at, length);
  in = in.subspan(at + length);
  return true;
}

// The body of the only (or first) TLV of `in` if it has `tag`.
bool expect(ByteView in, std::uint8_t tag, ByteView& body) {
  Tlv t;
  if (!next(in, t) || t.tag != tag) return false;
  body = t.body;
  return true;
}

// The body of the context-tagged field [n] of a SEQUENCE's body.
bool field(ByteView sequence, unsigned n, ByteView& body) {
  Tlv t;
  while (next(sequence, t))
    if (t.tag == (0xa0 | n)) {
      body = t.body;
      return true;
    }
  return false;
}

bool general_string(ByteView in, std::string& out) {
  ByteView s;
  if (!expect(in, 0x1b, s) || s.empty() || s.size() > kMaxNameBytes) return false;
  out = replace_invalid_utf8(std::string_view(reinterpret_cast<const char*>(s.data()), s.size()));
  return true;
}

// AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2],
//   ticket [3] Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1],
//   sname [2] PrincipalName ::= SEQUENCE { name-type [0], name-string [1] SEQUENCE OF }, ... } }
bool ap_req(ByteView in, std::string& principal) {
  ByteView req, seq, ticket_field, ticket, ticket_seq, realm_field, sname_field, sname, names_field,
      names;
  if (!expect(in, 0x6e, req) || !expect(req, 0x30, seq) || !field(seq, 3, ticket_field) ||
      !expect(ticket_field, 0x61, ticket) || !expect(ticket, 0x30, ticket_seq) ||
      !field(ticket_seq, 1, realm_field) || !field(ticket_seq, 2, sname_field) ||
      !expect(sname_field, 0x30, sname) || !field(sname, 1, names_field) ||
      !expect(names_field, 0x30, names))
    return false;
  std::string realm, name, part;
  if (!general_string(realm_field, realm)) return false;
  Tlv t;
  for (std::size_t n = 0; n < kMaxNameParts && next(names, t); ++n) {
    if (t.tag != 0x1b || t.body.empty() || t.body.size() > kMaxNameBytes) return false;
    if (!name.empty()) name += '/';
    name += replace_invalid_utf8(
        std::string_view(reinterpret_cast<const char*>(t.body.data()), t.body.size()));
  }
  if (name.empty()) return false;
  principal = name + "@" + realm;
  return true;
}

// InitialContextToken ::= [APPLICATION 0] { thisMech OID, innerToken } (RFC 2743 3.1): for
// Kerberos, a two-byte token id (01 00: AP-REQ) and the AP-REQ.
bool kerberos_token(ByteView body, std::string& principal) {
  ByteView oid;
  Tlv t;
  if (!next(body, t) || t.tag != 0x06) return false;
  oid = t.body;
  const bool krb5 = std::equal(oid.begin(), oid.end(), kKrb5Oid.begin(), kKrb5Oid.end()) ||
                    std::equal(oid.begin(), oid.end(), kMsKrb5Oid.begin(), kMsKrb5Oid.end());
  if (!krb5 || body.size() < 2 || body[0] != 0x01 || body[1] != 0x00) return false;
  return ap_req(body.subspan(2), principal);
}

}  // namespace

bool kerberos_service_in(ByteView token, std::string& principal) {
  ByteView body;
  if (expect(token, 0x60, body)) {
    // Either SPNEGO's NegTokenInit (the SPNEGO OID, then [0] NegTokenInit) or Kerberos bare.
    if (kerberos_token(body, principal)) return true;
    Tlv t;
    if (!next(body, t) || t.tag != 0x06 || !next(body, t) || t.tag != 0xa0) return false;
    ByteView init, mech_token, inner;
    // NegTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2] OCTET STRING, ...}
    if (!expect(t.body, 0x30, init) || !field(init, 2, mech_token) ||
        !expect(mech_token, 0x04, inner) || !expect(inner, 0x60, body))
      return false;
    return kerberos_token(body, principal);
  }
  // NegTokenResp ::= [1] SEQUENCE { negState [0], supportedMech [1], responseToken [2], ...}
  ByteView resp, seq, response_token, inner;
  if (!expect(token, 0xa1, resp) || !expect(resp, 0x30, seq) || !field(seq, 2, response_token) ||
      !expect(response_token, 0x04, inner) || !expect(inner, 0x60, body))
    return false;
  return kerberos_token(body, principal);
}

}  // namespace kagami::wire
