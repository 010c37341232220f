#include "kagami/analyzers/smb/pipe_calls.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kagami/wire/dcerpc.h"

namespace kagami::analyzers {
namespace {

void le(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>(v >> (8 * i) & 0xff);
}

ByteView view(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// svcctl's interface as NDR sends a UUID (367abb81-9844-35f1-ad32-98f038001003).
const std::string kSvcctl("\x81\xbb\x7a\x36\x44\x98\xf1\x35\xad\x32\x98\xf0\x38\x00\x10\x03", 16);
const std::string kUnknown(16, '\x42');

// A PDU: the 16-byte header (little-endian NDR), then the body and any authentication (its
// padding, the 8-byte trailer, then `auth_length` bytes of credentials).
std::string pdu(std::uint8_t type, std::uint8_t flags, std::uint32_t call_id,
                const std::string& body, const std::string& auth = "",
                std::size_t auth_length = 0) {
  std::string p = {5, 0, static_cast<char>(type), static_cast<char>(flags), 0x10, 0, 0, 0};
  le(p, 16 + body.size() + auth.size(), 2);
  le(p, auth_length, 2);
  le(p, call_id, 4);
  return p + body + auth;
}

std::string bind(std::uint32_t call_id, const std::vector<std::pair<int, std::string>>& contexts) {
  std::string b;
  le(b, 4280, 2);
  le(b, 4280, 2);
  le(b, 0, 4);
  le(b, contexts.size(), 4);
  for (const auto& [id, uuid] : contexts) {
    le(b, id, 2);
    le(b, 1, 2);  // one transfer syntax
    b += uuid;
    le(b, 2, 4);  // version 2.0
    b += std::string(20, '\x04');
  }
  return pdu(wire::dcerpc::kBind, 3, call_id, b);
}

std::string bind_ack(std::uint32_t call_id, const std::vector<int>& results) {
  std::string b;
  le(b, 4280, 2);
  le(b, 4280, 2);
  le(b, 0x1234, 4);
  const std::string address("\\PIPE\\svcctl\0", 13);
  le(b, address.size(), 2);
  b += address;
  while (b.size() % 4 != 0) b += '\0';
  le(b, results.size(), 4);
  for (int r : results) {
    le(b, r, 2);
    le(b, 0, 2);
    b += std::string(20, '\x04');
  }
  return pdu(wire::dcerpc::kBindAck, 3, call_id, b);
}

std::string request(std::uint32_t call_id, int context, int opnum, const std::string& stub,
                    std::uint8_t flags = 3, const std::string& auth = "") {
  std::string b;
  le(b, stub.size(), 4);
  le(b, context, 2);
  le(b, opnum, 2);
  return pdu(wire::dcerpc::kRequest, flags, call_id, b + stub, auth, auth.empty() ? 0 : 16);
}

std::string response(std::uint32_t call_id, const std::string& stub, std::uint8_t flags = 3) {
  std::string b;
  le(b, stub.size(), 4);
  le(b, 0, 4);
  return pdu(wire::dcerpc::kResponse, flags, call_id, b + stub);
}

// NDR: a conformant varying string (UTF-16 when wide), padded to four bytes.
std::string ndr_string(const std::string& ascii, bool wide = true) {
  std::string s;
  le(s, ascii.size() + 1, 4);
  le(s, 0, 4);
  le(s, ascii.size() + 1, 4);
  for (char c : ascii + '\0') {
    s += c;
    if (wide) s += '\0';
  }
  while (s.size() % 4 != 0) s += '\0';
  return s;
}

const std::string kManager(20, 'M');
const std::string kHandle(20, 'S');

std::string create_service(const std::string& name, const std::string& command) {
  std::string s = kManager + ndr_string(name);
  le(s, 0x20000, 4);  // the display name's referent
  s += ndr_string("Display " + name);
  le(s, 0xf01ff, 4);  // access
  le(s, 0x10, 4);     // own process
  le(s, 3, 4);        // demand start
  le(s, 1, 4);        // error control
  s += ndr_string(command);
  s += std::string(24, '\0');  // load order group, tag, dependencies, size, start name, password
  return s;
}

TEST(PipeCalls, NamesCallsAndFollowsServicesFromCreateToStart) {
  PipeCalls calls("\\\\fs01\\IPC$\\svcctl");
  std::vector<records::DceRpcRecord> done;
  // The create request in two fragments, the second carrying NTLMSSP-style authentication
  // (a trailer and padding the stub does not include).
  const std::string create = create_service("PSEXESVC", "%SystemRoot%\\PSEXESVC.exe");
  std::string auth(4, '\xaa');                        // auth padding
  auth += std::string{0x0a, 0x06, 4, 0, 1, 0, 0, 0};  // NTLMSSP, privacy, pad 4, context 1
  auth += std::string(16, '\x77');
  std::string client = bind(1, {{0, kSvcctl}, {1, kUnknown}}) +
                       request(2, 0, 12, create.substr(0, 40), 1) +
                       request(2, 0, 12, create.substr(40), 2, auth);
  std::string answer;
  le(answer, 0, 4);  // no tag id
  answer += kHandle;
  le(answer, 0, 4);  // ERROR_SUCCESS
  std::string server = bind_ack(1, {0, 2}) + response(2, answer);
  // Cut anywhere: PDUs span messages and messages hold several PDUs.
  for (std::size_t i = 0; i < client.size(); i += 7)
    calls.from_client(1, view(client.substr(i, 7)), done);
  for (std::size_t i = 0; i < server.size(); i += 5)
    calls.from_server(view(server.substr(i, 5)), done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].pipe, "\\\\fs01\\IPC$\\svcctl");
  EXPECT_EQ(done[0].interface, "svcctl");
  EXPECT_EQ(done[0].interface_uuid, "367abb81-9844-35f1-ad32-98f038001003");
  EXPECT_EQ(done[0].operation, "RCreateServiceW");
  EXPECT_EQ(done[0].event, "service_created");
  EXPECT_EQ(done[0].service, "PSEXESVC");
  EXPECT_EQ(done[0].command, "%SystemRoot%\\PSEXESVC.exe");
  EXPECT_EQ(done[0].status, "0x00000000");
  EXPECT_EQ(done[0].stub_bytes, create.size());
  done.clear();
  // Started by the handle the create returned; a call on the refused context names no
  // interface, only its number.
  std::string start = kHandle;
  le(start, 0, 8);
  std::string ok;
  le(ok, 0, 4);
  std::string denied;
  le(denied, 5, 4);
  calls.from_client(2, view(request(3, 0, 19, start) + request(4, 1, 7, "xx")), done);
  // The answer in two fragments: its return code is cut between them.
  calls.from_server(view(response(3, denied.substr(0, 2), 1) + response(3, denied.substr(2), 2)),
                    done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].operation, "RStartServiceW");
  EXPECT_EQ(done[0].event, "service_started");
  EXPECT_EQ(done[0].service, "PSEXESVC");
  EXPECT_EQ(done[0].status, "0x00000005");
  // A fault ends its call; the call never answered is recorded when the pipe closes.
  std::string fault;
  le(fault, 0, 8);
  le(fault, 0x1c010002, 4);
  le(fault, 0, 4);
  calls.from_client(3, view(request(5, 0, 16, kManager + ndr_string("Spooler"))), done);
  calls.from_server(view(pdu(wire::dcerpc::kFault, 3, 5, fault)), done);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[1].operation, "ROpenServiceW");
  EXPECT_EQ(done[1].service, "Spooler");
  EXPECT_EQ(done[1].status, "fault 0x1c010002");
  calls.finish(done);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[2].interface, "");
  EXPECT_EQ(done[2].operation, "opnum 7");
  EXPECT_EQ(done[2].status, "");
  EXPECT_FALSE(calls.violated());
}

TEST(PipeCalls, WhatIsNotDceRpcStopsThePipeAndBoundsHold) {
  std::vector<records::DceRpcRecord> done;
  PipeCalls garbage("p");
  garbage.from_client(1, view("this is not DCE/RPC at all"), done);
  EXPECT_TRUE(garbage.violated());
  garbage.from_client(1, view(request(1, 0, 1, "")), done);
  garbage.finish(done);
  EXPECT_TRUE(done.empty());
  // A fragment as long as one can be waits for the rest.
  PipeCalls huge("p");
  std::string h = {5, 0, 0, 3, 0x10, 0, 0, 0};
  le(h, 0xffff, 2);
  huge.from_client(1, view(h + std::string(8, '\0')), done);
  EXPECT_FALSE(huge.violated());  // 64 KiB is allowed: it waits for the rest
  // Requests never answered: only so many wait, the oldest let go.
  PipeCalls flood("p");
  for (std::uint32_t i = 0; i < 1000; ++i) flood.from_client(1, view(request(i, 0, 1, "")), done);
  EXPECT_TRUE(flood.violated());
  flood.finish(done);
  EXPECT_EQ(done.size(), 256u);
  // svcctl arguments that lie about their lengths read as nothing.
  wire::SvcctlCall s;
  std::string lying = kManager;
  le(lying, 0xffffffff, 4);
  le(lying, 0, 4);
  le(lying, 0xffffffff, 4);
  EXPECT_FALSE(wire::svcctl_request(12, view(lying), s));
  EXPECT_FALSE(wire::svcctl_request(12, view(kManager.substr(0, 10)), s));
}

TEST(DceRpc, HeadersAndNames) {
  wire::DceRpcHeader h;
  EXPECT_TRUE(wire::parse_dcerpc_header(view(request(9, 0, 1, "")), h));
  EXPECT_EQ(h.call_id, 9u);
  EXPECT_EQ(h.type, wire::dcerpc::kRequest);
  EXPECT_FALSE(wire::parse_dcerpc_header(view(std::string("\x04\x00", 2) + std::string(14, 0)), h));
  EXPECT_EQ(wire::dcerpc_operation_name("drsuapi", 3), "IDL_DRSGetNCChanges");
  EXPECT_EQ(wire::dcerpc_event("drsuapi", 3), "directory_replication");
  EXPECT_EQ(wire::dcerpc_event("eventlog", 0), "log_cleared");
  EXPECT_EQ(wire::dcerpc_event("srvsvc", 15), "");
  wire::Uuid u{};
  std::copy(kSvcctl.begin(), kSvcctl.end(), u.begin());
  EXPECT_EQ(wire::dcerpc_interface_name(u), "svcctl");
}

}  // namespace
}  // namespace kagami::analyzers
