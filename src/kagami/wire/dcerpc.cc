#include "kagami/wire/dcerpc.h"

#include <cstdio>
#include <cstring>

#include "kagami/base/utf8.h"

namespace kagami::wire {
namespace {

std::uint16_t u16(ByteView b, std::size_t at) { return load_le16(b.data() + at); }
std::uint32_t u32(ByteView b, std::size_t at) { return load_le32(b.data() + at); }

// The PDU's body after the common header, within the fragment length.
ByteView body(ByteView pdu, const DceRpcHeader& h) {
  const std::size_t end = std::min<std::size_t>(pdu.size(), h.frag_length);
  return end > kDceRpcHeaderBytes ? pdu.subspan(kDceRpcHeaderBytes, end - kDceRpcHeaderBytes)
                                  : ByteView();
}

// The stub of a request or response: after `fixed` body bytes, before the authentication
// trailer (8 bytes, then auth_length bytes of credentials; its padding counted in the trailer).
bool stub_of(ByteView pdu, const DceRpcHeader& h, std::size_t fixed, ByteView& stub) {
  if (!h.little_endian) return false;
  const ByteView b = body(pdu, h);
  if (b.size() < fixed) return false;
  std::size_t end = b.size();
  if (h.auth_length > 0) {
    const std::size_t trailer = 8u + h.auth_length;
    if (end < fixed + trailer) return false;
    end -= trailer;
    const std::uint8_t pad = b[end + 2];  // auth_pad_length
    if (end < fixed + pad) return false;
    end -= pad;
  }
  stub = b.subspan(fixed, end - fixed);
  return true;
}

struct Named {
  std::uint16_t opnum;
  const char* name;
};
struct Interface {
  const char* uuid;
  const char* name;
  const Named* ops;
  std::size_t op_count;
};

constexpr Named kSvcctl[] = {
    {0, "RCloseServiceHandle"},    {1, "RControlService"},          {2, "RDeleteService"},
    {3, "RLockServiceDatabase"},   {6, "RQueryServiceStatus"},      {11, "RChangeServiceConfigW"},
    {12, "RCreateServiceW"},       {13, "REnumDependentServicesW"}, {14, "REnumServicesStatusW"},
    {15, "ROpenSCManagerW"},       {16, "ROpenServiceW"},           {17, "RQueryServiceConfigW"},
    {19, "RStartServiceW"},        {20, "RGetServiceDisplayNameW"}, {21, "RGetServiceKeyNameW"},
    {23, "RChangeServiceConfigA"}, {24, "RCreateServiceA"},         {26, "REnumServicesStatusA"},
    {27, "ROpenSCManagerA"},       {28, "ROpenServiceA"},           {29, "RQueryServiceConfigA"},
    {31, "RStartServiceA"}};
constexpr Named kSrvsvc[] = {{8, "NetrConnectionEnum"}, {9, "NetrFileEnum"},
                             {12, "NetrSessionEnum"},   {13, "NetrSessionDel"},
                             {14, "NetrShareAdd"},      {15, "NetrShareEnum"},
                             {16, "NetrShareGetInfo"},  {18, "NetrShareDel"},
                             {21, "NetrServerGetInfo"}, {28, "NetrRemoteTOD"}};
constexpr Named kWkssvc[] = {{0, "NetrWkstaGetInfo"}, {2, "NetrWkstaUserEnum"}};
constexpr Named kSamr[] = {{0, "SamrConnect"},
                           {1, "SamrCloseHandle"},
                           {5, "SamrLookupDomainInSamServer"},
                           {6, "SamrEnumerateDomainsInSamServer"},
                           {7, "SamrOpenDomain"},
                           {13, "SamrEnumerateUsersInDomain"},
                           {17, "SamrLookupNamesInDomain"},
                           {34, "SamrOpenUser"},
                           {64, "SamrConnect5"}};
constexpr Named kLsarpc[] = {{0, "LsarClose"},
                             {6, "LsarOpenPolicy"},
                             {7, "LsarQueryInformationPolicy"},
                             {14, "LsarLookupNames"},
                             {15, "LsarLookupSids"},
                             {44, "LsarOpenPolicy2"},
                             {45, "LsarGetUserName"},
                             {46, "LsarQueryInformationPolicy2"},
                             {57, "LsarLookupSids2"},
                             {58, "LsarLookupNames2"},
                             {76, "LsarLookupSids3"},
                             {77, "LsarLookupNames4"}};
constexpr Named kWinreg[] = {
    {0, "OpenClassesRoot"},    {1, "OpenCurrentUser"},    {2, "OpenLocalMachine"},
    {4, "OpenUsers"},          {5, "BaseRegCloseKey"},    {6, "BaseRegCreateKey"},
    {7, "BaseRegDeleteKey"},   {8, "BaseRegDeleteValue"}, {9, "BaseRegEnumKey"},
    {10, "BaseRegEnumValue"},  {15, "BaseRegOpenKey"},    {16, "BaseRegQueryInfoKey"},
    {17, "BaseRegQueryValue"}, {20, "BaseRegSaveKey"},    {22, "BaseRegSetValue"}};
constexpr Named kNetlogon[] = {{2, "NetrLogonSamLogon"},
                               {4, "NetrServerReqChallenge"},
                               {15, "NetrServerAuthenticate2"},
                               {26, "NetrServerAuthenticate3"},
                               {30, "NetrServerPasswordSet2"}};
constexpr Named kDrsuapi[] = {{0, "IDL_DRSBind"},
                              {1, "IDL_DRSUnbind"},
                              {3, "IDL_DRSGetNCChanges"},
                              {12, "IDL_DRSCrackNames"},
                              {16, "IDL_DRSDomainControllerInfo"}};
constexpr Named kAtsvc[] = {
    {0, "NetrJobAdd"}, {1, "NetrJobDel"}, {2, "NetrJobEnum"}, {3, "NetrJobGetInfo"}};
constexpr Named kTsch[] = {{0, "SchRpcHighestVersion"}, {1, "SchRpcRegisterTask"},
                           {2, "SchRpcRetrieveTask"},   {7, "SchRpcEnumTasks"},
                           {12, "SchRpcRun"},           {13, "SchRpcDelete"},
                           {19, "SchRpcEnableTask"}};
constexpr Named kEventlog[] = {{0, "ElfrClearELFW"},
                               {1, "ElfrBackupELFW"},
                               {2, "ElfrCloseEL"},
                               {7, "ElfrOpenELW"},
                               {10, "ElfrReadELW"}};
constexpr Named kEpmapper[] = {{2, "ept_lookup"}, {3, "ept_map"}};
constexpr Named kEfsrpc[] = {
    {0, "EfsRpcOpenFileRaw"}, {4, "EfsRpcEncryptFileSrv"}, {5, "EfsRpcDecryptFileSrv"}};
constexpr Named kSpoolss[] = {{1, "RpcOpenPrinter"},
                              {65, "RpcRemoteFindFirstPrinterChangeNotificationEx"},
                              {69, "RpcOpenPrinterEx"},
                              {89, "RpcAddPrinterDriverEx"}};

#define KAGAMI_OPS(table) table, sizeof table / sizeof table[0]
constexpr Interface kInterfaces[] = {
    {"367abb81-9844-35f1-ad32-98f038001003", "svcctl", KAGAMI_OPS(kSvcctl)},
    {"4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc", KAGAMI_OPS(kSrvsvc)},
    {"6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc", KAGAMI_OPS(kWkssvc)},
    {"12345778-1234-abcd-ef00-0123456789ac", "samr", KAGAMI_OPS(kSamr)},
    {"12345778-1234-abcd-ef00-0123456789ab", "lsarpc", KAGAMI_OPS(kLsarpc)},
    {"338cd001-2244-31f1-aaaa-900038001003", "winreg", KAGAMI_OPS(kWinreg)},
    {"12345678-1234-abcd-ef00-01234567cffb", "netlogon", KAGAMI_OPS(kNetlogon)},
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi", KAGAMI_OPS(kDrsuapi)},
    {"1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc", KAGAMI_OPS(kAtsvc)},
    {"86d35949-83c9-4044-b424-db363231fd0c", "tsch", KAGAMI_OPS(kTsch)},
    {"82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog", KAGAMI_OPS(kEventlog)},
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", KAGAMI_OPS(kEpmapper)},
    {"c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc", KAGAMI_OPS(kEfsrpc)},
    {"df1941c5-fe89-4e79-bf10-463657acf44d", "efsrpc", KAGAMI_OPS(kEfsrpc)},
    {"12345678-1234-abcd-ef00-0123456789ab", "spoolss", KAGAMI_OPS(kSpoolss)},
    {"3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup", nullptr, 0},
    {"000001a0-0000-0000-c000-000000000046", "IRemoteSCMActivator", nullptr, 0},
    {"99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter", nullptr, 0},
};
#undef KAGAMI_OPS

struct Event {
  const char* interface;
  std::uint16_t opnum;
  const char* event;
};
// Calls that change a remote machine the way intruders do (PsExec and its kind, scheduled
// tasks, clearing logs, DCSync, Zerologon, PrintNightmare, coercion of authentication).
constexpr Event kEvents[] = {
    {"svcctl", 12, "service_created"},
    {"svcctl", 24, "service_created"},
    {"svcctl", 19, "service_started"},
    {"svcctl", 31, "service_started"},
    {"svcctl", 11, "service_changed"},
    {"svcctl", 23, "service_changed"},
    {"svcctl", 2, "service_deleted"},
    {"atsvc", 0, "task_registered"},
    {"tsch", 1, "task_registered"},
    {"tsch", 12, "task_started"},
    {"eventlog", 0, "log_cleared"},
    {"drsuapi", 3, "directory_replication"},
    {"netlogon", 30, "machine_password_set"},
    {"winreg", 20, "registry_saved"},
    {"winreg", 22, "registry_written"},
    {"spoolss", 89, "printer_driver_added"},
    {"spoolss", 65, "authentication_coerced"},
    {"efsrpc", 0, "authentication_coerced"},
    {"efsrpc", 4, "authentication_coerced"},
};

// An NDR cursor over a little-endian stub: each read checks its bounds; a failed read leaves
// the cursor failed.
class Ndr {
 public:
  explicit Ndr(ByteView b) : b_(b) {}
  bool ok() const { return ok_; }
  void align(std::size_t n) { at_ = (at_ + n - 1) / n * n; }
  std::uint32_t u32() {
    align(4);
    if (!need(4)) return 0;
    const std::uint32_t v = load_le32(b_.data() + at_);
    at_ += 4;
    return v;
  }
  bool bytes(std::size_t n, std::uint8_t* out) {
    if (!need(n)) return false;
    std::memcpy(out, b_.data() + at_, n);
    at_ += n;
    return true;
  }
  // A conformant varying string: max count, offset, actual count, the characters (2 bytes
  // each when `wide`), up to a NUL.
  std::string string(bool wide) {
    const std::uint32_t max = u32();
    (void)u32();  // offset
    const std::uint32_t actual = u32();
    const std::size_t unit = wide ? 2 : 1;
    if (!ok_ || actual > max || actual > (1u << 16) || !need(actual * unit)) {
      ok_ = false;
      return {};
    }
    ByteView chars = b_.subspan(at_, actual * unit);
    at_ += actual * unit;
    std::string s = wide ? utf16le_to_utf8(std::string_view(
                               reinterpret_cast<const char*>(chars.data()), chars.size()))
                         : std::string(reinterpret_cast<const char*>(chars.data()), chars.size());
    if (const std::size_t nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
    return s;
  }
  // A [unique] string: a referent id, then the string unless it is null.
  std::string unique_string(bool wide) { return u32() != 0 ? string(wide) : std::string(); }

 private:
  bool need(std::size_t n) {
    if (ok_ && at_ <= b_.size() && n <= b_.size() - at_) return true;
    ok_ = false;
    return false;
  }
  ByteView b_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace

bool parse_dcerpc_header(ByteView pdu, DceRpcHeader& out) {
  if (pdu.size() < kDceRpcHeaderBytes || pdu[0] != 5 || pdu[1] > 1) return false;
  out.type = pdu[2];
  out.flags = pdu[3];
  out.little_endian = (pdu[4] & 0x10) != 0;
  auto be16 = [&](std::size_t at) {
    return static_cast<std::uint16_t>(pdu[at] << 8 | pdu[at + 1]);
  };
  out.frag_length = out.little_endian ? u16(pdu, 8) : be16(8);
  out.auth_length = out.little_endian ? u16(pdu, 10) : be16(10);
  out.call_id =
      out.little_endian ? u32(pdu, 12) : static_cast<std::uint32_t>(be16(12)) << 16 | be16(14);
  return out.frag_length >= kDceRpcHeaderBytes;
}

std::string uuid_text(const Uuid& u) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                static_cast<unsigned>(load_le32(u.data())), load_le16(u.data() + 4),
                load_le16(u.data() + 6), u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  return buf;
}

bool dcerpc_bind(ByteView pdu, const DceRpcHeader& h, std::vector<DceRpcContext>& out) {
  out.clear();
  const ByteView b = body(pdu, h);
  // max_xmit_frag, max_recv_frag, assoc_group_id, then the context list.
  if (!h.little_endian || b.size() < 12) return false;
  const std::uint8_t n = b[8];
  std::size_t at = 12;
  for (std::uint8_t i = 0; i < n; ++i) {
    if (b.size() - at < 24) return false;
    DceRpcContext c;
    c.id = u16(b, at);
    const std::uint8_t transfers = b[at + 2];
    std::memcpy(c.interface.data(), b.data() + at + 4, 16);
    c.major = u16(b, at + 20);
    c.minor = u16(b, at + 22);
    at += 24;
    if (static_cast<std::size_t>(transfers) * 20 > b.size() - at) return false;
    at += static_cast<std::size_t>(transfers) * 20;
    out.push_back(c);
  }
  return true;
}

bool dcerpc_bind_ack(ByteView pdu, const DceRpcHeader& h, std::vector<std::uint16_t>& results) {
  results.clear();
  const ByteView b = body(pdu, h);
  if (!h.little_endian || b.size() < 10) return false;
  // max_xmit_frag, max_recv_frag, assoc_group_id, the secondary address, padding to 4.
  std::size_t at = 10 + u16(b, 8);
  at = (at + 3) / 4 * 4;
  if (at + 4 > b.size()) return false;
  const std::uint8_t n = b[at];
  at += 4;
  for (std::uint8_t i = 0; i < n; ++i) {
    if (b.size() - at < 24) return false;
    results.push_back(u16(b, at));
    at += 24;
  }
  return true;
}

bool dcerpc_request(ByteView pdu, const DceRpcHeader& h, DceRpcRequest& out) {
  const std::size_t fixed = (h.flags & dcerpc::kObjectUuid) ? 24 : 8;
  if (!stub_of(pdu, h, fixed, out.stub)) return false;
  const ByteView b = body(pdu, h);
  out.context_id = u16(b, 4);
  out.opnum = u16(b, 6);
  return true;
}

bool dcerpc_response(ByteView pdu, const DceRpcHeader& h, std::uint16_t& context_id,
                     ByteView& stub) {
  if (!stub_of(pdu, h, 8, stub)) return false;
  context_id = u16(body(pdu, h), 4);
  return true;
}

bool dcerpc_fault(ByteView pdu, const DceRpcHeader& h, std::uint32_t& status) {
  const ByteView b = body(pdu, h);
  if (!h.little_endian || b.size() < 12) return false;
  status = u32(b, 8);
  return true;
}

std::string_view dcerpc_interface_name(const Uuid& interface) {
  const std::string text = uuid_text(interface);
  for (const Interface& i : kInterfaces)
    if (text == i.uuid) return i.name;
  return {};
}

std::string_view dcerpc_operation_name(std::string_view interface, std::uint16_t opnum) {
  for (const Interface& i : kInterfaces) {
    if (interface != i.name) continue;
    for (std::size_t k = 0; k < i.op_count; ++k)
      if (i.ops[k].opnum == opnum) return i.ops[k].name;
  }
  return {};
}

std::string_view dcerpc_event(std::string_view interface, std::uint16_t opnum) {
  for (const Event& e : kEvents)
    if (interface == e.interface && opnum == e.opnum) return e.event;
  return {};
}

bool svcctl_request(std::uint16_t opnum, ByteView stub, SvcctlCall& out) {
  Ndr n(stub);
  std::uint8_t handle[20];
  n.bytes(20, handle);
  switch (opnum) {
    case 12:    // RCreateServiceW
    case 24: {  // RCreateServiceA
      const bool wide = opnum == 12;
      out.service = n.string(wide);
      (void)n.unique_string(wide);  // the display name
      (void)n.u32();                // desired access
      (void)n.u32();                // service type
      (void)n.u32();                // start type
      (void)n.u32();                // error control
      out.command = n.string(wide);
      return n.ok();
    }
    case 16:  // ROpenServiceW
    case 28:  // ROpenServiceA
      out.service = n.string(opnum == 16);
      return n.ok();
    case 11:          // RChangeServiceConfigW
    case 23: {        // RChangeServiceConfigA
      (void)n.u32();  // service type
      (void)n.u32();  // start type
      (void)n.u32();  // error control
      out.command = n.unique_string(opnum == 11);
      return n.ok();
    }
    default:
      return false;
  }
}

bool svcctl_handle_returned(std::uint16_t opnum, ByteView stub, std::array<std::uint8_t, 20>& out) {
  Ndr n(stub);
  if (opnum == 12 || opnum == 24) {
    if (n.u32() != 0) (void)n.u32();  // the tag id, when there is one
  } else if (opnum != 16 && opnum != 28) {
    return false;
  }
  if (!n.bytes(20, out.data())) return false;
  return n.u32() == 0 && n.ok();
}

bool svcctl_handle_used(ByteView stub, std::array<std::uint8_t, 20>& out) {
  Ndr n(stub);
  return n.bytes(20, out.data());
}

}  // namespace kagami::wire
