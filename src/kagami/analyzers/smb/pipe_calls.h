#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/time.h"
#include "kagami/records/dcerpc_record.h"
#include "kagami/wire/dcerpc.h"

namespace kagami::analyzers {

// An NTSTATUS or a Windows error code as records show it: "0xc0000034".
std::string status_text(std::uint32_t status);

// The DCE/RPC calls on one named pipe (\\server\IPC$\name): the client's writes and the
// server's reads, whatever SMB message carried them (WRITE, READ, IOCTL transceive), cut
// into PDUs, fragments joined, each request paired with its answer by call id. Interfaces come
// from the bind; svcctl's handles are followed from the create or open that returned them to
// the start, change or delete that uses them, so each of those names its service.
class PipeCalls {
 public:
  explicit PipeCalls(std::string pipe) : pipe_(std::move(pipe)) {}

  // Calls completed by these bytes are appended to `done` (their record's call fields only:
  // the analyzer adds who, when and where).
  void from_client(TimeNs ts, ByteView bytes, std::vector<records::DceRpcRecord>& done);
  void from_server(ByteView bytes, std::vector<records::DceRpcRecord>& done);
  // The pipe closed: calls never answered are recorded as they are.
  void finish(std::vector<records::DceRpcRecord>& done);
  // Something here was not DCE/RPC, or broke a bound (the pipe is no longer read).
  bool violated() const { return violated_; }

 private:
  using Handle = std::array<std::uint8_t, 20>;
  struct Call {
    records::DceRpcRecord r;
    std::vector<std::uint8_t> stub;  // the request's, up to kKeptStub
    bool request_done = false;
    std::vector<std::uint8_t> answer;  // the response's first bytes
    std::uint8_t answer_tail[4] = {};  // the response's last four bytes (its return code)
    std::uint64_t answer_bytes = 0;
  };
  struct Side {
    std::vector<std::uint8_t> buffer;
    bool stopped = false;
  };

  void take(Side& side, bool client, TimeNs ts, ByteView bytes,
            std::vector<records::DceRpcRecord>& done);
  void pdu(bool client, TimeNs ts, ByteView pdu, const wire::DceRpcHeader& h,
           std::vector<records::DceRpcRecord>& done);
  void request_complete(Call& c);
  void answered(std::uint32_t id, Call& c, std::vector<records::DceRpcRecord>& done);
  Call* call(std::uint32_t id, TimeNs ts);

  std::string pipe_;
  Side sides_[2];
  struct Interface {
    std::string name, uuid;
  };
  std::map<std::uint16_t, Interface> contexts_;
  std::map<std::uint32_t, std::vector<std::uint16_t>> binding_;  // a bind's contexts by call id
  std::map<std::uint32_t, Call> calls_;
  std::map<Handle, std::string> services_;  // svcctl: a handle's service
  bool violated_ = false;
};

}  // namespace kagami::analyzers
