#include "kagami/wire/smb1.h"

#include <string_view>

#include "kagami/base/utf8.h"

namespace kagami::wire {
namespace {

std::uint16_t u16(ByteView b, std::size_t at) { return load_le16(b.data() + at); }
std::uint32_t u32(ByteView b, std::size_t at) { return load_le32(b.data() + at); }

bool and_x(std::uint8_t command) {
  switch (command) {
    case smb1::kSessionSetupAndX:
    case smb1::kTreeConnectAndX:
    case smb1::kNtCreateAndX:
    case smb1::kOpenAndX:
    case smb1::kReadAndX:
    case smb1::kWriteAndX:
    case 0x24:  // LOCKING_ANDX
    case 0x74:  // LOGOFF_ANDX
      return true;
    default:
      return false;
  }
}

// `length` bytes at `offset` from the header's start, when they lie inside the message.
bool slice(ByteView m, std::size_t offset, std::size_t length, ByteView& out) {
  if (offset > m.size() || length > m.size() - offset) return false;
  out = m.subspan(offset, length);
  return true;
}

}  // namespace

bool parse_smb1_header(ByteView m, Smb1Header& h) {
  if (m.size() < kSmb1HeaderBytes || m[0] != 0xFF || m[1] != 'S' || m[2] != 'M' || m[3] != 'B')
    return false;
  h.command = m[4];
  h.status = u32(m, 5);
  h.flags = m[9];
  h.flags2 = u16(m, 10);
  h.tid = u16(m, 24);
  h.pid = u16(m, 26);
  h.uid = u16(m, 28);
  h.mid = u16(m, 30);
  return true;
}

bool smb1_commands(ByteView m, const Smb1Header& h, std::vector<Smb1Command>& out,
                   std::size_t max) {
  out.clear();
  std::size_t at = kSmb1HeaderBytes;
  std::uint8_t command = h.command;
  while (out.size() < max) {
    if (at >= m.size()) break;
    const std::size_t wc = m[at];
    if (m.size() - at < 1 + 2 * wc + 2) break;
    Smb1Command c;
    c.command = command;
    c.words = m.subspan(at + 1, 2 * wc);
    const std::size_t bc = u16(m, at + 1 + 2 * wc);
    c.bytes_at = at + 3 + 2 * wc;
    c.bytes = m.subspan(c.bytes_at, std::min(bc, m.size() - c.bytes_at));
    out.push_back(c);
    if (!and_x(command) || wc < 2) break;
    const std::uint8_t next = c.words[0];
    const std::size_t offset = u16(c.words, 2);
    // Each successor after the one before: a chain that loops or points back ends here.
    if (next == smb1::kNone || offset <= at || offset >= m.size()) break;
    command = next;
    at = offset;
  }
  return !out.empty();
}

std::string smb1_string(const Smb1Command& c, std::size_t& at, bool unicode) {
  if (unicode && (c.bytes_at + at) % 2 != 0) ++at;
  if (at >= c.bytes.size()) return {};
  const ByteView rest = c.bytes.subspan(at);
  std::size_t n = 0;
  if (unicode) {
    while (n + 1 < rest.size() && (rest[n] != 0 || rest[n + 1] != 0)) n += 2;
    at += std::min(rest.size(), n + 2);
    return utf16le_to_utf8(std::string_view(reinterpret_cast<const char*>(rest.data()), n));
  }
  while (n < rest.size() && rest[n] != 0) ++n;
  at += std::min(rest.size(), n + 1);
  return std::string(reinterpret_cast<const char*>(rest.data()), n);
}

bool smb1_session_setup_request(const Smb1Command& c, bool unicode, Smb1SessionSetup& out) {
  if (c.words.size() == 24) {  // extended security: a security blob
    const std::size_t n = u16(c.words, 14);
    if (n > c.bytes.size()) return false;
    out.security_blob = c.bytes.first(n);
    return true;
  }
  if (c.words.size() != 26) return false;  // NT LM 0.12 without extended security
  std::size_t at = static_cast<std::size_t>(u16(c.words, 14)) + u16(c.words, 16);
  if (at > c.bytes.size()) return false;
  out.account = smb1_string(c, at, unicode);
  out.domain = smb1_string(c, at, unicode);
  return true;
}

bool smb1_tree_connect_request(const Smb1Command& c, bool unicode, std::string& path) {
  if (c.words.size() != 8) return false;
  std::size_t at = u16(c.words, 6);  // the password before it
  if (at > c.bytes.size()) return false;
  path = smb1_string(c, at, unicode);
  return !path.empty();
}

bool smb1_nt_create_request(const Smb1Command& c, bool unicode, std::string& name,
                            std::uint32_t& options) {
  if (c.words.size() != 48) return false;
  options = u32(c.words, 39);
  std::size_t at = 0;
  name = smb1_string(c, at, unicode);
  return true;
}

bool smb1_open_request(const Smb1Command& c, bool unicode, std::string& name) {
  if (c.words.size() != 30) return false;
  std::size_t at = 0;
  name = smb1_string(c, at, unicode);
  return true;
}

bool smb1_created_fid(const Smb1Command& c, std::uint16_t& fid) {
  if (c.command == smb1::kNtCreateAndX && c.words.size() >= 7) {
    fid = u16(c.words, 5);
    return true;
  }
  if (c.command == smb1::kOpenAndX && c.words.size() >= 6) {
    fid = u16(c.words, 4);
    return true;
  }
  return false;
}

bool smb1_read_request(const Smb1Command& c, std::uint16_t& fid, std::uint64_t& offset) {
  if (c.words.size() != 20 && c.words.size() != 24) return false;
  fid = u16(c.words, 4);
  offset = u32(c.words, 6);
  if (c.words.size() == 24) offset |= static_cast<std::uint64_t>(u32(c.words, 20)) << 32;
  return true;
}

bool smb1_read_data(const Smb1Command& c, std::size_t& data_offset, std::size_t& data_length) {
  if (c.words.size() < 24) return false;
  data_offset = u16(c.words, 12);
  data_length = u16(c.words, 10) | static_cast<std::size_t>(u16(c.words, 14)) << 16;
  return true;
}

bool smb1_read_response(ByteView m, const Smb1Command& c, ByteView& data) {
  std::size_t at = 0, length = 0;
  return smb1_read_data(c, at, length) && slice(m, at, length, data);
}

bool smb1_write_data(const Smb1Command& c, std::uint16_t& fid, std::uint64_t& offset,
                     std::size_t& data_offset, std::size_t& data_length) {
  if (c.words.size() != 24 && c.words.size() != 28) return false;
  fid = u16(c.words, 4);
  offset = u32(c.words, 6);
  if (c.words.size() == 28) offset |= static_cast<std::uint64_t>(u32(c.words, 24)) << 32;
  data_offset = u16(c.words, 22);
  data_length = u16(c.words, 20) | static_cast<std::size_t>(u16(c.words, 18)) << 16;
  return true;
}

bool smb1_write_request(ByteView m, const Smb1Command& c, std::uint16_t& fid, std::uint64_t& offset,
                        ByteView& data) {
  std::size_t at = 0, length = 0;
  return smb1_write_data(c, fid, offset, at, length) && slice(m, at, length, data);
}

bool smb1_close_request(const Smb1Command& c, std::uint16_t& fid) {
  if (c.words.size() < 2) return false;
  fid = u16(c.words, 0);
  return true;
}

bool smb1_delete_request(const Smb1Command& c, bool unicode, std::string& name) {
  if (c.bytes.empty() || c.bytes[0] != 0x04) return false;  // buffer format: a string
  std::size_t at = 1;
  name = smb1_string(c, at, unicode);
  return !name.empty();
}

bool smb1_rename_request(const Smb1Command& c, bool unicode, std::string& from, std::string& to) {
  if (c.bytes.empty() || c.bytes[0] != 0x04) return false;
  std::size_t at = 1;
  from = smb1_string(c, at, unicode);
  if (at >= c.bytes.size() || c.bytes[at] != 0x04) return false;
  ++at;
  to = smb1_string(c, at, unicode);
  return !from.empty() && !to.empty();
}

namespace {

// Where a TRANSACTION's words keep their counts and offsets (MS-CIFS 2.2.4.33.1 and .2): a
// request's and a response's differ.
struct TransactionWords {
  std::size_t parameter_count, parameter_offset, data_count, data_offset, setup_count;
};
constexpr TransactionWords kTransactionRequest{18, 20, 22, 24, 26};
constexpr TransactionWords kTransactionResponse{6, 8, 12, 14, 18};

bool transaction(ByteView m, const Smb1Command& c, const TransactionWords& at,
                 Smb1Transaction& out) {
  const std::size_t setup_at = at.setup_count + 2;  // after the count and a reserved byte
  if (c.words.size() < setup_at) return false;
  const std::size_t setup = c.words[at.setup_count];
  if (c.words.size() < setup_at + 2 * setup) return false;
  out.setup.clear();
  for (std::size_t i = 0; i < setup; ++i) out.setup.push_back(u16(c.words, setup_at + 2 * i));
  return slice(m, u16(c.words, at.parameter_offset), u16(c.words, at.parameter_count),
               out.parameters) &&
         slice(m, u16(c.words, at.data_offset), u16(c.words, at.data_count), out.data);
}

}  // namespace

bool smb1_transaction_request(ByteView m, const Smb1Command& c, Smb1Transaction& out) {
  return transaction(m, c, kTransactionRequest, out);
}

bool smb1_transaction_response(ByteView m, const Smb1Command& c, Smb1Transaction& out) {
  return transaction(m, c, kTransactionResponse, out);
}

bool smb1_negotiate_request(const Smb1Command& c, std::vector<std::string>& dialects) {
  dialects.clear();
  std::size_t at = 0;
  while (at < c.bytes.size() && c.bytes[at] == 0x02) {  // buffer format: a dialect
    ++at;
    dialects.push_back(smb1_string(c, at, false));
  }
  return !dialects.empty();
}

bool smb1_negotiate_response(const Smb1Command& c, std::uint16_t& index) {
  if (c.words.size() < 2) return false;
  index = u16(c.words, 0);
  return true;
}

}  // namespace kagami::wire
