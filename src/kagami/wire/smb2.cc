#include "kagami/wire/smb2.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "kagami/base/utf8.h"

namespace kagami::wire {
namespace {

std::uint16_t u16(ByteView b, std::size_t at) { return load_le16(b.data() + at); }
std::uint32_t u32(ByteView b, std::size_t at) { return load_le32(b.data() + at); }
std::uint64_t u64(ByteView b, std::size_t at) {
  return static_cast<std::uint64_t>(u32(b, at)) | static_cast<std::uint64_t>(u32(b, at + 4)) << 32;
}

// The body starts after the header; `fixed`: the body bytes the command's structure needs.
bool has_body(ByteView m, std::size_t fixed) { return m.size() >= kSmb2HeaderBytes + fixed; }

// `length` bytes at `offset` from the header's start, when they lie inside the message.
bool slice(ByteView m, std::size_t offset, std::size_t length, ByteView& out) {
  if (offset > m.size() || length > m.size() - offset) return false;
  out = m.subspan(offset, length);
  return true;
}

std::string utf16(ByteView b) {
  return utf16le_to_utf8(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

Smb2FileId file_id(ByteView m, std::size_t at) { return {u64(m, at), u64(m, at + 8)}; }

}  // namespace

bool parse_nbss_header(ByteView in, NbssHeader& out) {
  if (in.size() < kNbssHeaderBytes) return false;
  out.type = in[0];
  out.length = static_cast<std::size_t>(in[1]) << 16 | static_cast<std::size_t>(in[2]) << 8 | in[3];
  return true;
}

SmbMessage smb_message_kind(ByteView m) {
  if (m.size() < 4 || m[1] != 'S' || m[2] != 'M' || m[3] != 'B') return SmbMessage::kUnknown;
  switch (m[0]) {
    case 0xFF:
      return SmbMessage::kSmb1;
    case 0xFE:
      return SmbMessage::kSmb2;
    case 0xFD:
      return SmbMessage::kTransform;
    case 0xFC:
      return SmbMessage::kCompressed;
    default:
      return SmbMessage::kUnknown;
  }
}

bool parse_smb2_header(ByteView m, Smb2Header& h) {
  if (m.size() < kSmb2HeaderBytes || smb_message_kind(m) != SmbMessage::kSmb2 || u16(m, 4) != 64)
    return false;
  h.status = u32(m, 8);
  h.command = u16(m, 12);
  h.credits = u16(m, 14);
  h.flags = u32(m, 16);
  h.next_command = u32(m, 20);
  h.message_id = u64(m, 24);
  if (h.async()) {
    h.async_id = u64(m, 32);
  } else {
    h.tree_id = u32(m, 36);
  }
  h.session_id = u64(m, 40);
  return true;
}

bool smb2_negotiate_response(ByteView m, std::uint16_t& dialect, std::uint32_t& capabilities) {
  if (!has_body(m, 28)) return false;
  dialect = u16(m, kSmb2HeaderBytes + 4);
  capabilities = u32(m, kSmb2HeaderBytes + 24);
  return true;
}

bool smb2_session_setup_request(ByteView m, std::uint8_t& flags, ByteView& blob) {
  if (!has_body(m, 24)) return false;
  flags = m[kSmb2HeaderBytes + 2];
  return slice(m, u16(m, kSmb2HeaderBytes + 12), u16(m, kSmb2HeaderBytes + 14), blob);
}

bool smb2_tree_connect_request(ByteView m, std::string& path) {
  if (!has_body(m, 8)) return false;
  ByteView p;
  if (!slice(m, u16(m, kSmb2HeaderBytes + 4), u16(m, kSmb2HeaderBytes + 6), p)) return false;
  path = utf16(p);
  return true;
}

bool smb2_create_request(ByteView m, Smb2Create& out) {
  if (!has_body(m, 56)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  out.access = u32(m, b + 24);
  out.disposition = u32(m, b + 36);
  out.options = u32(m, b + 40);
  ByteView name;
  if (!slice(m, u16(m, b + 44), u16(m, b + 46), name)) return false;
  out.name = utf16(name);
  return true;
}

bool smb2_create_response(ByteView m, Smb2Created& out) {
  if (!has_body(m, 80)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  out.action = u32(m, b + 4);
  out.end_of_file = u64(m, b + 48);
  out.id = file_id(m, b + 64);
  return true;
}

bool smb2_close_request(ByteView m, Smb2FileId& id) {
  if (!has_body(m, 24)) return false;
  id = file_id(m, kSmb2HeaderBytes + 8);
  return true;
}

bool smb2_read_request(ByteView m, Smb2FileId& id, std::uint64_t& offset, std::uint32_t& length) {
  if (!has_body(m, 48)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  length = u32(m, b + 4);
  offset = u64(m, b + 8);
  id = file_id(m, b + 16);
  return true;
}

bool smb2_read_response(ByteView m, ByteView& data) {
  if (!has_body(m, 16)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  return slice(m, m[b + 2], u32(m, b + 4), data);
}

bool smb2_write_request(ByteView m, Smb2FileId& id, std::uint64_t& offset, ByteView& data) {
  if (!has_body(m, 48)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  offset = u64(m, b + 8);
  id = file_id(m, b + 16);
  return slice(m, u16(m, b + 2), u32(m, b + 4), data);
}

bool smb2_ioctl_request(ByteView m, Smb2Ioctl& out) {
  if (!has_body(m, 56)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  out.code = u32(m, b + 4);
  out.id = file_id(m, b + 8);
  return slice(m, u32(m, b + 24), u32(m, b + 28), out.data);
}

bool smb2_ioctl_response(ByteView m, Smb2Ioctl& out) {
  if (!has_body(m, 48)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  out.code = u32(m, b + 4);
  out.id = file_id(m, b + 8);
  return slice(m, u32(m, b + 32), u32(m, b + 36), out.data);
}

bool smb2_query_directory_request(ByteView m, Smb2FileId& id, std::string& pattern) {
  if (!has_body(m, 32)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  id = file_id(m, b + 8);
  ByteView p;
  if (!slice(m, u16(m, b + 24), u16(m, b + 26), p)) return false;
  pattern = utf16(p);
  return true;
}

bool smb2_set_info_request(ByteView m, Smb2SetInfo& out) {
  if (!has_body(m, 32)) return false;
  const std::size_t b = kSmb2HeaderBytes;
  out.info_type = m[b + 2];
  out.file_class = m[b + 3];
  out.id = file_id(m, b + 16);
  ByteView buf;
  if (!slice(m, u16(m, b + 8), u32(m, b + 4), buf)) return false;
  if (out.info_type != 1) return true;
  if (out.file_class == 10 && buf.size() >= 20) {  // FileRenameInformation (MS-FSCC 2.4.37)
    ByteView name;
    if (!slice(buf, 20, u32(buf, 16), name)) return false;
    out.rename_to = utf16(name);
  } else if (out.file_class == 13 && !buf.empty()) {  // FileDispositionInformation
    out.delete_pending = buf[0] != 0;
  }
  return true;
}

ByteView ntlmssp_in(ByteView blob) {
  static constexpr std::string_view kSignature("NTLMSSP\0", 8);
  const std::string_view s(reinterpret_cast<const char*>(blob.data()), blob.size());
  const std::size_t at = s.find(kSignature);
  return at == std::string_view::npos ? ByteView() : blob.subspan(at);
}

std::string smb2_dialect_name(std::uint16_t d) {
  switch (d) {
    case 0x0202:
      return "SMB 2.0.2";
    case 0x0210:
      return "SMB 2.1";
    case 0x0300:
      return "SMB 3.0";
    case 0x0302:
      return "SMB 3.0.2";
    case 0x0311:
      return "SMB 3.1.1";
    case 0x02FF:
      return "SMB 2.???";
    default:
      break;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%04x", d);
  return buf;
}

}  // namespace kagami::wire
