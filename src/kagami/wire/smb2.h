#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kagami/base/byte_view.h"

namespace kagami::wire {

// SMB over TCP: direct (445, RFC 1002-style 4-byte header with a 24-bit length) or the NetBIOS
// session service (139, the same header; type 0 carries a message, others are session control).
inline constexpr std::size_t kNbssHeaderBytes = 4;
struct NbssHeader {
  std::uint8_t type = 0;  // 0: session message
  std::size_t length = 0;
};
bool parse_nbss_header(ByteView in, NbssHeader& out);

// What a message starts with (MS-SMB2 2.2.1, 2.2.41, 2.2.42; MS-SMB 2.2.3.1).
enum class SmbMessage : std::uint8_t { kUnknown, kSmb1, kSmb2, kTransform, kCompressed };
SmbMessage smb_message_kind(ByteView message);

// The SMB2 header (MS-SMB2 2.2.1): 64 bytes. Offsets in bodies count from its first byte.
inline constexpr std::size_t kSmb2HeaderBytes = 64;
struct Smb2Header {
  std::uint16_t command = 0;
  std::uint32_t status = 0;  // responses: an NTSTATUS
  std::uint32_t flags = 0;
  std::uint32_t next_command = 0;  // compounded: offset of the next header, 0 for the last
  std::uint64_t message_id = 0;
  std::uint64_t async_id = 0;  // async responses
  std::uint32_t tree_id = 0;   // sync messages
  std::uint64_t session_id = 0;
  std::uint16_t credits = 0;  // requested or granted
  bool response() const { return (flags & 0x1) != 0; }
  bool async() const { return (flags & 0x2) != 0; }
  bool related() const { return (flags & 0x4) != 0; }
};
bool parse_smb2_header(ByteView message, Smb2Header& out);

namespace smb2 {
enum Command : std::uint16_t {
  kNegotiate = 0,
  kSessionSetup = 1,
  kLogoff = 2,
  kTreeConnect = 3,
  kTreeDisconnect = 4,
  kCreate = 5,
  kClose = 6,
  kFlush = 7,
  kRead = 8,
  kWrite = 9,
  kLock = 10,
  kIoctl = 11,
  kCancel = 12,
  kEcho = 13,
  kQueryDirectory = 14,
  kChangeNotify = 15,
  kQueryInfo = 16,
  kSetInfo = 17,
  kOplockBreak = 18,
};
inline constexpr std::uint32_t kCapMultiChannel = 0x08;  // NEGOTIATE: the server binds channels
inline constexpr std::uint8_t kSessionBinding = 0x01;    // SESSION_SETUP: bind to a session
inline constexpr std::uint32_t kStatusSuccess = 0;
inline constexpr std::uint32_t kStatusPending = 0x00000103;
inline constexpr std::uint32_t kStatusMoreProcessingRequired = 0xC0000016;  // a logon leg
inline constexpr std::uint32_t kStatusBufferOverflow = 0x80000005;  // a partial answer, with data
inline constexpr std::uint32_t kStatusEndOfFile = 0xC0000011;
inline constexpr std::uint32_t kCreateDeleteOnClose = 0x00001000;
inline constexpr std::uint32_t kCreateDirectory = 0x00000001;
inline constexpr std::uint32_t kFsctlPipeTransceive = 0x0011C017;
}  // namespace smb2

// A file handle (persistent, volatile). All ones in a related compound request: the handle the
// CREATE before it in the compound opened.
struct Smb2FileId {
  std::uint64_t persistent = 0, volatile_id = 0;
  bool operator==(const Smb2FileId&) const = default;
  auto operator<=>(const Smb2FileId&) const = default;
  bool from_compound() const { return persistent == ~0ull && volatile_id == ~0ull; }
};

// The bodies read here, each from the whole message (header included); false: too short, or
// an offset or length pointing outside it. Names come as UTF-8.
// NEGOTIATE's answer: the dialect and the server's capabilities (kCapMultiChannel, ...).
bool smb2_negotiate_response(ByteView message, std::uint16_t& dialect, std::uint32_t& capabilities);
// SESSION_SETUP's request: its flags (kSessionBinding: a further channel of a session) and the
// security blob.
bool smb2_session_setup_request(ByteView message, std::uint8_t& flags, ByteView& security_blob);
bool smb2_tree_connect_request(ByteView message, std::string& path);
struct Smb2Create {
  std::string name;
  std::uint32_t access = 0, disposition = 0, options = 0;
};
bool smb2_create_request(ByteView message, Smb2Create& out);
struct Smb2Created {
  Smb2FileId id;
  std::uint32_t action = 0;  // 0 superseded, 1 opened, 2 created, 3 overwritten
  std::uint64_t end_of_file = 0;
};
bool smb2_create_response(ByteView message, Smb2Created& out);
bool smb2_close_request(ByteView message, Smb2FileId& id);
bool smb2_read_request(ByteView message, Smb2FileId& id, std::uint64_t& offset,
                       std::uint32_t& length);
bool smb2_read_response(ByteView message, ByteView& data);
bool smb2_write_request(ByteView message, Smb2FileId& id, std::uint64_t& offset, ByteView& data);
bool smb2_query_directory_request(ByteView message, Smb2FileId& id, std::string& pattern);
// IOCTL (MS-SMB2 2.2.31, 2.2.32): the control code and handle, and the request's input or the
// response's output (FSCTL_PIPE_TRANSCEIVE: a named pipe's write and read in one message).
struct Smb2Ioctl {
  std::uint32_t code = 0;
  Smb2FileId id;
  ByteView data;
};
bool smb2_ioctl_request(ByteView message, Smb2Ioctl& out);
bool smb2_ioctl_response(ByteView message, Smb2Ioctl& out);
// SET_INFO on a file (info type 1): a rename's new name (class 10), or a delete mark (class 13).
struct Smb2SetInfo {
  Smb2FileId id;
  std::uint8_t info_type = 0, file_class = 0;
  std::string rename_to;
  bool delete_pending = false;
};
bool smb2_set_info_request(ByteView message, Smb2SetInfo& out);

// The NTLMSSP message inside a SESSION_SETUP security blob (SPNEGO-wrapped or bare); empty if
// there is none.
ByteView ntlmssp_in(ByteView security_blob);

// "SMB 2.0.2", "SMB 3.1.1", ...
std::string smb2_dialect_name(std::uint16_t dialect);

}  // namespace kagami::wire
