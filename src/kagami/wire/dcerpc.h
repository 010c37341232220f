#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"

namespace kagami::wire {

// Connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2): the PDUs that travel over a
// named pipe (SMB's IPC$) or a TCP connection. Only little-endian NDR is read (every Windows
// and Samba peer); a big-endian PDU's header is read, its body is not.
inline constexpr std::size_t kDceRpcHeaderBytes = 16;

namespace dcerpc {
enum Type : std::uint8_t {
  kRequest = 0,
  kResponse = 2,
  kFault = 3,
  kBind = 11,
  kBindAck = 12,
  kBindNak = 13,
  kAlterContext = 14,
  kAlterContextResp = 15,
};
inline constexpr std::uint8_t kFirstFrag = 0x01, kLastFrag = 0x02, kObjectUuid = 0x80;
}  // namespace dcerpc

struct DceRpcHeader {
  std::uint8_t type = 0, flags = 0;
  bool little_endian = true;
  std::uint16_t frag_length = 0, auth_length = 0;
  std::uint32_t call_id = 0;
};
// False: not a DCE/RPC 5.0/5.1 PDU header, or a fragment length shorter than the header.
bool parse_dcerpc_header(ByteView pdu, DceRpcHeader& out);

using Uuid = std::array<std::uint8_t, 16>;
// "367abb81-9844-35f1-ad32-98f038001003" (the first three fields little-endian, as NDR sends them).
std::string uuid_text(const Uuid& uuid);

// A presentation context of a bind or alter_context: the interface asked for.
struct DceRpcContext {
  std::uint16_t id = 0;
  Uuid interface {};
  std::uint16_t major = 0, minor = 0;
};
// The body readers take the whole PDU (header included) and its parsed header; false: too short
// or inconsistent.
bool dcerpc_bind(ByteView pdu, const DceRpcHeader& h, std::vector<DceRpcContext>& out);
// A bind_ack's or alter_context_resp's results, in the order of the bind's contexts (0: accepted).
bool dcerpc_bind_ack(ByteView pdu, const DceRpcHeader& h, std::vector<std::uint16_t>& results);
// A request's context and operation, and its stub data (this fragment's: without the
// authentication trailer and its padding).
struct DceRpcRequest {
  std::uint16_t context_id = 0, opnum = 0;
  ByteView stub;
};
bool dcerpc_request(ByteView pdu, const DceRpcHeader& h, DceRpcRequest& out);
bool dcerpc_response(ByteView pdu, const DceRpcHeader& h, std::uint16_t& context_id,
                     ByteView& stub);
bool dcerpc_fault(ByteView pdu, const DceRpcHeader& h, std::uint32_t& status);

// The well-known name of an interface ("svcctl", "samr", "drsuapi", ...), empty when unknown.
std::string_view dcerpc_interface_name(const Uuid& interface);
// An operation's name ("RCreateServiceW"), empty when it is not one of those named here.
std::string_view dcerpc_operation_name(std::string_view interface, std::uint16_t opnum);

// What an operation means to an investigator, named once for search ("service_created",
// "task_registered", "log_cleared", "directory_replication", ...); empty for the rest.
std::string_view dcerpc_event(std::string_view interface, std::uint16_t opnum);

// Service control (MS-SCMR) requests whose arguments say what a remote service runs: a
// created service's name and command line (RCreateServiceW/A), an opened one's name
// (ROpenServiceW/A), a changed one's new command line (RChangeServiceConfigW/A). False when the
// stub is not such a request.
struct SvcctlCall {
  std::string service, command;
};
bool svcctl_request(std::uint16_t opnum, ByteView stub, SvcctlCall& out);
// The handle a create or open answered with (its 20-byte context handle); false when the
// call failed or the stub is too short.
bool svcctl_handle_returned(std::uint16_t opnum, ByteView stub, std::array<std::uint8_t, 20>& out);
// The handle a request acts on (its first argument), for RStartService, RDeleteService,
// RControlService, RChangeServiceConfig.
bool svcctl_handle_used(ByteView stub, std::array<std::uint8_t, 20>& out);

}  // namespace kagami::wire
