#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"

namespace kagami::wire {

// SMB1 (MS-CIFS, MS-SMB): the 32-byte header, then one command's parameter words and data
// bytes, and — for the AndX commands — further commands chained in the same message.
inline constexpr std::size_t kSmb1HeaderBytes = 32;

namespace smb1 {
enum Command : std::uint8_t {
  kClose = 0x04,
  kDelete = 0x06,
  kRename = 0x07,
  kTransaction = 0x25,
  kOpenAndX = 0x2D,
  kReadAndX = 0x2E,
  kWriteAndX = 0x2F,
  kTransaction2 = 0x32,
  kNegotiate = 0x72,
  kSessionSetupAndX = 0x73,
  kTreeConnectAndX = 0x75,
  kNtCreateAndX = 0xA2,
  kNone = 0xFF,  // the end of an AndX chain
};
inline constexpr std::uint16_t kFlags2Unicode = 0x8000;
inline constexpr std::uint8_t kFlagsReply = 0x80;
// Trans2 subcommands and the information levels read here.
inline constexpr std::uint16_t kFindFirst2 = 0x0001, kSetFileInformation = 0x0008;
inline constexpr std::uint16_t kSetFileDispositionInfo = 0x0102, kPassFileRename = 1010,
                               kPassFileDisposition = 1013;
inline constexpr std::uint16_t kTransactNmPipe = 0x0026;
}  // namespace smb1

struct Smb1Header {
  std::uint8_t command = 0;
  std::uint32_t status = 0;
  std::uint8_t flags = 0;
  std::uint16_t flags2 = 0;
  std::uint16_t tid = 0, pid = 0, uid = 0, mid = 0;
  bool response() const { return (flags & smb1::kFlagsReply) != 0; }
  bool unicode() const { return (flags2 & smb1::kFlags2Unicode) != 0; }
};
bool parse_smb1_header(ByteView message, Smb1Header& out);

// One command of a message: its code, its parameter words and its data bytes (both views into
// the message), and where its block starts (strings are aligned from the header's start).
struct Smb1Command {
  std::uint8_t command = 0;
  ByteView words, bytes;
  std::size_t bytes_at = 0;  // offset of `bytes` from the header's start
};
// The commands of a message: the header's, then each AndX successor, at most `max` and each
// after the one before (a chain that points back ends there). False: the first does not fit.
bool smb1_commands(ByteView message, const Smb1Header& h, std::vector<Smb1Command>& out,
                   std::size_t max = 16);

// A string of a command's data bytes at `at` (an offset into `bytes`): UTF-16LE aligned to two
// bytes from the header's start when `unicode`, else OEM bytes taken as they are; up to its
// NUL. Advances `at` past it.
std::string smb1_string(const Smb1Command& c, std::size_t& at, bool unicode);

// Requests: what each names or carries. False: too short or pointing outside the message.
struct Smb1SessionSetup {
  ByteView security_blob;       // extended security (NTLMSSP inside SPNEGO)
  std::string account, domain;  // without it
};
bool smb1_session_setup_request(const Smb1Command& c, bool unicode, Smb1SessionSetup& out);
bool smb1_tree_connect_request(const Smb1Command& c, bool unicode, std::string& path);
bool smb1_nt_create_request(const Smb1Command& c, bool unicode, std::string& name,
                            std::uint32_t& options);
bool smb1_open_request(const Smb1Command& c, bool unicode, std::string& name);
// NT_CREATE_ANDX and OPEN_ANDX answers: the file's FID.
bool smb1_created_fid(const Smb1Command& c, std::uint16_t& fid);
bool smb1_read_request(const Smb1Command& c, std::uint16_t& fid, std::uint64_t& offset);
bool smb1_read_response(ByteView message, const Smb1Command& c, ByteView& data);
bool smb1_write_request(ByteView message, const Smb1Command& c, std::uint16_t& fid,
                        std::uint64_t& offset, ByteView& data);
// Where a READ_ANDX answer's or a WRITE_ANDX request's data lies in its message (offset from
// the header's start), without it in hand: a large one streams (CAP_LARGE_READX/WRITEX).
bool smb1_read_data(const Smb1Command& c, std::size_t& data_offset, std::size_t& data_length);
bool smb1_write_data(const Smb1Command& c, std::uint16_t& fid, std::uint64_t& offset,
                     std::size_t& data_offset, std::size_t& data_length);
bool smb1_close_request(const Smb1Command& c, std::uint16_t& fid);
// DELETE: the name; RENAME: the old and new names.
bool smb1_delete_request(const Smb1Command& c, bool unicode, std::string& name);
bool smb1_rename_request(const Smb1Command& c, bool unicode, std::string& from, std::string& to);

// TRANSACTION and TRANSACTION2 (requests and answers in one piece: secondary requests that
// continue a large one are not read): the setup words, the parameters and the data.
struct Smb1Transaction {
  std::vector<std::uint16_t> setup;
  ByteView parameters, data;
};
bool smb1_transaction_request(ByteView message, const Smb1Command& c, Smb1Transaction& out);
bool smb1_transaction_response(ByteView message, const Smb1Command& c, Smb1Transaction& out);

// The dialect a NEGOTIATE answer chose, by its index into the request's list.
bool smb1_negotiate_request(const Smb1Command& c, std::vector<std::string>& dialects);
bool smb1_negotiate_response(const Smb1Command& c, std::uint16_t& index);

}  // namespace kagami::wire
