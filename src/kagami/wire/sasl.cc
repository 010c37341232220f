#include "kagami/wire/sasl.h"

#include "kagami/base/ascii.h"
#include "kagami/base/base64.h"
#include "kagami/base/byte_view.h"
#include "kagami/base/utf8.h"

namespace kagami::wire {
namespace {

// A field of an NTLM message: 2-byte length, 2-byte maximum, 4-byte offset (little-endian).
std::string_view ntlm_field(std::string_view m, std::size_t at) {
  if (m.size() < at + 8) return {};
  const auto* p = reinterpret_cast<const std::uint8_t*>(m.data()) + at;
  const std::size_t len = load_le16(p);
  const std::size_t off = load_le32(p + 4);
  if (off > m.size() || len > m.size() - off) return {};
  return m.substr(off, len);
}

// NTLM sends names in UTF-16LE when NEGOTIATE_UNICODE is set (Japanese account and computer
// names included): UTF-8 here, control characters left out so a name cannot forge a line.
std::string utf16le_name(std::string_view s) {
  std::string out;
  for (const char c : utf16le_to_utf8(s.substr(0, 512)))
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  return out;
}

// The AUTHENTICATE message's (type 3) text fields: DomainName at 28, UserName at 36,
// Workstation at 44 (MS-NLMP 2.2.1.3), in UTF-16LE when NEGOTIATE_UNICODE (flags at 60).
bool ntlm_names(std::string_view r, std::string& domain, std::string& user,
                std::string& workstation);

std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 256))
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  return out;
}

}  // namespace

std::string sasl_user(std::string_view mech, std::string_view r, int step) {
  if (iequals(mech, "PLAIN")) {
    if (step != 0) return {};
    const auto a = r.find('\0');
    if (a == std::string_view::npos) return {};
    const auto b = r.find('\0', a + 1);
    if (b == std::string_view::npos) return {};
    const std::string_view authcid = r.substr(a + 1, b - a - 1);
    return printable(authcid.empty() ? r.substr(0, a) : authcid);
  }
  if (iequals(mech, "LOGIN")) return step == 0 ? printable(r) : std::string();
  if (iequals(mech, "CRAM-MD5") || iequals(mech, "DIGEST-MD5")) {
    if (step != 0) return {};
    if (iequals(mech, "CRAM-MD5")) return printable(r.substr(0, r.rfind(' ')));
    // DIGEST-MD5 (RFC 2831): username="..." in the client's response.
    const auto p = r.find("username=\"");
    if (p == std::string_view::npos) return {};
    const auto e = r.find('"', p + 10);
    return e == std::string_view::npos ? std::string() : printable(r.substr(p + 10, e - p - 10));
  }
  if (iequals(mech, "XOAUTH2")) {
    if (step != 0 || r.substr(0, 5) != "user=") return {};
    return printable(r.substr(5, r.find('\x01') - 5));
  }
  if (iequals(mech, "OAUTHBEARER")) {
    const auto p = r.find(",a=");
    if (step != 0 || p == std::string_view::npos) return {};
    const auto e = r.find(',', p + 3);
    return printable(r.substr(p + 3, e == std::string_view::npos ? r.npos : e - p - 3));
  }
  if (iequals(mech, "NTLM")) {
    std::string domain, user, workstation;
    if (!ntlm_names(r, domain, user, workstation) || user.empty()) return {};
    return domain.empty() ? user : domain + "\\" + user;
  }
  return {};
}

namespace {

bool ntlm_names(std::string_view r, std::string& domain, std::string& user,
                std::string& workstation) {
  if (r.size() < 44 || r.substr(0, 8) != std::string_view("NTLMSSP\0", 8) || r[8] != 3)
    return false;
  const bool unicode =
      r.size() < 64 || (load_le32(reinterpret_cast<const std::uint8_t*>(r.data()) + 60) & 1);
  auto text = [&](std::string_view f) { return unicode ? utf16le_name(f) : printable(f); };
  domain = text(ntlm_field(r, 28));
  user = text(ntlm_field(r, 36));
  workstation = r.size() >= 52 ? text(ntlm_field(r, 44)) : std::string();
  return true;
}

}  // namespace

std::string ntlm_workstation(std::string_view authenticate) {
  std::string domain, user, workstation;
  return ntlm_names(authenticate, domain, user, workstation) ? workstation : std::string();
}

bool SaslExchange::response(std::string_view line, std::string& user) {
  if (line == "*") return false;
  if (auto decoded = base64_decode(line == "=" ? std::string_view() : line)) {
    std::string name = sasl_user(mechanism_, *decoded, step_);
    if (!name.empty()) user = std::move(name);
  }
  ++step_;
  return true;
}

}  // namespace kagami::wire
